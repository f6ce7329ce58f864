/*
 * destructive: severity weighted by environment and reversibility. Events
 * and the catalogue's classification are built by hand so the detector is
 * tested alone.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/detector.h"

extern const struct sr_detector sr_detector_destructive;
static const struct sr_detector *det = &sr_detector_destructive;

struct fixture {
  struct sr_event ev;
  struct sr_op op;
  struct sr_session_info session;
  char reason[SR_REASON_MAX];
};

/* A production volume deletion through Railway's GraphQL API. */
static void volume_delete(struct fixture *f, const char *env) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_REQUESTED;
  f->ev.session_id = SR_STR_LIT("s1");
  f->ev.tool = SR_STR_LIT("railway.graphql");
  f->ev.arguments = SR_STR_LIT(
      "{\"query\":\"mutation { volumeDelete(volumeId: \\\"vol-1\\\") }\","
      "\"token\":\"s3cr3t-value\"}");
  f->op.verb = SR_VERB_DELETE;
  f->op.mutating = true;
  f->op.destructive = 1.0f;
  f->op.irreversible = true;
  f->op.rule = "graphql.volumeDelete";
  f->op.resource = "volume";
  f->op.needed_scope = "volume:delete";
  f->op.matched = SR_STR_LIT("volumeDelete");
  f->op.target_id = SR_STR_LIT("vol-1");
  f->op.environment = sr_str_from(env);
}

static float run(const void *ctx, struct fixture *f) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, NULL, &in, NULL, f->reason, sizeof(f->reason));
}

static void *init_yaml(const char *yaml, struct sr_conf **conf, char *err,
                       size_t errlen) {
  *conf = sr_conf_load_string(yaml, "t.yaml", err, errlen);
  ck_assert_msg(*conf, "yaml: %s", err);
  return det->init(sr_conf_root(*conf), err, errlen);
}

START_TEST(production_delete_scores_high_staging_lower) {
  char err[256] = "";
  void *ctx = det->init(NULL, err, sizeof(err));
  ck_assert_msg(ctx, "%s", err);
  struct fixture prod, stg, dev;
  volume_delete(&prod, "prod");
  volume_delete(&stg, "staging");
  volume_delete(&dev, "development");

  float sp = run(ctx, &prod);
  ck_assert_float_eq_tol(sp, 1.0f, 1e-6);
  ck_assert_str_eq(prod.reason,
                   "irreversible volume deletion (graphql.volumeDelete) on "
                   "production target vol-1");
  ck_assert_ptr_null(strstr(prod.reason, "s3cr3t"));

  float ss = run(ctx, &stg);
  ck_assert_float_eq_tol(ss, 0.6f, 1e-6);
  ck_assert_ptr_nonnull(strstr(stg.reason, "on staging target vol-1"));
  ck_assert_float_eq_tol(run(ctx, &dev), 0.4f, 1e-6);
  ck_assert(sp > ss);
  det->destroy(ctx);
}
END_TEST

START_TEST(unknown_environment_weighs_close_to_production) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  volume_delete(&f, "");
  ck_assert_float_eq_tol(run(ctx, &f), 0.8f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "vol-1 in an unknown environment"));
  volume_delete(&f, "eu-west-canary");
  ck_assert_float_eq_tol(run(ctx, &f), 0.8f, 1e-6);
  det->destroy(ctx);
}
END_TEST

START_TEST(failed_call_and_read_score_zero) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  volume_delete(&f, "production");
  f.ev.phase = SR_PHASE_FAILED;
  ck_assert_float_eq(run(ctx, &f), 0.0f);

  volume_delete(&f, "production");
  f.ev.phase = SR_PHASE_COMPLETED;
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f, 1e-6);

  /* Listing volumes on production: not destructive at all. */
  volume_delete(&f, "production");
  f.op.verb = SR_VERB_READ;
  f.op.mutating = false;
  f.op.destructive = 0;
  f.op.irreversible = false;
  f.op.rule = NULL;
  f.op.needed_scope = "volume:read";
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  ck_assert_str_eq(f.reason, "");

  /* Not a tool call. */
  volume_delete(&f, "production");
  f.ev.type = SR_EV_AGENT_MESSAGE;
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  det->destroy(ctx);
}
END_TEST

START_TEST(reversible_and_severity_discount) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  volume_delete(&f, "production");
  f.op.irreversible = false;
  f.op.destructive = 0.5f;
  f.op.resource = "bucket";
  f.op.rule = NULL;
  f.op.matched = SR_STR_LIT("aws s3 rm --recursive");
  f.op.target_id = SR_STR_LIT("s3://logs");
  ck_assert_float_eq_tol(run(ctx, &f), 0.5f * 0.8f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "reversible bucket deletion ('aws s3 rm --recursive') on "
                   "production target s3://logs");
  det->destroy(ctx);
}
END_TEST

/* A data store's files: the reason says what they hold and the path the
 * call named, in place of the kind of resource. */
START_TEST(data_store_reason_says_what_and_where) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  volume_delete(&f, "");
  f.ev.tool = SR_STR_LIT("Bash");
  f.ev.arguments = SR_STR_LIT("{\"command\":\"rm -rf /srv/postgres/data\"}");
  f.op.destructive = 0.95f;
  f.op.rule = "shell.rm_datastore";
  f.op.resource = "database";
  f.op.needed_scope = "database:delete";
  f.op.target_what = "PostgreSQL data";
  f.op.matched = SR_STR_LIT("/srv/postgres/data");
  f.op.target_id = (sr_str){NULL, 0};
  ck_assert_float_eq_tol(run(ctx, &f), 0.76f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "irreversible deletion of PostgreSQL data at "
                   "/srv/postgres/data (shell.rm_datastore) in an unknown "
                   "environment");
  det->destroy(ctx);
}
END_TEST

START_TEST(config_overrides_environment_factors) {
  struct sr_conf *conf;
  char err[256];
  void *ctx = init_yaml(
      "environments:\n"
      "  prod: 0.9\n"
      "  staging: 1.0\n"
      "  unknown: 0.2\n"
      "  sandbox: 0.1\n"
      "reversible_factor: 0.5\n"
      "weight: 2\n"
      "threshold: 0.4\n",
      &conf, err, sizeof(err));
  ck_assert_msg(ctx, "%s", err);
  struct fixture f;
  volume_delete(&f, "Production");
  ck_assert_float_eq_tol(run(ctx, &f), 0.9f, 1e-6);
  volume_delete(&f, "stg");
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f, 1e-6);
  volume_delete(&f, "qa-7");
  ck_assert_float_eq_tol(run(ctx, &f), 0.2f, 1e-6);
  volume_delete(&f, "sandbox");
  f.op.irreversible = false;
  ck_assert_float_eq_tol(run(ctx, &f), 0.05f, 1e-6);
  /* A configured name is matched in any case, blanks trimmed. */
  volume_delete(&f, " SandBox ");
  f.op.irreversible = false;
  ck_assert_float_eq_tol(run(ctx, &f), 0.05f, 1e-6);
  /* Defaults not overridden stay. */
  volume_delete(&f, "dev");
  ck_assert_float_eq_tol(run(ctx, &f), 0.4f, 1e-6);
  det->destroy(ctx);
  sr_conf_destroy(conf);
}
END_TEST

START_TEST(config_errors_name_key_and_line) {
  struct sr_conf *conf;
  char err[512];
  void *ctx = init_yaml("enabled: true\nenviroments:\n  prod: 1\n", &conf, err,
                        sizeof(err));
  ck_assert_ptr_null(ctx);
  ck_assert_msg(strstr(err, "t.yaml:2") && strstr(err, "enviroments"), "%s",
                err);
  sr_conf_destroy(conf);

  ctx = init_yaml("environments:\n  production: 1\n  staging: 1.5\n", &conf,
                  err, sizeof(err));
  ck_assert_ptr_null(ctx);
  ck_assert_msg(strstr(err, "t.yaml:3") && strstr(err, "staging"), "%s", err);
  sr_conf_destroy(conf);

  ctx = init_yaml("environments: [production]\n", &conf, err, sizeof(err));
  ck_assert_ptr_null(ctx);
  ck_assert_msg(strstr(err, "t.yaml:1") && strstr(err, "expected a map"), "%s",
                err);
  sr_conf_destroy(conf);

  ctx = init_yaml("reversible_factor: lots\n", &conf, err, sizeof(err));
  ck_assert_ptr_null(ctx);
  ck_assert_msg(strstr(err, "t.yaml:1") && strstr(err, "reversible_factor"),
                "%s", err);
  sr_conf_destroy(conf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("destructive");
  TCase *tc = tcase_create("score");
  tcase_add_test(tc, production_delete_scores_high_staging_lower);
  tcase_add_test(tc, unknown_environment_weighs_close_to_production);
  tcase_add_test(tc, failed_call_and_read_score_zero);
  tcase_add_test(tc, reversible_and_severity_discount);
  tcase_add_test(tc, data_store_reason_says_what_and_where);
  tcase_add_test(tc, config_overrides_environment_factors);
  tcase_add_test(tc, config_errors_name_key_and_line);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
