/*
 * credential_misuse: purpose and environment fit, and credentials the
 * session found instead of being handed. The session scratch is a plain
 * zeroed buffer, as the registry hands it out.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/detector.h"

extern const struct sr_detector sr_detector_credential_misuse;
static const struct sr_detector *det = &sr_detector_credential_misuse;

struct fixture {
  struct sr_event ev;
  struct sr_op op;
  struct sr_session_info session;
  sr_str scopes[4];
  sr_str envs[4];
  char reason[SR_REASON_MAX];
};

static void *new_scratch(void) {
  ck_assert(det->session_size > 0 && det->session_size <= 2048);
  void *s = calloc(1, det->session_size);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* The domain token of PocketOS, as the registry describes it. */
static void with_domain_token(struct fixture *f) {
  f->scopes[0] = SR_STR_LIT("*");
  f->op.credential.id = SR_STR_LIT("railway-token");
  f->op.credential.purpose = SR_STR_LIT("custom-domain management");
  f->op.credential.scopes = f->scopes;
  f->op.credential.n_scopes = 1;
  f->op.credential.known = true;
}

static void volume_delete(struct fixture *f) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_REQUESTED;
  f->ev.tool = SR_STR_LIT("railway.volumeDelete");
  f->ev.arguments = SR_STR_LIT("{\"volumeId\":\"vol-1\"}");
  f->op.verb = SR_VERB_DELETE;
  f->op.mutating = true;
  f->op.destructive = 1.0f;
  f->op.irreversible = true;
  f->op.rule = "graphql.volumeDelete";
  f->op.resource = "volume";
  f->op.needed_scope = "volume:delete";
  f->op.target_id = SR_STR_LIT("vol-1");
  f->op.environment = SR_STR_LIT("production");
  with_domain_token(f);
}

static void add_custom_domain(struct fixture *f) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_REQUESTED;
  f->ev.tool = SR_STR_LIT("railway.customDomainCreate");
  f->op.verb = SR_VERB_WRITE;
  f->op.mutating = true;
  f->op.rule = NULL;
  f->op.resource = "domain";
  f->op.needed_scope = "domain:write";
  f->op.target_id = SR_STR_LIT("shop.example.com");
  f->op.environment = SR_STR_LIT("production");
  with_domain_token(f);
}

static void file_read(struct fixture *f, const char *path, const char *cred) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_FILE_ACCESS;
  f->ev.path = sr_str_from(path);
  f->ev.op = SR_STR_LIT("read");
  f->ev.credentials_found.v[0] = sr_str_from(cred);
  f->ev.credentials_found.n = 1;
}

/* A completed Bash call whose result is text (borrowed). */
static void bash_result(struct fixture *f, const char *text) {
  memset(f, 0, sizeof(*f));
  f->ev.type = SR_EV_TOOL_CALL;
  f->ev.phase = SR_PHASE_COMPLETED;
  f->ev.tool = SR_STR_LIT("Bash");
  f->ev.result = sr_str_from(text);
}

static float run(const void *ctx, struct fixture *f, void *scratch) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, NULL, &in, scratch, f->reason, sizeof(f->reason));
}

START_TEST(pocketos_found_domain_token_used_for_volume_delete) {
  void *ctx = det->init(NULL, NULL, 0);
  ck_assert_ptr_nonnull(ctx);
  void *scratch = new_scratch();
  struct fixture f;
  file_read(&f, "scripts/setup.sh", "railway-token");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);

  volume_delete(&f);
  float s = run(ctx, &f, scratch);
  ck_assert_msg(s >= 0.9f, "%f", s);
  ck_assert_float_eq_tol(s, 0.95f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "credential railway-token provisioned for 'custom-domain "
                   "management' used for volume:delete (destructive); found "
                   "in scripts/setup.sh rather than handed to the session");
  free(scratch);
  det->destroy(ctx);
}
END_TEST

START_TEST(handed_domain_token_adding_a_domain_is_fine) {
  void *ctx = det->init(NULL, NULL, 0);
  void *scratch = new_scratch();
  struct fixture f;
  add_custom_domain(&f);
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  ck_assert_str_eq(f.reason, "");
  /* The tool name alone fits too when the catalogue names no resource. */
  add_custom_domain(&f);
  f.op.resource = NULL;
  f.op.needed_scope = "custom_domains:create";
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  free(scratch);
  det->destroy(ctx);
}
END_TEST

START_TEST(purpose_mismatch_without_finding) {
  void *ctx = det->init(NULL, NULL, 0);
  void *scratch = new_scratch();
  struct fixture f;
  volume_delete(&f);
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.9f, 1e-6);
  ck_assert_ptr_null(strstr(f.reason, "found"));

  /* A non-destructive call outside the purpose. */
  volume_delete(&f);
  f.ev.tool = SR_STR_LIT("railway.serviceInstanceDeploy");
  f.op.verb = SR_VERB_WRITE;
  f.op.destructive = 0;
  f.op.irreversible = false;
  f.op.rule = NULL;
  f.op.resource = "service";
  f.op.needed_scope = "service:write";
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.7f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "used for service:write"));

  /* The namespace (railway) names the platform, not the purpose. */
  volume_delete(&f);
  f.op.credential.purpose = SR_STR_LIT("railway custom domains");
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.9f, 1e-6);

  /* Generic or absent purposes say nothing; broad ones fit everything. */
  volume_delete(&f);
  f.op.credential.purpose = SR_STR_LIT("API access token");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  volume_delete(&f);
  f.op.credential.purpose = SR_STR_LIT("");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  volume_delete(&f);
  f.op.credential.purpose = SR_STR_LIT("full admin");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  volume_delete(&f);
  f.op.credential.purpose = SR_STR_LIT("volume backups and restores");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);

  /* An unclassified call is not judged on purpose. */
  volume_delete(&f);
  f.ev.tool = SR_STR_LIT("Bash");
  f.op.resource = NULL;
  f.op.needed_scope = NULL;
  f.op.rule = NULL;
  f.op.destructive = 0;
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  free(scratch);
  det->destroy(ctx);
}
END_TEST

START_TEST(environment_outside_the_credentials) {
  void *ctx = det->init(NULL, NULL, 0);
  void *scratch = new_scratch();
  struct fixture f;
  add_custom_domain(&f);
  f.envs[0] = SR_STR_LIT("stg");
  f.envs[1] = SR_STR_LIT("dev");
  f.op.credential.environments = f.envs;
  f.op.credential.n_environments = 2;
  f.op.environment = SR_STR_LIT("prod");
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.6f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "credential railway-token used on production outside its "
                   "environments (stg, ...)");

  f.op.environment = SR_STR_LIT("Staging");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  f.op.environment = SR_STR_LIT("");
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);

  /* Purpose and environment both wrong: noisy-or of 0.9 and 0.6. */
  volume_delete(&f);
  f.envs[0] = SR_STR_LIT("staging");
  f.op.credential.environments = f.envs;
  f.op.credential.n_environments = 1;
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.96f, 1e-5);
  ck_assert_ptr_nonnull(strstr(f.reason, "on production outside"));
  free(scratch);
  det->destroy(ctx);
}
END_TEST

START_TEST(found_in_a_tool_result_never_keeps_the_value) {
  void *ctx = det->init(NULL, NULL, 0);
  void *scratch = new_scratch();
  struct fixture f;
  memset(&f, 0, sizeof(f));
  f.ev.type = SR_EV_TOOL_CALL;
  f.ev.phase = SR_PHASE_COMPLETED;
  f.ev.tool = SR_STR_LIT("Bash");
  f.ev.arguments = SR_STR_LIT("{\"command\":\"cat .env\"}");
  f.ev.result = SR_STR_LIT(
      "DATABASE_URL=postgres://x\nexport RAILWAY_TOKEN=9f8e7d6c5b4a\n");
  f.op.verb = SR_VERB_READ;
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);

  /* Used where its purpose fits: found alone. */
  add_custom_domain(&f);
  float s = run(ctx, &f, scratch);
  ck_assert_float_eq_tol(s, 0.6f, 1e-6);
  ck_assert_str_eq(f.reason,
                   "credential railway-token used for domain:write; found in "
                   "output of Bash rather than handed to the session");
  ck_assert_ptr_null(strstr(f.reason, "9f8e7d"));

  /* A failed attempt with it is still misuse. */
  volume_delete(&f);
  f.ev.phase = SR_PHASE_FAILED;
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.95f, 1e-6);

  /* Another session's scratch knows nothing of it. */
  void *other = new_scratch();
  add_custom_domain(&f);
  ck_assert_float_eq(run(ctx, &f, other), 0.0f);
  free(other);

  /* JSON results and file targets. */
  void *third = new_scratch();
  memset(&f, 0, sizeof(f));
  f.ev.type = SR_EV_TOOL_CALL;
  f.ev.phase = SR_PHASE_COMPLETED;
  f.ev.tool = SR_STR_LIT("Read");
  f.op.target_id = SR_STR_LIT("config/deploy.json");
  f.ev.result = SR_STR_LIT("{\"region\": \"eu\", \"railway_token\": \"zz\"}");
  ck_assert_float_eq(run(ctx, &f, third), 0.0f);
  add_custom_domain(&f);
  ck_assert_float_eq_tol(run(ctx, &f, third), 0.6f, 1e-6);
  ck_assert_ptr_nonnull(strstr(f.reason, "found in config/deploy.json"));
  free(third);
  free(scratch);
  det->destroy(ctx);
}
END_TEST

/* Which assignments in a result make a name found: NAME=, NAME: ,
 * "NAME": and 'NAME' = count; a sign after two quotes or after a blank and
 * a quote, a name over 64 bytes or one not secret-like does not. Each shape
 * is tried at every offset within sixteen bytes and after a long line, and
 * names of every length class after text of every offset. */
START_TEST(assignment_shapes_in_results) {
  static const struct {
    const char *result;
    bool found;
  } cases[] = {
      {"RAILWAY_TOKEN=x", true},
      {"export railway_token = x", true},
      {"{\"railway-token\": \"x\"}", true},
      {"'Railway.Token'\t=x", true},
      {"railway_token:", true},
      {"railway_token\"\"=x", false},
      {"railway_token \"=x", false},
      {"railway_token \n= x", false},
      {"railway_token x=1", false},
      {"a_railway_token=x", false}, /* another name */
      {"railway_token", false},
  };
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  char buf[512];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (size_t pad = 0; pad < 40; pad += pad < 17 ? 1 : 22) {
      void *scratch = new_scratch();
      memset(buf, 'x', pad);
      buf[pad] = '\n';
      snprintf(buf + pad + 1, sizeof buf - pad - 1, "%s", cases[i].result);
      bash_result(&f, buf);
      ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
      add_custom_domain(&f);
      float got = run(ctx, &f, scratch);
      ck_assert_msg((got > 0) == cases[i].found, "'%s': %f", buf, got);
      free(scratch);
    }
  }
  /* Names up to 64 bytes: "..._token" of 64 counts, of 65 does not. */
  for (size_t len = 63; len <= 66; len++) {
    void *scratch = new_scratch();
    memset(buf, 'a', len - 6);
    snprintf(buf + len - 6, sizeof buf - len + 6, "_token=x");
    bash_result(&f, buf);
    run(ctx, &f, scratch);
    /* Found under its own name: a credential with that id is flagged. */
    add_custom_domain(&f);
    char id[80];
    snprintf(id, sizeof id, "%.*s", (int)len, buf);
    f.op.credential.id = sr_str_from(id);
    float got = run(ctx, &f, scratch);
    ck_assert_msg((got > 0) == (len <= 64), "%zu: %f", len, got);
    free(scratch);
  }
  /* The same after other text, the name read back from its sign across
   * sixteen-byte steps: after a blank the name is the "a..._token" part;
   * after more name bytes ("xx...a..._token") the name is all of them. */
  static const size_t lens[] = {7, 15, 16, 17, 31, 32, 33, 48, 49, 63, 64, 65};
  for (size_t joined = 0; joined < 2; joined++) {
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
      for (size_t pre = 0; pre < 40; pre++) {
        size_t len = lens[li];
        void *scratch = new_scratch();
        memset(buf, 'x', pre);
        if (!joined) buf[pre] = ' ';
        size_t at = pre + !joined;
        memset(buf + at, 'a', len - 6);
        snprintf(buf + at + len - 6, sizeof buf - at - len + 6, "_token=x");
        bash_result(&f, buf);
        run(ctx, &f, scratch);
        add_custom_domain(&f);
        size_t from = joined ? 0 : at, name_len = at + len - from;
        char id[128];
        snprintf(id, sizeof id, "%.*s", (int)name_len, buf + from);
        f.op.credential.id = sr_str_from(id);
        float got = run(ctx, &f, scratch);
        ck_assert_msg((got > 0) == (name_len <= 64), "'%s': %f", buf, got);
        free(scratch);
      }
    }
  }
  det->destroy(ctx);
}
END_TEST

/* Which names are secret-like: each part (token, secret, passw,
 * private_key, credential, apikey, api_key, api-key, auth, access_key) in
 * any case, at the start, in the middle or at the end of a name, and a
 * name that ends in "key"; not names with none of them. */
START_TEST(secret_name_parts_in_any_case_anywhere) {
  static const char *const parts[] = {
      "token",  "secret",  "passw",   "private_key", "credential",
      "apikey", "api_key", "api-key", "auth",        "access_key"};
  static const char *const shapes[] = {"%s", "db_%s", "%s_prod", "x%sy"};
  void *ctx = det->init(NULL, NULL, 0);
  struct fixture f;
  char name[64], buf[96];
  for (size_t k = 0; k < 3 * SR_ARRAY_LEN(parts) + 8; k++) {
    bool found = true;
    if (k < 3 * SR_ARRAY_LEN(parts)) {
      const char *part = parts[k / 3];
      snprintf(name, sizeof name, shapes[k % SR_ARRAY_LEN(shapes)], part);
      for (char *c = name; *c; c++) /* lower, UPPER, Capitalised */
        if (k % 3 == 1 || (k % 3 == 2 && c == name))
          *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    } else {
      static const char *const others[] = {
          "monkey", "SIGNING_KEY", "region", "status",
          "count",  "path",        "cached", "apis"};
      snprintf(name, sizeof name, "%s", others[k - 3 * SR_ARRAY_LEN(parts)]);
      found = k - 3 * SR_ARRAY_LEN(parts) < 2;
    }
    void *scratch = new_scratch();
    snprintf(buf, sizeof buf, "ok\n%s=x\n", name);
    bash_result(&f, buf);
    run(ctx, &f, scratch);
    add_custom_domain(&f);
    f.op.credential.id = sr_str_from(name);
    float got = run(ctx, &f, scratch);
    ck_assert_msg((got > 0) == found, "'%s': %f", name, got);
    free(scratch);
  }
  det->destroy(ctx);
}
END_TEST

START_TEST(found_list_is_bounded_oldest_forgotten) {
  void *ctx = det->init(NULL, NULL, 0);
  void *scratch = new_scratch();
  struct fixture f;
  file_read(&f, "/home/agent/projects/very/long/path/to/the/secrets/.env",
            "railway-token");
  run(ctx, &f, scratch);
  add_custom_domain(&f);
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.6f, 1e-6);
  /* The end of a long path is kept. */
  ck_assert_msg(strstr(f.reason, "...") && strstr(f.reason, "secrets/.env"),
                "%s", f.reason);
  for (int i = 0; i < 40; i++) {
    char id[32];
    snprintf(id, sizeof(id), "token-%d", i);
    file_read(&f, "vault.txt", id);
    run(ctx, &f, scratch);
  }
  add_custom_domain(&f);
  ck_assert_float_eq(run(ctx, &f, scratch), 0.0f);
  add_custom_domain(&f);
  f.op.credential.id = SR_STR_LIT("token-39");
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.6f, 1e-6);
  free(scratch);
  det->destroy(ctx);
}
END_TEST

static float run_memo(const void *ctx, struct fixture *f, void *scratch,
                      void *memo) {
  struct sr_detect_input in = {&f->ev, &f->op, &f->session};
  f->reason[0] = '\0';
  return det->score(ctx, memo, &in, scratch, f->reason, sizeof(f->reason));
}

/* The thread's memo of purpose fits answers repeated calls alike and never
 * reuses an answer once any input it depends on changed. */
START_TEST(purpose_memo_never_returns_a_stale_fit) {
  void *ctx = det->init(NULL, NULL, 0);
  ck_assert_ptr_nonnull(det->thread_create);
  void *memo = det->thread_create(ctx);
  ck_assert_ptr_nonnull(memo);
  void *scratch = new_scratch();
  struct fixture f;
  for (int round = 0; round < 2; round++) { /* computed, then remembered */
    volume_delete(&f);
    ck_assert_float_eq_tol(run_memo(ctx, &f, scratch, memo), 0.9f, 1e-6);
    ck_assert_str_eq(f.reason,
                     "credential railway-token provisioned for "
                     "'custom-domain management' used for volume:delete "
                     "(destructive)");
  }
  /* Same credential id, a purpose that fits the volume. */
  volume_delete(&f);
  f.op.credential.purpose = SR_STR_LIT("volume cleanup");
  ck_assert_float_eq(run_memo(ctx, &f, scratch, memo), 0.0f);
  /* A scope naming the resource fits whatever the purpose says. */
  volume_delete(&f);
  f.scopes[0] = SR_STR_LIT("volume:delete");
  ck_assert_float_eq(run_memo(ctx, &f, scratch, memo), 0.0f);
  /* Only the resource changes: it now fits the purpose. */
  volume_delete(&f);
  f.op.resource = "domain";
  ck_assert_float_eq(run_memo(ctx, &f, scratch, memo), 0.0f);
  /* Only the needed scope changes. */
  volume_delete(&f);
  f.op.resource = NULL;
  ck_assert_float_eq_tol(run_memo(ctx, &f, scratch, memo), 0.9f, 1e-6);
  f.op.needed_scope = "domain:delete";
  ck_assert_float_eq(run_memo(ctx, &f, scratch, memo), 0.0f);
  /* Only the tool name fits: rule and resource say nothing. */
  volume_delete(&f);
  f.op.resource = NULL;
  f.op.needed_scope = "x:delete";
  f.op.rule = NULL;
  f.ev.tool = SR_STR_LIT("railway.customDomainDelete");
  ck_assert_float_eq(run_memo(ctx, &f, scratch, memo), 0.0f);
  f.ev.tool = SR_STR_LIT("railway.thingDelete");
  ck_assert_float_eq_tol(run_memo(ctx, &f, scratch, memo), 0.9f, 1e-6);
  /* Only the rule changes, and fits. */
  f.op.rule = "graphql.thingDelete";
  ck_assert_float_eq_tol(run_memo(ctx, &f, scratch, memo), 0.9f, 1e-6);
  f.op.rule = "graphql.customDomainDelete";
  ck_assert_float_eq(run_memo(ctx, &f, scratch, memo), 0.0f);
  /* And back: the first answer is still right. */
  volume_delete(&f);
  ck_assert_float_eq_tol(run_memo(ctx, &f, scratch, memo), 0.9f, 1e-6);
  free(scratch);
  det->thread_destroy(memo);
  det->destroy(ctx);
}
END_TEST

START_TEST(config_sets_scores_and_rejects_typos) {
  char err[512];
  struct sr_conf *conf = sr_conf_load_string(
      "found: 0.5\nfound_and_misused: 0.99\nscan_results: false\n", "t.yaml",
      err, sizeof(err));
  ck_assert_msg(conf, "%s", err);
  void *ctx = det->init(sr_conf_root(conf), err, sizeof(err));
  ck_assert_msg(ctx, "%s", err);
  void *scratch = new_scratch();
  struct fixture f;
  file_read(&f, "scripts/setup.sh", "railway-token");
  run(ctx, &f, scratch);
  volume_delete(&f);
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.99f, 1e-6);
  add_custom_domain(&f);
  ck_assert_float_eq_tol(run(ctx, &f, scratch), 0.5f, 1e-6);
  /* scan_results off: results are not read. */
  void *other = new_scratch();
  memset(&f, 0, sizeof(f));
  f.ev.type = SR_EV_TOOL_CALL;
  f.ev.phase = SR_PHASE_COMPLETED;
  f.ev.tool = SR_STR_LIT("Bash");
  f.ev.result = SR_STR_LIT("RAILWAY_TOKEN=x\n");
  run(ctx, &f, other);
  add_custom_domain(&f);
  ck_assert_float_eq(run(ctx, &f, other), 0.0f);
  free(other);
  free(scratch);
  det->destroy(ctx);
  sr_conf_destroy(conf);

  conf = sr_conf_load_string("threshold: 0.5\nfuond: 0.5\n", "t.yaml", err,
                             sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:2") && strstr(err, "fuond"), "%s", err);
  sr_conf_destroy(conf);
  conf =
      sr_conf_load_string("purpose_mismatch: 2\n", "t.yaml", err, sizeof(err));
  ck_assert_ptr_null(det->init(sr_conf_root(conf), err, sizeof(err)));
  ck_assert_msg(strstr(err, "t.yaml:1") && strstr(err, "purpose_mismatch"),
                "%s", err);
  sr_conf_destroy(conf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("credential_misuse");
  TCase *tc = tcase_create("score");
  tcase_add_test(tc, pocketos_found_domain_token_used_for_volume_delete);
  tcase_add_test(tc, handed_domain_token_adding_a_domain_is_fine);
  tcase_add_test(tc, purpose_mismatch_without_finding);
  tcase_add_test(tc, environment_outside_the_credentials);
  tcase_add_test(tc, found_in_a_tool_result_never_keeps_the_value);
  tcase_add_test(tc, assignment_shapes_in_results);
  tcase_add_test(tc, secret_name_parts_in_any_case_anywhere);
  tcase_add_test(tc, found_list_is_bounded_oldest_forgotten);
  tcase_add_test(tc, purpose_memo_never_returns_a_stale_fit);
  tcase_add_test(tc, config_sets_scores_and_rejects_typos);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
