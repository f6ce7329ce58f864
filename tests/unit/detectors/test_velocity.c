/*
 * velocity: a DELETE that reports 5000 rows against an rm of three temp
 * files; a burst of deploys against the same deploys spread over an hour;
 * reads and failed calls touch nothing.
 */
#include "session_fixture.h"

extern const struct sr_detector sr_detector_velocity;

START_TEST(bulk_delete_of_5000_rows_vs_three_temp_files) {
  struct sess s;
  sess_open(&s, &sr_detector_velocity, NULL);
  ck_assert_float_eq(
      sess_call(&s, 0, SR_PHASE_REQUESTED, "Bash",
                "{\"command\":\"rm -v /tmp/a.json /tmp/b.json /tmp/c.json\"}",
                "rm1", SR_VERB_DELETE),
      0.0f);
  ck_assert_float_eq(
      sess_result(&s, 100, "Bash", "rm1",
                  "removed '/tmp/a.json'\nremoved '/tmp/b.json'\nremoved "
                  "'/tmp/c.json'\n"),
      0.0f);

  ck_assert_float_eq(
      sess_call(&s, 5000, SR_PHASE_REQUESTED, "mcp__db__query",
                "{\"sql\":\"DELETE FROM events WHERE created_at < '2026-01-01'\"}",
                "del1", SR_VERB_DELETE),
      0.0f);
  float v = sess_result(&s, 5600, "mcp__db__query", "del1", "DELETE 5000");
  ck_assert_float_eq_tol(v, 1.0f, 1e-6);
  ck_assert_str_eq(s.reason,
                   "5003 items touched by 2 mutating calls in 6 s (last: "
                   "mcp__db__query)");
  sess_close(&s);
}
END_TEST

START_TEST(row_counts_in_results) {
  static const struct {
    const char *result;
    bool fires;
  } cases[] = {
      {"Query OK, 3 rows affected (0.01 sec)", false},
      {"UPDATE 12", true},
      {"INSERT 0 300", true},
      {"(1 row)\n", false},
      {"deleted 42 objects from s3://acme-tmp", true},
      {"{\"deletedCount\": 7}", false},
      {"Updated 2 files", false},
  };
  struct sess s;
  sess_open(&s, &sr_detector_velocity, NULL);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sess_reset(&s);
    sess_call(&s, 0, SR_PHASE_REQUESTED, "mcp__db__query", "{}", "q",
              SR_VERB_WRITE);
    float v = sess_result(&s, 10, "mcp__db__query", "q", cases[i].result);
    ck_assert_msg((v > 0) == cases[i].fires, "%s: %f", cases[i].result, v);
  }
  sess_close(&s);
}
END_TEST

/* The items one completed call's result reports, as its reason says
 * ("N items touched by 1 mutating call ..."); 1 when it reports none. */
static long long items_reported(struct sess *s, const char *result) {
  sess_reset(s);
  sess_call(s, 0, SR_PHASE_REQUESTED, "mcp__db__query", "{}", "q",
            SR_VERB_WRITE);
  float v = sess_result(s, 10, "mcp__db__query", "q", result);
  if (v == 0.0f) return 1;
  long long n = -1;
  ck_assert_msg(sscanf(s->reason, "%lld items touched", &n) == 1, "%s",
                s->reason);
  return n;
}

/* Where in a result a count can be, wherever it falls in the text (the
 * scan reads sixteen bytes at a time: every offset is tried). */
START_TEST(counts_anywhere_in_the_result) {
  static const struct {
    const char *result;
    long long items;
  } cases[] = {
      {"DELETE 5000", 5000},
      {"UPDATE 3 rows; deleted 500 objects", 500},
      {"undeleted 7", 1},             /* a verb inside a word */
      {"undeleted 7 rows", 7},        /* ... but a unit after the number */
      {"purged 12", 12},
      {"insert 0 300", 300},
      {"removed 1234567890123 keys", 100000000}, /* saturated */
      {"12345678901234567 rows", 100000000},
      {"\xc3\xa9 42 documents", 42}, /* bytes >= 0x80 are not digits */
      {"v2 deleted 99 files", 99},
      {"42rows", 1},
      {"removed 'a'\nremoved \"b\"\nDELETE: s3://x\ndeleted: y\n", 4},
      {"x removed 'a'\nremoved 'b'", 1}, /* one line starts with it */
      {"Deleted c\ndeleted d\n\nremoved 'e'", 3},
  };
  struct sess s;
  sess_open(&s, &sr_detector_velocity,
            "min_items: 2\nmax_items: 1000000000\n");
  s.floor = 0.0f;
  char buf[256];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (size_t pad = 0; pad < 40; pad++) {
      /* Padding that neither counts nor joins a word or a number; a line
       * of its own before text made of lines. */
      memset(buf, '.', pad);
      buf[pad] = strchr(cases[i].result, '\n') ? '\n' : ' ';
      snprintf(buf + pad + 1, sizeof buf - pad - 1, "%s", cases[i].result);
      long long got = items_reported(&s, buf);
      ck_assert_msg(got == cases[i].items, "'%s': %lld, want %lld", buf, got,
                    cases[i].items);
    }
  }
  sess_close(&s);
}
END_TEST

START_TEST(burst_of_deploys_vs_the_same_spread_out) {
  struct sess s;
  sess_open(&s, &sr_detector_velocity, NULL);
  float v = 0;
  for (int i = 0; i < 12; i++)
    v = sess_call(&s, i * 2500, SR_PHASE_REQUESTED, "railway.deploy", "{}",
                  "d", SR_VERB_WRITE);
  /* 12 items in the window: 0.3 + 0.7 * ln(1.2) / ln(100) */
  ck_assert_float_eq_tol(v, 0.3f + 0.7f * 0.0395910f, 1e-4);
  ck_assert_str_eq(s.reason,
                   "12 items touched by 12 mutating calls in 28 s (last: "
                   "railway.deploy)");
  sess_close(&s);

  sess_open(&s, &sr_detector_velocity, NULL);
  for (int i = 0; i < 12; i++)
    ck_assert_float_eq(sess_call(&s, i * 300000, SR_PHASE_REQUESTED,
                                 "railway.deploy", "{}", "d", SR_VERB_WRITE),
                       0.0f);
  /* Reads do not count, however many. */
  for (int i = 0; i < 40; i++)
    ck_assert_float_eq(sess_call(&s, 4000000 + i * 100, SR_PHASE_REQUESTED,
                                 "Read", "{}", "r", SR_VERB_READ),
                       0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(failed_calls_touch_nothing) {
  struct sess s;
  sess_open(&s, &sr_detector_velocity, NULL);
  char id[8];
  for (int i = 0; i < 9; i++) {
    snprintf(id, sizeof id, "f%d", i);
    sess_call(&s, i * 1000, SR_PHASE_REQUESTED, "Bash", "{}", id,
              SR_VERB_WRITE);
    sess_failed(&s, i * 1000 + 10, "Bash", id);
  }
  ck_assert_float_eq(sess_call(&s, 9500, SR_PHASE_REQUESTED, "Bash", "{}",
                               "ok", SR_VERB_WRITE),
                     0.0f);
  sess_close(&s);
}
END_TEST

/* A completion finds its request in any slot of the ring, and one that
 * left the ring (or never was in it) changes nothing: twenty deletes, the
 * first four pushed out, each completed with 50 rows, score as the
 * sixteen that stayed do alone. */
static float delete_rows(struct sess *s, int first, int last, int64_t t0,
                         char *reason) {
  char id[16];
  float v = 0;
  for (int i = first; i <= last; i++) {
    snprintf(id, sizeof id, "d%d", i);
    sess_call(s, t0 + i * 100, SR_PHASE_REQUESTED, "mcp__db__query",
              "{\"sql\":\"DELETE FROM t WHERE id < 9\"}", id, SR_VERB_DELETE);
  }
  for (int i = 0; i <= last; i++) {
    snprintf(id, sizeof id, "d%d", i);
    v = sess_result(s, t0 + 5000 + i * 100, "mcp__db__query", id, "DELETE 50");
  }
  snprintf(reason, SR_REASON_MAX, "%s", s->reason);
  ck_assert_float_eq(sess_result(s, t0 + 9000, "mcp__db__query", "none",
                                 "DELETE 50"),
                     0.0f);
  return v;
}

START_TEST(completion_found_in_any_slot_of_the_ring) {
  struct sess s;
  sess_open(&s, &sr_detector_velocity, "min_items: 100\nmax_items: 100000\n");
  char wrapped_reason[SR_REASON_MAX], alone_reason[SR_REASON_MAX];
  float wrapped = delete_rows(&s, 0, 19, 0, wrapped_reason);
  sess_reset(&s);
  float alone = delete_rows(&s, 4, 19, 0, alone_reason);
  ck_assert_float_gt(alone, 0.3f);
  ck_assert_float_eq(wrapped, alone);
  ck_assert_str_eq(wrapped_reason, alone_reason);
  ck_assert_msg(strstr(alone_reason, "800 items touched by 16"), "%s",
                alone_reason);
  sess_close(&s);
}
END_TEST

START_TEST(config_is_checked) {
  const char *e =
      sess_init_error(&sr_detector_velocity, "min_items: 50\nmax_items: 20\n");
  ck_assert_msg(strstr(e, "max_items"), "%s", e);
  e = sess_init_error(&sr_detector_velocity, "burst: 3\n");
  ck_assert_msg(strstr(e, "burst"), "%s", e);
  struct sess s;
  sess_open(&s, &sr_detector_velocity, "min_items: 2\nwindow_s: 10\n");
  sess_call(&s, 0, SR_PHASE_REQUESTED, "Bash", "{}", "a", SR_VERB_WRITE);
  ck_assert_float_gt(
      sess_call(&s, 1000, SR_PHASE_REQUESTED, "Bash", "{}", "b", SR_VERB_WRITE),
      0.0f);
  sess_close(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("velocity");
  TCase *tc = tcase_create("velocity");
  tcase_add_test(tc, bulk_delete_of_5000_rows_vs_three_temp_files);
  tcase_add_test(tc, row_counts_in_results);
  tcase_add_test(tc, counts_anywhere_in_the_result);
  tcase_add_test(tc, burst_of_deploys_vs_the_same_spread_out);
  tcase_add_test(tc, failed_calls_touch_nothing);
  tcase_add_test(tc, completion_found_in_any_slot_of_the_ring);
  tcase_add_test(tc, config_is_checked);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
