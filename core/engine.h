/*
 * The engine: everything `run` and `replay` share, built once from the
 * configuration file: the parsed config, the detector set (with catalogue,
 * credential registry and resource inventory) and the policy, plus the
 * application settings (Kafka, topics, workers, limits).
 *
 * @locality built at setup; read-only afterwards and shared by all workers.
 */
#ifndef SR_ENGINE_H
#define SR_ENGINE_H

#include "aggregator/policy.h"
#include "core/config.h"
#include "core/kafka.h"
#include "detectors/registry.h"
#include "ingest/otlp.h"

struct sr_settings {
  const char *brokers; /* NULL or "": start the embedded broker */
  const char *group;
  const char *topic_events;
  const char *topic_control;
  const char *topic_dlq;
  long long workers;
  long long partitions;        /* topics created by the embedded broker */
  long long max_message_bytes;
  long long max_future_s; /* events stamped further ahead of their
                             record's time are dead-lettered; 0 = no
                             bound */
  long long commit_interval_ms;
  long long restore_window_s;  /* see processing.restore_window_s */
  long long linger_ms;         /* control producer */
  const char *offset_reset;    /* earliest | latest */
  struct sr_kafka_props props; /* kafka.properties, then -X flags */
  const char *http_listen;     /* http.listen; NULL or "": no HTTP server */
  const char *http_token_file; /* http.token_file; NULL: no token */
  const char *state_path;      /* state database (also read by the query API); "" = none */
  long long idle_eviction_s;   /* evict sessions idle this long (event time) */
  long long retention_s;       /* forget sessions idle this long (event time) */
  long long audit_retention_s; /* keep audit rows this long (event time) */
  long long timeline_events;   /* timeline entries kept per session */
  const char *signing_key;     /* signing.private_key; NULL/"": the default */
  const char *public_key;      /* signing.public_key; NULL/"": the default */
};

struct sr_engine {
  struct sr_conf *conf; /* NULL when no file was given */
  struct sr_settings settings;
  struct sr_detectors *dets;
  struct sr_policy *policy;
  struct sr_otlp_config otlp; /* the OTLP input and its repartition stage */
};

/* Loads `path` (NULL: built-in defaults) and builds detectors and policy.
 * NULL with err ("FILE:LINE: key: problem") on any error. */
struct sr_engine *sr_engine_create(const char *path, char *err, size_t errlen);
void sr_engine_destroy(struct sr_engine *e);

#endif
