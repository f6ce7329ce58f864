/*
 * loop: a stuck retry (the same mutating call again and again, failing)
 * against its look-alikes: a status poll that backs off, a poll at a
 * steady pace, the same call spread over an hour, different calls.
 */
#include "session_fixture.h"

extern const struct sr_detector sr_detector_loop;

#define CHARGE "{\"command\":\"curl -X POST https://api.pay.example/v1/charges -d amount=4200\"}"
#define ROLLOUT "{\"command\":\"kubectl rollout status deploy/web -n staging\"}"

START_TEST(stuck_retry_of_a_mutating_call_fires) {
  struct sess s;
  sess_open(&s, &sr_detector_loop, NULL);
  char id[16];
  float v = 0;
  for (int i = 0; i < 6; i++) {
    snprintf(id, sizeof id, "c%d", i);
    v = sess_call(&s, i * 3000, SR_PHASE_REQUESTED, "Bash", CHARGE, id,
                  SR_VERB_WRITE);
    if (i < 3) ck_assert_float_eq(v, 0.0f);
    if (i < 5) ck_assert_float_eq(sess_failed(&s, i * 3000 + 500, "Bash", id),
                                  0.0f);
  }
  /* 6 repeats: 0.5 + 0.5 * 2/6, plus 0.2 for the failures */
  ck_assert_float_eq_tol(v, 0.5f + 0.5f * 2.0f / 6.0f + 0.2f, 1e-5);
  ck_assert_str_eq(s.reason,
                   "mutating Bash call repeated 6 times in 15 s with the same "
                   "arguments (numbers aside), 5 of them failed");
  sess_close(&s);
}
END_TEST

START_TEST(numbers_aside_is_near_same) {
  struct sess s;
  sess_open(&s, &sr_detector_loop, NULL);
  char args[128];
  float v = 0;
  for (int i = 0; i < 4; i++) {
    snprintf(args, sizeof args,
             "{\"command\":\"deploy --build %d --at 17900000%02d\"}", i + 1,
             i * 7);
    v = sess_call(&s, i * 2000, SR_PHASE_REQUESTED, "Bash", args, "x",
                  SR_VERB_WRITE);
  }
  ck_assert_float_eq_tol(v, 0.5f, 1e-6);
  /* A different tool with the same arguments is another call. */
  ck_assert_float_eq(sess_call(&s, 9000, SR_PHASE_REQUESTED,
                               "run_terminal_cmd", args, "y", SR_VERB_WRITE),
                     0.0f);
  sess_close(&s);
}
END_TEST

/* Arguments of every length up to 48 bytes: a number anywhere in them,
 * the last bytes included, is read as zeros; any other byte that differs
 * makes another call. */
START_TEST(near_same_at_every_length) {
  struct sess s;
  sess_open(&s, &sr_detector_loop, NULL);
  char args[64];
  for (size_t len = 1; len <= 48; len++) {
    sess_reset(&s);
    float v = 0;
    for (int i = 0; i < 4; i++) {
      memset(args, 'a', len);
      args[len - 1] = (char)('0' + i); /* the counter in the last byte */
      args[(len - 1) / 2] = (char)('5' + i);
      args[len] = '\0';
      v = sess_call(&s, i * 1000, SR_PHASE_REQUESTED, "Bash", args, "x",
                    SR_VERB_WRITE);
    }
    ck_assert_msg(v > 0.0f, "length %zu", len);
    /* The same with a letter for the last byte: another call. */
    args[len - 1] = 'b';
    ck_assert_msg(sess_call(&s, 5000, SR_PHASE_REQUESTED, "Bash", args, "y",
                            SR_VERB_WRITE) == 0.0f,
                  "length %zu", len);
  }
  sess_close(&s);
}
END_TEST

/* Six polls from t, 1, 2, 4, 8, 16 s apart (each gap doubles): the last
 * one's score; *t is then where the next gap would end. */
static float poll_backing_off(struct sess *s, int64_t *t) {
  int64_t gap = 1000;
  float v = 0;
  for (int i = 0; i < 6; i++) {
    v = sess_call(s, *t, SR_PHASE_REQUESTED, "Bash", ROLLOUT, "p",
                  SR_VERB_READ);
    *t += gap;
    gap *= 2;
  }
  return v;
}

START_TEST(poll_with_backoff_stays_below_threshold) {
  struct sess s;
  sess_open(&s, &sr_detector_loop, NULL);
  int64_t t = 0;
  float v = poll_backing_off(&s, &t);
  ck_assert_msg(v < 0.3f, "%f", v);
  ck_assert_float_eq_tol(v, (0.5f + 0.5f * 2.0f / 6.0f) * 0.5f * 0.3f, 1e-5);
  ck_assert_str_eq(s.reason, "");
  /* The same poll without backoff scores, but as a read stays low. */
  s.floor = 0.0f;
  v = sess_call(&s, t + 1000, SR_PHASE_REQUESTED, "Bash", ROLLOUT, "p",
                SR_VERB_READ);
  ck_assert_msg(v > 0.0f && v < 0.5f, "%f", v);
  sess_close(&s);
}
END_TEST

/* Matches are read from the ring by age, wherever it wraps: the backing-off
 * poll after 13 other calls (its six entries on both sides of the ring's
 * end, the oldest in the last slots) scores as it does alone, and so does
 * the stuck retry, failures counted. */
START_TEST(matches_read_by_age_across_the_ring_end) {
  for (int others = 0; others <= 13; others += 13) {
    struct sess s;
    sess_open(&s, &sr_detector_loop, NULL);
    char args[64];
    for (int i = 0; i < others; i++) {
      snprintf(args, sizeof args, "{\"command\":\"cat f%c\"}", 'a' + i);
      ck_assert_float_eq(sess_call(&s, i * 100, SR_PHASE_REQUESTED, "Bash",
                                   args, "o", SR_VERB_READ),
                         0.0f);
    }
    int64_t t = 10000;
    float v = poll_backing_off(&s, &t);
    ck_assert_float_eq_tol(v, (0.5f + 0.5f * 2.0f / 6.0f) * 0.5f * 0.3f,
                           1e-5);
    sess_close(&s);

    sess_open(&s, &sr_detector_loop, NULL);
    for (int i = 0; i < others; i++) {
      snprintf(args, sizeof args, "{\"command\":\"cat f%c\"}", 'a' + i);
      sess_call(&s, i * 100, SR_PHASE_REQUESTED, "Bash", args, "o",
                SR_VERB_READ);
    }
    char id[16];
    for (int i = 0; i < 6; i++) {
      snprintf(id, sizeof id, "c%d", i);
      v = sess_call(&s, 10000 + i * 3000, SR_PHASE_REQUESTED, "Bash", CHARGE,
                    id, SR_VERB_WRITE);
      if (i < 5) sess_failed(&s, 10000 + i * 3000 + 500, "Bash", id);
    }
    ck_assert_float_eq_tol(v, 0.5f + 0.5f * 2.0f / 6.0f + 0.2f, 1e-5);
    ck_assert_str_eq(s.reason,
                     "mutating Bash call repeated 6 times in 15 s with the "
                     "same arguments (numbers aside), 5 of them failed");
    sess_close(&s);
  }
}
END_TEST

START_TEST(steady_read_poll_is_below_threshold_mutating_is_not) {
  struct sess s;
  sess_open(&s, &sr_detector_loop, NULL);
  float v = 0;
  for (int i = 0; i < 4; i++)
    v = sess_call(&s, i * 10000, SR_PHASE_REQUESTED, "Bash", ROLLOUT, "p",
                  SR_VERB_READ);
  ck_assert_float_eq_tol(v, 0.25f, 1e-6);
  ck_assert_str_eq(s.reason, "");
  sess_close(&s);

  sess_open(&s, &sr_detector_loop, NULL);
  for (int i = 0; i < 4; i++)
    v = sess_call(&s, i * 10000, SR_PHASE_REQUESTED, "Bash", CHARGE, "c",
                  SR_VERB_WRITE);
  ck_assert_float_eq_tol(v, 0.5f, 1e-6);
  ck_assert_ptr_nonnull(strstr(s.reason, "repeated 4 times in 30 s"));
  sess_close(&s);
}
END_TEST

START_TEST(spread_over_an_hour_or_different_calls_do_not_fire) {
  struct sess s;
  sess_open(&s, &sr_detector_loop, NULL);
  for (int i = 0; i < 10; i++)
    ck_assert_float_eq(sess_call(&s, i * 600000, SR_PHASE_REQUESTED, "Bash",
                                 CHARGE, "c", SR_VERB_WRITE),
                       0.0f);
  static const char *const cmds[] = {
      "{\"command\":\"git status\"}", "{\"command\":\"git add -A\"}",
      "{\"command\":\"git commit -m fix\"}", "{\"command\":\"git push\"}",
      "{\"command\":\"npm test\"}"};
  for (int i = 0; i < 5; i++)
    ck_assert_float_eq(sess_call(&s, 7000000 + i * 1000, SR_PHASE_REQUESTED,
                                 "Bash", cmds[i], "d", SR_VERB_WRITE),
                       0.0f);
  /* Completed events are not calls. */
  for (int i = 0; i < 6; i++)
    ck_assert_float_eq(sess_result(&s, 8000000 + i, "Bash", "d", "ok"), 0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(config_is_checked) {
  const char *e = sess_init_error(&sr_detector_loop,
                                  "min_repeats: 6\nmax_repeats: 5\n");
  ck_assert_msg(strstr(e, "max_repeats"), "%s", e);
  e = sess_init_error(&sr_detector_loop, "window: 10\n");
  ck_assert_msg(strstr(e, "window"), "%s", e);
  e = sess_init_error(&sr_detector_loop, "min_repeats: 40\n");
  ck_assert_msg(strstr(e, "min_repeats"), "%s", e);

  struct sess s;
  sess_open(&s, &sr_detector_loop, "window_s: 5\nmin_repeats: 2\n");
  ck_assert_float_eq(sess_call(&s, 0, SR_PHASE_REQUESTED, "Bash", CHARGE, "a",
                               SR_VERB_WRITE),
                     0.0f);
  ck_assert_float_gt(sess_call(&s, 4000, SR_PHASE_REQUESTED, "Bash", CHARGE,
                               "b", SR_VERB_WRITE),
                     0.0f);
  ck_assert_float_eq(sess_call(&s, 20000, SR_PHASE_REQUESTED, "Bash", CHARGE,
                               "c", SR_VERB_WRITE),
                     0.0f);
  sess_close(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("loop");
  TCase *tc = tcase_create("loop");
  tcase_add_test(tc, stuck_retry_of_a_mutating_call_fires);
  tcase_add_test(tc, numbers_aside_is_near_same);
  tcase_add_test(tc, near_same_at_every_length);
  tcase_add_test(tc, poll_with_backoff_stays_below_threshold);
  tcase_add_test(tc, matches_read_by_age_across_the_ring_end);
  tcase_add_test(tc, steady_read_poll_is_below_threshold_mutating_is_not);
  tcase_add_test(tc, spread_over_an_hour_or_different_calls_do_not_fire);
  tcase_add_test(tc, config_is_checked);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
