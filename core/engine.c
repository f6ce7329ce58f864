/*
 * Engine setup: config file → settings, detectors, policy. Unknown
 * top-level keys are rejected so a typo ("polciy:") does not silently fall
 * back to defaults.
 */
#include "core/engine.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "ingest/event.h"

static const struct sr_conf_field topic_fields[] = {
    {SR_CONF_T_STRING, "events", "stackrisk.events",
     offsetof(struct sr_settings, topic_events), 0, 0, "input events"},
    {SR_CONF_T_STRING, "control", "stackrisk.control",
     offsetof(struct sr_settings, topic_control), 0, 0, "commands out"},
    {SR_CONF_T_STRING, "dlq", "stackrisk.dlq",
     offsetof(struct sr_settings, topic_dlq), 0, 0, "dead letters"},
    {0}};

static const struct sr_conf_field processing_fields[] = {
    {SR_CONF_T_INT, "workers", "2", offsetof(struct sr_settings, workers), 1,
     64, "worker threads; sessions are sharded over them"},
    {SR_CONF_T_INT, "max_message_bytes", "1048576",
     offsetof(struct sr_settings, max_message_bytes), 1024, 64 << 20,
     "larger input messages are dead-lettered"},
    {SR_CONF_T_INT, "max_future_s", "600",
     offsetof(struct sr_settings, max_future_s), 0, 1e9,
     "events stamped further ahead of when they were written (the Kafka "
     "record's time) are dead-lettered; 0 = no bound"},
    {SR_CONF_T_INT, "commit_interval_ms", "200",
     offsetof(struct sr_settings, commit_interval_ms), 10, 60000,
     "how often processed offsets are stored"},
    {SR_CONF_T_INT, "restore_window_s", "86400",
     offsetof(struct sr_settings, restore_window_s), 0, 1e9,
     "how far back a partition the group has read before, but this "
     "instance holds no state for, is read again to rebuild its sessions; "
     "0 = not at all"},
    {SR_CONF_T_INT, "embedded_partitions", "8",
     offsetof(struct sr_settings, partitions), 1, 256,
     "partitions of the topics the embedded broker creates"},
    {0}};

static const struct sr_conf_field http_fields[] = {
    {SR_CONF_T_STRING, "listen", NULL, offsetof(struct sr_settings, http_listen),
     0, 0, "query API address: PORT or ADDR:PORT (127.0.0.1 unless named)"},
    {SR_CONF_T_STRING, "token_file", NULL,
     offsetof(struct sr_settings, http_token_file), 0, 0,
     "file whose first line is the API's bearer token"},
    {0}};

static const struct sr_conf_field state_fields[] = {
    {SR_CONF_T_STRING, "path", "stackrisk-state.db",
     offsetof(struct sr_settings, state_path), 0, 0,
     "SQLite state database (--state wins); \"\" runs without one"},
    {SR_CONF_T_INT, "idle_eviction_s", "900",
     offsetof(struct sr_settings, idle_eviction_s), 0, 1e9,
     "sessions idle this long (event time) leave memory; 0 = never"},
    {SR_CONF_T_INT, "retention_s", "604800",
     offsetof(struct sr_settings, retention_s), 0, 1e10,
     "sessions idle this long (event time) are forgotten; 0 = never"},
    {SR_CONF_T_INT, "audit_retention_s", "7776000",
     offsetof(struct sr_settings, audit_retention_s), 0, 1e10,
     "audit rows older than this (event time) are deleted; 0 = never"},
    {SR_CONF_T_INT, "timeline_events", "50",
     offsetof(struct sr_settings, timeline_events), 1, 10000,
     "timeline events kept per session for the dashboard"},
    {0}};

static const struct sr_conf_field signing_fields[] = {
    {SR_CONF_T_STRING, "private_key", "",
     offsetof(struct sr_settings, signing_key), 0, 0,
     "secret key the processor signs commands with"},
    {SR_CONF_T_STRING, "public_key", "",
     offsetof(struct sr_settings, public_key), 0, 0,
     "public key enforcement points verify commands with"},
    {0}};

/* kafka: { brokers, group, ..., topics: {...}, properties: {...} } */
static int read_kafka(const struct sr_conf_node *kafka, struct sr_settings *s,
                      char *err, size_t errlen) {
  const struct sr_conf_node *topics = sr_conf_get(kafka, "topics");
  const struct sr_conf_node *props = sr_conf_get(kafka, "properties");
  /* Sub-maps sit beside the scalars, so the keys are checked here and the
   * scalars read one by one rather than through a field table. */
  static const char *const keys[] = {"brokers",   "group",  "offset_reset",
                                     "linger_ms", "topics", "properties",
                                     NULL};
  if (sr_conf_check_keys(kafka, keys, err, errlen)) return SR_EINVAL;
  char kerr[512];
  if (sr_conf_get_string(kafka, "brokers", NULL, &s->brokers, err, errlen) ||
      sr_conf_get_string(kafka, "group", "stackrisk", &s->group, err, errlen) ||
      sr_conf_get_string(kafka, "offset_reset", "earliest", &s->offset_reset,
                         err, errlen) ||
      sr_conf_get_int(kafka, "linger_ms", 1, 0, 1000, &s->linger_ms, err,
                      errlen) ||
      sr_conf_apply(topics, topic_fields, s, err, errlen))
    return SR_EINVAL;
  /* librdkafka says which words it takes (earliest, latest and their
   * aliases), here rather than when the consumer is made. */
  if (sr_kafka_prop_check("auto.offset.reset", s->offset_reset, kerr,
                          sizeof kerr))
    return sr_conf_error(sr_conf_get(kafka, "offset_reset"), err, errlen, "%s",
                         kerr);
  return sr_kafka_props_read(props, &s->props, err, errlen);
}

struct sr_engine *sr_engine_create(const char *path, char *err, size_t errlen) {
  static const char *const top[] = {"kafka",       "processing", "detectors",
                                    "catalogue",   "credentials", "resources",
                                    "policy",      "http",        "otlp",
                                    "state",       "signing",     "gate",
                                    NULL};
  struct sr_engine *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  const struct sr_conf_node *root = NULL;
  if (path) {
    e->conf = sr_conf_load_file(path, err, errlen);
    if (!e->conf) goto fail;
    root = sr_conf_root(e->conf);
  }
  if (sr_conf_check_keys(root, top, err, errlen) ||
      read_kafka(sr_conf_get(root, "kafka"), &e->settings, err, errlen) ||
      sr_conf_apply(sr_conf_get(root, "processing"), processing_fields,
                    &e->settings, err, errlen) ||
      sr_conf_apply(sr_conf_get(root, "http"), http_fields, &e->settings, err,
                    errlen) ||
      sr_otlp_config_read(sr_conf_get(root, "otlp"), &e->otlp, err, errlen) ||
      sr_conf_apply(sr_conf_get(root, "state"), state_fields, &e->settings,
                    err, errlen) ||
      sr_conf_apply(sr_conf_get(root, "signing"), signing_fields,
                    &e->settings, err, errlen))
    goto fail;
  e->dets = sr_detectors_create(root, err, errlen);
  if (!e->dets) goto fail;
  e->policy = sr_policy_create(root, e->dets, err, errlen);
  if (!e->policy) goto fail;
  return e;
fail:
  sr_engine_destroy(e);
  return NULL;
}

void sr_engine_destroy(struct sr_engine *e) {
  if (!e) return;
  sr_policy_destroy(e->policy);
  sr_detectors_destroy(e->dets);
  sr_conf_destroy(e->conf);
  free(e);
}
