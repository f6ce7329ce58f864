/*
 * Batch signatures end to end: a backlog of gated calls, all waiting on the
 * embedded broker before the real `stackrisk run` starts, comes back as
 * verdicts that share signatures (fewer distinct signatures than commands:
 * the workers signed them in Merkle batches), and every one of them verifies
 * in the real `stackrisk watch` with the public key alone. Each batch is
 * published whole: as many commands carry a signature as its batch size
 * says.
 */
#include <check.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/kafka.h"
#include "harness.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif
#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define CALLS 1200
#define SESSIONS 40

static char dir[256];

static int run_quiet(char *const argv[]) {
  char lp[320];
  snprintf(lp, sizeof lp, "%s/cmd.log", dir);
  return h_wait_exit(h_spawn(argv, lp), 30000);
}

/* The value of "key":"…" or "key":N in line, copied into out. */
static void field(const char *line, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(line, pat);
  ck_assert_msg(p, "no %s in %s", key, line);
  p += strlen(pat);
  if (*p == '"') p++;
  size_t n = strcspn(p, "\",}");
  ck_assert_uint_lt(n, cap);
  memcpy(out, p, n);
  out[n] = '\0';
}

START_TEST(backlog_verdicts_share_signatures_and_all_verify) {
  char err[512], key[320], pub[320], kd[300], state[320], log_path[320];
  snprintf(dir, sizeof dir, "/tmp/stackrisk-batch-it-%d", (int)getpid());
  mkdir(dir, 0700);
  snprintf(kd, sizeof kd, "%s/k", dir);
  snprintf(key, sizeof key, "%s/signing.key", kd);
  snprintf(pub, sizeof pub, "%s/signing.pub", kd);
  snprintf(state, sizeof state, "%s/state.db", dir);
  snprintf(log_path, sizeof log_path, "%s/run.log", dir);
  char *kg[] = {SR_BINARY, "keygen", "--dir", kd, NULL};
  ck_assert_int_eq(run_quiet(kg), 0);
  const char *topics[] = {"stackrisk.events", "stackrisk.control",
                          "stackrisk.dlq"};
  struct sr_broker *broker = sr_broker_create(1, topics, 3, 4, err, sizeof err);
  ck_assert_msg(broker, "broker: %s", err);
  const char *brokers = sr_broker_bootstraps(broker);

  /* The backlog: read-only gated calls, each answered with an ALLOW. */
  rd_kafka_t *producer = h_producer(brokers);
  ck_assert_ptr_nonnull(producer);
  long long ts = h_wall_ms();
  for (int i = 0; i < CALLS; i++) {
    char sid[32], line[512];
    snprintf(sid, sizeof sid, "sess-batch-%d", i % SESSIONS);
    int n = snprintf(line, sizeof line,
                     "{\"type\":\"tool_call\",\"session_id\":\"%s\","
                     "\"ts_ms\":%lld,\"phase\":\"requested\",\"call_id\":"
                     "\"call-%d\",\"tool\":\"Read\",\"arguments\":{"
                     "\"file_path\":\"README.md\"},\"want_verdict\":true}",
                     sid, ts + i, i);
    ck_assert_int_eq(h_produce(producer, "stackrisk.events", sid, line,
                               (size_t)n),
                     0);
  }
  ck_assert_int_eq(rd_kafka_flush(producer, 10000), 0);
  rd_kafka_destroy(producer);

  char *run[] = {SR_BINARY,     "run",
                 "--brokers",   (char *)brokers,
                 "--config",    SR_TEST_DATA "/integration/stackrisk.yaml",
                 "--group",     "batch-it",
                 "--signing-key", key,
                 "--state",     state,
                 NULL};
  pid_t proc = h_spawn(run, log_path);
  ck_assert_int_gt(proc, 0);

  char wout[320], werr[320], count[16];
  snprintf(wout, sizeof wout, "%s/watch.out", dir);
  snprintf(werr, sizeof werr, "%s/watch.err", dir);
  snprintf(count, sizeof count, "%d", CALLS);
  pid_t w = fork();
  if (w == 0) {
    int o = open(wout, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(werr, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1), dup2(e, 2);
    execl(SR_BINARY, SR_BINARY, "watch", "--brokers", brokers,
          "--from-beginning", "--public-key", pub, "--count", count,
          "--timeout-ms", "60000", (char *)NULL);
    _exit(127);
  }
  int wrc = h_wait_exit(w, 120000);
  char *wo = h_read_file(wout, NULL), *we = h_read_file(werr, NULL);
  ck_assert_ptr_nonnull(wo);
  ck_assert_ptr_nonnull(we);
  ck_assert_msg(wrc == 0, "watch exited %d; stderr: %s (run log %s)", wrc, we,
                log_path);
  ck_assert_msg(!strstr(we, "rejected"), "watch refused commands: %s", we);

  /* Every signature is counted as often as its batch size says, and each
   * session's verdicts come in the order of its calls, though workers hand
   * several signed batches to the producer at once. */
  static char sigs[CALLS][2 * 64 + 1];
  static int sizes[CALLS], members[CALLS], last_call[SESSIONS];
  int lines = 0, distinct = 0, largest = 0;
  for (int j = 0; j < SESSIONS; j++) last_call[j] = -1;
  for (char *line = strtok(wo, "\n"); line; line = strtok(NULL, "\n")) {
    char sig[2 * 64 + 1], size[16], call[32];
    field(line, "signature", sig, sizeof sig);
    field(line, "size", size, sizeof size);
    field(line, "call_id", call, sizeof call);
    ck_assert_ptr_nonnull(strstr(line, "\"action\":\"ALLOW\""));
    int c = atoi(call + strlen("call-"));
    ck_assert_msg(c > last_call[c % SESSIONS], "call-%d after call-%d", c,
                  last_call[c % SESSIONS]);
    last_call[c % SESSIONS] = c;
    lines++;
    int j = 0;
    while (j < distinct && strcmp(sigs[j], sig)) j++;
    if (j == distinct) {
      ck_assert_int_lt(distinct, CALLS);
      memcpy(sigs[distinct], sig, sizeof sig);
      sizes[distinct++] = atoi(size);
    }
    ck_assert_int_eq(sizes[j], atoi(size));
    members[j]++;
    if (sizes[j] > largest) largest = sizes[j];
  }
  ck_assert_int_eq(lines, CALLS);
  ck_assert_msg(distinct < CALLS, "%d commands, %d distinct signatures", lines,
                distinct);
  ck_assert_int_gt(largest, 1);
  for (int j = 0; j < distinct; j++)
    ck_assert_msg(members[j] == sizes[j],
                  "a batch of %d published %d commands", sizes[j], members[j]);
  fprintf(stderr, "%d commands under %d signatures, largest batch %d\n", lines,
          distinct, largest);
  free(wo);
  free(we);

  ck_assert_int_eq(kill(proc, SIGTERM), 0);
  ck_assert_msg(h_wait_exit(proc, 30000) == 0, "stackrisk run did not stop "
                "cleanly (log %s)", log_path);
  sr_broker_destroy(broker);
  char rm[320];
  snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
  if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("batch");
  TCase *tc = tcase_create("batch");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, backlog_verdicts_share_signatures_and_all_verify);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
