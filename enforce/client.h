/*
 * What every enforcer-side command (gate, approve, deny, watch) reads from
 * the configuration file, so they agree with `stackrisk run` on brokers,
 * topics, Kafka properties and the public key without each parsing YAML:
 * kafka.brokers, kafka.topics.{events,control}, kafka.properties,
 * signing.public_key, and the gate section (socket, deadline_ms, hold_ms).
 * Command-line flags override these afterwards.
 */
#ifndef SR_CLIENT_H
#define SR_CLIENT_H

#include "aggregator/sign.h"
#include "core/config.h"
#include "core/kafka.h"

struct sr_client_conf {
  struct sr_conf *conf; /* owned; NULL without a file */
  const char *brokers;
  const char *events_topic;
  const char *control_topic;
  struct sr_kafka_props props;
  const char *public_key; /* NULL: the default path */
  const char *socket;     /* gate.socket; NULL: none */
  long long deadline_ms;
  long long hold_ms;
};

/* Defaults, then `path` when not NULL. SR_EINVAL with err naming file, line
 * and key. */
int sr_client_conf_load(const char *path, struct sr_client_conf *c, char *err,
                        size_t errlen);
void sr_client_conf_clear(struct sr_client_conf *c);

/* The command line wins over the file: each flag given (not NULL) replaces
 * its setting, and the -X properties follow the file's. */
void sr_client_conf_override(struct sr_client_conf *c, const char *brokers,
                             const char *public_key, const char *events_topic,
                             const char *control_topic,
                             const struct sr_kafka_props *xprops);

/* Loads the public key: `path` when set, else the default
 * (~/.config/stackrisk/signing.pub). NULL with err saying which file and
 * how to make one. */
struct sr_verifier *sr_client_verifier(const char *path, char *err,
                                       size_t errlen);

#endif
