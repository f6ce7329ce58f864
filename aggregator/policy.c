/*
 * Policy tiers and hard rules (see policy.h for the model).
 *
 * Defaults, chosen so that one failing layer is survivable and stacked ones
 * are not:
 *   escalate: R >= 1.0 and depth >= 2
 *   block:    R >= 2.5 and depth >= 3
 *   kill:     R >= 8.0 and depth >= 5
 *   rules:
 *     destructive-production-misused-credential  BLOCK
 *         environment production, destructive >= 0.9,
 *         any of credential_misuse >= 0.5, scope_inflation >= 0.66
 *     destructive-in-read-only-session           BLOCK
 *         destructive >= 0.5 and mode_violation >= 0.9
 *     destructive-production-needs-approval      ESCALATE
 *         environment production, destructive >= 0.8 (the catalogue's
 *         irreversible loss of a whole resource: snapshots and backups,
 *         instances, volumes, buckets, tables, not a pod or one object)
 *     catastrophic-needs-approval                ESCALATE
 *         destructive >= 0.75, any environment: wiping a root, a home,
 *         the working directory, a filesystem, a database, a bucket, a
 *         repository, a project, a cluster or a stack (severity 0.95-1.0)
 *         where the environment is not known (destructive weighs it 0.8,
 *         as a harness that declares none, such as a Claude Code hook,
 *         leaves every call); in staging (0.6) or development (0.4) the
 *         same stays below
 *     secret-sent-out-needs-approval             ESCALATE
 *         secret_exposure >= 0.9, any environment: a secret file or store
 *         sent off the machine by one call (0.9), a secret read earlier
 *         sent to an undeclared host (0.95); one layer, but a leaked key
 *         cannot be taken back
 * A `policy.rules` list in the config replaces the default rules.
 */
#include "aggregator/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "core/sr.h"
#include "detectors/env.h"

struct term {
  int dim;
  float min;
};

struct rule {
  const char *name; /* borrowed from config or static */
  size_t name_len;  /* strlen(name), copied per decision */
  enum sr_action action;
  const char *environment; /* NULL = any */
  struct term all[SR_POLICY_TERMS_MAX];
  struct term any[SR_POLICY_TERMS_MAX];
  size_t n_all, n_any;
  uint32_t need; /* dimensions of `all` terms with a minimum above 0 */
};

struct tier {
  enum sr_action action;
  double risk;
  long long depth;
};

struct sr_policy {
  struct tier tiers[3]; /* escalate, block, kill */
  struct rule rules[SR_POLICY_RULES_MAX];
  size_t n_rules;
  int64_t ttl_ms;
  /* Short cuts for the events nothing applies to, most of them: below
   * every tier's risk no tier fires; when every rule needs a dimension
   * and the event scored none of them, no rule does. */
  double min_tier_risk;
  uint32_t rules_need;     /* union of the rules' `need` */
  bool every_rule_needs;   /* no rule has need 0 */
};

static int read_tier(const struct sr_conf_node *policy, const char *key,
                     struct tier *t, char *err, size_t errlen) {
  static const char *const keys[] = {"risk", "depth", NULL};
  const struct sr_conf_node *n = sr_conf_get(policy, key);
  if (n && sr_conf_kind(n) != SR_CONF_MAP)
    return sr_conf_error(n, err, errlen, "expected a map with risk and depth");
  if (sr_conf_check_keys(n, keys, err, errlen) ||
      sr_conf_get_double(n, "risk", t->risk, 0, 1e9, &t->risk, err, errlen) ||
      sr_conf_get_int(n, "depth", t->depth, 0, SR_DIM_MAX, &t->depth, err,
                      errlen))
    return SR_EINVAL;
  return SR_OK;
}

static int read_terms(const struct sr_conf_node *rule, const char *key,
                      const struct sr_detectors *dets, struct term *terms,
                      size_t *n, char *err, size_t errlen) {
  const struct sr_conf_node *m = sr_conf_get(rule, key);
  *n = 0;
  if (!m) return SR_OK;
  if (sr_conf_kind(m) != SR_CONF_MAP)
    return sr_conf_error(m, err, errlen,
                         "expected a map of dimension: minimum score");
  if (sr_conf_len(m) > SR_POLICY_TERMS_MAX)
    return sr_conf_error(m, err, errlen, "at most %d dimensions",
                         SR_POLICY_TERMS_MAX);
  for (size_t i = 0; i < sr_conf_len(m); i++) {
    const char *dim = sr_conf_key_at(m, i);
    int d = sr_detectors_find(dets, dim);
    if (d < 0)
      return sr_conf_error(sr_conf_at(m, i), err, errlen,
                           "unknown dimension '%s'", dim);
    double v;
    if (sr_conf_get_double(m, dim, 0, 0, 1, &v, err, errlen)) return SR_EINVAL;
    terms[(*n)++] = (struct term){d, (float)v};
  }
  return SR_OK;
}

static int read_rules(const struct sr_conf_node *list,
                      const struct sr_detectors *dets, struct sr_policy *p,
                      char *err, size_t errlen) {
  static const char *const keys[] = {"name", "action", "environment",
                                     "all",  "any",    NULL};
  if (sr_conf_kind(list) != SR_CONF_LIST)
    return sr_conf_error(list, err, errlen, "expected a list of rules");
  if (sr_conf_len(list) > SR_POLICY_RULES_MAX)
    return sr_conf_error(list, err, errlen, "at most %d rules",
                         SR_POLICY_RULES_MAX);
  p->n_rules = 0;
  for (size_t i = 0; i < sr_conf_len(list); i++) {
    const struct sr_conf_node *n = sr_conf_at(list, i);
    struct rule *r = &p->rules[p->n_rules++];
    const char *action = NULL;
    if (sr_conf_kind(n) != SR_CONF_MAP)
      return sr_conf_error(n, err, errlen, "expected a rule (a map)");
    if (sr_conf_check_keys(n, keys, err, errlen) ||
        sr_conf_get_string(n, "name", NULL, &r->name, err, errlen) ||
        sr_conf_get_string(n, "action", NULL, &action, err, errlen) ||
        sr_conf_get_string(n, "environment", NULL, &r->environment, err,
                           errlen) ||
        read_terms(n, "all", dets, r->all, &r->n_all, err, errlen) ||
        read_terms(n, "any", dets, r->any, &r->n_any, err, errlen))
      return SR_EINVAL;
    if (!r->name) return sr_conf_error(n, err, errlen, "a rule needs a name");
    if (!action)
      return sr_conf_error(n, err, errlen,
                           "a rule needs an action: ESCALATE, BLOCK or KILL");
    if (sr_action_parse(action, &r->action) || r->action == SR_ACTION_ALLOW)
      return sr_conf_error(sr_conf_get(n, "action"), err, errlen,
                           "'%s' is not ESCALATE, BLOCK or KILL", action);
    if (r->n_all + r->n_any == 0)
      return sr_conf_error(n, err, errlen,
                           "a rule needs at least one dimension in all/any");
  }
  return SR_OK;
}

/* Adds a built-in rule; dimensions missing from the registry (disabled at
 * build time) make the rule inert rather than an error. */
static void add_default_rule(struct sr_policy *p,
                             const struct sr_detectors *dets, const char *name,
                             enum sr_action action, const char *env,
                             const char *all_dim, float all_min,
                             const char *const *any_dims,
                             const float *any_mins, size_t n_any) {
  struct rule *r = &p->rules[p->n_rules];
  *r = (struct rule){.name = name, .action = action, .environment = env};
  int d = sr_detectors_find(dets, all_dim);
  if (d < 0) return;
  r->all[r->n_all++] = (struct term){d, all_min};
  for (size_t i = 0; i < n_any; i++) {
    int a = sr_detectors_find(dets, any_dims[i]);
    if (a >= 0) r->any[r->n_any++] = (struct term){a, any_mins[i]};
  }
  if (n_any && !r->n_any) return;
  p->n_rules++;
}

static void default_rules(struct sr_policy *p,
                          const struct sr_detectors *dets) {
  static const char *const cred[] = {"credential_misuse", "scope_inflation"};
  static const float cred_min[] = {0.5f, 0.66f};
  static const char *const mode[] = {"mode_violation"};
  static const float mode_min[] = {0.9f};
  add_default_rule(p, dets, "destructive-production-misused-credential",
                   SR_ACTION_BLOCK, "production", "destructive", 0.9f, cred,
                   cred_min, 2);
  add_default_rule(p, dets, "destructive-in-read-only-session",
                   SR_ACTION_BLOCK, NULL, "destructive", 0.5f, mode, mode_min,
                   1);
  add_default_rule(p, dets, "destructive-production-needs-approval",
                   SR_ACTION_ESCALATE, "production", "destructive", 0.8f, NULL,
                   NULL, 0);
  add_default_rule(p, dets, "catastrophic-needs-approval", SR_ACTION_ESCALATE,
                   NULL, "destructive", 0.75f, NULL, NULL, 0);
  add_default_rule(p, dets, "secret-sent-out-needs-approval",
                   SR_ACTION_ESCALATE, NULL, "secret_exposure", 0.9f, NULL,
                   NULL, 0);
}

struct sr_policy *sr_policy_create(const struct sr_conf_node *root,
                                   const struct sr_detectors *dets, char *err,
                                   size_t errlen) {
  static const char *const keys[] = {"escalate", "block",         "kill",
                                     "rules",    "command_ttl_s", NULL};
  struct sr_policy *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->tiers[0] = (struct tier){SR_ACTION_ESCALATE, 1.0, 2};
  p->tiers[1] = (struct tier){SR_ACTION_BLOCK, 2.5, 3};
  p->tiers[2] = (struct tier){SR_ACTION_KILL, 8.0, 5};
  const struct sr_conf_node *policy = sr_conf_get(root, "policy");
  long long ttl_s = 300;
  if (sr_conf_check_keys(policy, keys, err, errlen) ||
      read_tier(policy, "escalate", &p->tiers[0], err, errlen) ||
      read_tier(policy, "block", &p->tiers[1], err, errlen) ||
      read_tier(policy, "kill", &p->tiers[2], err, errlen) ||
      sr_conf_get_int(policy, "command_ttl_s", ttl_s, 1, 86400, &ttl_s, err,
                      errlen))
    goto fail;
  p->ttl_ms = ttl_s * 1000;
  const struct sr_conf_node *rules = sr_conf_get(policy, "rules");
  if (rules) {
    if (read_rules(rules, dets, p, err, errlen)) goto fail;
  } else {
    default_rules(p, dets);
  }
  p->every_rule_needs = true;
  for (size_t i = 0; i < p->n_rules; i++) {
    struct rule *r = &p->rules[i];
    r->name_len = strlen(r->name);
    for (size_t j = 0; j < r->n_all; j++)
      if (r->all[j].min > 0) r->need |= 1u << r->all[j].dim;
    p->rules_need |= r->need;
    p->every_rule_needs = p->every_rule_needs && r->need;
  }
  p->min_tier_risk = p->tiers[0].risk;
  for (size_t i = 1; i < 3; i++)
    if (p->tiers[i].risk < p->min_tier_risk) p->min_tier_risk = p->tiers[i].risk;
  return p;
fail:
  free(p);
  return NULL;
}

void sr_policy_destroy(struct sr_policy *p) { free(p); }

int64_t sr_policy_ttl_ms(const struct sr_policy *p) { return p->ttl_ms; }

/* Scores first: they rule out nearly every event for a few comparisons,
 * before the environment is canonicalised; a dimension the rule needs
 * above 0 and the event did not score rules it out in one. */
static bool rule_holds(const struct rule *r, const struct sr_policy_input *in) {
  if (r->need & ~in->scored) return false;
  for (size_t i = 0; i < r->n_all; i++)
    if (in->event_scores[r->all[i].dim] < r->all[i].min) return false;
  bool any = r->n_any == 0;
  for (size_t i = 0; i < r->n_any && !any; i++)
    any = in->event_scores[r->any[i].dim] >= r->any[i].min;
  return any && (!r->environment || sr_env_eq(in->op->environment,
                                              sr_str_from(r->environment)));
}

enum sr_action sr_policy_decide(const struct sr_policy *p,
                                const struct sr_policy_input *in, char *rule,
                                size_t rulelen) {
#define TIER_NAME(s) {(s), sizeof(s) - 1}
  static const sr_str tier_names[] = {TIER_NAME("tier.escalate"),
                                      TIER_NAME("tier.block"),
                                      TIER_NAME("tier.kill")};
#undef TIER_NAME
  enum sr_action best = SR_ACTION_NONE;
  rule[0] = '\0';
  if (!(in->risk >= p->min_tier_risk) &&
      (p->every_rule_needs && !(in->scored & p->rules_need)))
    return best;
  for (size_t i = 0; i < 3; i++) {
    const struct tier *t = &p->tiers[i];
    if (t->action != SR_ACTION_KILL && !in->contributes) continue;
    if (in->risk >= t->risk && in->depth >= (uint32_t)t->depth &&
        t->action > best) {
      best = t->action;
      sr_str_copy(rule, rulelen, tier_names[i]);
    }
  }
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct rule *r = &p->rules[i];
    if (r->action > best && rule_holds(r, in)) {
      best = r->action;
      sr_str_copy(rule, rulelen, (sr_str){r->name, r->name_len});
    }
  }
  return best;
}
