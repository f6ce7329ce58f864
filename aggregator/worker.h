/*
 * A worker thread: the stateful half of `stackrisk run`. It owns the
 * sessions routed to it (an aggregator), pops messages from its ring,
 * decodes, aggregates, publishes commands keyed by session id, dead-letters
 * what does not decode, and marks each input offset done. With a state
 * store, it notes every change in its shard and seals the shard when a
 * checkpoint barrier (a ring item with no message) reaches it.
 *
 * @locality one thread per worker; the stats are read by others.
 */
#ifndef SR_WORKER_H
#define SR_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include "aggregator/aggregator.h"
#include "aggregator/sign.h"
#include "core/kafka.h"
#include "core/metrics.h"
#include "core/ring.h"

struct sr_shard;

struct sr_worker;

struct sr_worker_opts {
  size_t index;
  const struct sr_detectors *dets; /* borrowed, shared read-only */
  const struct sr_policy *policy;  /* borrowed, shared read-only */
  struct sr_producer *producer;    /* borrowed, thread-safe */
  const struct sr_signer *signer;  /* borrowed; signs every command */
  const char *control_topic;
  const char *dlq_topic;
  size_t max_message_bytes;
  int64_t max_future_ms; /* see sr_decode_opts; 0 = no bound */
  size_t ring_capacity;
  struct sr_metrics_shard *metrics; /* borrowed; NULL: not counted */
  struct sr_shard *shard;          /* borrowed; NULL: no state store */
};

struct sr_worker *sr_worker_create(const struct sr_worker_opts *opts,
                                   char *err, size_t errlen);
/* The ring the consumer feeds this worker through. */
struct sr_ring *sr_worker_ring(struct sr_worker *w);
int sr_worker_start(struct sr_worker *w, char *err, size_t errlen);
/* Lets the worker finish its ring, then joins it. */
void sr_worker_stop(struct sr_worker *w);
/* Stops if running; accepts NULL. */
void sr_worker_destroy(struct sr_worker *w);

#endif
