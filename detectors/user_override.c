/*
 * user_override: a user's stop, freeze or "ask me first" that a later
 * mutating call ignores.
 *
 * The Replit incident: the user declared a code freeze in capitals, the
 * agent deleted the production database anyway. What the user says in the
 * session (agent_message with role "user") is read with one Hyperscan scan
 * (first scan_bytes bytes) against three kinds of directive:
 *   stop       "stop", "halt", "abort" as a sentence of their own; "stop now",
 *              "stop making changes", "don't do anything"
 *   freeze     "code freeze", "freeze all changes", "no more changes",
 *              "do not change/touch/delete/deploy ...", "read-only"
 *   ask first  "ask me first/before", "check with me first", "without my
 *              (explicit) permission/approval", "wait for my approval"
 * and a release: "go ahead", "you may proceed", "approved", "unfreeze",
 * "the freeze is lifted", "carry on". A message with a directive sets it
 * (the strongest kind wins); a message with a release and no directive
 * clears it. Patterns are anchored to imperative forms, so "the stop
 * button is broken" or "why did the deploy stop?" set nothing.
 *
 * While a directive stands (for expire_s of event time, 0 = until
 * released), a mutating call (requested or without a phase; the catalogue's
 * op->mutating) scores:
 *     stop or freeze   write 0.9, delete 1.0
 *     ask first        write 0.7, delete 0.9   (no approval was seen: an
 *                      approved call comes back as an approval event,
 *                      which the aggregator answers without detectors)
 * Reads after a stop are what a careful agent does, and score nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "detectors/helpers.h"
#include "detectors/textscan.h"

enum directive { D_NONE = 0, D_ASK = 1, D_FREEZE = 2, D_STOP = 3, D_RELEASE };

struct pattern {
  struct sr_textscan_pattern pat;
  uint8_t kind;
  const char *label; /* what the user said, for the reason */
};

/* Each pattern's third field: literals every match holds (prefilter.h). */
#define CL (SR_TEXTSCAN_CASELESS | SR_TEXTSCAN_ONCE)
static const struct pattern patterns[] = {
    {{"^\\W*(stop|halt|abort)(\\s+(it|that|now|immediately|right\\s+now|"
      "everything))?\\s*([.!]|$)",
      CL, "stop|halt|abort"},
     D_STOP,
     "stop"},
    {{"\\b(stop|halt|cease)\\s+(now|immediately|right now|everything|all "
      "work|what you('| a)re doing|making (any )?changes|changing|touching|"
      "deploying|writing|deleting|there)\\b",
      CL, "stop|halt|cease"},
     D_STOP,
     "stop"},
    {{"\\b(don'?t|do not)\\s+do\\s+anything\\b", CL, "anything"}, D_STOP,
     "don't do anything"},
    {{"\\b(code\\s+freeze|keep\\s+the\\s+freeze)\\b", CL, "freeze"}, D_FREEZE,
     "code freeze"},
    {{"\\bfreeze\\s+(all\\s+)?(the\\s+)?(changes|deploys|deployments|code|"
      "writes|everything)\\b",
      CL, "freeze"},
     D_FREEZE,
     "freeze"},
    {{"\\bno\\s+(more\\s+|further\\s+)?(changes|writes|edits|deploys|"
      "deployments|deletions)\\b",
      CL, "change|write|edit|deploy|deletion"},
     D_FREEZE,
     "no more changes"},
    {{"\\b(don'?t|do\\s+not|never)\\s+(make\\s+any\\s+changes|(change|"
      "modify|touch|delete|drop|deploy|push|write|edit|remove)\\s+(any(thing)?|"
      "the\\s+code|code|data|the\\s+data|the\\s+database|production|prod))"
      "\\b",
      CL, "change|modify|touch|delete|drop|deploy|push|write|edit|remove"},
     D_FREEZE,
     "do not change"},
    {{"\\bread[- ]only\\s+(from\\s+now|until|mode)\\b", CL, "only"}, D_FREEZE,
     "read-only"},
    {{"\\b(ask|check\\s+with|consult)\\s+me\\s+(first|before)\\b", CL,
      "first|before"},
     D_ASK,
     "ask me first"},
    {{"\\bwithout\\s+(my\\s+)?(explicit\\s+)?(permission|approval|consent|"
      "asking\\s+me)\\b",
      CL, "without"},
     D_ASK,
     "not without my permission"},
    {{"\\b(wait|hold\\s+off)\\s+(for|until)\\s+(my|me|i)\\b", CL,
      "wait|hold"},
     D_ASK,
     "wait for my approval"},
    {{"\\b(go\\s+ahead|you\\s+(may|can)\\s+(now\\s+)?(proceed|continue|go\\s+"
      "ahead|make|deploy|apply)|approved|lgtm|unfreeze|freeze\\s+is\\s+"
      "(lifted|over)|carry\\s+on|resume)\\b",
      CL, "ahead|you|approved|lgtm|freeze|carry|resume"},
     D_RELEASE,
     "release"},
};
#undef CL

/* The directive in force. Invariant: kind == D_NONE or label < patterns. */
struct state {
  uint8_t kind;
  uint8_t label;
  int64_t since_ms;
};

struct ctx {
  struct sr_textscan *ts; /* first: see sr_textscan_ctx_destroy */
  float stop_write, stop_delete, ask_write, ask_delete;
  int64_t expire_ms;
  size_t scan_bytes;
};

static const char *const allowed_keys[] = {
    "enabled",   "weight",     "threshold",  "half_life_s",
    "stop_write", "stop_delete", "ask_write", "ask_delete",
    "expire_s",  "scan_bytes", NULL};

static void *uo_init(const struct sr_conf_node *section, char *err,
                     size_t errlen) {
  double expire;
  long long bytes;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "user_override: out of memory");
    return NULL;
  }
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_detector_conf_score(section, "stop_write", 0.9, &c->stop_write, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "stop_delete", 1.0, &c->stop_delete, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "ask_write", 0.7, &c->ask_write, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "ask_delete", 0.9, &c->ask_delete, err,
                             errlen) != 0 ||
      sr_conf_get_double(section, "expire_s", 0.0, 0.0, 1e8, &expire, err,
                         errlen) != 0 ||
      sr_conf_get_int(section, "scan_bytes", 4096, 16, SR_TEXT_MAX, &bytes,
                      err, errlen) != 0)
    goto fail;
  c->expire_ms = (int64_t)(expire * 1000.0 + 0.5);
  c->scan_bytes = (size_t)bytes;
  c->ts = sr_textscan_create("user_override", &patterns[0].pat,
                             SR_ARRAY_LEN(patterns), sizeof patterns[0], err,
                             errlen);
  if (!c->ts) goto fail;
  return c;
fail:
  free(c);
  return NULL;
}

static void read_user(const struct ctx *c, struct sr_textscan_scratch *scratch,
                      struct state *st, const struct sr_event *ev) {
  struct sr_textscan_hits hits;
  sr_textscan_run(c->ts, scratch, ev->text.p,
                  SR_MIN(ev->text.n, c->scan_bytes), &hits);
  if (!hits.ids) return;
  uint8_t best = D_NONE, label = 0;
  bool release = false;
  for (uint32_t i = 0; i < hits.n; i++) {
    const struct pattern *p = &patterns[hits.v[i].id];
    if (p->kind == D_RELEASE) {
      release = true;
    } else if (p->kind > best) {
      best = p->kind;
      label = (uint8_t)hits.v[i].id;
    }
  }
  if (best != D_NONE) {
    st->kind = best;
    st->label = label;
    st->since_ms = ev->ts_ms;
  } else if (release) {
    st->kind = D_NONE;
  }
}

static float uo_score(const void *ctx, void *thread_scratch,
                      const struct sr_detect_input *in, void *session_scratch,
                      char *reason, size_t reasonlen) {
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  struct state *st = session_scratch;

  if (ev->type == SR_EV_AGENT_MESSAGE) {
    if (ev->text.n && sr_str_eq_nocase(ev->role, "user"))
      read_user(c, thread_scratch, st, ev);
    return 0;
  }
  if (st->kind == D_NONE || ev->type != SR_EV_TOOL_CALL) return 0;
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;
  if (!in->op->mutating) return 0;
  if (c->expire_ms && ev->ts_ms - st->since_ms > c->expire_ms) {
    st->kind = D_NONE;
    return 0;
  }
  bool del = in->op->verb == SR_VERB_DELETE;
  float score = st->kind == D_ASK ? (del ? c->ask_delete : c->ask_write)
                                  : (del ? c->stop_delete : c->stop_write);
  if (!(score > 0) || score < in->reason_floor) return score;
  const char *what = in->op->rule ? in->op->rule
                     : in->op->needed_scope ? in->op->needed_scope
                                            : NULL;
  double ago = (double)(ev->ts_ms - st->since_ms) / 1000.0;
  snprintf(reason, reasonlen,
           "user said '%s' %.0f s earlier and nothing released it; %s call "
           "%.*s%s%s%s",
           patterns[st->label].label, ago < 0 ? 0.0 : ago,
           del ? "deleting" : "mutating", SR_SV(ev->tool, 48), what ? " (" : "",
           what ? what : "", what ? ")" : "");
  return score;
}

const struct sr_detector sr_detector_user_override = {
    .version = SR_DETECTOR_VERSION,
    .name = "user_override",
    .description =
        "a user's stop, freeze or \"ask me first\" that a later mutating call "
        "ignores",
    .session_size = sizeof(struct state),
    .init = uo_init,
    .thread_create = sr_textscan_ctx_thread_create,
    .thread_destroy = sr_textscan_ctx_thread_destroy,
    .kinds = SR_KIND_AGENT_MESSAGE | SR_KIND_CALL_REQUESTED,
    .score = uo_score,
    .destroy = sr_textscan_ctx_destroy,
};
