/*
 * Human decisions in the audit log: the real `stackrisk run` on its
 * embedded broker and a real state database, a session whose call is
 * escalated (its events moved to end a few seconds ago, as a live session
 * would), then the person's decision; the `commands` table must hold the
 * answering command for that call with the decision as its action and the
 * approver named in its rule, where `stackrisk commands` shows it.
 *   - `stackrisk approve CALL --session S --approver alice` -> ALLOW,
 *     rule "approved by alice";
 *   - an `approval` event from any producer, decision deny, approver bob
 *     -> BLOCK, rule "denied by bob", with that event as its trigger.
 * The tests share the processor (CK_NOFORK), in order.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "harness.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif
#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

static char dir[256], key[320], pub[320], db[320], log_path[320], addr[256];
static pid_t proc;
static rd_kafka_t *producer;

/* Runs argv to completion; its output into dir/NAME.out. */
static int run_to_end(char *const argv[], const char *name, char **out) {
  char path[320];
  snprintf(path, sizeof path, "%s/%s.out", dir, name);
  unlink(path);
  int rc = h_wait_exit(h_spawn(argv, path), 30000);
  if (out) *out = h_read_file(path, NULL);
  return rc;
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/stackrisk-audit-it-%d", (int)getpid());
  mkdir(dir, 0700);
  char kdir[300];
  snprintf(kdir, sizeof kdir, "%s/k", dir);
  snprintf(key, sizeof key, "%s/signing.key", kdir);
  snprintf(pub, sizeof pub, "%s/signing.pub", kdir);
  char *kg[] = {SR_BINARY, "keygen", "--dir", kdir, NULL};
  ck_assert_int_eq(run_to_end(kg, "keygen", NULL), 0);
  snprintf(db, sizeof db, "%s/state.db", dir);
  snprintf(log_path, sizeof log_path, "%s/run.log", dir);
  char *argv[] = {SR_BINARY,
                  "run",
                  "--config",
                  SR_TEST_DATA "/integration/stackrisk.yaml",
                  "--state",
                  db,
                  "--signing-key",
                  key,
                  NULL};
  proc = h_spawn(argv, log_path);
  ck_assert_msg(h_wait_address(log_path, addr, sizeof addr, 20000),
                "run printed no broker address (log %s)", log_path);
  producer = h_producer(addr);
  ck_assert_ptr_nonnull(producer);
}

static void teardown(void) {
  rd_kafka_destroy(producer);
  kill(proc, SIGTERM);
  int rc = h_wait_exit(proc, 30000);
  if (rc != 0) {
    fprintf(stderr, "stackrisk run exited %d; its log stays in %s\n", rc, dir);
    return;
  }
  char rm[320];
  snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
  if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* The audit row of call's `action` command as "action|rule|session|event",
 * or NULL while there is none (or the database is not there yet). */
static char *audit_row(const char *call, const char *action) {
  sqlite3 *h;
  sqlite3_stmt *q = NULL;
  char *row = NULL;
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(h,
                         "SELECT action || '|' || rule || '|' || session_id "
                         "|| '|' || coalesce(event_id, '') FROM commands "
                         "WHERE call_id = ?1 AND action = ?2",
                         -1, &q, NULL) == SQLITE_OK) {
    sqlite3_bind_text(q, 1, call, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, action, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
      row = strdup((const char *)sqlite3_column_text(q, 0));
  }
  sqlite3_finalize(q);
  sqlite3_close(h);
  return row;
}

/* Polls the database until call's `action` command is committed. */
static char *wait_audit(const char *call, const char *action) {
  long long deadline = h_now_ms() + 60000;
  char *row;
  while (!(row = audit_row(call, action)) && h_now_ms() < deadline) {
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
  }
  ck_assert_msg(row, "no %s for %s in the audit table (log %s)", action, call,
                log_path);
  return row;
}

START_TEST(approve_goes_into_the_audit_log_with_the_approver) {
  ck_assert_int_gt(h_produce_file_ending_at(
                       producer, "stackrisk.events",
                       SR_TEST_DATA "/sessions/user_stop_deploy_prod.jsonl",
                       h_wall_ms() - 5000),
                   5);
  free(wait_audit("call-deploy-prod", "ESCALATE"));
  char *ap[] = {SR_BINARY,    "approve",       "call-deploy-prod",
                "--session",  "sess-hotfix-1", "--brokers",
                addr,         "--public-key",  pub,
                "--approver", "alice",         NULL};
  char *out;
  int rc = run_to_end(ap, "approve", &out);
  ck_assert_msg(rc == 0, "approve exited %d: %s", rc, out ? out : "");
  free(out);
  char *row = wait_audit("call-deploy-prod", "ALLOW");
  /* The approval event carries no id: the processor derived one. */
  const char want[] = "ALLOW|approved by alice|sess-hotfix-1|";
  ck_assert_msg(!strncmp(row, want, sizeof want - 1), "audit row %s", row);
  free(row);
  /* What a person at a terminal sees. */
  char *cm[] = {SR_BINARY,   "commands",      "--state", db,
                "--session", "sess-hotfix-1", NULL};
  ck_assert_int_eq(run_to_end(cm, "commands", &out), 0);
  ck_assert_msg(out && strstr(out, "\"rule\":\"approved by alice\""),
                "stackrisk commands: %s", out ? out : "");
  free(out);
}
END_TEST

START_TEST(deny_event_goes_into_the_audit_log_with_the_approver) {
  ck_assert_int_gt(h_produce_file_ending_at(
                       producer, "stackrisk.events",
                       SR_TEST_DATA "/sessions/kubectl_delete_ns_prod.jsonl",
                       h_wall_ms() - 5000),
                   5);
  free(wait_audit("call-delete-ns", "ESCALATE"));
  /* Any producer may decide: bob's deny, now. */
  char deny[512];
  int n = snprintf(deny, sizeof deny,
                   "{\"type\":\"approval\",\"session_id\":\"sess-k8s-debug-1\","
                   "\"event_id\":\"ev-k8s-debug-1-deny\",\"ts_ms\":%lld,"
                   "\"call_id\":\"call-delete-ns\",\"decision\":\"deny\","
                   "\"approver\":\"bob\"}",
                   h_wall_ms());
  ck_assert_int_eq(h_produce(producer, "stackrisk.events", "sess-k8s-debug-1",
                             deny, (size_t)n),
                   0);
  rd_kafka_flush(producer, 10000);
  char *row = wait_audit("call-delete-ns", "BLOCK");
  ck_assert_str_eq(row,
                   "BLOCK|denied by bob|sess-k8s-debug-1|ev-k8s-debug-1-deny");
  free(row);
  char *none = audit_row("call-delete-ns", "ALLOW");
  ck_assert_msg(!none, "a denied call was allowed: %s", none);
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit");
  TCase *tc = tcase_create("approvals");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, approve_goes_into_the_audit_log_with_the_approver);
  tcase_add_test(tc, deny_event_goes_into_the_audit_log_with_the_approver);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
