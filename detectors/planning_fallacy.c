/*
 * planning_fallacy: the session running far past the agent's own estimate.
 *
 * An agent that planned 6 steps and 5 minutes and is on step 40 after an
 * hour is no longer doing the task it planned: it is improvising, and the
 * improvisations are where incidents come from. The estimate is the one
 * declared at session_start, or the latest one an agent_message carries
 * (a re-plan): a revised estimate restarts the count from the revision.
 * Steps are tool calls requested (or without a phase) since then; time is
 * event time since then. Actual cost is not measured: no event reports
 * spend, so `cost_usd` estimates are accepted and not compared.
 *
 * For each measure with an estimate, the overrun ratio is actual/estimate;
 * it counts only once the absolute excess is at least min_extra_steps
 * (5) or min_extra_s (300 s), so 3 steps against an estimate of 1 is not a
 * fallacy. With r the larger counting ratio:
 *     r < overrun (2)   -> 0
 *     otherwise         -> 0.3 + 0.7 * ln(r/overrun) / ln(max_ratio/overrun)
 * reaching 1 at max_ratio (6). Scored on tool calls: the session is acting
 * while over its plan.
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
};

struct ctx {
  double overrun, max_ratio;
  long long min_extra_steps;
  double min_extra_s;
};

static const char *const allowed_keys[] = {
    "enabled",   "weight",          "threshold",   "half_life_s", "overrun",
    "max_ratio", "min_extra_steps", "min_extra_s", NULL};

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
                         &c->min_extra_s, err, errlen) != 0) {
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
  st->have = st->est_steps || st->est_seconds;
  st->since_ms = ts;
  st->steps = 0;
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
    if (ev->estimate.present) adopt(st, &ev->estimate, ev->ts_ms, true);
    return 0;
  }
  if (!st->have || ev->type != SR_EV_TOOL_CALL) return 0;
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;
  st->steps++;

  double rs = 0, rt = 0;
  double secs = ev->ts_ms > st->since_ms
                    ? (double)(ev->ts_ms - st->since_ms) / 1000.0
                    : 0.0;
  if (st->est_steps &&
      (long long)st->steps - st->est_steps >= c->min_extra_steps)
    rs = (double)st->steps / (double)st->est_steps;
  if (st->est_seconds && secs - (double)st->est_seconds >= c->min_extra_s)
    rt = secs / (double)st->est_seconds;
  double r = rs > rt ? rs : rt;
  float score = sr_det_log_score(r, c->overrun, c->max_ratio);
  if (!(score > 0) || score < in->reason_floor) return score;

  const char *plan = st->revised ? "the revised estimate" : "the estimate";
  if (rs >= rt)
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
        "steps or time running far past the agent's own estimate",
    .session_size = sizeof(struct state),
    .init = pf_init,
    .score = pf_score,
    .destroy = pf_destroy,
    .kinds = SR_KIND_SESSION_START | SR_KIND_AGENT_MESSAGE |
             SR_KIND_CALL_REQUESTED,
};
