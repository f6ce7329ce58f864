/*
 * Gate core (see gate.h). Calls wait in a small table of slots under one
 * mutex; the reader thread polls the control topic (and serves the
 * producer's delivery reports), verifies each command, and wakes the slot
 * whose call id it names. A command for a waiting call that does not verify
 * (unsigned, forged, for another session, expired) is logged as an error and
 * counted against the call, which keeps waiting: a forger cannot answer for
 * stackrisk, and cannot silence it either.
 *
 * The judge (stackrisk's detectors and policy: Hyperscan compiles, ~0.5 s)
 * is needed only when no verdict came: a hook process builds it then; the
 * sidecar builds it once, at start, and reuses it for every call.
 */
#include "enforce/gate.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aggregator/aggregator.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "enforce/control.h"
#include "ingest/decode.h"

#define SLOTS 256

struct slot {
  bool used, done, escalated;
  const struct sr_hook_request *req;
  int64_t deadline;         /* monotonic ms */
  int deadline_ms, hold_ms; /* in force for this call */
  struct sr_command cmd;    /* the answer (done) or the ESCALATE */
  unsigned rejected;
  char last_reject[512];
};

struct sr_gate {
  struct sr_gate_opts o;
  rd_kafka_t *producer;
  struct sr_control_reader *reader;
  pthread_t thread;
  bool running;
  atomic_bool stop;
  pthread_mutex_t mu;
  pthread_cond_t cond; /* CLOCK_MONOTONIC */
  struct slot slots[SLOTS];
  struct sr_command rcmd; /* reader thread's buffer */
  pthread_mutex_t judge_mu; /* the judge decides one call at a time */
  struct judge *judge;      /* built at the first call it decides */
};

/* Local judgement -------------------------------------------------------- */

/* stackrisk's own decision path, run by the gate when stackrisk did not
 * answer: the configuration's detectors and policy, and an aggregator that
 * sees the call as the only event of its session (every session is evicted
 * after each call, so nothing carries over from one call to the next). */
struct judge {
  struct sr_detectors *dets;
  struct sr_policy *policy;
  struct sr_aggregator *agg;
  struct sr_arena *arena;
  struct sr_command cmd; /* the last call's verdict */
};

static void judge_destroy(struct judge *j) {
  if (!j) return;
  sr_aggregator_destroy(j->agg);
  sr_policy_destroy(j->policy);
  sr_detectors_destroy(j->dets);
  sr_arena_destroy(j->arena);
  free(j);
}

/* NULL with err when the configuration's detectors or policy are wrong. */
static struct judge *judge_create(const struct sr_conf_node *conf_root,
                                  char *err, size_t errlen) {
  struct judge *j = calloc(1, sizeof *j);
  if (!j) goto oom;
  j->dets = sr_detectors_create(conf_root, err, errlen);
  if (!j->dets) goto fail;
  j->policy = sr_policy_create(conf_root, j->dets, err, errlen);
  if (!j->policy) goto fail;
  j->agg = sr_aggregator_create(j->dets, j->policy, err, errlen);
  if (!j->agg) goto fail;
  j->arena = sr_arena_create(4 * SR_HOOK_EVENT_MAX);
  if (!j->arena) goto oom;
  return j;
oom:
  snprintf(err, errlen, "out of memory");
fail:
  judge_destroy(j);
  return NULL;
}

static bool every_session(const struct sr_session *s, void *arg) {
  (void)s, (void)arg;
  return true;
}

/* Decides req's call alone into j->cmd. SR_EINVAL with err when the call
 * cannot be decoded, SR_ENOMEM when its session cannot be allocated. */
static int judge_call(struct judge *j, const struct sr_hook_request *req,
                      char *err, size_t errlen) {
  struct sr_event ev;
  struct sr_decode_opts dopts = {SR_HOOK_EVENT_MAX, 0};
  sr_arena_reset(j->arena);
  if (sr_decode_event(req->event, req->event_len, &dopts, j->arena, &ev, err,
                      errlen))
    return SR_EINVAL;
  int rc = sr_aggregator_process(j->agg, &ev, &j->cmd);
  sr_aggregator_evict(j->agg, every_session, NULL);
  if (rc < 0) {
    snprintf(err, errlen, "out of memory");
    return SR_ENOMEM;
  }
  /* The hook's event is a requested call with want_verdict, which always
   * gets one, and its session is new: never a redelivery. */
  assert(rc == 1);
  return SR_OK;
}

/* "ESCALATE (rule R, risk 0.90, depth 1): dim 0.90: reason; ...", as the
 * processor's commands and the gate's local decisions are told. */
static void put_judgement(struct sr_buf *b, const struct sr_command *c) {
  sr_buf_printf(b, "%s (rule %s, risk %.2f, depth %u)",
                sr_action_name(c->action), c->rule[0] ? c->rule : "-", c->risk,
                c->depth);
  for (uint32_t i = 0; i < c->n_dims; i++)
    sr_buf_printf(b, "%s %s %.2f%s%s", i ? ";" : ":", c->dims[i].name,
                  c->dims[i].score, c->dims[i].reason[0] ? ": " : "",
                  c->dims[i].reason);
}

/* Decides req alone: stackrisk's action on the call by itself, or BLOCK
 * (failing closed) when it cannot be judged. `why` says why stackrisk's
 * own verdict is missing. */
static void decide_with(struct judge *j, const char *judge_err,
                        const struct sr_hook_request *req, const char *why,
                        struct sr_gate_verdict *v) {
  char err[512];
  struct sr_buf b = sr_buf_init(v->reason, sizeof v->reason);
  v->source = SR_VERDICT_NO_ANSWER;
  if (!j || judge_call(j, req, err, sizeof err)) {
    v->action = SR_ACTION_BLOCK;
    sr_buf_printf(&b, "stackrisk: %s; failing closed: %s %s", why,
                  j ? "the call cannot be judged:"
                    : "stackrisk's rules cannot be loaded here:",
                  j ? err : judge_err);
    return;
  }
  v->action = j->cmd.action;
  sr_buf_printf(&b,
                "stackrisk did not answer (%s), so the gate decided locally "
                "by stackrisk's rules: ",
                why);
  put_judgement(&b, &j->cmd);
}

void sr_gate_decide_alone(const struct sr_conf_node *conf_root,
                          const struct sr_hook_request *req, const char *why,
                          struct sr_gate_verdict *v) {
  char err[512];
  struct judge *j = judge_create(conf_root, err, sizeof err);
  decide_with(j, err, req, why, v);
  judge_destroy(j);
}

/* Reader thread ---------------------------------------------------------- */

static void dispatch(struct sr_gate *g, const struct sr_command *cmd) {
  char why[512];
  pthread_mutex_lock(&g->mu);
  struct slot *s = NULL;
  for (size_t i = 0; i < SLOTS && !s; i++)
    if (g->slots[i].used && !g->slots[i].done &&
        !strcmp(g->slots[i].req->call, cmd->call_id))
      s = &g->slots[i];
  if (!s) {
    pthread_mutex_unlock(&g->mu);
    /* Not ours to act on, but a forgery on the control topic is news. */
    if (g->o.verifier) {
      enum sr_sig_status st = sr_verifier_check(g->o.verifier, cmd, NULL, NULL,
                                                INT64_MIN, why, sizeof why);
      if (st == SR_SIG_FORGED || st == SR_SIG_UNSIGNED) SR_WARN("%s", why);
    }
    return;
  }
  enum sr_sig_status st =
      g->o.verifier
          ? sr_verifier_check(g->o.verifier, cmd, s->req->session, s->req->call,
                              sr_clock_ms(CLOCK_REALTIME), why, sizeof why)
          : SR_SIG_FORGED;
  if (!g->o.verifier)
    snprintf(why, sizeof why,
             "rejected %s command %s: no public key to "
             "verify it with",
             sr_action_name(cmd->action), cmd->command_id);
  if (st != SR_SIG_OK) {
    SR_ERROR("%s", why);
    s->rejected++;
    snprintf(s->last_reject, sizeof s->last_reject, "%s", why);
  } else if (cmd->action == SR_ACTION_ESCALATE && s->hold_ms > 0 &&
             !s->escalated) {
    s->escalated = true;
    s->cmd = *cmd;
    s->deadline = sr_clock_ms(CLOCK_MONOTONIC) + s->hold_ms;
    pthread_cond_broadcast(&g->cond);
  } else if (cmd->action != SR_ACTION_ESCALATE || !s->escalated) {
    s->done = true;
    s->cmd = *cmd;
    pthread_cond_broadcast(&g->cond);
  }
  pthread_mutex_unlock(&g->mu);
}

static void *reader_main(void *arg) {
  struct sr_gate *g = arg;
  char err[512];
  while (!atomic_load(&g->stop)) {
    rd_kafka_poll(g->producer, 0);
    int rc = sr_control_reader_next(g->reader, 20, &g->rcmd, err, sizeof err);
    if (rc == SR_ETIMEOUT) continue;
    if (rc) {
      SR_WARN("%s", err);
      continue;
    }
    dispatch(g, &g->rcmd);
  }
  return NULL;
}

/* Set-up ----------------------------------------------------------------- */

struct sr_gate *sr_gate_create(const struct sr_gate_opts *opts, char *err,
                               size_t errlen) {
  static const char *const defaults[][2] = {
      {"linger.ms", "0"},
      {"partitioner", "murmur2_random"},
      {"socket.nagle.disable", "true"},
  };
  char kerr[512];
  struct sr_gate *g = calloc(1, sizeof *g);
  if (!g) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  g->o = *opts;
  atomic_init(&g->stop, false);
  pthread_mutex_init(&g->mu, NULL);
  pthread_mutex_init(&g->judge_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cond, &ca);
  pthread_condattr_destroy(&ca);
  /* The reader first: it must be positioned before anything is sent. */
  if (opts->session)
    g->reader = sr_control_reader_create_session(
        opts->brokers, "stackrisk-gate", opts->control_topic, opts->session,
        opts->props, opts->deadline_ms, err, errlen);
  else
    g->reader = sr_control_reader_create(opts->brokers, "stackrisk-gate",
                                         opts->control_topic, false,
                                         opts->props, 10000, err, errlen);
  if (!g->reader) goto fail;
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(opts->brokers, "stackrisk-gate", defaults,
                        SR_ARRAY_LEN(defaults), opts->props, err, errlen);
  if (!conf) goto fail;
  g->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr);
  if (!g->producer) {
    rd_kafka_conf_destroy(conf);
    snprintf(err, errlen, "kafka producer: %s", kerr);
    goto fail;
  }
  /* Learn the events topic's leader now, not at the first call. */
  rd_kafka_resp_err_t e =
      sr_kafka_learn_topic(g->producer, opts->events_topic, opts->deadline_ms);
  if (e) {
    snprintf(err, errlen, "cannot read metadata of topic %s at %s: %s",
             opts->events_topic, opts->brokers, rd_kafka_err2str(e));
    goto fail;
  }
  if (opts->eager_judge &&
      !(g->judge = judge_create(opts->conf_root, err, errlen)))
    goto fail;
  if (pthread_create(&g->thread, NULL, reader_main, g)) {
    snprintf(err, errlen, "cannot start the gate's reader thread");
    goto fail;
  }
  g->running = true;
  return g;
fail:
  sr_gate_destroy(g);
  return NULL;
}

void sr_gate_destroy(struct sr_gate *g) {
  if (!g) return;
  atomic_store(&g->stop, true);
  if (g->running) pthread_join(g->thread, NULL);
  sr_control_reader_destroy(g->reader);
  if (g->producer) {
    rd_kafka_flush(g->producer, 1000);
    rd_kafka_destroy(g->producer);
  }
  judge_destroy(g->judge);
  pthread_cond_destroy(&g->cond);
  pthread_mutex_destroy(&g->mu);
  pthread_mutex_destroy(&g->judge_mu);
  free(g);
}

/* Deciding --------------------------------------------------------------- */

/* No trustworthy verdict: the gate runs stackrisk's rules on the call. */
static void decide_locally(struct sr_gate *g, const struct sr_hook_request *req,
                           const char *why, struct sr_gate_verdict *v) {
  char err[512] = "";
  pthread_mutex_lock(&g->judge_mu);
  if (!g->judge) g->judge = judge_create(g->o.conf_root, err, sizeof err);
  decide_with(g->judge, err, req, why, v);
  pthread_mutex_unlock(&g->judge_mu);
}

static void describe(const struct sr_command *c, struct sr_gate_verdict *v) {
  struct sr_buf b = sr_buf_init(v->reason, sizeof v->reason);
  sr_buf_puts(&b, "stackrisk ");
  put_judgement(&b, c);
  sr_buf_printf(&b, " [command %s]", c->command_id);
}

void sr_gate_decide(struct sr_gate *g, const struct sr_hook_request *req,
                    struct sr_gate_verdict *v) {
  memset(v, 0, sizeof *v);
  pthread_mutex_lock(&g->mu);
  struct slot *s = NULL;
  for (size_t i = 0; i < SLOTS && !s; i++)
    if (!g->slots[i].used) s = &g->slots[i];
  if (s) {
    memset(s, 0, sizeof *s);
    s->used = true;
    s->req = req;
    s->deadline_ms = req->deadline_ms > 0 ? req->deadline_ms : g->o.deadline_ms;
    s->hold_ms = req->hold_ms >= 0 ? req->hold_ms : g->o.hold_ms;
    s->deadline = sr_clock_ms(CLOCK_MONOTONIC) + s->deadline_ms;
  }
  pthread_mutex_unlock(&g->mu);
  if (!s) {
    decide_locally(g, req, "too many calls waiting in this gate", v);
    return;
  }
  rd_kafka_resp_err_t e = rd_kafka_producev(
      g->producer, RD_KAFKA_V_TOPIC(g->o.events_topic),
      RD_KAFKA_V_KEY(req->session, strlen(req->session)),
      RD_KAFKA_V_VALUE(req->event, req->event_len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (e) SR_ERROR("cannot publish call %s: %s", req->call, rd_kafka_err2str(e));

  pthread_mutex_lock(&g->mu);
  for (;;) {
    int64_t now = sr_clock_ms(CLOCK_MONOTONIC);
    if (s->done || now >= s->deadline || e) break;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + (s->deadline - now) * 1000000;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(&g->cond, &g->mu, &ts);
  }
  struct slot r = *s; /* copy out, then free the slot */
  s->used = false;
  pthread_mutex_unlock(&g->mu);

  if (r.done) {
    v->source = SR_VERDICT_COMMAND;
    v->action = r.cmd.action;
    describe(&r.cmd, v);
    return;
  }
  if (r.escalated) {
    v->source = SR_VERDICT_HELD;
    v->action = SR_ACTION_ESCALATE;
    describe(&r.cmd, v);
    size_t n = strlen(v->reason);
    snprintf(v->reason + n, sizeof v->reason - n,
             "; held %d ms for a human decision, none came: `stackrisk "
             "approve %s` or `stackrisk deny %s`",
             r.hold_ms, req->call, req->call);
    return;
  }
  char why[1100];
  if (e)
    snprintf(why, sizeof why, "cannot publish the call: %s",
             rd_kafka_err2str(e));
  else
    snprintf(why, sizeof why, "no verdict within %d ms%s%s", r.deadline_ms,
             r.rejected ? " (" : "", r.rejected ? r.last_reject : "");
  if (r.rejected) strcat(why, ")");
  decide_locally(g, req, why, v);
}
