/*
 * The command line as a person uses it: `stackrisk broker` in one process,
 * `stackrisk run --brokers` in another, `stackrisk watch` in a third
 * printing the verdict as a JSON line; `stackrisk run` alone starting its
 * embedded broker; every --help; clear usage errors.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif
#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

static const char *verdict_line =
    "{\"type\":\"tool_call\",\"session_id\":\"cli-1\",\"ts_ms\":1790000000000,"
    "\"phase\":\"requested\",\"call_id\":\"cli-call-1\",\"tool\":\"Read\","
    "\"arguments\":{\"file_path\":\"README.md\"},\"want_verdict\":true}";

/* A signing key pair made by `stackrisk keygen` for one test. */
struct keys {
  char dir[64], key[96], pub[96];
};

static void keys_make(struct keys *k, const char *tag) {
  char log[96];
  snprintf(k->dir, sizeof k->dir, "/tmp/cli-keys-%s-%d", tag, (int)getpid());
  snprintf(k->key, sizeof k->key, "%s/signing.key", k->dir);
  snprintf(k->pub, sizeof k->pub, "%s/signing.pub", k->dir);
  snprintf(log, sizeof log, "cli-keygen-%s-%d.log", tag, (int)getpid());
  char *argv[] = {SR_BINARY, "keygen", "--dir", k->dir, NULL};
  ck_assert_int_eq(h_wait_exit(h_spawn(argv, log), 10000), 0);
  unlink(log);
}

static void keys_remove(const struct keys *k) {
  unlink(k->key), unlink(k->pub), rmdir(k->dir);
}

START_TEST(broker_run_and_watch_as_separate_processes) {
  char blog[64], rlog[64], wlog[64], addr[256];
  snprintf(blog, sizeof blog, "cli-broker-%d.log", (int)getpid());
  snprintf(rlog, sizeof rlog, "cli-run-%d.log", (int)getpid());
  snprintf(wlog, sizeof wlog, "cli-watch-%d.log", (int)getpid());
  unlink(blog), unlink(rlog), unlink(wlog);
  char *bargv[] = {SR_BINARY, "broker", "--partitions", "2", NULL};
  pid_t broker = h_spawn(bargv, blog);
  ck_assert_msg(h_wait_address(blog, addr, sizeof addr, 20000),
                "broker printed no address");
  /* Every topic a run uses exists with the partitions asked for, the OTLP
   * input and the repartition topic too (created on first use, they had
   * the mock's own count). */
  static const char *const run_topics[] = {
      "stackrisk.events", "stackrisk.control", "stackrisk.dlq", "otlp_spans",
      "stackrisk.repartition"};
  rd_kafka_t *meta = h_producer(addr);
  for (size_t i = 0; i < sizeof run_topics / sizeof run_topics[0]; i++) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(meta, run_topics[i], NULL);
    const struct rd_kafka_metadata *md = NULL;
    ck_assert_int_eq(rd_kafka_metadata(meta, 0, t, &md, 5000),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(md->topic_cnt, 1);
    ck_assert_msg(md->topics[0].partition_cnt == 2, "%s has %d partitions",
                  run_topics[i], md->topics[0].partition_cnt);
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
  }
  rd_kafka_destroy(meta);
  /* Commands are signed: run signs with the secret key, watch verifies
   * with the public one (the verdict line's event time is in the past, so
   * the command is expired by the wall clock: history, printed on request). */
  struct keys k;
  keys_make(&k, "watch");
  char state[64];
  snprintf(state, sizeof state, "cli-state-%d.db", (int)getpid());
  char *rargv[] = {SR_BINARY,       "run", "--brokers", addr,  "--group", "cli",
                   "--signing-key", k.key, "--state",   state, NULL};
  pid_t run = h_spawn(rargv, rlog);
  /* watch takes the brokers and the public key from the config file, as
   * an enforcer sharing the processor's file does. */
  char wconf[64];
  snprintf(wconf, sizeof wconf, "cli-watch-%d.yaml", (int)getpid());
  FILE *wc = fopen(wconf, "w");
  ck_assert_ptr_nonnull(wc);
  fprintf(wc, "kafka:\n  brokers: \"%s\"\nsigning:\n  public_key: \"%s\"\n",
          addr, k.pub);
  fclose(wc);
  char *wargv[] = {
      SR_BINARY, "watch", "--config",     wconf,   "--from-beginning",
      "--count", "1",     "--timeout-ms", "60000", "--include-expired",
      NULL};
  pid_t watch = h_spawn(wargv, wlog);

  rd_kafka_t *p = h_producer(addr);
  ck_assert_int_eq(h_produce(p, "stackrisk.events", "cli-1", verdict_line,
                             strlen(verdict_line)), 0);
  rd_kafka_flush(p, 5000);
  rd_kafka_destroy(p);

  int wrc = h_wait_exit(watch, 60000);
  char *out = h_read_file(wlog, NULL);
  ck_assert_msg(wrc == 0, "watch exited %d: %s", wrc, out ? out : "");
  ck_assert_msg(out && strstr(out, "\"call_id\":\"cli-call-1\"") &&
                    strstr(out, "\"action\":\"ALLOW\"") &&
                    strstr(out, "\"session_id\":\"cli-1\""),
                "watch printed: %s", out ? out : "");
  free(out);
  kill(run, SIGTERM);
  ck_assert_int_eq(h_wait_exit(run, 30000), 0);
  kill(broker, SIGINT);
  ck_assert_int_eq(h_wait_exit(broker, 10000), 0);
  keys_remove(&k);
  unlink(wconf);
}
END_TEST

START_TEST(run_alone_starts_an_embedded_broker) {
  char log[64], addr[256];
  snprintf(log, sizeof log, "cli-embedded-%d.log", (int)getpid());
  unlink(log);
  char state[64];
  snprintf(state, sizeof state, "cli-embedded-%d.db", (int)getpid());
  char *argv[] = {SR_BINARY, "run", "--state", state, NULL};
  pid_t run = h_spawn(argv, log);
  ck_assert_msg(h_wait_address(log, addr, sizeof addr, 20000),
                "run printed no broker address");
  ck_assert_msg(strncmp(addr, "127.0.0.1:", 10) == 0, "address %s", addr);
  /* It is a real broker: a plain librdkafka client can use it. */
  rd_kafka_t *reader = h_reader(addr, "stackrisk.control");
  ck_assert_msg(reader, "no stackrisk.control topic on %s", addr);
  rd_kafka_t *p = h_producer(addr);
  ck_assert_int_eq(h_produce(p, "stackrisk.events", "cli-1", verdict_line,
                             strlen(verdict_line)), 0);
  rd_kafka_flush(p, 5000);
  rd_kafka_destroy(p);
  bool got = false;
  long long deadline = h_now_ms() + 30000;
  while (!got && h_now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(reader, 100);
    if (m) {
      got = !m->err && m->key_len == 5 && !memcmp(m->key, "cli-1", 5);
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_destroy(reader);
  ck_assert_msg(got, "no command keyed by the session id on the control topic");
  kill(run, SIGINT);
  ck_assert_int_eq(h_wait_exit(run, 30000), 0);
}
END_TEST

/* Brokers that do not answer at start: the processor is not fooled into
 * saying it consumes, does not give up, and a stop during its start-up
 * wait for them is honoured at once (exit 0, as any SIGINT/SIGTERM). */
START_TEST(unreachable_brokers_do_not_hold_a_stop_or_claim_consuming) {
  char log[64], line[512];
  struct keys k;
  keys_make(&k, "down");
  snprintf(log, sizeof log, "cli-down-%d.log", (int)getpid());
  char *argv[] = {SR_BINARY,       "run",     "--brokers",
                  "127.0.0.1:1",   "--state", "",
                  "--signing-key", k.key,     NULL};
  for (int sig = SIGINT; sig; sig = sig == SIGINT ? SIGTERM : 0) {
    unlink(log);
    pid_t run = h_spawn(argv, log);
    if (sig == SIGINT) {
      /* librdkafka's first failed connection: the start-up wait is on */
      ck_assert(h_wait_line(log, "Connect to ipv4#127.0.0.1:1 failed", line,
                            sizeof line, 10000));
    } else {
      ck_assert_msg(
          h_wait_line(log, "not consuming yet; ", line, sizeof line, 20000),
          "no word on the brokers being down");
      ck_assert_msg(strstr(line, "retrying"), "%s", line);
      char *text = h_read_file(log, NULL);
      ck_assert_msg(!strstr(text, "INFO consuming"), "%s", text);
      free(text);
      ck_assert_int_eq(waitpid(run, NULL, WNOHANG), 0); /* still running */
    }
    long long t0 = h_now_ms();
    kill(run, sig);
    ck_assert_int_eq(h_wait_exit(run, 3000), 0);
    ck_assert_int_lt(h_now_ms() - t0, 2000);
  }
  unlink(log);
  keys_remove(&k);
}
END_TEST

/* A run restarted in the group of one that just stopped, on a shared
 * `stackrisk broker`, gets no partitions until the mock's group has waited
 * out the former member's session.timeout.ms (10 s, our default),
 * though that member left the group: it says, once, what it waits for,
 * and when the partitions come, after how long. */
START_TEST(restarted_run_says_it_waits_for_its_group) {
  char blog[64], rlog[64], addr[256], line[512];
  snprintf(blog, sizeof blog, "cli-group-broker-%d.log", (int)getpid());
  snprintf(rlog, sizeof rlog, "cli-group-run-%d.log", (int)getpid());
  unlink(blog);
  char *bargv[] = {SR_BINARY, "broker", NULL};
  pid_t broker = h_spawn(bargv, blog);
  ck_assert(h_wait_address(blog, addr, sizeof addr, 20000));
  struct keys k;
  keys_make(&k, "group");
  char *argv[] = {SR_BINARY, "run", "--brokers",     addr,  "--group", "cli-g",
                  "--state", "",    "--signing-key", k.key, NULL};
  for (int round = 0; round < 2; round++) {
    unlink(rlog);
    pid_t run = h_spawn(argv, rlog);
    if (round == 1) {
      ck_assert_msg(h_wait_line(rlog, "INFO waiting for consumer group ", line,
                                sizeof line, 15000),
                    "no word on the wait for the group");
      ck_assert_msg(!strncmp(line, "cli-g to assign partitions", 26), "%s",
                    line);
    }
    ck_assert_msg(h_wait_line(rlog, "INFO assigned ", line, sizeof line, 60000),
                  "round %d: never assigned", round);
    if (round == 1) {
      const char *after = strstr(line, "by consumer group cli-g after ");
      ck_assert_msg(after, "%s", line);
      /* our 10 s session timeout, not librdkafka's 45 s */
      ck_assert_msg(
          atoi(after + strlen("by consumer group cli-g after ")) <= 15, "%s",
          line);
    }
    kill(run, SIGTERM);
    ck_assert_int_eq(h_wait_exit(run, 30000), 0);
  }
  kill(broker, SIGINT);
  ck_assert_int_eq(h_wait_exit(broker, 10000), 0);
  unlink(blog), unlink(rlog);
  keys_remove(&k);
}
END_TEST

/* Runs `bin args`, returns its exit code and output (stdout+stderr). */
static int sh_bin(const char *bin, const char *args, char *out, size_t cap) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin, args);
  FILE *f = popen(cmd, "r");
  size_t n = fread(out, 1, cap - 1, f);
  out[n] = '\0';
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The same for `stackrisk args`. */
static int sh(const char *args, char *out, size_t cap) {
  return sh_bin(SR_BINARY, args, out, cap);
}

START_TEST(every_command_explains_itself) {
  static const struct {
    const char *args;
    const char *mentions;
  } helps[] = {{"--help", "replay"},
               {"run --help", "--brokers"},
               {"run --help", "-X"},
               {"broker --help", "--partitions"},
               {"replay --help", "FILE"},
               {"watch --help", "--from-beginning"},
               {"watch --help", "--public-key"},
               {"gate --help", "claude-code"},
               {"approve --help", "CALL_ID"},
               {"deny --help", "CALL_ID"},
               {"keygen --help", "signing.pub"}};
  char out[8192];
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
    ck_assert_int_eq(sh(helps[i].args, out, sizeof out), 0);
    ck_assert_msg(strstr(out, helps[i].mentions), "%s lacks %s", helps[i].args,
                  helps[i].mentions);
  }
  /* the lean hook binary describes itself, not the gate it may run */
  ck_assert_int_eq(sh_bin(SR_BINARY "-hook", "--help", out, sizeof out), 0);
  ck_assert_msg(strstr(out, "usage: stackrisk-hook --socket PATH") &&
                    !strstr(out, "usage: stackrisk gate"),
                "%s", out);
}
END_TEST

START_TEST(usage_errors_are_clear) {
  char out[8192];
  ck_assert_int_eq(sh("frobnicate", out, sizeof out), 2);
  ck_assert_ptr_nonnull(strstr(out, "unknown command 'frobnicate'"));
  /* getopt's own complaints name the command as typed */
  ck_assert_int_eq(sh("run --bogus", out, sizeof out), 2);
  ck_assert_msg(!strncmp(out, "stackrisk run: unrecognized option", 34), "%s",
                out);
  ck_assert_int_eq(sh("replay -q", out, sizeof out), 2);
  ck_assert_msg(!strncmp(out, "stackrisk replay: invalid option", 32), "%s",
                out);
  ck_assert_int_eq(sh("run --workers 0", out, sizeof out), 2);
  ck_assert_ptr_nonnull(strstr(out, "--workers"));
  ck_assert_int_eq(sh("run -X nonsense", out, sizeof out), 2);
  ck_assert_ptr_nonnull(strstr(out, "KEY=VALUE"));
  ck_assert_int_eq(sh("watch", out, sizeof out), 2);
  ck_assert_ptr_nonnull(strstr(out, "--brokers is required"));
  /* the flag the person typed, not the API parameter behind it */
  ck_assert_int_eq(sh("sessions --min-risk abc", out, sizeof out), 2);
  ck_assert_msg(strstr(out,
                       "stackrisk sessions: --min-risk: expected a "
                       "number >= 0, got 'abc'") &&
                    !strstr(out, "min_risk"),
                "%s", out);
  ck_assert_int_eq(sh("commands --limit 5 --limit 6", out, sizeof out), 2);
  ck_assert_msg(strstr(out, "stackrisk commands: --limit given twice"), "%s",
                out);
  ck_assert_int_eq(sh("replay", out, sizeof out), 2);
  ck_assert_int_eq(sh("replay --config /nonexistent.yaml -", out, sizeof out), 1);
  ck_assert_ptr_nonnull(strstr(out, "/nonexistent.yaml"));
  /* librdkafka's verdict on a property is a usage error, given at once */
  ck_assert_int_eq(
      sh("run -X no.such.property=1 --brokers 127.0.0.1:1", out, sizeof out),
      2);
  ck_assert_ptr_nonnull(strstr(out,
                               "stackrisk run: -X: librdkafka property "
                               "'no.such.property': No such"));
  ck_assert_int_eq(sh("watch -X fetch.wait.max.ms=soon --brokers 127.0.0.1:1",
                      out, sizeof out),
                   2);
  ck_assert_ptr_nonnull(strstr(out, "'fetch.wait.max.ms'"));
}
END_TEST

/* A topic both read and written would loop (a dead letter read back is
 * dead-lettered again): refused before anything connects. */
START_TEST(topics_read_and_written_are_refused) {
  static const struct {
    const char *args, *yaml, *says;
  } cases[] = {
      {"--events-topic t --dlq-topic t", NULL,
       "the events topic (--events-topic) must differ from the dead-letter "
       "topic (--dlq-topic) 't'"},
      {"--events-topic t --control-topic t", NULL,
       "the events topic (--events-topic) must differ from the control topic "
       "(--control-topic) 't'"},
      {"", "otlp:\n  enabled: true\n  topic: stackrisk.dlq\n",
       "otlp.topic must differ from the dead-letter topic"},
      {"",
       "otlp:\n  enabled: true\n  repartition_topic: c\n"
       "kafka:\n  topics:\n    control: c\n",
       "otlp.repartition_topic must differ from the control topic"},
  };
  char out[8192], cfg[64], args[512];
  snprintf(cfg, sizeof cfg, "cli-topics-%d.yaml", (int)getpid());
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *yaml = cases[i].yaml ? cases[i].yaml : "{}\n";
    FILE *f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs(yaml, f);
    fclose(f);
    snprintf(args, sizeof args,
             "run --brokers 127.0.0.1:1 --state '' "
             "--config %s %s",
             cfg, cases[i].args);
    /* bounded: accepted, it would run (and loop) until stopped */
    ck_assert_int_eq(sh_bin("timeout 10 " SR_BINARY, args, out, sizeof out), 1);
    ck_assert_msg(strstr(out, cases[i].says), "%s: %s", args, out);
  }
  unlink(cfg);
}
END_TEST

/* A kafka: setting that librdkafka refuses is refused as the file is read,
 * naming file, line and key like every other section's errors, by each
 * command that reads it (replay included, though it never connects). */
START_TEST(kafka_settings_errors_name_file_line_and_key) {
  static const struct {
    const char *yaml, *says, *commands[3];
  } bad[] = {
      {"kafka:\n  offset_reset: earlest\n",
       ":2: kafka.offset_reset: Invalid value \"earlest\"",
       {"replay -c %s /dev/null", "run -c %s --state '' -b 127.0.0.1:1"}},
      {"kafka:\n  properties:\n    security.protocl: ssl\n",
       ":3: kafka.properties.security.protocl: No such configuration property",
       {"replay -c %s /dev/null", "run -c %s --state '' -b 127.0.0.1:1",
        "approve c1 -c %s -b 127.0.0.1:1"}},
  };
  char cfg[64], args[256], out[8192];
  snprintf(cfg, sizeof cfg, "/tmp/cli-kafka-%d.yaml", (int)getpid());
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    FILE *f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs(bad[i].yaml, f);
    fclose(f);
    for (size_t j = 0; j < 3 && bad[i].commands[j]; j++) {
      snprintf(args, sizeof args, bad[i].commands[j], cfg);
      int rc = sh(args, out, sizeof out);
      ck_assert_msg(rc == 1 && strstr(out, cfg) && strstr(out, bad[i].says),
                    "%s: exit %d, said: %s", args, rc, out);
    }
  }
  unlink(cfg);
}
END_TEST

/* An input replay cannot read stops it with the path and the reason, exit
 * 1: a missing file, and a directory (which opens, but does not read). */
START_TEST(replay_names_an_input_it_cannot_read) {
  static const struct {
    const char *path, *says;
  } bad[] = {{"/nonexistent/events.jsonl", "No such file"},
             {SR_TEST_DATA "/sessions", "Is a directory"}};
  char args[512], out[8192];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(args, sizeof args, "replay %s", bad[i].path);
    int rc = sh(args, out, sizeof out);
    ck_assert_msg(
        rc == 1 && strstr(out, bad[i].path) && strstr(out, bad[i].says),
        "%s: exit %d, said: %s", args, rc, out);
  }
}
END_TEST

/* --timeout-ms bounds the whole wait, brokers that never answer included:
 * the documented time-out exit (3) in about that time, saying why. And
 * librdkafka's complaints name the command's own client. */
START_TEST(timeout_ms_holds_when_the_brokers_do_not_answer) {
  static const struct {
    const char *args, *client;
  } commands[] = {
      {"approve c1 --brokers 127.0.0.1:1 --timeout-ms 1000 --public-key %s",
       "kafka stackrisk-approve#consumer"},
      {"deny c1 --brokers 127.0.0.1:1 --timeout-ms 1000 --public-key %s",
       "kafka stackrisk-deny#consumer"},
      {"watch --brokers 127.0.0.1:1 --timeout-ms 1000 --public-key %s",
       "kafka stackrisk-watch#consumer"}};
  struct keys k;
  keys_make(&k, "timeout");
  char args[256], out[8192];
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    snprintf(args, sizeof args, commands[i].args, k.pub);
    long long t0 = h_now_ms();
    int rc = sh(args, out, sizeof out);
    long long took = h_now_ms() - t0;
    ck_assert_msg(rc == 3 && took < 3000, "%s: exit %d after %lld ms: %s", args,
                  rc, took, out);
    ck_assert_msg(strstr(out, "1000 ms") && strstr(out, "127.0.0.1:1"),
                  "%s said: %s", args, out);
    ck_assert_msg(strstr(out, commands[i].client), "%s said: %s", args, out);
  }
  keys_remove(&k);
}
END_TEST

/* Ctrl-C while brokers keep approve, deny or watch waiting in their Kafka
 * set-up ends them at once, not after --timeout-ms. */
START_TEST(ctrl_c_ends_a_wait_for_silent_brokers_at_once) {
  static const char *const verbs[] = {"approve", "deny", "watch"};
  struct keys k;
  keys_make(&k, "ctrlc");
  char log[64], line[512];
  snprintf(log, sizeof log, "cli-ctrlc-%d.log", (int)getpid());
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    bool decides = strcmp(verbs[i], "watch") != 0;
    char *argv[] = {
        SR_BINARY,   (char *)verbs[i], decides ? "c1" : "--from-beginning",
        "--brokers", "127.0.0.1:1",    "--timeout-ms",
        "30000",     "--public-key",   k.pub,
        NULL};
    unlink(log);
    pid_t pid = h_spawn(argv, log);
    /* librdkafka's first failed connection: the set-up wait is on */
    ck_assert_msg(h_wait_line(log, "Connect to ipv4#127.0.0.1:1 failed", line,
                              sizeof line, 10000),
                  "%s: no connection attempt", verbs[i]);
    long long t0 = h_now_ms();
    kill(pid, SIGINT);
    int rc = h_wait_exit(pid, 5000);
    long long took = h_now_ms() - t0;
    ck_assert_msg(rc == 128 + SIGINT && took < 2000,
                  "%s: exit %d %lld ms after SIGINT", verbs[i], rc, took);
  }
  unlink(log);
  keys_remove(&k);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("processes");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, broker_run_and_watch_as_separate_processes);
  tcase_add_test(tc, run_alone_starts_an_embedded_broker);
  tcase_add_test(tc, unreachable_brokers_do_not_hold_a_stop_or_claim_consuming);
  tcase_add_test(tc, restarted_run_says_it_waits_for_its_group);
  tcase_add_test(tc, every_command_explains_itself);
  tcase_add_test(tc, usage_errors_are_clear);
  tcase_add_test(tc, topics_read_and_written_are_refused);
  tcase_add_test(tc, kafka_settings_errors_name_file_line_and_key);
  tcase_add_test(tc, timeout_ms_holds_when_the_brokers_do_not_answer);
  tcase_add_test(tc, ctrl_c_ends_a_wait_for_silent_brokers_at_once);
  tcase_add_test(tc, replay_names_an_input_it_cannot_read);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
