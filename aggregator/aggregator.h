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
 *  - an approval turns the escalated call into ALLOW (approve) or BLOCK
 *    (deny).
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
 * when not, SR_ENOMEM when a new session could not be allocated. */
int sr_aggregator_process(struct sr_aggregator *a, const struct sr_event *ev,
                          struct sr_command *cmd);

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
