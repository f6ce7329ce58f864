/*
 * Aggregation: detectors → session dimensions → stacked risk → policy →
 * command. See aggregator.h for the rules of when a command is due.
 *
 * Decay is applied lazily: a dimension keeps (score, ts) and is decayed to the
 * current event's time when touched. Event time never moves a session
 * backwards: an out-of-order event is scored at the session's stream time.
 */
#include "aggregator/aggregator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct sr_aggregator {
  const struct sr_detectors *dets;
  const struct sr_policy *policy;
  size_t n_dims;
  const struct sr_dim_params *params; /* n_dims entries, the registry's */
  sr_str names[SR_DIM_MAX];           /* dimension names, for commands */
  struct sr_detectors_thread *thread;
  struct sr_session_table *sessions;
  struct sr_detection detection; /* scratch: too big for the stack */
  sr_session_loader load;
  void *load_ctx;
  int64_t retention_ms;
  struct sr_session *last;
};

struct sr_aggregator *sr_aggregator_create(const struct sr_detectors *dets,
                                           const struct sr_policy *policy,
                                           char *err, size_t errlen) {
  struct sr_aggregator *a = calloc(1, sizeof *a);
  if (!a) goto oom;
  a->dets = dets;
  a->policy = policy;
  a->n_dims = sr_detectors_count(dets);
  a->params = sr_detectors_all_params(dets);
  for (size_t i = 0; i < a->n_dims; i++)
    a->names[i] = sr_str_from(sr_detectors_name(dets, i));
  a->thread = sr_detectors_thread_create(dets);
  a->sessions =
      sr_session_table_create(a->n_dims, sr_detectors_session_size(dets));
  if (!a->thread || !a->sessions) goto oom;
  return a;
oom:
  snprintf(err, errlen, "out of memory creating a worker's aggregator");
  sr_aggregator_destroy(a);
  return NULL;
}

void sr_aggregator_destroy(struct sr_aggregator *a) {
  if (!a) return;
  sr_session_table_destroy(a->sessions);
  sr_detectors_thread_destroy(a->thread);
  free(a);
}

/* The factor sr_decay multiplies by: 2^(-dt / half_life), dt > 0. */
static double decay_factor(int64_t dt_ms, int64_t half_life_ms) {
  return exp2(-(double)dt_ms / (double)half_life_ms);
}

float sr_decay(float score, int64_t dt_ms, int64_t half_life_ms) {
  if (dt_ms <= 0 || score == 0.0f) return score;
  return (float)(score * decay_factor(dt_ms, half_life_ms));
}

/* A dimension with this score counts in the stack and in commands. */
static bool elevated(const struct sr_dim_params *p, float score) {
  return p->enabled && score >= p->threshold && score > 0.0f;
}

double sr_stack_risk(const struct sr_detectors *dets, const float *scores,
                     uint32_t *depth) {
  double r = 1.0;
  uint32_t d = 0;
  const struct sr_dim_params *params = sr_detectors_all_params(dets);
  size_t n = sr_detectors_count(dets);
  for (size_t i = 0; i < n; i++) {
    if (!elevated(&params[i], scores[i])) continue;
    r *= 1.0 + (double)params[i].weight * scores[i];
    d++;
  }
  *depth = d;
  return r - 1.0;
}

/* Copies a bounded list of views into fixed-size slots. */
static uint8_t copy_list(char *dst, size_t stride, size_t max,
                         const struct sr_str_list *src) {
  size_t n = SR_MIN((size_t)src->n, max);
  for (size_t i = 0; i < n; i++) sr_str_copy(dst + i * stride, stride, src->v[i]);
  return (uint8_t)n;
}

/* The declared task, bounded; words that look like tokens (16+ bytes with
 * both letters and digits) are replaced so a pasted secret does not reach
 * the state database. */
static void copy_task(char *dst, size_t cap, sr_str task) {
  size_t o = 0;
  for (size_t i = 0; i < task.n && o + 1 < cap;) {
    size_t j = i;
    bool alpha = false, digit = false;
    while (j < task.n && task.p[j] != ' ' && task.p[j] != '\t' &&
           task.p[j] != '\n') {
      alpha |= (task.p[j] | 0x20) >= 'a' && (task.p[j] | 0x20) <= 'z';
      digit |= task.p[j] >= '0' && task.p[j] <= '9';
      j++;
    }
    if (j == i) j++; /* a separator */
    const char *w = task.p + i;
    size_t n = j - i;
    if (n >= 16 && alpha && digit) {
      w = "[redacted]";
      n = 10;
    }
    n = SR_MIN(n, cap - 1 - o);
    memcpy(dst + o, w, n);
    o += n;
    i = j;
  }
  dst[o] = '\0';
}

static void apply_session_start(struct sr_session_info *info,
                                const struct sr_event *ev) {
  info->started = true;
  info->started_ms = ev->ts_ms;
  if (ev->mode != SR_MODE_UNSET) info->mode = ev->mode;
  sr_str_copy(info->environment, sizeof info->environment, ev->environment);
  info->n_scope_environments =
      copy_list(&info->scope_environments[0][0],
                sizeof info->scope_environments[0], SR_SCOPE_ENV_MAX,
                &ev->scope_environments);
  info->n_scope_domains =
      copy_list(&info->scope_domains[0][0], sizeof info->scope_domains[0],
                SR_SCOPE_DOMAIN_MAX, &ev->scope_domains);
  info->n_scope_resources =
      copy_list(&info->scope_resources[0][0], sizeof info->scope_resources[0],
                SR_SCOPE_RESOURCE_MAX, &ev->scope_resources);
  if (ev->estimate.present) info->estimate = ev->estimate;
}

/* Fills the parts of a command that describe the session. */
static void fill_command(const struct sr_aggregator *a,
                         const struct sr_session *s, const struct sr_event *ev,
                         enum sr_action action, const char *rule,
                         struct sr_command *cmd) {
  memset(cmd, 0, offsetof(struct sr_command, dims));
  sr_str_copy(cmd->session_id, sizeof cmd->session_id, ev->session_id);
  sr_str_copy(cmd->call_id, sizeof cmd->call_id, ev->call_id);
  sr_str_copy(cmd->event_id, sizeof cmd->event_id, ev->event_id);
  sr_str_copy(cmd->rule, sizeof cmd->rule, sr_str_from(rule));
  cmd->action = action;
  cmd->risk = s->risk;
  cmd->depth = s->depth;
  cmd->n_dims = 0;
  /* Only a held dimension can be elevated (elevated needs a score > 0). */
  for (uint32_t m = s->held; m; m &= m - 1) {
    unsigned i = (unsigned)__builtin_ctz(m);
    const struct sr_dim_params *p = &a->params[i];
    const struct sr_dim_state *d = &s->dims[i];
    if (!elevated(p, d->score)) continue;
    struct sr_command_dim *cd = &cmd->dims[cmd->n_dims++];
    sr_str_copy(cd->name, sizeof cd->name, a->names[i]);
    cd->score = d->score;
    memcpy(cd->reason, d->reason, sizeof cd->reason);
  }
  cmd->issued_at_ms = s->last_ts_ms;
  int64_t ttl = sr_policy_ttl_ms(a->policy);
  cmd->expires_at_ms =
      s->last_ts_ms > INT64_MAX - ttl ? INT64_MAX : s->last_ts_ms + ttl;
  sr_command_set_id(cmd);
}

/* now - then, saturated, 0 when now <= then: both are producer-supplied
 * event times whose difference need not fit an int64. */
static int64_t elapsed_ms(int64_t now, int64_t then) {
  if (now <= then) return 0;
  uint64_t d = (uint64_t)now - (uint64_t)then;
  return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

/* Decays every dimension to `now`, folds in this event's scores and stacks
 * the result: s->risk and s->depth as sr_stack_risk gives them (the same
 * products in the same order), in one pass over the dimensions that hold a
 * score or got one (a dimension at 0 that got none stays 0, whatever its
 * time). Returns whether any detector scored this event. */
static bool fold_scores(struct sr_aggregator *a, struct sr_session *s,
                        const struct sr_detection *det, int64_t now) {
  double r = 1.0;
  uint32_t depth = 0;
  uint32_t held = s->held;
  /* The held dimensions were all decayed to the session's previous event,
   * so they share dt, and by default a half-life: one exp2 per event
   * instead of one per dimension, the same double as sr_decay's. */
  int64_t f_dt = 0, f_hl = 0;
  double f = 1.0;
  for (uint32_t m = held | det->scored; m; m &= m - 1) {
    unsigned i = (unsigned)__builtin_ctz(m);
    struct sr_dim_state *d = &s->dims[i];
    const struct sr_dim_params *p = &a->params[i];
    float got = det->score[i];
    float decayed = d->score; /* sr_decay(d->score, dt, half-life) */
    int64_t dt = elapsed_ms(now, d->ts_ms);
    if (dt > 0 && decayed != 0.0f) {
      if (dt != f_dt || p->half_life_ms != f_hl) {
        f = decay_factor(dt, p->half_life_ms);
        f_dt = dt;
        f_hl = p->half_life_ms;
      }
      decayed = (float)(decayed * f);
    }
    d->ts_ms = now;
    if (got > 0.0f && got >= decayed) {
      d->score = got;
      memcpy(d->reason, det->reason[i], sizeof d->reason);
    } else {
      d->score = decayed;
    }
    if (d->score != 0.0f)
      held |= 1u << i;
    else
      held &= ~(1u << i); /* decayed below the smallest float */
    if (elevated(p, d->score)) {
      r *= 1.0 + (double)p->weight * d->score;
      depth++;
    }
  }
  s->held = held;
  s->risk = r - 1.0;
  s->depth = depth;
  return det->scored != 0;
}

/* s->held from its dimensions, after something else filled them. */
static void recompute_held(const struct sr_aggregator *a,
                           struct sr_session *s) {
  uint32_t held = 0;
  for (size_t i = 0; i < a->n_dims; i++)
    if (s->dims[i].score != 0.0f) held |= 1u << i;
  s->held = held;
}

/* Notes that call h was escalated and awaits a person; the oldest falls
 * out when SR_AWAITING_MAX are waiting. */
static void await_decision(struct sr_session *s, uint64_t h) {
  if (s->n_awaiting == SR_AWAITING_MAX) {
    memmove(s->awaiting, s->awaiting + 1,
            (SR_AWAITING_MAX - 1) * sizeof s->awaiting[0]);
    s->n_awaiting--;
  }
  s->awaiting[s->n_awaiting++] = h;
}

/* Takes call h off the calls awaiting a decision; false when it is not
 * among them. */
static bool take_awaiting(struct sr_session *s, uint64_t h) {
  for (uint8_t i = 0; i < s->n_awaiting; i++) {
    if (s->awaiting[i] != h) continue;
    memmove(s->awaiting + i, s->awaiting + i + 1,
            (size_t)(s->n_awaiting - i - 1) * sizeof s->awaiting[0]);
    s->n_awaiting--;
    return true;
  }
  return false;
}

/* An approval decides a call this session escalated and nobody decided
 * yet, and nothing else: a signed ALLOW for a call that was never
 * escalated (or one approved twice) would release whatever later bears
 * that call id, and an approval that reached an instance which never saw
 * the session (its events keyed onto another partition) would approve a
 * call blind. */
static int approval(struct sr_aggregator *a, struct sr_session *s,
                    const struct sr_event *ev, struct sr_command *cmd) {
  if (sr_str_empty(ev->call_id)) return 0;
  bool approve = sr_str_eq_cstr(ev->decision, "approve");
  sr_str who = ev->approver.n ? ev->approver : SR_STR_LIT("unknown");
  if (!take_awaiting(s, sr_session_hash(ev->call_id))) {
    SR_WARN(
        "session %.*s: %s of call %.*s by %.*s ignored: the call awaits "
        "no decision (never escalated here, or decided already)",
        (int)SR_MIN(ev->session_id.n, (size_t)128), ev->session_id.p,
        approve ? "approval" : "denial",
        (int)SR_MIN(ev->call_id.n, (size_t)128), ev->call_id.p,
        (int)SR_MIN(who.n, (size_t)64), who.p);
    return 0;
  }
  char rule[SR_RULE_MAX];
  snprintf(rule, sizeof rule, "%s by %.*s", approve ? "approved" : "denied",
           (int)SR_MIN(who.n, (size_t)64), who.p);
  enum sr_action act = s->killed ? SR_ACTION_KILL
                       : approve ? SR_ACTION_ALLOW
                                 : SR_ACTION_BLOCK;
  fill_command(a, s, ev, act, s->killed ? "session-killed" : rule, cmd);
  s->last_action = act;
  return 1;
}

/* The session of this event: in memory, else reloaded, else new; cleared
 * when its previous event is older than the retention. */
static struct sr_session *session_for(struct sr_aggregator *a,
                                      const struct sr_event *ev, uint64_t h) {
  struct sr_session *s =
      sr_session_table_find(a->sessions, ev->session_id, h, false);
  if (!s) {
    s = sr_session_table_find(a->sessions, ev->session_id, h, true);
    if (!s) return NULL;
    if (a->load && a->load(a->load_ctx, s) < 0)
      sr_session_clear(a->sessions, s);
    recompute_held(a, s);
  }
  if (a->retention_ms > 0 && s->events > 0 &&
      elapsed_ms(ev->ts_ms, s->last_ts_ms) > a->retention_ms) {
    sr_session_clear(a->sessions, s);
  }
  return s;
}

/* True when ev's id is among the ids of s's last SR_SEEN_MAX events: a
 * redelivery. Else remembers it. Only an event stamped no later than the
 * session's last can be one, so an in-order stream never searches. An
 * event without an id (built in code, not decoded) is never one. */
static bool redelivered(struct sr_session *s, const struct sr_event *ev) {
  if (sr_str_empty(ev->event_id)) return false;
  uint64_t id = sr_session_hash(ev->event_id);
  if (s->events && ev->ts_ms <= s->last_ts_ms)
    for (size_t i = 0; i < s->n_seen; i++)
      if (s->seen[i] == id) return true;
  s->seen[s->seen_next] = id;
  s->seen_next = (uint8_t)((s->seen_next + 1) % SR_SEEN_MAX);
  if (s->n_seen < SR_SEEN_MAX) s->n_seen++;
  return false;
}

int sr_aggregator_process(struct sr_aggregator *a, const struct sr_event *ev,
                          struct sr_command *cmd) {
  struct sr_detection *det = &a->detection;
  sr_str id = ev->session_id;
  uint64_t h = sr_session_hash(id);
  if (ev->type != SR_EV_APPROVAL) {
    /* The session is seldom in cache (kilobytes each, the next event's
     * from anywhere among thousands): start loading what this event will
     * touch of it, and classify meanwhile, which needs the event alone. */
    sr_detectors_prefetch(a->dets, ev,
                          sr_session_table_prefetch(a->sessions, h, id.n));
    sr_detectors_classify(a->dets, a->thread, ev, det);
  }
  struct sr_session *s = session_for(a, ev, h);
  if (!s) return SR_ENOMEM;
  a->last = s;
  if (redelivered(s, ev)) return SR_AGG_REDELIVERED;
  int64_t now = ev->ts_ms > s->last_ts_ms ? ev->ts_ms : s->last_ts_ms;
  s->last_ts_ms = now;
  if (s->events++ == 0) s->first_ts_ms = now;
  if (ev->type == SR_EV_SESSION_START) {
    apply_session_start(&s->info, ev);
    copy_task(s->task, sizeof s->task, ev->task);
  }
  /* A harness that knows the mode reports it on each call (Claude Code's
   * permission_mode through `stackrisk gate`): plan mode is what it says now,
   * not only what the session declared at its start. A read-only
   * declaration is the operator's, not the harness's toggle: no per-call
   * report lifts it. */
  else if (ev->mode != SR_MODE_UNSET && s->info.mode != SR_MODE_READ_ONLY)
    s->info.mode = ev->mode;
  if (ev->type == SR_EV_APPROVAL) return approval(a, s, ev, cmd);

  /* The dimensions fold_scores will decay, loading while detectors run. */
  for (uint32_t m = s->held; m; m &= m - 1)
    __builtin_prefetch(&s->dims[__builtin_ctz(m)], 1);
  sr_detectors_score(a->dets, a->thread, ev, &s->info, s->scratch, det);
  bool contributes = fold_scores(a, s, det, now) || det->op.mutating;
  struct sr_policy_input in = {s->risk, s->depth, det->score, &det->op,
                               contributes, det->scored};
  char rule[SR_RULE_MAX];
  enum sr_action act = sr_policy_decide(a->policy, &in, rule, sizeof rule);

  bool requested =
      ev->type == SR_EV_TOOL_CALL && ev->phase == SR_PHASE_REQUESTED;
  if (s->killed) {
    if (!requested) return 0;
    act = SR_ACTION_KILL;
    sr_str_copy(rule, sizeof rule, SR_STR_LIT("session-killed"));
  } else if (act == SR_ACTION_KILL) {
    s->killed = true;
  } else if (!requested || (act < SR_ACTION_ESCALATE && !ev->want_verdict)) {
    return 0;
  }
  if (act == SR_ACTION_NONE) {
    act = SR_ACTION_ALLOW;
    sr_str_copy(rule, sizeof rule, SR_STR_LIT("allow"));
  }
  fill_command(a, s, ev, act, rule, cmd);
  s->last_action = act;
  if (act == SR_ACTION_ESCALATE && !sr_str_empty(ev->call_id))
    await_decision(s, sr_session_hash(ev->call_id));
  return 1;
}

void sr_aggregator_set_loader(struct sr_aggregator *a, sr_session_loader load,
                              void *ctx) {
  a->load = load;
  a->load_ctx = ctx;
}

void sr_aggregator_set_retention(struct sr_aggregator *a,
                                 int64_t retention_ms) {
  a->retention_ms = retention_ms;
}

struct sr_session *sr_aggregator_last_session(struct sr_aggregator *a) {
  return a->last;
}

const struct sr_detection *sr_aggregator_last_detection(
    const struct sr_aggregator *a) {
  return &a->detection;
}

size_t sr_aggregator_evict(struct sr_aggregator *a,
                           bool (*evict)(const struct sr_session *, void *),
                           void *arg) {
  a->last = NULL;
  return sr_session_table_evict(a->sessions, evict, arg);
}

const struct sr_session *sr_aggregator_session(struct sr_aggregator *a,
                                               sr_str id) {
  return sr_session_table_get(a->sessions, id, false);
}

const struct sr_session_table *sr_aggregator_sessions(
    const struct sr_aggregator *a) {
  return a->sessions;
}
