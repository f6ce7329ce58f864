/*
 * The repartition stage: OTLP in, sessions out. The Collector's Kafka
 * exporter keys its messages by trace id or not at all, and one message
 * mixes many sessions, so OTLP input cannot go straight to the stateful
 * stage (whose workers, and whose instances in a consumer group, must each
 * own whole sessions). This stateless stage consumes the OTLP topic in its
 * own consumer group, maps the spans (ingest/otlp.h) and produces each
 * event as a protobuf stackrisk.v1.Event keyed by session id, with the
 * murmur2_random partitioner, to an internal topic that the stateful stage
 * consumes next to stackrisk.events. One instance or many, the same path.
 *
 * Delivery: the producer is idempotent and retries forever; an input offset
 * is stored for commit only after every record produced for the messages
 * before it has been acknowledged (a flush at each commit tick and at every
 * revoke), so a crash or a broker outage loses nothing and at worst
 * repeats; repeated events carry the same event ids, hence the same
 * command ids. A message that does not decode is dead-lettered whole; a
 * span that does not map is dead-lettered alone (re-encoded as a one-span
 * TracesData) with the reason, and the rest of its message goes on.
 *
 * @locality one thread of its own (start/stop); stats are read by others.
 */
#ifndef SR_REPARTITION_H
#define SR_REPARTITION_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/kafka.h"
#include "core/metrics.h"
#include "ingest/event.h"
#include "ingest/otlp.h"

struct sr_repartition;

struct sr_repartition_opts {
  const char *brokers;
  const char *group;        /* the stage's consumer group */
  const char *dlq_topic;
  const char *offset_reset; /* earliest | latest */
  const struct sr_kafka_props *props;
  const struct sr_otlp_config *otlp; /* topics, keys; borrowed */
  size_t max_message_bytes;
  int64_t max_future_ms; /* see sr_decode_opts; 0 = no bound */
  int commit_interval_ms;
  /* Create waits up to metadata_ms (0: not at all) for the brokers to
   * describe the topics it writes, less once *stop is raised (stop may be
   * NULL); see sr_producer_know_topics. */
  int metadata_ms;
  const volatile sig_atomic_t *stop;
  /* The pipeline's metrics, where the stage counts and its Kafka clients
   * are watched (/metrics, /healthz); borrowed, must outlive the stage.
   * NULL: counters of its own, no watch. */
  struct sr_metrics *metrics;
};

/* Subscribes; does not start consuming. NULL with err on failure. */
struct sr_repartition *sr_repartition_create(
    const struct sr_repartition_opts *opts, char *err, size_t errlen);
/* Starts the stage's thread. */
int sr_repartition_start(struct sr_repartition *r, char *err, size_t errlen);
/* Finishes the message in hand, waits for delivery, commits, leaves the
 * group and joins the thread. */
void sr_repartition_stop(struct sr_repartition *r);
/* Stops if running; accepts NULL. */
void sr_repartition_destroy(struct sr_repartition *r);
const struct sr_metrics_otlp *sr_repartition_stats(
    const struct sr_repartition *r);

/* One event as a serialized stackrisk.v1.Event, in the arena; the native
 * decoder reads it back to the same sr_event. 0 or SR_ENOMEM. */
int sr_repartition_encode(const struct sr_event *ev, struct sr_arena *arena,
                          sr_str *out);

#endif
