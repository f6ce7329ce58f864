/*
 * Tests of aggregator/policy.c: from (stacked risk, depth, this event's
 * scores, where it acts) to ALLOW/ESCALATE/BLOCK/KILL. What operators rely
 * on: one failing layer alone is survivable and stacked layers are not
 * (default tiers); the built-in hard rules catch a destructive production
 * call with a misused credential, or in a read-only session, by name; a read
 * is not blocked for what came before it, but a session past the kill line
 * is killed whatever the event; configured rules replace the defaults; and a
 * mistake in the policy section is refused with its file, line and key.
 *
 * The detector set is the real one, built from YAML, so dimension names and
 * indices are those of the registry.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/policy.h"
#include "core/config.h"
#include "detectors/registry.h"

/* Building the detector set compiles the catalogue's patterns, which takes
 * seconds; it is built once in main() and inherited by every forked test.
 * No test here configures detectors, so one set serves them all. */
static struct sr_detectors *dets;

struct fx {
  struct sr_conf *conf;
  struct sr_policy *p;
  float scores[SR_DIM_MAX];
  struct sr_op op;
  char rule[SR_RULE_MAX];
};

/* Builds the policy from yaml (NULL: no config at all). The conf stays
 * alive as long as the policy: rule names are borrowed from it. */
static void fx_init(struct fx *f, const char *yaml) {
  char err[512] = "";
  memset(f, 0, sizeof *f);
  const struct sr_conf_node *root = NULL;
  if (yaml) {
    f->conf = sr_conf_load_string(yaml, "t.yaml", err, sizeof err);
    ck_assert_msg(f->conf != NULL, "yaml: %s", err);
    root = sr_conf_root(f->conf);
  }
  f->p = sr_policy_create(root, dets, err, sizeof err);
  ck_assert_msg(f->p != NULL, "policy: %s", err);
}

static void fx_free(struct fx *f) {
  sr_policy_destroy(f->p);
  sr_conf_destroy(f->conf);
}

/* Clears this event's scores and sets where it acts. */
static void event(struct fx *f, const char *env) {
  memset(f->scores, 0, sizeof f->scores);
  memset(&f->op, 0, sizeof f->op);
  f->op.environment = sr_str_from(env);
}

static void score(struct fx *f, const char *dim, float s) {
  int d = sr_detectors_find(dets, dim);
  ck_assert_msg(d >= 0, "no dimension %s", dim);
  f->scores[d] = s;
}

static enum sr_action decide(struct fx *f, double risk, uint32_t depth,
                             bool contributes) {
  uint32_t scored = 0;
  for (size_t i = 0; i < sr_detectors_count(dets); i++)
    if (f->scores[i] > 0) scored |= 1u << i;
  struct sr_policy_input in = {risk, depth, f->scores, &f->op, contributes,
                               scored};
  return sr_policy_decide(f->p, &in, f->rule, sizeof f->rule);
}

/* R of n dimensions at s with weight 1. */
static double stack(int n, double s) {
  return pow(1.0 + s, n) - 1.0;
}

/* Policy creation that must fail; returns the message. */
static const char *create_fails(const char *yaml, char *err, size_t errlen) {
  struct sr_conf *conf = sr_conf_load_string(yaml, "t.yaml", err, errlen);
  ck_assert_msg(conf != NULL, "yaml: %s", err);
  err[0] = '\0';
  struct sr_policy *p = sr_policy_create(sr_conf_root(conf), dets, err, errlen);
  ck_assert_msg(p == NULL, "policy accepted:\n%s", yaml);
  ck_assert_str_ne(err, "");
  sr_conf_destroy(conf);
  return err;
}

#define ASSERT_ERR(yaml, want)                                            \
  do {                                                                    \
    char err_[512];                                                       \
    const char *got_ = create_fails(yaml, err_, sizeof err_);             \
    ck_assert_msg(strstr(got_, want) != NULL, "error\n  %s\nlacks\n  %s", \
                  got_, want);                                            \
  } while (0)

/* ---------------------------------------------------------------- tiers */

START_TEST(one_layer_is_survivable) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "production");
  score(&f, "scope_inflation", 1.0f);
  ck_assert_int_eq(decide(&f, stack(1, 1.0), 1, true), SR_ACTION_NONE);
  ck_assert_str_eq(f.rule, "");
  /* However high R is, depth 1 does not reach the escalate tier. */
  ck_assert_int_eq(decide(&f, 50.0, 1, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(two_layers_escalate) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "staging");
  score(&f, "scope_inflation", 0.5f);
  score(&f, "boundary", 0.5f);
  ck_assert_int_eq(decide(&f, stack(2, 0.5), 2, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "tier.escalate");
  /* The bounds are inclusive: R = 1.0 escalates, just below does not. */
  ck_assert_int_eq(decide(&f, 1.0, 2, true), SR_ACTION_ESCALATE);
  ck_assert_int_eq(decide(&f, 0.999, 2, true), SR_ACTION_NONE);
  ck_assert_str_eq(f.rule, "");
  /* Two weak layers (R < 1) are not enough. */
  ck_assert_int_eq(decide(&f, stack(2, 0.4), 2, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(three_layers_block) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "staging");
  ck_assert_int_eq(decide(&f, stack(3, 0.9), 3, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "tier.block");
  ck_assert_int_eq(decide(&f, 2.5, 3, true), SR_ACTION_BLOCK);
  /* Depth 3 but R below 2.5: escalate only. */
  ck_assert_int_eq(decide(&f, 2.49, 3, true), SR_ACTION_ESCALATE);
  /* Huge R on two layers: still escalate, depth gates block. */
  ck_assert_int_eq(decide(&f, 100.0, 2, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "tier.escalate");
  fx_free(&f);
}
END_TEST

START_TEST(five_layers_kill) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "staging");
  ck_assert_int_eq(decide(&f, stack(5, 0.6), 5, true), SR_ACTION_KILL);
  ck_assert_str_eq(f.rule, "tier.kill");
  ck_assert_int_eq(decide(&f, 8.0, 5, true), SR_ACTION_KILL);
  ck_assert_int_eq(decide(&f, 7.99, 5, true), SR_ACTION_BLOCK);
  ck_assert_int_eq(decide(&f, 50.0, 4, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "tier.block");
  fx_free(&f);
}
END_TEST

START_TEST(non_contributing_event_only_killed) {
  /* A read in a session that once scored high is not escalated or blocked
   * for what came before it; a session past the kill line still dies. */
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "production");
  ck_assert_int_eq(decide(&f, stack(2, 0.8), 2, false), SR_ACTION_NONE);
  ck_assert_int_eq(decide(&f, stack(3, 0.9), 3, false), SR_ACTION_NONE);
  ck_assert_str_eq(f.rule, "");
  ck_assert_int_eq(decide(&f, stack(3, 0.9), 3, true), SR_ACTION_BLOCK);
  ck_assert_int_eq(decide(&f, stack(5, 0.6), 5, false), SR_ACTION_KILL);
  ck_assert_str_eq(f.rule, "tier.kill");
  fx_free(&f);
}
END_TEST

/* -------------------------------------------------------- default rules */

START_TEST(destructive_production_misused_credential_blocks) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  score(&f, "credential_misuse", 0.6f);
  double r = (1 + 0.95) * (1 + 0.6) - 1; /* 2.12, depth 2: tier escalates */
  ck_assert_int_eq(decide(&f, r, 2, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "destructive-production-misused-credential");
  /* Even when the session's stack is shallow (the rule is on the event). */
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "destructive-production-misused-credential");

  /* scope_inflation >= 0.66 stands in for credential_misuse. */
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  score(&f, "scope_inflation", 0.7f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "destructive-production-misused-credential");
  /* ... but not below its minimum. */
  score(&f, "scope_inflation", 0.6f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "destructive-production-needs-approval");
  /* credential_misuse just under 0.5 does not count either. */
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  score(&f, "credential_misuse", 0.49f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_ESCALATE);
  fx_free(&f);
}
END_TEST

START_TEST(production_rules_match_any_spelling_of_production) {
  /* Harnesses write "Production", "prod", "prd", "live"; the detectors
   * canonicalise them (detectors/env.h), so the rules must as well, or the
   * PocketOS call reported as "prod" scores destructive 0.95 and gets away
   * with the escalate tier. */
  static const char *const spellings[] = {
      "production", "Production", "PRODUCTION",  "prod",
      "prd",        "live",       " production "};
  struct fx f;
  fx_init(&f, NULL);
  for (size_t i = 0; i < SR_ARRAY_LEN(spellings); i++) {
    event(&f, spellings[i]);
    score(&f, "destructive", 0.95f);
    score(&f, "credential_misuse", 0.6f);
    enum sr_action a = decide(&f, 0.0, 0, true);
    ck_assert_msg(
        a == SR_ACTION_BLOCK &&
            strcmp(f.rule, "destructive-production-misused-credential") == 0,
        "environment '%s': %s by '%s'", spellings[i], sr_action_name(a),
        f.rule);
    event(&f, spellings[i]);
    score(&f, "destructive", 0.95f);
    a = decide(&f, 0.0, 0, true);
    ck_assert_msg(
        a == SR_ACTION_ESCALATE &&
            strcmp(f.rule, "destructive-production-needs-approval") == 0,
        "environment '%s': %s by '%s'", spellings[i], sr_action_name(a),
        f.rule);
  }
  fx_free(&f);
}
END_TEST

START_TEST(staging_is_not_the_production_rule) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "staging"); /* rm -rf / there: 1.0 x staging's 0.6 */
  score(&f, "destructive", 0.6f);
  score(&f, "credential_misuse", 0.6f);
  double r = (1 + 0.6) * (1 + 0.6) - 1;
  ck_assert_int_eq(decide(&f, r, 2, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "tier.escalate");
  /* Alone (no stack), nothing applies on staging. */
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  /* Nor the production rules when the environment is not known. */
  event(&f, NULL);
  score(&f, "destructive", 0.7f);
  score(&f, "credential_misuse", 0.6f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(catastrophic_needs_approval_where_not_known_safe) {
  /* A harness that declares no environment (a Claude Code hook) leaves
   * destructive weighing every call 0.8: `rm -rf /` (1.0) scores 0.8,
   * `kubectl delete namespace` or `terraform destroy` (0.95) 0.95 x 0.8,
   * which in float is just under 0.76. */
  struct fx f;
  fx_init(&f, NULL);
  const float unknown = 0.8f, staging = 0.6f;
  event(&f, NULL);
  score(&f, "destructive", 1.0f * unknown);
  ck_assert_int_eq(decide(&f, 0.8, 1, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "catastrophic-needs-approval");
  score(&f, "destructive", 0.95f * unknown);
  ck_assert_int_eq(decide(&f, 0.76, 1, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "catastrophic-needs-approval");
  /* Every pod of a namespace (0.9), a snapshot (0.85): below. */
  score(&f, "destructive", 0.9f * unknown);
  ck_assert_int_eq(decide(&f, 0.72, 1, true), SR_ACTION_NONE);
  /* The same wipe on staging is a chore. */
  event(&f, "staging");
  score(&f, "destructive", 1.0f * staging);
  ck_assert_int_eq(decide(&f, 0.6, 1, true), SR_ACTION_NONE);
  /* On production the production rule names it. */
  event(&f, "production");
  score(&f, "destructive", 1.0f);
  ck_assert_int_eq(decide(&f, 1.0, 1, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "destructive-production-needs-approval");
  fx_free(&f);
}
END_TEST

START_TEST(destructive_production_alone_needs_approval) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  ck_assert_int_eq(decide(&f, 0.95, 1, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "destructive-production-needs-approval");
  /* Deleting a snapshot, a backup or an instance (0.85) needs approval
   * too: the backups are what PocketOS lost with its volume. */
  score(&f, "destructive", 0.85f);
  ck_assert_int_eq(decide(&f, 0.85, 1, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "destructive-production-needs-approval");
  score(&f, "destructive", 0.8f); /* inclusive */
  ck_assert_int_eq(decide(&f, 0.8, 1, true), SR_ACTION_ESCALATE);
  /* Below: a pod, one object, a rewrite of a column. */
  score(&f, "destructive", 0.7f);
  ck_assert_int_eq(decide(&f, 0.7, 1, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(destructive_in_read_only_session_blocks) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "staging");
  score(&f, "destructive", 0.6f);
  score(&f, "mode_violation", 1.0f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "destructive-in-read-only-session");
  /* Any environment, known or not. */
  event(&f, NULL);
  score(&f, "destructive", 0.6f);
  score(&f, "mode_violation", 1.0f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_BLOCK);
  /* A write (mode_violation 0.8) is not this rule, nor is a harmless
   * destructive score. */
  score(&f, "mode_violation", 0.8f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  score(&f, "mode_violation", 1.0f);
  score(&f, "destructive", 0.4f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(stronger_decision_wins) {
  struct fx f;
  fx_init(&f, NULL);
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  /* needs-approval (ESCALATE) on a session at the block tier: BLOCK. */
  ck_assert_int_eq(decide(&f, stack(3, 0.9), 3, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "tier.block");
  /* misused-credential (BLOCK) on a session past the kill line: KILL. */
  score(&f, "credential_misuse", 0.9f);
  ck_assert_int_eq(decide(&f, stack(5, 0.9), 5, true), SR_ACTION_KILL);
  ck_assert_str_eq(f.rule, "tier.kill");
  fx_free(&f);
}
END_TEST

/* ------------------------------------------------------ configured policy */

START_TEST(configured_rules_replace_defaults) {
  struct fx f;
  fx_init(&f,
          "policy:\n"
          "  rules:\n"
          "    - name: staging-drop-with-foreign-token\n"
          "      action: block\n"
          "      environment: staging\n"
          "      all: {destructive: 0.5}\n"
          "      any: {credential_misuse: 0.5, boundary: 0.5}\n"
          "    - name: any-mode-violation\n"
          "      action: KILL\n"
          "      any: {mode_violation: 0.8}\n");
  /* The default production rule is gone. */
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  score(&f, "credential_misuse", 0.6f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  ck_assert_int_eq(decide(&f, 2.12, 2, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "tier.escalate");

  /* The configured one: all-terms and one any-term. */
  event(&f, "staging");
  score(&f, "destructive", 0.5f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  score(&f, "boundary", 0.5f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_BLOCK);
  ck_assert_str_eq(f.rule, "staging-drop-with-foreign-token");
  event(&f, "staging");
  score(&f, "credential_misuse", 0.9f);
  score(&f, "boundary", 0.9f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE); /* all unmet */
  event(&f, "development");
  score(&f, "destructive", 0.9f);
  score(&f, "boundary", 0.9f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE); /* wrong env */

  /* A rule without environment applies everywhere; KILL is allowed. */
  event(&f, NULL);
  score(&f, "mode_violation", 0.8f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_KILL);
  ck_assert_str_eq(f.rule, "any-mode-violation");
  fx_free(&f);
}
END_TEST

START_TEST(configured_rule_environment_alias) {
  /* The catalogue hands the policy canonical names ("production"); an
   * operator may write the rule with any alias the detectors accept. A rule
   * that silently never matches is the worst outcome of a policy file. */
  struct fx f;
  fx_init(&f,
          "policy:\n"
          "  rules:\n"
          "    - name: prod-delete\n"
          "      action: BLOCK\n"
          "      environment: prod\n"
          "      all: {destructive: 0.9}\n");
  event(&f, "production");
  score(&f, "destructive", 0.95f);
  enum sr_action a = decide(&f, 0.0, 0, true);
  ck_assert_msg(a == SR_ACTION_BLOCK, "rule for 'prod' on 'production': %s",
                sr_action_name(a));
  ck_assert_str_eq(f.rule, "prod-delete");
  event(&f, "staging");
  score(&f, "destructive", 0.95f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

/* A rule whose minimums are all 0 asks only where the event acts: it
 * applies to an event that scored nothing, at no risk, as the operator
 * wrote it. */
START_TEST(rule_without_a_minimum_applies_to_unscored_events) {
  struct fx f;
  fx_init(&f,
          "policy:\n"
          "  rules:\n"
          "    - name: prod-needs-destructive\n"
          "      action: ESCALATE\n"
          "      all: {destructive: 0.9}\n"
          "      environment: production\n"
          "    - name: nothing-on-prod\n"
          "      action: ESCALATE\n"
          "      environment: prod\n"
          "      any: {destructive: 0}\n");
  event(&f, "production");
  ck_assert_int_eq(decide(&f, 0.0, 0, false), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "nothing-on-prod");
  event(&f, "staging");
  ck_assert_int_eq(decide(&f, 0.0, 0, false), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(empty_rule_list_disables_rules) {
  struct fx f;
  fx_init(&f, "policy:\n  rules: []\n");
  event(&f, "production");
  score(&f, "destructive", 1.0f);
  score(&f, "credential_misuse", 1.0f);
  ck_assert_int_eq(decide(&f, 0.0, 0, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

START_TEST(configured_tiers) {
  struct fx f;
  fx_init(&f,
          "policy:\n"
          "  escalate: {risk: 0.5, depth: 1}\n"
          "  block: {risk: 1.5}\n"
          "  kill: {depth: 4}\n");
  event(&f, "staging");
  ck_assert_int_eq(decide(&f, 0.6, 1, true), SR_ACTION_ESCALATE);
  ck_assert_int_eq(decide(&f, 0.4, 1, true), SR_ACTION_NONE);
  /* block keeps its default depth 3; kill its default risk 8. */
  ck_assert_int_eq(decide(&f, 1.5, 2, true), SR_ACTION_ESCALATE);
  ck_assert_int_eq(decide(&f, 1.5, 3, true), SR_ACTION_BLOCK);
  ck_assert_int_eq(decide(&f, 8.0, 4, true), SR_ACTION_KILL);
  ck_assert_int_eq(decide(&f, 7.9, 4, true), SR_ACTION_BLOCK);
  fx_free(&f);
}
END_TEST

START_TEST(command_ttl) {
  struct fx f;
  fx_init(&f, NULL);
  ck_assert_int_eq(sr_policy_ttl_ms(f.p), 300000);
  fx_free(&f);
  fx_init(&f, "policy:\n  command_ttl_s: 45\n");
  ck_assert_int_eq(sr_policy_ttl_ms(f.p), 45000);
  fx_free(&f);
  ASSERT_ERR("policy:\n  command_ttl_s: 0\n", "t.yaml:2: policy.command_ttl_s");
  ASSERT_ERR("policy:\n  command_ttl_s: 86401\n", "t.yaml:2:");
  ASSERT_ERR("policy:\n  command_ttl_s: soon\n", "expected an integer");
}
END_TEST

START_TEST(config_errors_name_the_line) {
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: r1\n"
      "      action: BLOCK\n"
      "      all:\n"
      "        destructiv: 0.9\n",
      "t.yaml:6: policy.rules[0].all.destructiv: unknown dimension "
      "'destructiv'");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: let-it-through\n"
      "      action: ALLOW\n"
      "      all: {destructive: 0.9}\n",
      "t.yaml:4: policy.rules[0].action: 'ALLOW' is not ESCALATE, BLOCK or "
      "KILL");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: typo\n"
      "      action: BLOK\n"
      "      all: {destructive: 0.9}\n",
      "t.yaml:4: policy.rules[0].action: 'BLOK' is not ESCALATE, BLOCK or "
      "KILL");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: no-action\n"
      "      all: {destructive: 0.9}\n",
      "t.yaml:3: policy.rules[0]: a rule needs an action: ESCALATE, BLOCK or "
      "KILL");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: ok\n"
      "      action: BLOCK\n"
      "      all: {destructive: 0.9}\n"
      "    - name: empty\n"
      "      action: BLOCK\n"
      "      environment: production\n",
      "t.yaml:6: policy.rules[1]: a rule needs at least one dimension in "
      "all/any");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - action: BLOCK\n"
      "      all: {destructive: 0.9}\n",
      "t.yaml:3: policy.rules[0]: a rule needs a name");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: r\n"
      "      action: BLOCK\n"
      "      all: {destructive: 1.5}\n",
      "t.yaml:5: policy.rules[0].all.destructive:");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: r\n"
      "      action: BLOCK\n"
      "      all: [destructive]\n",
      "t.yaml:5: policy.rules[0].all: expected a map");
  ASSERT_ERR(
      "policy:\n"
      "  rules:\n"
      "    - name: r\n"
      "      action: BLOCK\n"
      "      when: {destructive: 0.9}\n",
      "t.yaml:5: policy.rules[0].when: unknown key 'when'");
  ASSERT_ERR("policy:\n  rules: {name: r}\n",
             "t.yaml:2: policy.rules: expected a list of rules");
  ASSERT_ERR("policy:\n  block: 5\n",
             "t.yaml:2: policy.block: expected a map with risk and depth");
  ASSERT_ERR("policy:\n  block: {risk: high}\n",
             "t.yaml:2: policy.block.risk: expected a number");
  ASSERT_ERR("policy:\n  kill: {risk: 8, depth: 99}\n",
             "t.yaml:2: policy.kill.depth:");
  ASSERT_ERR("policy:\n  escalate: {risk: 1, dpeth: 2}\n",
             "unknown key 'dpeth'");
  ASSERT_ERR("policy:\n  escalte: {risk: 1, depth: 2}\n",
             "t.yaml:2: policy.escalte: unknown key 'escalte'");
  ASSERT_ERR("policy: [1, 2]\n", "t.yaml:1: policy: expected a map");
}
END_TEST

START_TEST(too_many_rules) {
  char yaml[8192] = "policy:\n  rules:\n";
  size_t n = strlen(yaml);
  for (int i = 0; i <= SR_POLICY_RULES_MAX; i++)
    n += (size_t)snprintf(yaml + n, sizeof yaml - n,
                          "    - {name: r%d, action: BLOCK, all: "
                          "{destructive: 0.9}}\n",
                          i);
  ASSERT_ERR(yaml, "t.yaml:2: policy.rules: at most 32 rules");
}
END_TEST

START_TEST(secret_sent_out_needs_approval) {
  /* A Claude Code hook declares nothing: one call that sends
   * ~/.aws/credentials to a host is one layer, under the tiers. */
  struct fx f;
  fx_init(&f, NULL);
  event(&f, NULL);
  score(&f, "secret_exposure", 0.9f);
  ck_assert_int_eq(decide(&f, 0.9, 1, true), SR_ACTION_ESCALATE);
  ck_assert_str_eq(f.rule, "secret-sent-out-needs-approval");
  /* A key pasted into a command's arguments (0.7) is not sent anywhere. */
  score(&f, "secret_exposure", 0.7f);
  ck_assert_int_eq(decide(&f, 0.7, 1, true), SR_ACTION_NONE);
  fx_free(&f);
}
END_TEST

int main(void) {
  char err[512];
  dets = sr_detectors_create(NULL, err, sizeof err);
  if (!dets) {
    fprintf(stderr, "detectors: %s\n", err);
    return 1;
  }
  Suite *s = suite_create("policy");
  TCase *tc = tcase_create("tiers");
  tcase_add_test(tc, one_layer_is_survivable);
  tcase_add_test(tc, two_layers_escalate);
  tcase_add_test(tc, three_layers_block);
  tcase_add_test(tc, five_layers_kill);
  tcase_add_test(tc, non_contributing_event_only_killed);
  suite_add_tcase(s, tc);
  tc = tcase_create("default_rules");
  tcase_add_test(tc, destructive_production_misused_credential_blocks);
  tcase_add_test(tc, production_rules_match_any_spelling_of_production);
  tcase_add_test(tc, staging_is_not_the_production_rule);
  tcase_add_test(tc, catastrophic_needs_approval_where_not_known_safe);
  tcase_add_test(tc, destructive_production_alone_needs_approval);
  tcase_add_test(tc, destructive_in_read_only_session_blocks);
  tcase_add_test(tc, stronger_decision_wins);
  suite_add_tcase(s, tc);
  tc = tcase_create("config");
  tcase_add_test(tc, configured_rules_replace_defaults);
  tcase_add_test(tc, configured_rule_environment_alias);
  tcase_add_test(tc, empty_rule_list_disables_rules);
  tcase_add_test(tc, rule_without_a_minimum_applies_to_unscored_events);
  tcase_add_test(tc, configured_tiers);
  tcase_add_test(tc, command_ttl);
  tcase_add_test(tc, config_errors_name_the_line);
  tcase_add_test(tc, too_many_rules);
  tcase_add_test(tc, secret_sent_out_needs_approval);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  sr_detectors_destroy(dets);
  return failed != 0;
}
