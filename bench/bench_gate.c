/*
 * bench_gate: what `stackrisk gate` adds to each tool call, against the bare
 * Kafka round trip measured in the same run.
 *
 *  (a) baseline: produce one message, consume it with a reader already
 *      positioned on its partition (linger 0, same fetch settings as the
 *      gate's control reader): one Kafka round trip;
 *  (b) hook via the sidecar: a Claude Code PreToolUse payload piped into a
 *      fresh `stackrisk-hook --socket` process (the lean client), answered
 *      by a running `stackrisk gate --serve` and `stackrisk run` on the
 *      embedded broker: fork/exec + socket + event → processor → verdict →
 *      answer; (b2) the same through `stackrisk gate --socket`, which loads
 *      every library of the full binary; (b') the same asked from inside
 *      this process, no exec at all;
 *  (c) hook straight to Kafka (no sidecar): the same, each process opening
 *      its own connections (fewer calls: it is slow by design);
 *  (d) what signing costs the processor and verifying the enforcer, per
 *      command, on this thread; (d') the same with commands signed in
 *      batches of 64, as a loaded worker does.
 *
 * Every call is a distinct tool_use_id over 16 sessions; each answer must be
 * an ALLOW verdict (a "failing open" answer would be a fast wrong result and
 * aborts the run). Each case runs --rounds times; p50 and p99 are over all
 * calls of all rounds. Target: (b) p99 < 2 x (a) p99 + 5 ms.
 *
 * usage: bench_gate [--size N] [--rounds R]
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aggregator/sign.h"
#include "core/kafka.h"
#include "core/log.h"
#include "enforce/gate.h"

extern char **environ;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  int i = (int)(p * (n - 1) + 0.5);
  return v[i];
}

static void die(const char *what) {
  fprintf(stderr, "bench_gate: %s\n", what);
  exit(1);
}

/* Runs argv with `in` on stdin; returns its stdout in out. */
static int spawn_io(char *const argv[], const char *in, char *out, size_t cap) {
  int pin[2], pout[2];
  if (pipe(pin) || pipe(pout)) die("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&fa, pin[1]);
  posix_spawn_file_actions_addclose(&fa, pout[0]);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) die("spawn");
  posix_spawn_file_actions_destroy(&fa);
  close(pin[0]);
  close(pout[1]);
  if (write(pin[1], in, strlen(in)) < 0) die("write");
  close(pin[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(pout[0], out + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close(pout[0]);
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t spawn_bg(char *const argv[], const char *log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) die("spawn");
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

static void wait_for(const char *log, const char *text, int timeout_ms) {
  double deadline = now_ms() + timeout_ms;
  char buf[8192];
  while (now_ms() < deadline) {
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    if (strstr(buf, text)) return;
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "bench_gate: '%s' never appeared in %s\n", text, log);
  exit(1);
}

/* (a): n produce-then-consume round trips on one partition. */
static void round_trips(const char *brokers, int n, double *out) {
  char err[512];
  static const char *const pd[][2] = {{"linger.ms", "0"},
                                      {"socket.nagle.disable", "true"}};
  static const char *const cd[][2] = {{"group.id", "bench-rtt"},
                                      {"enable.auto.commit", "false"},
                                      {"fetch.wait.max.ms", "10"},
                                      {"fetch.error.backoff.ms", "10"},
                                      {"socket.nagle.disable", "true"}};
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(brokers, "bench", pd, 2, NULL, err, sizeof err);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  conf = sr_kafka_conf_new(brokers, "bench", cd, 5, NULL, err, sizeof err);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!p || !c) die(err);
  int64_t lo, hi;
  if (rd_kafka_query_watermark_offsets(c, "bench.rtt", 0, &lo, &hi, 10000))
    die("watermarks of bench.rtt");
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, "bench.rtt", 0)->offset = hi;
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  for (int i = -5; i < n; i++) { /* 5 warm-up trips */
    char v[32];
    int len = snprintf(v, sizeof v, "m%d", i);
    double t0 = now_ms();
    if (rd_kafka_producev(p, RD_KAFKA_V_TOPIC("bench.rtt"),
                          RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(v, len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END))
      die("produce");
    for (;;) {
      rd_kafka_poll(p, 0);
      rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 5);
      if (!m) continue;
      bool mine =
          !m->err && m->len == (size_t)len && !memcmp(m->payload, v, len);
      rd_kafka_message_destroy(m);
      if (mine) break;
    }
    if (i >= 0) out[i] = now_ms() - t0;
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  rd_kafka_destroy(p);
}

static int calls_seq;

static void make_payload(char *payload, size_t cap, int k) {
  snprintf(payload, cap,
           "{\"session_id\":\"bench-%d\",\"transcript_path\":\"/tmp/t.jsonl\","
           "\"cwd\":\"/home/dev/p\",\"permission_mode\":\"default\","
           "\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\","
           "\"tool_input\":{\"file_path\":\"/home/dev/p/src/f%d.c\"},"
           "\"tool_use_id\":\"toolu_bench_%d\"}",
           k % 16, k, k);
}

/* (b)/(c): n hook processes; every answer must be an ALLOW verdict. */
static void hooks(char *const argv[], int n, double *out) {
  char payload[1024], answer[8192];
  for (int i = -3; i < n; i++) {
    int k = calls_seq++;
    make_payload(payload, sizeof payload, k);
    double t0 = now_ms();
    int rc = spawn_io(argv, payload, answer, sizeof answer);
    double t = now_ms() - t0;
    if (rc != 0 || !strstr(answer, "\"permissionDecision\":\"allow\"") ||
        !strstr(answer, "stackrisk ALLOW")) {
      fprintf(stderr, "bench_gate: call %d answered %d: %s\n", k, rc, answer);
      exit(1);
    }
    if (i >= 0) out[i] = t;
  }
}

/* (b'): the sidecar asked from this process: (b) without the exec. */
static void in_process(const char *sock, int n, double *out) {
  char payload[1024], err[512];
  for (int i = -3; i < n; i++) {
    int k = calls_seq++;
    make_payload(payload, sizeof payload, k);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t0 = now_ms();
    struct sr_hook_request req;
    struct sr_gate_verdict v;
    if (sr_hook_parse(SR_HOOK_CLAUDE_CODE, payload, strlen(payload),
                      (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &req,
                      err, sizeof err) ||
        sr_gate_remote_decide(sock, &req, 10000, &v, err, sizeof err) ||
        v.source != SR_VERDICT_COMMAND || v.action != SR_ACTION_ALLOW) {
      fprintf(stderr, "bench_gate: in-process call %d: %s %s\n", k, err,
              v.reason);
      exit(1);
    }
    double t = now_ms() - t0;
    sr_hook_request_clear(&req);
    if (i >= 0) out[i] = t;
  }
}

/* (d): µs per sign and per verify of a typical command, signed alone or
 * in batches of `batch` (sharing one Ed25519 signature). */
static void sign_cost(const char *key, const char *pub, int n, size_t batch,
                      double *sign_us, double *verify_us) {
  char err[512];
  struct sr_signer *s = sr_signer_load(key, err, sizeof err);
  struct sr_verifier *v = sr_verifier_load(pub, err, sizeof err);
  struct sr_command *cs = calloc(batch, sizeof *cs);
  if (!s || !v || !cs) die(err);
  for (size_t i = 0; i < batch; i++) {
    struct sr_command *c = &cs[i];
    snprintf(c->session_id, sizeof c->session_id, "sess-pocketos-1");
    snprintf(c->event_id, sizeof c->event_id, "ev-pocketos-1-017");
    snprintf(c->rule, sizeof c->rule,
             "destructive-production-misused-credential");
    c->action = SR_ACTION_BLOCK;
    c->risk = 5.83;
    c->depth = 3;
    c->issued_at_ms = 1776465697170;
    c->expires_at_ms = c->issued_at_ms + 300000;
  }
  double t0 = now_ms();
  for (int i = 0; i < n; i += (int)batch) {
    for (size_t j = 0; j < batch; j++)
      snprintf(cs[j].call_id, sizeof cs[j].call_id, "call-%zu", i + j);
    sr_signer_sign_batch(s, cs, batch);
  }
  double t1 = now_ms();
  int ok = 0;
  for (int i = 0; i < n; i++)
    ok += sr_verifier_check(v, &cs[(size_t)i % batch], NULL, NULL,
                            cs[0].issued_at_ms, err, sizeof err) == SR_SIG_OK;
  double t2 = now_ms();
  if (ok != n) die("a signed command did not verify");
  *sign_us = (t1 - t0) * 1e3 / n;
  *verify_us = (t2 - t1) * 1e3 / n;
  free(cs);
  sr_signer_destroy(s);
  sr_verifier_destroy(v);
}

static void line(const char *name, double *v, int n, double rtt99) {
  double p50 = pct(v, n, 0.5), p99 = pct(v, n, 0.99);
  printf("%-34s calls=%-5d p50=%8.2f ms  p99=%8.2f ms", name, n, p50, p99);
  if (rtt99 > 0) printf("  p99/(2*rtt_p99+5ms)=%.2f", p99 / (2 * rtt99 + 5));
  printf("\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  int size = 200, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--size"))
      size = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--rounds"))
      rounds = atoi(argv[i + 1]);
    else
      die("usage: bench_gate [--size N] [--rounds R]");
  }
  if (size < 10 || rounds < 1) die("--size >= 10, --rounds >= 1");
  sr_log_set_level(SR_LOG_WARN);
  char bin[4096], dir[64], kd[128], key[160], pub[160], sock[160], rlog[160],
      slog[160];
  ssize_t bl = readlink("/proc/self/exe", bin, sizeof bin - 32);
  if (bl <= 0) die("cannot find myself");
  bin[bl] = '\0';
  strcpy(strrchr(bin, '/') + 1, "stackrisk");
  snprintf(dir, sizeof dir, "/tmp/bench-gate-%d", (int)getpid());
  mkdir(dir, 0700);
  snprintf(kd, sizeof kd, "%s/k", dir);
  snprintf(key, sizeof key, "%s/signing.key", kd);
  snprintf(pub, sizeof pub, "%s/signing.pub", kd);
  snprintf(sock, sizeof sock, "%s/gate.sock", dir);
  snprintf(rlog, sizeof rlog, "%s/run.log", dir);
  snprintf(slog, sizeof slog, "%s/sidecar.log", dir);
  char out[1024];
  char *kg[] = {bin, "keygen", "--dir", kd, NULL};
  if (spawn_io(kg, "", out, sizeof out)) die("keygen failed");

  char err[512];
  const char *topics[] = {"stackrisk.events", "stackrisk.control",
                          "stackrisk.dlq", "bench.rtt"};
  struct sr_broker *b = sr_broker_create(1, topics, 4, 8, err, sizeof err);
  if (!b) die(err);
  char *brokers = (char *)sr_broker_bootstraps(b);
  char state[200];
  snprintf(state, sizeof state, "%s/state.db", dir);
  char *run[] = {bin,       "run",   "--brokers", brokers,      "--signing-key",
                 key,       "--group", "bench-gate", "--state", state, NULL};
  pid_t runp = spawn_bg(run, rlog);
  wait_for(rlog, "assigned", 30000);
  char *side[] = {bin,         "gate",  "--serve",      "--socket", sock,
                  "--brokers", brokers, "--public-key", pub,        NULL};
  pid_t sidep = spawn_bg(side, slog);
  wait_for(slog, "gate sidecar on", 30000);

  char lean[4200];
  snprintf(lean, sizeof lean, "%s-hook", bin);
  /* --allow-skips-prompts: an ALLOW verdict is then answered "allow",
   * while a call let through without one still prints nothing. */
  char *via_sidecar[] = {lean,       "--hook", "claude-code",
                         "--socket", sock,     "--allow-skips-prompts",
                         NULL};
  char *via_gate[] = {bin,
                      "gate",
                      "--hook",
                      "claude-code",
                      "--socket",
                      sock,
                      "--allow-skips-prompts",
                      NULL};
  char *direct[] = {
      bin,     "gate",         "--hook", "claude-code",           "--brokers",
      brokers, "--public-key", pub,      "--allow-skips-prompts", NULL};
  int ndirect = size / 10;
  double *rtt = malloc(sizeof(double) * (size_t)(size * rounds));
  double *sc = malloc(sizeof(double) * (size_t)(size * rounds));
  double *ip = malloc(sizeof(double) * (size_t)(size * rounds));
  double *fg = malloc(sizeof(double) * (size_t)(size * rounds));
  double *dc = malloc(sizeof(double) * (size_t)(ndirect * rounds));
  for (int r = 0; r < rounds; r++) {
    round_trips(brokers, size, rtt + r * size);
    hooks(via_sidecar, size, sc + r * size);
    hooks(via_gate, size, fg + r * size);
    in_process(sock, size, ip + r * size);
    hooks(direct, ndirect, dc + r * ndirect);
  }
  printf(
      "bench_gate: %d calls x %d rounds, embedded broker (mock), 8 "
      "partitions, 16 sessions\n",
      size, rounds);
  double rtt99 = pct(rtt, size * rounds, 0.99);
  line("(a) kafka produce->consume", rtt, size * rounds, 0);
  line("(b) stackrisk-hook via sidecar", sc, size * rounds, rtt99);
  line("(b2) stackrisk gate via sidecar", fg, size * rounds, rtt99);
  line("(b') sidecar, in-process client", ip, size * rounds, rtt99);
  line("(c) hook straight to kafka", dc, ndirect * rounds, rtt99);
  printf("answers: %d ALLOW verdicts\n", 3 * size * rounds + ndirect * rounds);
  double su[16], vu[16];
  int nr = rounds < 16 ? rounds : 16;
  for (int r = 0; r < nr; r++) sign_cost(key, pub, 20000, 1, &su[r], &vu[r]);
  printf("%-34s sign=%.1f us  verify=%.1f us (median of %d x 20000)\n",
         "(d) Ed25519 per command, alone", pct(su, nr, 0.5), pct(vu, nr, 0.5),
         nr);
  for (int r = 0; r < nr; r++)
    sign_cost(key, pub, 20480, SR_BATCH_MAX, &su[r], &vu[r]);
  printf("%-34s sign=%.1f us  verify=%.1f us (median of %d x 20480)\n",
         "(d') per command, batches of 64", pct(su, nr, 0.5), pct(vu, nr, 0.5),
         nr);
  kill(sidep, SIGTERM);
  kill(runp, SIGTERM);
  waitpid(sidep, NULL, 0);
  waitpid(runp, NULL, 0);
  sr_broker_destroy(b);
  free(rtt);
  free(sc);
  free(ip);
  free(fg);
  free(dc);
  return 0;
}
