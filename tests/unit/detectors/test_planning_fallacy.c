/*
 * planning_fallacy: a session far past its own estimate against one whose
 * agent re-planned, one a little over, and one without an estimate; in
 * steps, time and spend.
 */
#include "session_fixture.h"

extern const struct sr_detector sr_detector_planning_fallacy;

static void start(struct sess *s, int64_t steps, int64_t seconds) {
  memset(&s->ev, 0, sizeof s->ev);
  s->ev.type = SR_EV_SESSION_START;
  s->ev.ts_ms = s->t0;
  s->info.estimate.steps = steps;
  s->info.estimate.seconds = seconds;
  s->info.estimate.present = steps || seconds;
  ck_assert_float_eq(sess_feed(s), 0.0f);
}

/* A session whose only estimate is its spend. */
static void start_spend(struct sess *s, double usd) {
  memset(&s->ev, 0, sizeof s->ev);
  s->ev.type = SR_EV_SESSION_START;
  s->ev.ts_ms = s->t0;
  s->info.estimate = (struct sr_estimate){.cost_usd = usd, .present = true};
  ck_assert_float_eq(sess_feed(s), 0.0f);
}

/* A model turn that cost usd (and maybe re-plans), as an agent_message. */
static float turn(struct sess *s, int64_t ms, double usd,
                  const struct sr_estimate *replan) {
  memset(&s->ev, 0, sizeof s->ev);
  s->ev.type = SR_EV_AGENT_MESSAGE;
  s->ev.ts_ms = s->t0 + ms;
  s->ev.role = SR_STR_LIT("assistant");
  s->ev.text = SR_STR_LIT("Running the next step.");
  s->ev.cost_usd = usd;
  if (replan) s->ev.estimate = *replan;
  return sess_feed(s);
}

/* A requested call, then its completion reporting what it cost. */
static float paid_call(struct sess *s, int64_t ms, double usd) {
  float v = sess_call(s, ms, SR_PHASE_REQUESTED, "web_search",
                      "{\"q\":\"pricing\"}", "c", SR_VERB_READ);
  memset(&s->ev, 0, sizeof s->ev);
  s->ev.type = SR_EV_TOOL_CALL;
  s->ev.ts_ms = s->t0 + ms + 1;
  s->ev.phase = SR_PHASE_COMPLETED;
  s->ev.tool = SR_STR_LIT("web_search");
  s->ev.call_id = SR_STR_LIT("c");
  s->ev.cost_usd = usd;
  ck_assert_float_eq(sess_feed(s), 0.0f); /* completions are not scored */
  return v;
}

static float calls(struct sess *s, int n, int64_t from_ms, int64_t every_ms) {
  float v = 0;
  for (int i = 0; i < n; i++) {
    /* Completions are not steps. */
    if (i) ck_assert_float_eq(sess_result(s, from_ms + i * every_ms - 1, "Bash",
                                          "c", "ok"),
                              0.0f);
    v = sess_call(s, from_ms + i * every_ms, SR_PHASE_REQUESTED, "Bash",
                  "{\"command\":\"make\"}", "c", SR_VERB_WRITE);
  }
  return v;
}

START_TEST(far_past_the_step_estimate) {
  struct sess s;
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start(&s, 6, 0);
  ck_assert_float_eq(calls(&s, 11, 1000, 1000), 0.0f); /* 11/6 < 2 */
  float v = calls(&s, 1, 20000, 1000);                 /* 12 = 2x */
  ck_assert_float_eq_tol(v, 0.3f, 1e-6);
  ck_assert_str_eq(s.reason,
                   "12 tool calls against the estimate of 6 steps (2.0x); "
                   "now Bash");
  v = calls(&s, 24, 30000, 1000); /* 36 = 6x */
  ck_assert_float_eq_tol(v, 1.0f, 1e-6);
  sess_close(&s);
}
END_TEST

START_TEST(a_revised_estimate_restarts_the_count) {
  struct sess s;
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start(&s, 6, 0);
  calls(&s, 10, 1000, 1000);
  memset(&s.ev, 0, sizeof s.ev);
  s.ev.type = SR_EV_AGENT_MESSAGE;
  s.ev.role = SR_STR_LIT("assistant");
  s.ev.text = SR_STR_LIT("The migration touches 14 services; re-planning.");
  s.ev.ts_ms = s.t0 + 12000;
  s.ev.estimate = (struct sr_estimate){.steps = 30, .present = true};
  ck_assert_float_eq(sess_feed(&s), 0.0f);
  ck_assert_float_eq(calls(&s, 40, 13000, 1000), 0.0f);
  s.floor = 0.0f;
  float v = calls(&s, 25, 60000, 1000); /* 65 since the revision */
  ck_assert_float_gt(v, 0.3f);
  ck_assert_ptr_nonnull(strstr(s.reason, "against the revised estimate of 30"));
  sess_close(&s);
}
END_TEST

START_TEST(time_overrun_and_small_overruns) {
  struct sess s;
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start(&s, 0, 300);
  /* 1500 s against 300 s: 5x */
  float v = calls(&s, 1, 1500000, 0);
  ck_assert_float_gt(v, 0.8f);
  ck_assert_str_eq(s.reason,
                   "1500 s elapsed against the estimate of 300 s (5.0x); now "
                   "Bash");
  sess_close(&s);

  /* 3 steps against 1, 90 s against 30 s: far in ratio, small in size. */
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start(&s, 1, 30);
  ck_assert_float_eq(calls(&s, 3, 30000, 30000), 0.0f);
  sess_close(&s);

  /* No estimate: nothing to run past. */
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start(&s, 0, 0);
  ck_assert_float_eq(calls(&s, 200, 0, 60000), 0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(spend_far_past_the_estimate) {
  struct sess s;
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start_spend(&s, 2.0);
  /* $3.50 of model turns and paid calls against $2: under 2x. */
  for (int i = 0; i < 3; i++)
    ck_assert_float_eq(turn(&s, 1000 * i, 1.0, NULL), 0.0f);
  ck_assert_float_eq(paid_call(&s, 4000, 0.5), 0.0f);
  /* The next call is requested at $3.50, the one after at $12: 6x. */
  ck_assert_float_eq(paid_call(&s, 5000, 8.5), 0.0f);
  s.floor = 0.0f;
  float v = sess_call(&s, 6000, SR_PHASE_REQUESTED, "Bash",
                      "{\"command\":\"make\"}", "d", SR_VERB_WRITE);
  ck_assert_float_eq_tol(v, 1.0f, 1e-6);
  ck_assert_str_eq(s.reason,
                   "$12.00 spent against the estimate of $2.00 (6.0x); now "
                   "Bash");
  sess_close(&s);
}
END_TEST

START_TEST(spend_within_the_plan_or_replanned) {
  /* Benign: the spend stays within twice the estimate. */
  struct sess s;
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start_spend(&s, 5.0);
  for (int i = 0; i < 9; i++)
    ck_assert_float_eq(paid_call(&s, 1000 * i, 1.0), 0.0f);
  sess_close(&s);

  /* Twice a tiny estimate is not an overrun worth a reason: the excess
   * ($0.30) is under min_extra_usd. */
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start_spend(&s, 0.10);
  for (int i = 0; i < 5; i++) turn(&s, 1000 * i, 0.08, NULL);
  ck_assert_float_eq(paid_call(&s, 6000, 0), 0.0f);
  sess_close(&s);

  /* A re-plan to $50 restarts the spend; the re-planning turn's own cost
   * is the plan's. */
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start_spend(&s, 2.0);
  turn(&s, 1000, 3.0, NULL);
  struct sr_estimate replan = {.cost_usd = 50.0, .present = true};
  turn(&s, 2000, 20.0, &replan);
  for (int i = 0; i < 10; i++)
    ck_assert_float_eq(paid_call(&s, 3000 + 1000 * i, 4.0), 0.0f);
  sess_close(&s);

  /* Spend reported without a spend estimate is not compared. */
  sess_open(&s, &sr_detector_planning_fallacy, NULL);
  start(&s, 100, 0);
  for (int i = 0; i < 5; i++)
    ck_assert_float_eq(paid_call(&s, 1000 * i, 500.0), 0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(config_is_checked) {
  const char *e = sess_init_error(&sr_detector_planning_fallacy,
                                  "overrun: 3\nmax_ratio: 2\n");
  ck_assert_msg(strstr(e, "max_ratio"), "%s", e);
  e = sess_init_error(&sr_detector_planning_fallacy, "cost: 2\n");
  ck_assert_msg(strstr(e, "cost"), "%s", e);
  struct sess s;
  e = sess_init_error(&sr_detector_planning_fallacy, "min_extra_usd: -1\n");
  ck_assert_msg(strstr(e, "min_extra_usd"), "%s", e);
  sess_open(&s, &sr_detector_planning_fallacy,
            "overrun: 1.5\nmin_extra_steps: 1\n");
  start(&s, 4, 0);
  ck_assert_float_gt(calls(&s, 6, 1000, 1000), 0.0f);
  sess_close(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("planning_fallacy");
  TCase *tc = tcase_create("planning_fallacy");
  tcase_add_test(tc, far_past_the_step_estimate);
  tcase_add_test(tc, a_revised_estimate_restarts_the_count);
  tcase_add_test(tc, time_overrun_and_small_overruns);
  tcase_add_test(tc, spend_far_past_the_estimate);
  tcase_add_test(tc, spend_within_the_plan_or_replanned);
  tcase_add_test(tc, config_is_checked);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
