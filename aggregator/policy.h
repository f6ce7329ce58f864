/*
 * Policy: from a session's stacked risk, its depth and the triggering
 * event's own scores to an action.
 *
 * Two kinds of decision, the stronger wins:
 *  - tiers on the session: ESCALATE / BLOCK / KILL when the stacked risk R and
 *    the stack depth both reach the tier's bounds (risk compounds across
 *    layers; one layer alone stays below the escalate tier by default);
 *  - hard rules on the event: named conditions over this event's dimension
 *    scores and the environment it acts on, such as "destructive >= 0.9 on
 *    production with credential_misuse or scope_inflation".
 * Tiers below KILL apply only to an event that contributes risk itself (a
 * mutating call or one with a score of its own), so a read in a session that
 * once scored high is not blocked for what came before it.
 *
 * @locality built at setup; read-only afterwards, shared by workers.
 */
#ifndef SR_POLICY_H
#define SR_POLICY_H

#include "aggregator/command.h"
#include "core/config.h"
#include "detectors/registry.h"

#define SR_POLICY_RULES_MAX 32
#define SR_POLICY_TERMS_MAX 8

struct sr_policy;

struct sr_policy_input {
  double risk;               /* session's stacked risk after this event */
  uint32_t depth;            /* session's elevated dimensions */
  const float *event_scores; /* this event's score per dimension */
  const struct sr_op *op;    /* this event's classification */
  bool contributes;          /* mutating, or scored in some dimension */
  uint32_t scored;           /* bit d set when event_scores[d] > 0 */
};

/* Reads `policy` from the config root (NULL: defaults). Dimension names in
 * rules are checked against the registry. NULL with err on a bad entry.
 * Rule names are borrowed from the config tree, which must outlive the
 * policy. */
struct sr_policy *sr_policy_create(const struct sr_conf_node *root,
                                   const struct sr_detectors *dets, char *err,
                                   size_t errlen);
void sr_policy_destroy(struct sr_policy *p);

/* The action for this input (NONE when nothing applies) and, in rule, the
 * name of what decided it ("tier.block", or the rule's name).
 * @locality worker thread; pure. */
enum sr_action sr_policy_decide(const struct sr_policy *p,
                                const struct sr_policy_input *in, char *rule,
                                size_t rulelen);

/* How long an issued command stays valid (expires_at - issued_at). */
int64_t sr_policy_ttl_ms(const struct sr_policy *p);

#endif
