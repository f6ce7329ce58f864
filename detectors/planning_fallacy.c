/*
 * planning_fallacy: the session running far past the agent's own estimate.
 *
 * An agent that planned 6 steps and 5 minutes and is on step 40 after an
 * hour is no longer doing the task it planned: it is improvising, and the
 * improvisations are where incidents come from. The estimate is the one
 * declared at session_start, or the latest one an agent_message carries
 * (a re-plan): a revised estimate restarts the count from the revision.
 * Steps are tool calls requested (or without a phase) since then; time is
 * event time since then; spend is the sum of the `cost_usd` that tool calls
 * (any phase) and agent messages reported since then (the message that
 * re-plans pays for the plan, so its own cost is not counted against it).
 *
 * For each measure with an estimate, the overrun ratio is actual/estimate;
 * it counts only once the absolute excess is at least min_extra_steps
 * (5), min_extra_s (300 s) or min_extra_usd (1.00), so 3 steps against an
 * estimate of 1 is not a fallacy. With r the largest counting ratio:
 *     r < overrun (2)   -> 0
 *     otherwise         -> 0.3 + 0.7 * ln(r/overrun) / ln(max_ratio/overrun)
 * reaching 1 at max_ratio (6). Scored on tool calls requested: the session
 * is acting while over its plan.
 */
#include <stdio.h>
#include <stdlib.h>

#include "detectors/helpers.h"

/* The estimate in force and what was done since it was made. */
struct state {
  bool have;    /* an estimate is in force (first: read by every call) */
  bool revised; /* it came from an agent_message */
  uint32_t steps;
  int64_t since_ms; /* when the estimate in force was made */
  int64_t est_steps, est_seconds;
  double est_usd, spent_usd;
};

struct ctx {
  double overrun, max_ratio;
  long long min_extra_steps;
  double min_extra_s, min_extra_usd;
};

static const char *const allowed_keys[] = {
    "enabled",   "weight",          "threshold",   "half_life_s", "overrun",
    "max_ratio", "min_extra_steps", "min_extra_s", "min_extra_usd", NULL};

static void *pf_init(const struct sr_conf_node *section, char *err,
                     size_t errlen) {
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "planning_fallacy: out of memory");
    return NULL;
  }
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_conf_get_double(section, "overrun", 2.0, 1.0, 1000.0, &c->overrun,
                         err, errlen) != 0 ||
      sr_conf_get_double(section, "max_ratio", 6.0, 1.01, 10000.0,
                         &c->max_ratio, err, errlen) != 0 ||
      sr_conf_get_int(section, "min_extra_steps", 5, 0, 1000000,
                      &c->min_extra_steps, err, errlen) != 0 ||
      sr_conf_get_double(section, "min_extra_s", 300.0, 0.0, 1e8,
                         &c->min_extra_s, err, errlen) != 0 ||
      sr_conf_get_double(section, "min_extra_usd", 1.0, 0.0, 1e9,
                         &c->min_extra_usd, err, errlen) != 0) {
    free(c);
    return NULL;
  }
  if (c->max_ratio <= c->overrun) {
    sr_conf_error(sr_conf_get(section, "max_ratio"), err, errlen,
                  "planning_fallacy: max_ratio must be greater than overrun");
    free(c);
    return NULL;
  }
  return c;
}

static void pf_destroy(void *ctx) {
  free(ctx);
}

static void adopt(struct state *st, const struct sr_estimate *e, int64_t ts,
                  bool revised) {
  st->est_steps = e->steps > 0 ? e->steps : 0;
  st->est_seconds = e->seconds > 0 ? e->seconds : 0;
  st->est_usd = e->cost_usd > 0 ? e->cost_usd : 0;
  st->have = st->est_steps || st->est_seconds || st->est_usd;
  st->since_ms = ts;
  st->steps = 0;
  st->spent_usd = 0;
  st->revised = revised;
}

static float pf_score(const void *ctx, void *thread_scratch,
                      const struct sr_detect_input *in, void *session_scratch,
                      char *reason, size_t reasonlen) {
  (void)thread_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  struct state *st = session_scratch;

  if (ev->type == SR_EV_SESSION_START) {
    if (in->session->estimate.present)
      adopt(st, &in->session->estimate, ev->ts_ms, false);
    return 0;
  }
  if (ev->type == SR_EV_AGENT_MESSAGE) {
    if (ev->estimate.present)
      adopt(st, &ev->estimate, ev->ts_ms, true);
    else
      st->spent_usd += ev->cost_usd;
    return 0;
  }
  if (!st->have || ev->type != SR_EV_TOOL_CALL) return 0;
  st->spent_usd += ev->cost_usd;
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;
  st->steps++;

  double rs = 0, rt = 0, ru = 0;
  double secs = ev->ts_ms > st->since_ms
                    ? (double)(ev->ts_ms - st->since_ms) / 1000.0
                    : 0.0;
  if (st->est_steps &&
      (long long)st->steps - st->est_steps >= c->min_extra_steps)
    rs = (double)st->steps / (double)st->est_steps;
  if (st->est_seconds && secs - (double)st->est_seconds >= c->min_extra_s)
    rt = secs / (double)st->est_seconds;
  if (st->est_usd && st->spent_usd - st->est_usd >= c->min_extra_usd)
    ru = st->spent_usd / st->est_usd;
  double r = rs > rt ? rs : rt;
  if (ru > r) r = ru;
  float score = sr_det_log_score(r, c->overrun, c->max_ratio);
  if (!(score > 0) || score < in->reason_floor) return score;

  const char *plan = st->revised ? "the revised estimate" : "the estimate";
  if (ru >= r)
    snprintf(reason, reasonlen,
             "$%.2f spent against %s of $%.2f (%.1fx); now %.*s",
             st->spent_usd, plan, st->est_usd, ru, SR_SV(ev->tool, 48));
  else if (rs >= rt)
    snprintf(reason, reasonlen,
             "%u tool calls against %s of %lld steps (%.1fx); now %.*s",
             st->steps, plan, (long long)st->est_steps, rs, SR_SV(ev->tool, 48));
  else
    snprintf(reason, reasonlen,
             "%.0f s elapsed against %s of %lld s (%.1fx); now %.*s", secs,
             plan, (long long)st->est_seconds, rt, SR_SV(ev->tool, 48));
  return score;
}

const struct sr_detector sr_detector_planning_fallacy = {
    .version = SR_DETECTOR_VERSION,
    .name = "planning_fallacy",
    .description =
        "steps, time or spend running far past the agent's own estimate",
    .session_size = sizeof(struct state),
    .init = pf_init,
    .score = pf_score,
    .destroy = pf_destroy,
    .kinds = SR_KIND_SESSION_START | SR_KIND_AGENT_MESSAGE | SR_KIND_CALLS,
};
