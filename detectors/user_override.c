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
 * and a release: "go ahead", "you may proceed", "it's approved", "LGTM",
 * "unfreeze", "the freeze is lifted", "carry on", or a reply of its own
 * such as "Approved." or "Yes, proceed". Patterns are anchored to
 * imperative forms, so "the stop button is broken" or "why did the deploy
 * stop?" set nothing, and "the approved budget" or "the resume page"
 * releases nothing.
 *
 * A directive covers what the user named, so that a careful agent is not
 * flagged for work the user never forbade:
 *   which calls   every mutating call, or only deleting ones ("do not
 *                 delete anything", "no more deletions", "ask me before
 *                 deleting")
 *   what on       anything; production ("don't touch prod"); data ("do not
 *                 change the database": databases, tables, buckets,
 *                 volumes, backups...); code ("do not change the code":
 *                 files, repositories, branches)
 * A call whose environment or resource kind is not known is covered: only
 * a call known to lie outside what was named goes free. Where a narrower
 * pattern's match extends a broader one's in the same phrase ("don't touch
 * anything in prod", "ask me first before deleting"), the narrower one
 * stands alone; said apart ("Don't change anything. Never touch prod."),
 * both stand.
 *
 * Directives accumulate until released: a message with a release clears
 * every standing one, then sets those it holds itself ("go ahead, but don't
 * touch prod"). Each lapses after expire_s of event time (0 = never).
 *
 * While directives stand, a mutating call (requested or without a phase;
 * the catalogue's op->mutating) that one of them covers scores, for the
 * strongest that does:
 *     stop or freeze   write 0.9, delete 1.0
 *     ask first        write 0.7, delete 0.9   (no approval was seen: an
 *                      approved call comes back as an approval event,
 *                      which the aggregator answers without detectors)
 * Reads after a stop are what a careful agent does, and score nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/env.h"
#include "detectors/helpers.h"
#include "detectors/textscan.h"

/* What a pattern says; only D_ASK scores differently from a stop or a
 * freeze. */
enum directive { D_STOP, D_FREEZE, D_ASK, D_RELEASE };
/* Which calls a directive covers. */
enum calls { C_MUTATING = 0, C_DELETING };
/* What they act on. */
enum target { T_ANY = 0, T_PRODUCTION, T_DATA, T_CODE };

struct pattern {
  struct sr_textscan_pattern pat;
  uint8_t kind;      /* enum directive */
  uint8_t calls;     /* enum calls */
  uint8_t target;    /* enum target */
  uint8_t narrows;   /* index + 1 of the pattern this one narrows, 0 none */
  const char *label; /* what the user said, for the reason */
};

/* The ids of the patterns below. */
enum pattern_id {
  P_STOP_ALONE,
  P_STOP_DOING,
  P_DONT_DO_ANYTHING,
  P_CODE_FREEZE,
  P_FREEZE,
  P_DONT_CHANGE_ANY,
  P_DONT_CHANGE_CODE,
  P_DONT_CHANGE_DATA,
  P_DONT_CHANGE_PROD,
  P_NO_MORE_CHANGES,
  P_READ_ONLY,
  P_ASK_FIRST,
  P_ASK_BEFORE_DELETING,
  P_WITHOUT_PERMISSION,
  P_WAIT_FOR_ME,
  P_DONT_DELETE_ANY,
  P_DONT_DELETE_DATA,
  P_DONT_DELETE_PROD,
  P_NO_MORE_DELETIONS,
  P_RELEASE,
  P_RELEASE_ALONE,
  N_PATTERNS
};
_Static_assert(N_PATTERNS <= 32, "standing directives are a 32-bit mask");

/* Each pattern's third field: literals every match holds (prefilter.h). */
#define CL (SR_TEXTSCAN_CASELESS | SR_TEXTSCAN_ONCE)
#define APOS SR_TEXTSCAN_APOS
#define DONT "\\b(don" APOS "?t|do\\s+not|never)\\s+"
#define CHANGE "(change|modify|touch|deploy|push|write|edit)(\\s+to)?"
#define CHANGE_NEED "change|modify|touch|deploy|push|write|edit"
#define DELETE "(delete|drop|remove|destroy|wipe)"
#define DELETE_NEED "delete|drop|remove|destroy|wipe"
#define DATA "(anything\\s+(in|on)\\s+)?(the\\s+)?(data(base)?s?|db)\\b"
#define PROD "(anything\\s+(in|on)\\s+)?(production|prod)\\b"
/* clang-format off */
static const struct pattern patterns[N_PATTERNS] = {
  [P_STOP_ALONE] = {{
      "^\\W*(stop|halt|abort)(\\s+(it|that|now|immediately|right\\s+now|"
      "everything))?\\s*([.!]|$)",
      CL, "stop|halt|abort"},
    D_STOP, C_MUTATING, T_ANY, 0, "stop"},
  [P_STOP_DOING] = {{
      "\\b(stop|halt|cease)\\s+(now|immediately|right now|everything|all "
      "work|what you(" APOS "| a)re doing|making (any )?changes|changing|"
      "touching|deploying|writing|deleting|there)\\b",
      CL, "stop|halt|cease"},
    D_STOP, C_MUTATING, T_ANY, 0, "stop"},
  [P_DONT_DO_ANYTHING] = {{
      "\\b(don" APOS "?t|do not)\\s+do\\s+anything\\b",
      CL, "anything"},
    D_STOP, C_MUTATING, T_ANY, 0, "don't do anything"},
  [P_CODE_FREEZE] = {{
      "\\b(code\\s+freeze|keep\\s+the\\s+freeze)\\b",
      CL, "freeze"},
    D_FREEZE, C_MUTATING, T_ANY, 0, "code freeze"},
  [P_FREEZE] = {{
      "\\bfreeze\\s+(all\\s+)?(the\\s+)?(changes|deploys|deployments|code|"
      "writes|everything)\\b",
      CL, "freeze"},
    D_FREEZE, C_MUTATING, T_ANY, 0, "freeze"},
  [P_DONT_CHANGE_ANY] = {{
      DONT "(make\\s+any\\s+changes|" CHANGE "\\s+any(thing)?)\\b",
      CL, CHANGE_NEED},
    D_FREEZE, C_MUTATING, T_ANY, 0, "do not change anything"},
  [P_DONT_CHANGE_CODE] = {{
      DONT CHANGE "\\s+(the\\s+)?code\\b",
      CL, "code"},
    D_FREEZE, C_MUTATING, T_CODE, 0, "do not change the code"},
  [P_DONT_CHANGE_DATA] = {{
      DONT CHANGE "\\s+" DATA,
      CL, "data|db"},
    D_FREEZE, C_MUTATING, T_DATA, P_DONT_CHANGE_ANY + 1,
    "do not change the data"},
  [P_DONT_CHANGE_PROD] = {{
      DONT CHANGE "\\s+" PROD,
      CL, "prod"},
    D_FREEZE, C_MUTATING, T_PRODUCTION, P_DONT_CHANGE_ANY + 1,
    "do not touch production"},
  [P_NO_MORE_CHANGES] = {{
      "\\bno\\s+(more\\s+|further\\s+)?(changes|writes|edits|deploys|"
      "deployments)\\b",
      CL, "change|write|edit|deploy"},
    D_FREEZE, C_MUTATING, T_ANY, 0, "no more changes"},
  [P_READ_ONLY] = {{
      "\\bread[- ]only\\s+(from\\s+now|until|mode)\\b",
      CL, "only"},
    D_FREEZE, C_MUTATING, T_ANY, 0, "read-only"},
  [P_ASK_FIRST] = {{
      "\\b(ask|check\\s+with|consult)\\s+me\\s+(first|before)\\b",
      CL, "first|before"},
    D_ASK, C_MUTATING, T_ANY, 0, "ask me first"},
  [P_ASK_BEFORE_DELETING] = {{
      "\\b(ask|check\\s+with|consult)\\s+me\\s+(first\\s+)?before\\s+"
      "(you\\s+)?(delet|remov|dropp|destroy|wip)",
      CL, "before"},
    D_ASK, C_DELETING, T_ANY, P_ASK_FIRST + 1, "ask me before deleting"},
  [P_WITHOUT_PERMISSION] = {{
      "\\bwithout\\s+(my\\s+)?(explicit\\s+)?(permission|approval|consent|"
      "asking\\s+me)\\b",
      CL, "without"},
    D_ASK, C_MUTATING, T_ANY, 0, "not without my permission"},
  [P_WAIT_FOR_ME] = {{
      "\\b(wait|hold\\s+off)\\s+(for|until)\\s+(my|me|i)\\b",
      CL, "wait|hold"},
    D_ASK, C_MUTATING, T_ANY, 0, "wait for my approval"},
  [P_DONT_DELETE_ANY] = {{
      DONT DELETE "\\s+any(thing)?\\b",
      CL, DELETE_NEED},
    D_FREEZE, C_DELETING, T_ANY, 0, "do not delete anything"},
  [P_DONT_DELETE_DATA] = {{
      DONT DELETE "\\s+" DATA,
      CL, DELETE_NEED},
    D_FREEZE, C_DELETING, T_DATA, P_DONT_DELETE_ANY + 1,
    "do not delete the data"},
  [P_DONT_DELETE_PROD] = {{
      DONT DELETE "\\s+" PROD,
      CL, DELETE_NEED},
    D_FREEZE, C_DELETING, T_PRODUCTION, P_DONT_DELETE_ANY + 1,
    "do not delete in production"},
  [P_NO_MORE_DELETIONS] = {{
      "\\bno\\s+(more\\s+|further\\s+)?deletions\\b",
      CL, "deletions"},
    D_FREEZE, C_DELETING, T_ANY, 0, "no more deletions"},
  [P_RELEASE] = {{
      "\\b(go\\s+ahead|you\\s+(may|can)\\s+(now\\s+)?(proceed|continue|go\\s+"
      "ahead|make|deploy|apply|resume)|lgtm|unfreeze|freeze\\s+is\\s+"
      "(lifted|over)|carry\\s+on|(it|that|this)(" APOS "s|\\s+is)\\s+(now\\s+)?"
      "approved)\\b",
      CL, "ahead|you|lgtm|freeze|carry|approved"},
    D_RELEASE, C_MUTATING, T_ANY, 0, "release"},
  [P_RELEASE_ALONE] = {{
      "^\\W*((yes|ok(ay)?)\\W+)?(approved|resume|proceed)\\W*$",
      CL, "approved|resume|proceed"},
    D_RELEASE, C_MUTATING, T_ANY, 0, "release"},
};
/* clang-format on */
#undef CL
#undef APOS
#undef DONT
#undef CHANGE
#undef CHANGE_NEED
#undef DELETE
#undef DELETE_NEED
#undef DATA
#undef PROD
_Static_assert(SR_ARRAY_LEN(patterns) == N_PATTERNS, "one entry per id");

/* Resource kinds (the catalogue's op->resource) each target names. */
static const char *const data_kinds[] = {
    "database", "table",    "collection", "index", "bucket", "object",
    "volume",   "snapshot", "backup",     "topic", NULL};
static const char *const code_kinds[] = {"file", "repo", "branch", "tag", NULL};

/* The directives standing, each since the event time it was given. */
struct state {
  uint32_t standing; /* bit i: patterns[i] */
  int64_t since_ms[N_PATTERNS];
};

struct ctx {
  struct sr_textscan *ts; /* first: see sr_textscan_ctx_destroy */
  float stop_write, stop_delete, ask_write, ask_delete;
  int64_t expire_ms;
  size_t scan_bytes;
};

static const char *const allowed_keys[] = {
    "enabled",    "weight",      "threshold", "half_life_s",
    "stop_write", "stop_delete", "ask_write", "ask_delete",
    "expire_s",   "scan_bytes",  NULL};

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
      sr_conf_get_int(section, "scan_bytes", 4096, 16, SR_TEXT_MAX, &bytes, err,
                      errlen) != 0)
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

/* Whether the narrower match ending at n_end extends the broader one ending
 * at g_end in the same phrase: it ends a few words later and nothing in
 * between ends a sentence or begins a directive of its own. When unsure,
 * false: both stand. */
static bool extends(const char *text, uint32_t g_end, uint32_t n_end) {
  static const char *const breaks[] = {".",   "!",   "?",     ";",   "\n",
                                       "don", "not", "never", "ask", "check"};
  if (g_end > n_end || n_end - g_end > 32) return false;
  for (size_t i = 0; i < SR_ARRAY_LEN(breaks); i++)
    if (sr_textscan_find(text + g_end, n_end - g_end, breaks[i],
                         strlen(breaks[i])))
      return false;
  return true;
}

static void read_user(const struct ctx *c, struct sr_textscan_scratch *scratch,
                      struct state *st, const struct sr_event *ev) {
  struct sr_textscan_hits hits;
  sr_textscan_run(c->ts, scratch, ev->text.p, SR_MIN(ev->text.n, c->scan_bytes),
                  &hits);
  if (!hits.ids) return;
  uint32_t said = 0, end[N_PATTERNS];
  bool release = false;
  for (uint32_t i = 0; i < hits.n; i++) {
    uint32_t id = hits.v[i].id;
    if (patterns[id].kind == D_RELEASE) {
      release = true;
    } else {
      said |= 1u << id;
      end[id] = hits.v[i].end;
    }
  }
  uint32_t narrowed = 0;
  for (uint32_t m = said; m; m &= m - 1) {
    uint32_t id = (uint32_t)__builtin_ctz(m), g = patterns[id].narrows;
    if (g-- && (said & 1u << g) && extends(ev->text.p, end[g], end[id]))
      narrowed |= 1u << g;
  }
  said &= ~narrowed;
  if (release) st->standing = 0;
  st->standing |= said;
  for (uint32_t m = said; m; m &= m - 1)
    st->since_ms[__builtin_ctz(m)] = ev->ts_ms;
}

static bool kind_in(const char *kind, const char *const *kinds) {
  for (; *kinds; kinds++)
    if (strcmp(kind, *kinds) == 0) return true;
  return false;
}

/* Whether p covers the call: its verb, then what it acts on, where a call
 * not known to lie outside the target is covered. */
static bool covers(const struct pattern *p, const struct sr_detect_input *in) {
  const struct sr_op *op = in->op;
  if (p->calls == C_DELETING && op->verb != SR_VERB_DELETE) return false;
  switch (p->target) {
    case T_PRODUCTION: {
      sr_str env = op->environment;
      if (!env.n && in->session) env = sr_str_from(in->session->environment);
      return !env.n || sr_env_is_production(env);
    }
    case T_DATA:
      return !op->resource || kind_in(op->resource, data_kinds);
    case T_CODE:
      return !op->resource || kind_in(op->resource, code_kinds);
    default:
      return true;
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
  if (!st->standing || ev->type != SR_EV_TOOL_CALL) return 0;
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;
  if (!in->op->mutating) return 0;
  bool del = in->op->verb == SR_VERB_DELETE;
  float score = 0;
  int by = -1;
  for (uint32_t m = st->standing; m; m &= m - 1) {
    int i = __builtin_ctz(m);
    if (c->expire_ms && ev->ts_ms - st->since_ms[i] > c->expire_ms) {
      st->standing &= ~(1u << i);
      continue;
    }
    if (!covers(&patterns[i], in)) continue;
    float v = patterns[i].kind == D_ASK
                  ? (del ? c->ask_delete : c->ask_write)
                  : (del ? c->stop_delete : c->stop_write);
    if (v > score) score = v, by = i;
  }
  if (by < 0 || !(score > 0) || score < in->reason_floor) return score;
  const char *what = in->op->rule           ? in->op->rule
                     : in->op->needed_scope ? in->op->needed_scope
                                            : NULL;
  double ago = (double)(ev->ts_ms - st->since_ms[by]) / 1000.0;
  snprintf(reason, reasonlen,
           "user said '%s' %.0f s earlier and nothing released it; %s call "
           "%.*s%s%s%s",
           patterns[by].label, ago < 0 ? 0.0 : ago,
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
