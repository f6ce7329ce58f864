/*
 * The stateful stage: one event in, at most one command out.
 *
 * For each event: update the session's declared facts (session_start), run
 * the detectors, fold each dimension's score into the session (decay by event
 * time, keep the maximum), stack the elevated dimensions into
 * R = prod(1 + w_d * s_d) - 1, ask the policy, and decide whether a command
 * is due:
 *  - a REQUESTED tool call with want_verdict always gets a verdict (ALLOW
 *    included); one without gets a command only for ESCALATE or stronger;
 *  - any other event issues a session-level KILL when the session crosses
 *    the kill line;
 *  - after a KILL, every requested call of the session is killed;
 *  - an approval turns an escalated call that awaits a decision into
 *    ALLOW (approve) or BLOCK (deny); one for any other call is ignored.
 * A pure function of the event sequence and configuration: same input, same
 * commands, same ids.
 *
 * @locality one aggregator per worker thread.
 */
#ifndef SR_AGGREGATOR_H
#define SR_AGGREGATOR_H

#include "aggregator/command.h"
#include "aggregator/policy.h"
#include "aggregator/session.h"
#include "detectors/registry.h"

struct sr_aggregator;

/* dets and policy are borrowed and must outlive the aggregator. */
struct sr_aggregator *sr_aggregator_create(const struct sr_detectors *dets,
                                           const struct sr_policy *policy,
                                           char *err, size_t errlen);
void sr_aggregator_destroy(struct sr_aggregator *a);

/* Processes one event. Returns 1 and fills *cmd when a command is due, 0
 * when not, SR_AGG_REDELIVERED when the event's id is among the last
 * SR_SEEN_MAX of its session (it changed nothing and is not to be
 * recorded), SR_ENOMEM when a new session could not be allocated. */
#define SR_AGG_REDELIVERED 2
int sr_aggregator_process(struct sr_aggregator *a, const struct sr_event *ev,
                          struct sr_command *cmd);

/* Where sessions not in memory come from: load(ctx, s) fills the fresh
 * session s (id set, all else zero) from durable state and returns 1, 0
 * when there is none, negative on error (s is then used fresh). Called on
 * the worker thread for the first event of a session not in memory. */
typedef int (*sr_session_loader)(void *ctx, struct sr_session *s);
void sr_aggregator_set_loader(struct sr_aggregator *a, sr_session_loader load,
                              void *ctx);

/* A session whose previous event is more than retention_ms (event time)
 * before the current one starts afresh; 0 keeps sessions forever. Decided
 * per session from its own events, so it does not depend on when sessions
 * are evicted. */
void sr_aggregator_set_retention(struct sr_aggregator *a, int64_t retention_ms);

/* The session the last sr_aggregator_process touched and that event's
 * detection (stale for an approval, which runs no detector); valid until
 * the next process or eviction. */
struct sr_session *sr_aggregator_last_session(struct sr_aggregator *a);
const struct sr_detection *sr_aggregator_last_detection(
    const struct sr_aggregator *a);

/* Frees the in-memory sessions for which evict(s, arg) is true. */
size_t sr_aggregator_evict(struct sr_aggregator *a,
                           bool (*evict)(const struct sr_session *, void *),
                           void *arg);

/* Read access for tests and queries; NULL when unknown. */
const struct sr_session *sr_aggregator_session(struct sr_aggregator *a,
                                               sr_str id);
const struct sr_session_table *sr_aggregator_sessions(
    const struct sr_aggregator *a);

/* R = prod over elevated d of (1 + w_d * s_d) - 1, and the depth. */
double sr_stack_risk(const struct sr_detectors *dets, const float *scores,
                     uint32_t *depth);

/* score * 2^(-dt / half_life); dt <= 0 leaves it unchanged. */
float sr_decay(float score, int64_t dt_ms, int64_t half_life_ms);

#endif
