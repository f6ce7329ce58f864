/*
 * blast_radius: a destructive call whose target takes its backups with it.
 *
 * A deletion is survivable when a copy lives elsewhere. PocketOS's backups
 * lived on the volume that was deleted, so one call destroyed the data and
 * the way back. The resource inventory (or the event's target) says where a
 * target's backups are; this detector fires when a call the catalogue rates
 * at least `min_destructive` (default 0.5: rm of a build directory is not
 * the case) hits a target whose backups are
 *   co-located -> co_located 0.9 (they go down with it),
 *   none       -> none 0.8 (nothing to restore from),
 *   off-site or unknown -> 0 (unknown is not evidence; destructive already
 *   scores the call itself).
 *
 * Tool calls requested, completed or without a phase are scored; a FAILED
 * call did nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "detectors/detector.h"

#define SV(s, max) (int)SR_MIN((s).n, (size_t)(max)), ((s).p ? (s).p : "")

struct ctx {
  float min_destructive;
  float co_located;
  float none;
};

static const char *const allowed_keys[] = {
    "enabled",         "weight",     "threshold", "half_life_s",
    "min_destructive", "co_located", "none",      NULL};

static void *blast_init(const struct sr_conf_node *section, char *err,
                        size_t errlen) {
  double m, co, no;
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_conf_get_double(section, "min_destructive", 0.5, 0.0, 1.0, &m, err,
                         errlen) != 0 ||
      sr_conf_get_double(section, "co_located", 0.9, 0.0, 1.0, &co, err,
                         errlen) != 0 ||
      sr_conf_get_double(section, "none", 0.8, 0.0, 1.0, &no, err, errlen) != 0)
    return NULL;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "blast_radius: out of memory");
    return NULL;
  }
  c->min_destructive = (float)m;
  c->co_located = (float)co;
  c->none = (float)no;
  return c;
}

static float blast_score(const void *ctx, void *thread_scratch,
                         const struct sr_detect_input *in,
                         void *session_scratch, char *reason,
                         size_t reasonlen) {
  (void)thread_scratch;
  (void)session_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  const struct sr_op *op = in->op;
  if (ev->type != SR_EV_TOOL_CALL || ev->phase == SR_PHASE_FAILED) return 0;
  if (!(op->destructive > 0) || op->destructive < c->min_destructive) return 0;

  float score;
  const char *why;
  if (op->backups == SR_BACKUPS_CO_LOCATED) {
    score = c->co_located;
    why = "has its backups co-located: deleting it deletes them";
  } else if (op->backups == SR_BACKUPS_NONE) {
    score = c->none;
    why = "has no backups: what it destroys cannot be restored";
  } else {
    return 0;
  }
  if (!(score > 0)) return 0;
  if (score > 1) score = 1;
  if (score < in->reason_floor) return score;

  char target[112];
  if (op->target_id.n && op->resource)
    snprintf(target, sizeof(target), "%.32s %.*s", op->resource,
             SV(op->target_id, 64));
  else if (op->target_id.n)
    snprintf(target, sizeof(target), "%.*s", SV(op->target_id, 64));
  else if (op->resource)
    snprintf(target, sizeof(target), "(a %.32s)", op->resource);
  else
    snprintf(target, sizeof(target), "of this call");
  snprintf(reason, reasonlen, "destructive target %s %s", target, why);
  return score;
}

static void blast_destroy(void *ctx) {
  free(ctx);
}

const struct sr_detector sr_detector_blast_radius = {
    .version = SR_DETECTOR_VERSION,
    .name = "blast_radius",
    .description =
        "a destructive target whose backups share its failure "
        "domain (co-located) or that has none",
    .session_size = 0,
    .init = blast_init,
    .score = blast_score,
    .destroy = blast_destroy,
    .kinds = SR_KIND_CALL_REQUESTED | SR_KIND_CALL_COMPLETED,
};
