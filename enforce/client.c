/*
 * Enforcer-side configuration (see client.h). Reads only the keys the
 * enforcers use and leaves the rest of the file (detectors, policy) to the
 * processor; without a verdict the gate builds those from the same file's
 * root.
 */
#include "enforce/client.h"

#include <stdio.h>

int sr_client_conf_load(const char *path, struct sr_client_conf *c, char *err,
                        size_t errlen) {
  memset(c, 0, sizeof *c);
  c->events_topic = "stackrisk.events";
  c->control_topic = "stackrisk.control";
  c->deadline_ms = 2000;
  c->hold_ms = 30000;
  if (!path) return SR_OK;
  c->conf = sr_conf_load_file(path, err, errlen);
  if (!c->conf) return SR_EINVAL;
  const struct sr_conf_node *root = sr_conf_root(c->conf);
  const struct sr_conf_node *kafka = sr_conf_get(root, "kafka");
  const struct sr_conf_node *topics = sr_conf_get(kafka, "topics");
  const struct sr_conf_node *props = sr_conf_get(kafka, "properties");
  const struct sr_conf_node *gate = sr_conf_get(root, "gate");
  static const char *const gate_keys[] = {"socket", "deadline_ms", "hold_ms",
                                          NULL};
  const char *pk = NULL, *sock = NULL, *brokers = NULL;
  if (sr_conf_get_string(kafka, "brokers", NULL, &brokers, err, errlen) ||
      sr_conf_get_string(topics, "events", c->events_topic, &c->events_topic,
                         err, errlen) ||
      sr_conf_get_string(topics, "control", c->control_topic, &c->control_topic,
                         err, errlen) ||
      sr_conf_get_string(sr_conf_get(root, "signing"), "public_key", NULL, &pk,
                         err, errlen) ||
      sr_conf_check_keys(gate, gate_keys, err, errlen) ||
      sr_conf_get_string(gate, "socket", NULL, &sock, err, errlen) ||
      sr_conf_get_int(gate, "deadline_ms", c->deadline_ms, 1, 600000,
                      &c->deadline_ms, err, errlen) ||
      sr_conf_get_int(gate, "hold_ms", c->hold_ms, 0, 3600000, &c->hold_ms, err,
                      errlen))
    return SR_EINVAL;
  c->brokers = brokers && *brokers ? brokers : NULL;
  c->public_key = pk && *pk ? pk : NULL;
  c->socket = sock && *sock ? sock : NULL;
  return sr_kafka_props_read(props, &c->props, err, errlen);
}

void sr_client_conf_clear(struct sr_client_conf *c) {
  sr_conf_destroy(c->conf);
  memset(c, 0, sizeof *c);
}

struct sr_verifier *sr_client_verifier(const char *path, char *err,
                                       size_t errlen) {
  char resolved[4096];
  if (sr_sign_resolve_public(path, resolved, sizeof resolved, err, errlen))
    return NULL;
  return sr_verifier_load(resolved, err, errlen);
}

void sr_client_conf_override(struct sr_client_conf *c, const char *brokers,
                             const char *public_key, const char *events_topic,
                             const char *control_topic,
                             const struct sr_kafka_props *xprops) {
  if (brokers) c->brokers = brokers;
  if (public_key) c->public_key = public_key;
  if (events_topic) c->events_topic = events_topic;
  if (control_topic) c->control_topic = control_topic;
  for (size_t i = 0; i < xprops->n && c->props.n < SR_KAFKA_PROPS_MAX; i++) {
    c->props.key[c->props.n] = xprops->key[i];
    c->props.value[c->props.n++] = xprops->value[i];
  }
}
