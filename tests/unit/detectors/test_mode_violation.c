/*
 * mode_violation: mutating calls in sessions declared plan or read-only.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/detector.h"

extern const struct sr_detector sr_detector_mode_violation;
static const struct sr_detector *det = &sr_detector_mode_violation;

struct fixture {
  struct sr_event ev;
  struct sr_op op;
  struct sr_session_info session;
  char reason[SR_REASON_MAX];
};

static void call(struct fixture *f, enum sr_mode mode, enum sr_verb verb) {
  memset(f, 0, sizeof(*f));
  f->session.started = true;
  f->session.mode = mode;
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_REQUESTED;
  f->ev.tool = SR_STR_LIT("railway.volumeDelete");
  f->op.verb = verb;
  f->op.mutating = verb == SR_VERB_WRITE || verb == SR_VERB_DELETE;
  f->op.resource = "volume";
  f->op.needed_scope = verb == SR_VERB_DELETE  ? "volume:delete"
                       : verb == SR_VERB_WRITE ? "volume:write"
                                               : "volume:read";
  f->op.target_id = SR_STR_LIT("vol-1");
}

static float run(const void *ctx, struct fixture *f) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, NULL, &in, NULL, f->reason, sizeof(f->reason));
}

START_TEST(plan_mode_delete_vs_read_vs_default_mode) {
  void *ctx = det->init(NULL, NULL, 0);
  ck_assert_ptr_nonnull(ctx);
  struct fixture f;
  call(&f, SR_MODE_PLAN, SR_VERB_DELETE);
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "mutating call (volume:delete) on vol-1 in a session "
                   "declared plan mode");

  call(&f, SR_MODE_PLAN, SR_VERB_READ);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  ck_assert_str_eq(f.reason, "");

  call(&f, SR_MODE_DEFAULT, SR_VERB_DELETE);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  call(&f, SR_MODE_UNSET, SR_VERB_DELETE);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  det->destroy(ctx);
}
END_TEST

START_TEST(read_only_write_and_phases) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  call(&f, SR_MODE_READ_ONLY, SR_VERB_WRITE);
  ck_assert_float_eq_tol(run(ctx, &f), 0.8f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "(volume:write)"));
  ck_assert_ptr_nonnull(strstr(f.reason, "declared read-only mode"));

  call(&f, SR_MODE_READ_ONLY, SR_VERB_WRITE);
  f.ev.phase = SR_PHASE_COMPLETED;
  ck_assert_float_eq_tol(run(ctx, &f), 0.8f, 1e-6);
  f.ev.phase = SR_PHASE_FAILED;
  ck_assert_float_eq(run(ctx, &f), 0.0f);

  /* Unclassified calls are not guessed at; the tool names the call when
   * the catalogue gave no scope or rule. */
  call(&f, SR_MODE_PLAN, SR_VERB_NONE);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  call(&f, SR_MODE_PLAN, SR_VERB_WRITE);
  f.op.needed_scope = NULL;
  f.op.target_id = SR_STR_LIT("");
  f.ev.tool = SR_STR_LIT("Edit");
  ck_assert_float_eq_tol(run(ctx, &f), 0.8f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "mutating call (Edit) in a session declared plan mode");

  /* Session info is for sessions; other events are ignored. */
  call(&f, SR_MODE_PLAN, SR_VERB_DELETE);
  f.ev.type = SR_EV_FILE_ACCESS;
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  det->destroy(ctx);
}
END_TEST

START_TEST(config_sets_scores_and_rejects_typos) {
  char err[512];
  struct sr_conf *conf = sr_conf_load_string("write: 0.5\ndelete: 0.9\n",
                                             "t.yaml", err, sizeof(err));
  ck_assert_msg(conf, "%s", err);
  void *ctx = det->init(sr_conf_root(conf), err, sizeof(err));
  ck_assert_msg(ctx, "%s", err);
  struct fixture f;
  call(&f, SR_MODE_PLAN, SR_VERB_WRITE);
  ck_assert_float_eq_tol(run(ctx, &f), 0.5f, 1e-6);
  call(&f, SR_MODE_PLAN, SR_VERB_DELETE);
  ck_assert_float_eq_tol(run(ctx, &f), 0.9f, 1e-6);
  det->destroy(ctx);
  sr_conf_destroy(conf);

  conf = sr_conf_load_string("weight: 2\nwrites: 0.5\n", "t.yaml", err,
                             sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:2") && strstr(err, "writes"), "%s", err);
  sr_conf_destroy(conf);
  conf = sr_conf_load_string("delete: -1\n", "t.yaml", err, sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:1") && strstr(err, "delete"), "%s", err);
  sr_conf_destroy(conf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("mode_violation");
  TCase *tc = tcase_create("score");
  tcase_add_test(tc, plan_mode_delete_vs_read_vs_default_mode);
  tcase_add_test(tc, read_only_write_and_phases);
  tcase_add_test(tc, config_sets_scores_and_rejects_typos);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
