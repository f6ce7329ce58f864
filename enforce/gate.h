/*
 * The gate: the enforcer that holds a tool call until stackrisk has decided.
 *
 * sr_gate_decide publishes the call (a requested tool_call with
 * want_verdict, keyed by session id) and waits for a command on that call
 * id that verifies under the configured public key. The control reader is
 * positioned on the end of the verdict's partition before anything is
 * published, so a verdict cannot arrive before the gate listens. ALLOW,
 * BLOCK and KILL answer at once; ESCALATE holds the call up to hold_ms for a
 * human's `stackrisk approve` / `stackrisk deny` (an ALLOW or BLOCK on the
 * same call), then answers ESCALATE. When nothing trustworthy arrives within
 * deadline_ms the gate decides alone by stackrisk's own rules: the
 * detectors and policy of the same configuration, on the call as the only
 * event of its session, give ALLOW, ESCALATE, BLOCK or KILL as the
 * processor would for a session that begins with this call; a call that
 * cannot be judged is blocked (failing closed). The reason says so, with
 * the rule and the elevated dimensions.
 *
 * One gate serves one hook process (follow one session's partition) or, as
 * the sidecar, many concurrent calls (follow every partition): a reader
 * thread hands each command to the call waiting for it.
 *
 * @locks sr_gate_decide is thread-safe.
 */
#ifndef SR_GATE_H
#define SR_GATE_H

#include <signal.h>

#include "aggregator/sign.h"
#include "core/config.h"
#include "core/kafka.h"
#include "enforce/hook.h"

struct sr_gate_opts {
  const char *brokers;
  const char *events_topic;
  const char *control_topic;
  const struct sr_kafka_props *props;   /* borrowed */
  const struct sr_verifier *verifier;   /* borrowed; NULL: trust nothing */
  const struct sr_conf_node *conf_root; /* detectors, policy; may be NULL */
  const char *session;  /* follow only this session's partition; NULL: all */
  int deadline_ms;      /* for the first verdict */
  int hold_ms;          /* after an ESCALATE, for the human's decision */
  bool eager_judge;     /* build the local rules now, not at the first miss */
};

struct sr_gate;

/* NULL with err when Kafka cannot be reached within deadline_ms or an
 * option is wrong. Strings in opts are borrowed for the gate's life. */
struct sr_gate *sr_gate_create(const struct sr_gate_opts *opts, char *err,
                               size_t errlen);
void sr_gate_destroy(struct sr_gate *g);

/* Publishes req and waits for its verdict; always fills *v. */
void sr_gate_decide(struct sr_gate *g, const struct sr_hook_request *req,
                    struct sr_gate_verdict *v);

/* The answer when there is no gate at all (Kafka unreachable): stackrisk's
 * rules decide locally, as on a missed deadline. `why` says what failed. */
void sr_gate_decide_alone(const struct sr_conf_node *conf_root,
                          const struct sr_hook_request *req, const char *why,
                          struct sr_gate_verdict *v);

/* Sidecar: serves sr_gate_decide to hook processes on a Unix socket until
 * *stop. 0, or SR_EIO with err when the socket cannot be bound. */
int sr_gate_serve(struct sr_gate *g, const char *socket_path,
                  volatile sig_atomic_t *stop, char *err, size_t errlen);

/* Hook side of the sidecar: sends req, waits up to timeout_ms for the
 * verdict. SR_EIO with err when the sidecar cannot be reached (the caller
 * then decides on its own), SR_ETIMEOUT when it did not answer. */
int sr_gate_remote_decide(const char *socket_path,
                          const struct sr_hook_request *req, int timeout_ms,
                          struct sr_gate_verdict *v, char *err, size_t errlen);

#endif
