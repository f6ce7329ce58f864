/*
 * blast_radius: destructive calls on targets whose backups go down with
 * them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/detector.h"

extern const struct sr_detector sr_detector_blast_radius;
static const struct sr_detector *det = &sr_detector_blast_radius;

struct fixture {
  struct sr_event ev;
  struct sr_op op;
  struct sr_session_info session;
  char reason[SR_REASON_MAX];
};

static void volume_delete(struct fixture *f, enum sr_backups backups) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_REQUESTED;
  f->ev.tool = SR_STR_LIT("railway.volumeDelete");
  f->op.verb = SR_VERB_DELETE;
  f->op.mutating = true;
  f->op.destructive = 1.0f;
  f->op.irreversible = true;
  f->op.resource = "volume";
  f->op.target_id = SR_STR_LIT("vol-1");
  f->op.environment = SR_STR_LIT("production");
  f->op.backups = backups;
}

static float run(const void *ctx, struct fixture *f) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, NULL, &in, NULL, f->reason, sizeof(f->reason));
}

START_TEST(co_located_vs_off_site) {
  void *ctx = det->init(NULL, NULL, 0);
  ck_assert_ptr_nonnull(ctx);
  struct fixture f;
  volume_delete(&f, SR_BACKUPS_CO_LOCATED);
  ck_assert_float_eq_tol(run(ctx, &f), 0.9f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "destructive target volume vol-1 has its backups "
                   "co-located: deleting it deletes them");

  volume_delete(&f, SR_BACKUPS_OFF_SITE);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  ck_assert_str_eq(f.reason, "");
  volume_delete(&f, SR_BACKUPS_UNKNOWN);
  ck_assert_float_eq(run(ctx, &f), 0.0f);

  volume_delete(&f, SR_BACKUPS_NONE);
  ck_assert_float_eq_tol(run(ctx, &f), 0.8f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "vol-1 has no backups"));
  det->destroy(ctx);
}
END_TEST

START_TEST(mild_or_failed_or_read_calls_do_not_fire) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  volume_delete(&f, SR_BACKUPS_CO_LOCATED);
  f.op.destructive = 0.3f; /* below min_destructive */
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  volume_delete(&f, SR_BACKUPS_CO_LOCATED);
  f.ev.phase = SR_PHASE_FAILED;
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  volume_delete(&f, SR_BACKUPS_CO_LOCATED);
  f.op.verb = SR_VERB_READ;
  f.op.mutating = false;
  f.op.destructive = 0;
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  /* Without a target id the kind is named. */
  volume_delete(&f, SR_BACKUPS_CO_LOCATED);
  f.op.target_id = SR_STR_LIT("");
  ck_assert_float_eq_tol(run(ctx, &f), 0.9f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "destructive target (a volume) has"));
  det->destroy(ctx);
}
END_TEST

START_TEST(config_sets_scores_and_rejects_typos) {
  char err[512];
  struct sr_conf *conf =
      sr_conf_load_string("min_destructive: 0.2\nco_located: 1\nnone: 0.5\n",
                          "t.yaml", err, sizeof(err));
  ck_assert_msg(conf, "%s", err);
  void *ctx = det->init(sr_conf_root(conf), err, sizeof(err));
  ck_assert_msg(ctx, "%s", err);
  struct fixture f;
  volume_delete(&f, SR_BACKUPS_CO_LOCATED);
  f.op.destructive = 0.3f;
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f, 1e-6);
  volume_delete(&f, SR_BACKUPS_NONE);
  ck_assert_float_eq_tol(run(ctx, &f), 0.5f, 1e-6);
  det->destroy(ctx);
  sr_conf_destroy(conf);

  conf = sr_conf_load_string("half_life_s: 60\ncolocated: 1\n", "t.yaml", err,
                             sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:2") && strstr(err, "colocated"), "%s", err);
  sr_conf_destroy(conf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("blast_radius");
  TCase *tc = tcase_create("score");
  tcase_add_test(tc, co_located_vs_off_site);
  tcase_add_test(tc, mild_or_failed_or_read_calls_do_not_fire);
  tcase_add_test(tc, config_sets_scores_and_rejects_typos);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
