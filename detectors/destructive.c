/*
 * destructive: how much damage a tool call can do to what it touches.
 *
 * The catalogue already decided whether a call is destructive and how
 * severely (op->destructive, 0..1: rm -rf of a scratch directory is not a
 * production volume deletion) and whether it can be undone. This detector
 * weighs that by where the call lands, because the same `DROP TABLE` is a
 * chore on a developer database and an incident on production:
 *
 *   score = severity x environment factor x (irreversible ? 1 : reversible)
 *
 * Environment factors (configurable, `environments` map, names canonicalised
 * through detectors/env.h so `prod: 1.0` works):
 *   production 1.0, staging 0.6, development 0.4, test 0.4, local 0.3,
 *   unknown 0.8 (no environment known, or one not in the map: we do not
 *   know it is safe, so it weighs close to production).
 * reversible_factor 0.8: a reversible deletion (soft delete, trash) is still
 * a deletion an agent should not make unasked, so it is discounted, not
 * ignored.
 *
 * Only tool calls that were requested, completed, or reported without a
 * phase are scored; a FAILED call did nothing.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "detectors/detector.h"
#include "detectors/env.h"
#include "detectors/reason.h"

#define ENV_MAX 16
#define ENV_NAME_MAX 32

/* Bounded, NULL-safe "%.*s" arguments for a view. */

/* Read-only after init. Invariant: names are canonical, NUL-terminated and
 * unique; factors in [0, 1]. */
struct ctx {
  char env_name[ENV_MAX][ENV_NAME_MAX];
  /* sr_env_canonical of each name, taken once init is done: for a known
   * environment the canonical literal, which sr_env_eq compares by
   * address, where the name itself would be canonicalised per call. */
  sr_str env_canon[ENV_MAX];
  float env_factor[ENV_MAX];
  size_t n_env;
  float unknown_factor;
  float reversible_factor;
};

static const char *const allowed_keys[] = {
    "enabled",           "weight", "threshold", "half_life_s", "environments",
    "reversible_factor", NULL};

static void set_env(struct ctx *c, sr_str name, float factor) {
  name = sr_env_canonical(name);
  for (size_t i = 0; i < c->n_env; i++) {
    if (sr_env_eq(sr_str_from(c->env_name[i]), name)) {
      c->env_factor[i] = factor;
      return;
    }
  }
  assert(c->n_env < ENV_MAX); /* init checks the bound first */
  sr_str_copy(c->env_name[c->n_env], ENV_NAME_MAX, name);
  c->env_factor[c->n_env++] = factor;
}

static void *destructive_init(const struct sr_conf_node *section, char *err,
                              size_t errlen) {
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "destructive: out of memory");
    return NULL;
  }
  c->unknown_factor = 0.8f;
  set_env(c, SR_STR_LIT("production"), 1.0f);
  set_env(c, SR_STR_LIT("staging"), 0.6f);
  set_env(c, SR_STR_LIT("development"), 0.4f);
  set_env(c, SR_STR_LIT("test"), 0.4f);
  set_env(c, SR_STR_LIT("local"), 0.3f);

  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0) goto fail;
  double rev;
  if (sr_conf_get_double(section, "reversible_factor", 0.8, 0.0, 1.0, &rev, err,
                         errlen) != 0)
    goto fail;
  c->reversible_factor = (float)rev;

  const struct sr_conf_node *envs = sr_conf_get(section, "environments");
  const char *text = sr_conf_scalar(envs);
  bool null = text && (!text[0] || strcmp(text, "~") == 0 ||
                       strcasecmp(text, "null") == 0);
  if (envs && !null) {
    if (sr_conf_kind(envs) != SR_CONF_MAP) {
      sr_conf_error(envs, err, errlen,
                    "expected a map of environment name to factor, e.g. "
                    "{production: 1.0, staging: 0.6}");
      goto fail;
    }
    for (size_t i = 0; i < sr_conf_len(envs); i++) {
      const char *key = sr_conf_key_at(envs, i);
      double f;
      if (sr_conf_get_double(envs, key, 0.0, 0.0, 1.0, &f, err, errlen) != 0)
        goto fail;
      sr_str name = sr_env_canonical(sr_str_from(key));
      if (name.n == 0 || name.n >= ENV_NAME_MAX) {
        sr_conf_error(sr_conf_at(envs, i), err, errlen,
                      "environment name must be 1 to %d characters",
                      ENV_NAME_MAX - 1);
        goto fail;
      }
      if (sr_str_eq_nocase(name, "unknown")) {
        c->unknown_factor = (float)f;
        continue;
      }
      bool have = false;
      for (size_t j = 0; j < c->n_env; j++)
        have = have || sr_env_eq(sr_str_from(c->env_name[j]), name);
      if (!have && c->n_env == ENV_MAX) {
        sr_conf_error(sr_conf_at(envs, i), err, errlen,
                      "too many environments (at most %d)", ENV_MAX);
        goto fail;
      }
      set_env(c, name, (float)f);
    }
  }
  for (size_t i = 0; i < c->n_env; i++)
    c->env_canon[i] = sr_env_canonical(sr_str_from(c->env_name[i]));
  return c;
fail:
  free(c);
  return NULL;
}

static float env_factor(const struct ctx *c, sr_str env) {
  if (env.n == 0) return c->unknown_factor;
  for (size_t i = 0; i < c->n_env; i++) {
    if (sr_env_eq(c->env_canon[i], env)) return c->env_factor[i];
  }
  return c->unknown_factor;
}

static float destructive_score(const void *ctx, void *thread_scratch,
                               const struct sr_detect_input *in,
                               void *session_scratch, char *reason,
                               size_t reasonlen) {
  (void)thread_scratch;
  (void)session_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  const struct sr_op *op = in->op;
  if (ev->type != SR_EV_TOOL_CALL || ev->phase == SR_PHASE_FAILED) return 0;
  if (!(op->destructive > 0)) return 0;

  sr_str env = sr_env_canonical(op->environment);
  float score = op->destructive * env_factor(c, env) *
                (op->irreversible ? 1.0f : c->reversible_factor);
  if (score > 1) score = 1;
  if (!(score > 0)) return 0;
  if (score < in->reason_floor) return score;

  /* The rule names the operation; the matched text only stands in for it
   * when the catalogue gave no rule name (it is the operation itself, not
   * the surrounding arguments). */
  char label[72]; /* each part cut at its own size, as it always was */
  struct sr_reason l = sr_reason_start(label, sizeof(label));
  if (op->rule) {
    sr_reason_str(&l, op->rule);
  } else {
    sr_reason_str(&l, "'");
    sr_reason_view(&l, op->matched, 40);
    sr_reason_str(&l, "'");
  }

  /* a data store's files: what they hold and where, as the call names
   * them (a path, never an argument's value) */
  char what[120];
  struct sr_reason w = sr_reason_start(what, sizeof(what));
  if (op->verb != SR_VERB_DELETE) sr_reason_str(&w, "destructive ");
  if (op->resource && !op->target_what) {
    sr_reason_str(&w, op->resource);
    sr_reason_str(&w, " ");
  }
  sr_reason_str(&w, op->verb == SR_VERB_DELETE ? "deletion" : "operation");
  if (op->target_what) {
    sr_reason_str(&w, " of ");
    sr_reason_str(&w, op->target_what);
    sr_reason_str(&w, " at ");
    sr_reason_view(&w, op->matched, 64);
  }

  struct sr_reason r = sr_reason_start(reason, reasonlen);
  sr_reason_str(&r, op->irreversible ? "irreversible " : "reversible ");
  sr_reason_put(&r, what, w.n);
  sr_reason_str(&r, " (");
  sr_reason_put(&r, label, l.n);
  sr_reason_str(&r, ") ");
  /* where: short enough never to be cut */
  if (op->target_id.n && env.n) {
    sr_reason_str(&r, "on ");
    sr_reason_view(&r, env, 32);
    sr_reason_str(&r, " target ");
    sr_reason_view(&r, op->target_id, 64);
  } else if (op->target_id.n) {
    sr_reason_str(&r, "on target ");
    sr_reason_view(&r, op->target_id, 64);
    sr_reason_str(&r, " in an unknown environment");
  } else if (env.n) {
    sr_reason_str(&r, "on ");
    sr_reason_view(&r, env, 32);
  } else {
    sr_reason_str(&r, "in an unknown environment");
  }
  return score;
}

static void destructive_destroy(void *ctx) {
  free(ctx);
}

const struct sr_detector sr_detector_destructive = {
    .version = SR_DETECTOR_VERSION,
    .name = "destructive",
    .description =
        "irreversible operations (deletions, DROP, rm -rf, force "
        "push, destroy), weighted by environment and reversibility",
    .session_size = 0,
    .init = destructive_init,
    .score = destructive_score,
    .destroy = destructive_destroy,
    .kinds = SR_KIND_CALL_REQUESTED | SR_KIND_CALL_COMPLETED,
};
