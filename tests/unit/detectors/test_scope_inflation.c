/*
 * scope_inflation: credential privilege vs operation need, on a log scale.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/detector.h"

extern const struct sr_detector sr_detector_scope_inflation;
static const struct sr_detector *det = &sr_detector_scope_inflation;

struct fixture {
  struct sr_event ev;
  struct sr_op op;
  struct sr_session_info session;
  sr_str scopes[8];
  char reason[SR_REASON_MAX];
};

static void call(struct fixture *f, const char *needed, enum sr_verb verb,
                 const char *cred, const char *const *scopes) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_REQUESTED;
  f->ev.tool = SR_STR_LIT("railway.graphql");
  f->op.verb = verb;
  f->op.mutating = verb >= SR_VERB_WRITE;
  f->op.needed_scope = needed;
  f->op.credential.id = sr_str_from(cred);
  uint32_t n = 0;
  while (scopes && scopes[n]) {
    f->scopes[n] = sr_str_from(scopes[n]);
    n++;
  }
  f->op.credential.scopes = f->scopes;
  f->op.credential.n_scopes = n;
  f->op.credential.known = scopes != NULL;
}

static float run(const void *ctx, struct fixture *f) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, NULL, &in, NULL, f->reason, sizeof(f->reason));
}

START_TEST(star_token_for_volume_delete_scores_one) {
  void *ctx = det->init(NULL, NULL, 0);
  ck_assert_ptr_nonnull(ctx);
  static const char *const star[] = {"*", NULL};
  struct fixture f;
  call(&f, "volume:delete", SR_VERB_DELETE, "rw-cli", star);
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "credential rw-cli carries '*' (~10^4 operations) for an "
                   "operation needing volume:delete (~10): 3 orders of "
                   "magnitude");
  det->destroy(ctx);
}
END_TEST

START_TEST(exact_scope_scores_zero) {
  void *ctx = det->init(NULL, NULL, 0);
  static const char *const domains[] = {"domains:write", NULL};
  struct fixture f;
  call(&f, "domain:write", SR_VERB_WRITE, "railway-token", domains);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  ck_assert_str_eq(f.reason, "");

  static const char *const read[] = {"volume:read", NULL};
  call(&f, "volume:read", SR_VERB_READ, "ro", read);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  det->destroy(ctx);
}
END_TEST

START_TEST(unknown_scopes_or_no_credential_score_zero) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  call(&f, "volume:delete", SR_VERB_DELETE, "opaque", NULL);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  static const char *const star[] = {"*", NULL};
  call(&f, "volume:delete", SR_VERB_DELETE, "", star);
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  call(&f, "volume:delete", SR_VERB_DELETE, "rw-cli", star);
  f.ev.type = SR_EV_FILE_ACCESS;
  ck_assert_float_eq(run(ctx, &f), 0.0f);
  det->destroy(ctx);
}
END_TEST

START_TEST(orders_of_magnitude_scale) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  /* Resource-wide for one write: 10^2 / 10 = one order. */
  static const char *const volumes[] = {"volumes:*", NULL};
  call(&f, "volume:write", SR_VERB_WRITE, "vol-admin", volumes);
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f / 3, 1e-4);
  ck_assert_ptr_nonnull(strstr(f.reason, ": 1 order of magnitude"));

  /* Write to anything for a read: 1000 / 3, about 0.84, but a read is
   * latent risk and scaled by read_factor 0.25. */
  static const char *const anywrite[] = {"*:write", NULL};
  call(&f, "volume:read", SR_VERB_READ, "w", anywrite);
  float s = run(ctx, &f);
  ck_assert_msg(s > 0.2f && s < 0.225f, "read score %f", s);
  ck_assert_ptr_nonnull(strstr(f.reason, "(a read: latent risk)"));
  /* The same credential for a write is not scaled. */
  call(&f, "volume:write", SR_VERB_WRITE, "w", anywrite);
  s = run(ctx, &f);
  ck_assert_msg(s > 0.6f && s < 0.7f, "write score %f", s);

  /* GitHub order "admin:org" is resource-wide on org. */
  static const char *const gh[] = {"read:org", "admin:org", NULL};
  call(&f, "org:write", SR_VERB_WRITE, "gh-pat", gh);
  s = run(ctx, &f);
  ck_assert(s > 0.33f && s < 0.36f);
  ck_assert_ptr_nonnull(strstr(f.reason, "'admin:org' and 1 more"));

  /* Unknown need: judged against a write. */
  static const char *const admin[] = {"admin", NULL};
  call(&f, NULL, SR_VERB_NONE, "adm", admin);
  ck_assert_float_eq_tol(run(ctx, &f), 1.0f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "for a write operation"));
  det->destroy(ctx);
}
END_TEST

/* Every action word, in any case, counts in its class: a read-class word
 * grants nothing over a read need, a write-class word half an order, an
 * everything-on-the-resource word 1.5 orders; the account-wide words alone
 * grant everything. */
START_TEST(every_scope_word_in_its_class) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  static const char *const reads[] = {"Read",     "LIST",      "get",
                                      "View",     "readOnly",  "READ_ONLY",
                                      "Describe", "r"};
  static const char *const writes[] = {
      "Write",  "CREATE", "update", "Edit",  "delete", "DESTROY",
      "Deploy", "modify", "PUT",    "Post",  "push",   "Execute",
      "exec",   "Run",    "remove", "W",     "frobnicate"};
  static const char *const alls[] = {"*",    "Admin", "OWNER",     "full",
                                     "All",  "Manage", "rw",       "ReadWrite",
                                     "read_write"};
  static const char *const account[] = {"*",    "ADMIN", "owner",
                                        "Full", "all",   "Root",
                                        "SuperUser"};
  char scope[64];
  const char *one[] = {scope, NULL};
  for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
    snprintf(scope, sizeof scope, "volume:%s", reads[i]);
    call(&f, "volume:get", SR_VERB_WRITE, "c", one);
    ck_assert_msg(run(ctx, &f) == 0.0f, "%s", scope);
  }
  for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
    snprintf(scope, sizeof scope, "volume:%s", writes[i]);
    call(&f, "volume:get", SR_VERB_WRITE, "c", one);
    float s = run(ctx, &f);
    ck_assert_msg(s > 0.17f && s < 0.18f, "%s: %f", scope, s);
  }
  for (size_t i = 0; i < sizeof alls / sizeof alls[0]; i++) {
    snprintf(scope, sizeof scope, "volume:%s", alls[i]);
    call(&f, "volume:get", SR_VERB_WRITE, "c", one);
    float s = run(ctx, &f);
    ck_assert_msg(s > 0.50f && s < 0.51f, "%s: %f", scope, s);
  }
  for (size_t i = 0; i < sizeof account / sizeof account[0]; i++) {
    snprintf(scope, sizeof scope, "%s", account[i]);
    call(&f, "volume:delete", SR_VERB_WRITE, "c", one);
    ck_assert_msg(run(ctx, &f) == 1.0f, "%s", scope);
  }
  det->destroy(ctx);
}
END_TEST

static float run_memo(const void *ctx, void *memo, struct fixture *f) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, memo, &in, NULL, f->reason, sizeof(f->reason));
}

/* The thread's memo of breadths answers by the scopes' and the needed
 * scope's text, not where they are: rewriting a scope in the same buffer,
 * or asking for another operation, is measured anew. */
START_TEST(breadth_memo_never_returns_a_stale_answer) {
  void *ctx = det->init(NULL, NULL, 0);
  ck_assert_ptr_nonnull(det->thread_create);
  void *memo = det->thread_create(ctx);
  ck_assert_ptr_nonnull(memo);
  char scope[32] = "volumes:*";
  const char *one[] = {scope, NULL};
  struct fixture f;
  for (int round = 0; round < 2; round++) { /* computed, then remembered */
    call(&f, "volume:write", SR_VERB_WRITE, "c", one);
    ck_assert_float_eq_tol(run_memo(ctx, memo, &f), 1.0f / 3, 1e-4);
  }
  snprintf(scope, sizeof scope, "*"); /* same buffer, everything */
  call(&f, "volume:write", SR_VERB_WRITE, "c", one);
  ck_assert_float_eq_tol(run_memo(ctx, memo, &f), 1.0f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "carries '*'"));
  snprintf(scope, sizeof scope, "volume:write"); /* exact */
  call(&f, "volume:write", SR_VERB_WRITE, "c", one);
  ck_assert_float_eq(run_memo(ctx, memo, &f), 0.0f);
  /* The same scope for a read it over-grants. */
  call(&f, "volume:read", SR_VERB_WRITE, "c", one);
  float s = run_memo(ctx, memo, &f);
  ck_assert_msg(s > 0.17f && s < 0.18f, "%f", s);
  /* A second scope added. */
  static const char *const two[] = {"volume:write", "*:*", NULL};
  call(&f, "volume:write", SR_VERB_WRITE, "c", two);
  ck_assert_float_eq_tol(run_memo(ctx, memo, &f), 1.0f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "carries '*:*' and 1 more"));
  /* No needed scope: judged by the verb, not by a remembered need. */
  call(&f, NULL, SR_VERB_WRITE, "c", one);
  ck_assert_float_eq(run_memo(ctx, memo, &f), 0.0f);
  call(&f, NULL, SR_VERB_READ, "c", one); /* 10 / 3, scaled as a read */
  s = run_memo(ctx, memo, &f);
  ck_assert_msg(s > 0.043f && s < 0.044f, "%f", s);
  call(&f, "volume:write", SR_VERB_WRITE, "c", one);
  ck_assert_float_eq(run_memo(ctx, memo, &f), 0.0f);
  det->thread_destroy(memo);
  det->destroy(ctx);
}
END_TEST

START_TEST(notes_scopes_that_do_not_grant_the_call) {
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  static const char *const broad[] = {"domains:*", "projects:*", "teams:*",
                                      NULL};
  call(&f, "volume:delete", SR_VERB_DELETE, "railway-token", broad);
  float s = run(ctx, &f);
  ck_assert(s > 0.4f);
  ck_assert_msg(strstr(f.reason, "none of its scopes grants it"), "%s",
                f.reason);

  static const char *const vol[] = {"volumes:*", "domains:*", NULL};
  call(&f, "volume:delete", SR_VERB_DELETE, "railway-token", vol);
  ck_assert(run(ctx, &f) > 0);
  ck_assert_ptr_null(strstr(f.reason, "grants"));
  det->destroy(ctx);
}
END_TEST

START_TEST(max_orders_configurable_and_checked) {
  char err[512];
  struct sr_conf *conf = sr_conf_load_string("max_orders: 4\nhalf_life_s: 60\n",
                                             "t.yaml", err, sizeof(err));
  ck_assert_msg(conf, "%s", err);
  void *ctx = det->init(sr_conf_root(conf), err, sizeof(err));
  ck_assert_msg(ctx, "%s", err);
  static const char *const star[] = {"*", NULL};
  struct fixture f;
  call(&f, "volume:delete", SR_VERB_DELETE, "rw-cli", star);
  ck_assert_float_eq_tol(run(ctx, &f), 0.75f, 1e-5);
  det->destroy(ctx);
  sr_conf_destroy(conf);

  conf = sr_conf_load_string("weight: 1\nmax_order: 4\n", "t.yaml", err,
                             sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:2") && strstr(err, "max_order"), "%s", err);
  sr_conf_destroy(conf);

  conf = sr_conf_load_string("max_orders: 0\n", "t.yaml", err, sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:1") && strstr(err, "max_orders"), "%s",
                err);
  sr_conf_destroy(conf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("scope_inflation");
  TCase *tc = tcase_create("score");
  tcase_add_test(tc, star_token_for_volume_delete_scores_one);
  tcase_add_test(tc, exact_scope_scores_zero);
  tcase_add_test(tc, unknown_scopes_or_no_credential_score_zero);
  tcase_add_test(tc, orders_of_magnitude_scale);
  tcase_add_test(tc, every_scope_word_in_its_class);
  tcase_add_test(tc, breadth_memo_never_returns_a_stale_answer);
  tcase_add_test(tc, notes_scopes_that_do_not_grant_the_call);
  tcase_add_test(tc, max_orders_configurable_and_checked);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
