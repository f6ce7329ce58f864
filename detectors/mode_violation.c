/*
 * mode_violation: a mutating call in a session declared plan or read-only.
 *
 * In PocketOS "plan mode" was a hint in the UI, not a permission: the agent
 * could still call anything. A session that declared it would only plan or
 * only read and then writes has broken the one promise that needed no
 * judgement to check, so the scores are high: write 0.8, delete 1.0 (config
 * keys `write`, `delete`). Mutating is the catalogue's verdict
 * (op->mutating); unclassified calls are not guessed at.
 *
 * Tool calls requested, completed or without a phase are scored; a FAILED
 * call did nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "detectors/detector.h"
#include "detectors/reason.h"


struct ctx {
  float write;
  float del;
};

static const char *const allowed_keys[] = {
    "enabled", "weight", "threshold", "half_life_s", "write", "delete", NULL};

static void *mode_init(const struct sr_conf_node *section, char *err,
                       size_t errlen) {
  double w, d;
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_conf_get_double(section, "write", 0.8, 0.0, 1.0, &w, err, errlen) !=
          0 ||
      sr_conf_get_double(section, "delete", 1.0, 0.0, 1.0, &d, err, errlen) !=
          0)
    return NULL;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "mode_violation: out of memory");
    return NULL;
  }
  c->write = (float)w;
  c->del = (float)d;
  return c;
}

static float mode_score(const void *ctx, void *thread_scratch,
                        const struct sr_detect_input *in, void *session_scratch,
                        char *reason, size_t reasonlen) {
  (void)thread_scratch;
  (void)session_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  const struct sr_op *op = in->op;
  const struct sr_session_info *s = in->session;
  if (!s || (s->mode != SR_MODE_PLAN && s->mode != SR_MODE_READ_ONLY)) return 0;
  if (ev->type != SR_EV_TOOL_CALL || ev->phase == SR_PHASE_FAILED) return 0;
  if (!op->mutating) return 0;
  float score = op->verb == SR_VERB_DELETE ? c->del : c->write;
  if (!(score > 0)) return 0;
  if (score > 1) score = 1;
  if (score < in->reason_floor) return score;

  struct sr_reason r = sr_reason_start(reason, reasonlen);
  sr_reason_str(&r, "mutating call (");
  if (op->needed_scope)
    sr_reason_strn(&r, op->needed_scope, 64);
  else if (op->rule)
    sr_reason_strn(&r, op->rule, 64);
  else
    sr_reason_view(&r, ev->tool, 64);
  sr_reason_str(&r, ")");
  if (op->target_id.n) {
    sr_reason_str(&r, " on ");
    sr_reason_view(&r, op->target_id, 64);
  }
  sr_reason_str(&r, " in a session declared ");
  sr_reason_str(&r, s->mode == SR_MODE_PLAN ? "plan mode" : "read-only mode");
  return score;
}

static void mode_destroy(void *ctx) {
  free(ctx);
}

const struct sr_detector sr_detector_mode_violation = {
    .version = SR_DETECTOR_VERSION,
    .name = "mode_violation",
    .description = "a mutating call in a session declared plan or read-only",
    .session_size = 0,
    .init = mode_init,
    .score = mode_score,
    .destroy = mode_destroy,
    .kinds = SR_KIND_CALL_REQUESTED | SR_KIND_CALL_COMPLETED,
};
