/*
 * Tests of query/reader.c on a real SQLite state database made from
 * schemas/state.sql and the PocketOS rows (tests/state_fixture.h). What the
 * API and the CLI rely on: the riskiest sessions first and the filters, a
 * session's dimensions, commands and timeline, the audit log by time and
 * session, valid JSON whatever an agent wrote, rows a running writer
 * commits becoming visible (and uncommitted ones not), and a clear error
 * for a file that is missing, foreign or from a newer stackrisk.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "query/reader.h"
#include "tests/state_fixture.h"

static char path[64];
static char err[1024];
static struct sr_reader *r;

static void setup(void) {
  snprintf(path, sizeof path, "reader-%d.db", (int)getpid());
  ck_assert_int_eq(fx_state_make(path), 0);
  r = sr_reader_open(path, err, sizeof err);
  ck_assert_msg(r, "%s", err);
}

static void teardown(void) {
  sr_reader_close(r);
  unlink(path);
}

static json_t *parse(char *json) {
  json_error_t e;
  json_t *j = json_loads(json, 0, &e);
  ck_assert_msg(j, "not JSON (%s): %s", e.text, json);
  free(json);
  return j;
}

static json_t *sessions(const char *k1, const char *v1, const char *k2,
                        const char *v2) {
  struct sr_sessions_params p;
  sr_params_sessions_init(&p);
  if (k1) ck_assert_int_eq(sr_params_sessions_set(&p, k1, v1, err, sizeof err), 0);
  if (k2) ck_assert_int_eq(sr_params_sessions_set(&p, k2, v2, err, sizeof err), 0);
  char *json;
  ck_assert_int_eq(sr_reader_sessions(r, &p, &json, err, sizeof err), 0);
  return parse(json);
}

static const char *id_at(json_t *doc, const char *list, size_t i) {
  return json_string_value(json_object_get(
      json_array_get(json_object_get(doc, list), i), "session_id"));
}

START_TEST(sessions_riskiest_first_and_filtered) {
  json_t *d = sessions(NULL, NULL, NULL, NULL);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "count")), 3);
  ck_assert_str_eq(id_at(d, "sessions", 0), "sess-pocketos-1");
  ck_assert_str_eq(id_at(d, "sessions", 1), "sess-escalated-2");
  ck_assert_str_eq(id_at(d, "sessions", 2), "sess-pocketos-twin");
  json_t *elevated = json_object_get(json_array_get(json_object_get(d, "sessions"), 0), "elevated");
  ck_assert_int_eq(json_array_size(elevated), 6);
  /* highest score first */
  ck_assert_double_eq(json_real_value(json_object_get(json_array_get(elevated, 0), "score")), 1.0);
  json_decref(d);

  d = sessions("min_risk", "1.85", NULL, NULL); /* inclusive */
  ck_assert_int_eq(json_integer_value(json_object_get(d, "count")), 2);
  json_decref(d);
  d = sessions("action", "ALLOW", NULL, NULL);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "count")), 1);
  ck_assert_str_eq(id_at(d, "sessions", 0), "sess-pocketos-twin");
  json_decref(d);
  d = sessions("action", "BLOCK", NULL, NULL);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "count")), 0);
  json_decref(d);
  d = sessions("limit", "2", "min_risk", "0");
  ck_assert_int_eq(json_integer_value(json_object_get(d, "count")), 2);
  json_decref(d);
}
END_TEST

/* total: the sessions the filters match, whatever the limit. */
START_TEST(sessions_total_counts_past_the_limit) {
  static const struct {
    const char *k1, *v1, *k2, *v2;
    int count, total;
  } cases[] = {
      {"limit", "1", NULL, NULL, 1, 3},
      {NULL, NULL, NULL, NULL, 3, 3},
      {"min_risk", "1.85", "limit", "1", 1, 2},
      {"action", "ALLOW,ESCALATE", "limit", "1", 1, 2},
      {"action", "KILL,ESCALATE", "min_risk", "2", 1, 1},
      {"action", "BLOCK", NULL, NULL, 0, 0},
      {"min_risk", "100", NULL, NULL, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *d = sessions(cases[i].k1, cases[i].v1, cases[i].k2, cases[i].v2);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "count")),
                     cases[i].count);
    ck_assert_msg(
        json_integer_value(json_object_get(d, "total")) == cases[i].total,
        "case %zu: total %lld, want %d", i,
        (long long)json_integer_value(json_object_get(d, "total")),
        cases[i].total);
    json_decref(d);
  }
}
END_TEST

START_TEST(session_document) {
  char *json;
  ck_assert_int_eq(sr_reader_session(r, "sess-pocketos-1", &json, err, sizeof err), 0);
  json_t *s = parse(json);
  ck_assert_int_eq(json_integer_value(json_object_get(s, "events")), 17);
  ck_assert_str_eq(json_string_value(json_object_get(s, "environment")), "staging");
  json_t *dims = json_object_get(s, "dimensions");
  ck_assert_int_eq(json_array_size(dims), 7);
  for (size_t i = 0; i < 6; i++)
    ck_assert(json_is_true(json_object_get(json_array_get(dims, i), "elevated")));
  json_t *cmds = json_object_get(s, "commands");
  ck_assert_int_eq(json_array_size(cmds), 4);
  json_t *block = json_array_get(cmds, 2);
  ck_assert_str_eq(json_string_value(json_object_get(block, "action")), "BLOCK");
  ck_assert_int_eq(json_integer_value(json_object_get(block, "offset")), 1010);
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_array_get(json_object_get(block, "dimensions"), 1), "name")),
                   "boundary");
  json_t *tl = json_object_get(s, "timeline");
  ck_assert_int_eq(json_array_size(tl), 5);
  ck_assert(json_is_null(json_object_get(json_array_get(tl, 0), "phase")));
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(tl, 4), "seq")), 17);
  json_decref(s);

  json = (char *)1;
  ck_assert_int_eq(sr_reader_session(r, "nope", &json, err, sizeof err), SR_ENOTFOUND);
  ck_assert_ptr_null(json);
  ck_assert_str_eq(err, "no session 'nope' in the state database");
}
END_TEST

START_TEST(commands_latest_and_since) {
  struct sr_commands_params p;
  sr_params_commands_init(&p);
  ck_assert_int_eq(sr_params_commands_set(&p, "limit", "3", err, sizeof err), 0);
  char *json;
  ck_assert_int_eq(sr_reader_commands(r, &p, &json, err, sizeof err), 0);
  json_t *d = parse(json);
  json_t *c = json_object_get(d, "commands");
  ck_assert_int_eq(json_array_size(c), 3);
  /* the latest three, oldest first */
  const char *want[] = {"ALLOW", "BLOCK", "KILL"};
  for (size_t i = 0; i < 3; i++)
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(c, i), "action")), want[i]);
  json_decref(d);

  sr_params_commands_init(&p);
  ck_assert_int_eq(sr_params_commands_set(&p, "since", "0", err, sizeof err), 0);
  ck_assert_int_eq(sr_params_commands_set(&p, "limit", "1", err, sizeof err), 0);
  ck_assert_int_eq(sr_reader_commands(r, &p, &json, err, sizeof err), 0);
  d = parse(json);
  c = json_object_get(d, "commands");
  /* the oldest one: the escalated session's */
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(c, 0), "session_id")),
                   "sess-escalated-2");
  json_decref(d);

  sr_params_commands_init(&p);
  ck_assert_int_eq(sr_params_commands_set(&p, "session", "sess-pocketos-twin", err, sizeof err), 0);
  ck_assert_int_eq(sr_reader_commands(r, &p, &json, err, sizeof err), 0);
  d = parse(json);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "count")), 0);
  json_decref(d);
}
END_TEST

/* The seqs of the /v1/commands document for the n/2 parameters kv
 * (key, value, ...) into seqs, their number into *count. */
static void commands_seqs(const char *const *kv, size_t n, long long *seqs,
                          size_t *count) {
  struct sr_commands_params p;
  sr_params_commands_init(&p);
  for (size_t i = 0; i + 1 < n; i += 2)
    ck_assert_int_eq(
        sr_params_commands_set(&p, kv[i], kv[i + 1], err, sizeof err), 0);
  char *json;
  ck_assert_int_eq(sr_reader_commands(r, &p, &json, err, sizeof err), 0);
  json_t *doc = parse(json), *c = json_object_get(doc, "commands");
  *count = json_array_size(c);
  for (size_t i = 0; i < *count; i++)
    seqs[i] = json_integer_value(json_object_get(json_array_get(c, i), "seq"));
  json_decref(doc);
}

START_TEST(commands_after_a_seq_in_seq_order) {
  /* The fixture stored five commands: seqs 1 to 5, the escalated
   * session's last though it was issued first. */
  long long seqs[8];
  size_t n;
  const char *page1[] = {"after", "0", "limit", "2"};
  commands_seqs(page1, 4, seqs, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert_int_eq(seqs[0], 1);
  ck_assert_int_eq(seqs[1], 2);
  const char *rest[] = {"after", "2"};
  commands_seqs(rest, 2, seqs, &n);
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(seqs[2], 5);
  const char *one[] = {"after", "1", "session", "sess-escalated-2"};
  commands_seqs(one, 4, seqs, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(seqs[0], 5);
  const char *none[] = {"after", "5"};
  commands_seqs(none, 2, seqs, &n);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(hostile_and_broken_text_stays_valid_json) {
  char *json;
  ck_assert_int_eq(sr_reader_session(r, "sess-escalated-2", &json, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(json, "\"say \\\"hi\\\" \\\\ <script>alert(1)</script>\\u0007\""));
  json_t *s = parse(json);
  const char *summary = json_string_value(json_object_get(
      json_array_get(json_object_get(s, "timeline"), 0), "summary"));
  ck_assert_str_eq(summary, "DELETE FROM users  \xEF\xBF\xBD\xEF\xBF\xBD");
  json_decref(s);
}
END_TEST

START_TEST(sees_what_a_running_writer_commits_only) {
  sqlite3 *w = NULL;
  ck_assert_int_eq(sqlite3_open(path, &w), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(w,
      "BEGIN; INSERT INTO sessions VALUES ('sess-new', 99.0, 7, 'KILL', 1, 3,"
      " 'plan', 'production', 'x', 1, 2, 3, X'00');", NULL, NULL, NULL), SQLITE_OK);
  /* WAL: the open write transaction neither blocks nor leaks into a read. */
  json_t *d = sessions(NULL, NULL, NULL, NULL);
  ck_assert_str_eq(id_at(d, "sessions", 0), "sess-pocketos-1");
  json_decref(d);
  ck_assert_int_eq(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  d = sessions(NULL, NULL, NULL, NULL);
  ck_assert_str_eq(id_at(d, "sessions", 0), "sess-new");
  json_decref(d);
  sqlite3_close(w);
}
END_TEST

START_TEST(clear_errors_for_missing_foreign_and_newer_files) {
  char other[64];
  snprintf(other, sizeof other, "reader-other-%d.db", (int)getpid());
  unlink(other);
  ck_assert_ptr_null(sr_reader_open(other, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, "cannot open state database reader-other-"));
  ck_assert_int_ne(access(other, F_OK), 0); /* never created */

  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(other, &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
  sqlite3_close(db);
  ck_assert_ptr_null(sr_reader_open(other, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, "is not a stackrisk state database"));

  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL);
  sqlite3_close(db);
  ck_assert_ptr_null(sr_reader_open(path, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err,
                               "schema version 2; this stackrisk reads "
                               "version 3 (the processor migrates it"));

  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 4", NULL, NULL, NULL);
  sqlite3_close(db);
  ck_assert_ptr_null(sr_reader_open(path, err, sizeof err));
  ck_assert_ptr_nonnull(
      strstr(err, "schema version 4; this stackrisk reads version 3"));

  FILE *f = fopen(other, "w");
  fputs("this is not a database, just text long enough to have a header", f);
  fclose(f);
  ck_assert_ptr_null(sr_reader_open(other, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, other));
  unlink(other);
}
END_TEST

START_TEST(error_document) {
  char *e = sr_reader_error_json(400, "parameter 'limit' \"bad\"");
  ck_assert_str_eq(e, "{\"error\":\"parameter 'limit' \\\"bad\\\"\",\"status\":400}");
  free(e);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reader");
  TCase *tc = tcase_create("reader");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, sessions_riskiest_first_and_filtered);
  tcase_add_test(tc, sessions_total_counts_past_the_limit);
  tcase_add_test(tc, session_document);
  tcase_add_test(tc, commands_latest_and_since);
  tcase_add_test(tc, commands_after_a_seq_in_seq_order);
  tcase_add_test(tc, hostile_and_broken_text_stays_valid_json);
  tcase_add_test(tc, sees_what_a_running_writer_commits_only);
  tcase_add_test(tc, clear_errors_for_missing_foreign_and_newer_files);
  tcase_add_test(tc, error_document);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
