/*
 * The input side of `stackrisk run`: a consumer-group consumer that routes
 * every message to the worker owning its session, and commits an input
 * offset only once everything before it has been processed and everything
 * produced for it (commands, dead letters) has been acknowledged.
 *
 * Routing: the session id is peeked from the payload (sr_decode_peek_session)
 * and hashed onto one of N workers; a message without one goes to a worker
 * chosen by its offset, where the full decode dead-letters it with the
 * precise reason.
 *
 * Offsets: per partition and worker the consumer records the last offset it
 * handed over and the worker the last one it finished. The safe offset of a
 * partition is the lowest unfinished one; it is stored only when the
 * producer's outstanding count is zero after those marks were read.
 * With a state store (sr_state_hooks) the store decides instead: offsets
 * are checkpointed with the state, partitions resume from the store's
 * offsets, and Kafka's committed offsets follow the store's.
 *
 * Offsets are not assumed to only grow. A partition whose log no longer
 * holds the offset it was to be read from (the topic was recreated, or
 * retention removed the offset) is moved by librdkafka's offset reset; the
 * consumer notices it from the next message's offset, or from the log end
 * of a partition that receives nothing, says so, and when the offsets went
 * back stores the new position (durably, with the state) before it hands
 * over anything from the new log.
 *
 * Several topics are read co-partitioned: partition p of each goes to the
 * same instance of the group, so a session keyed onto partition p of both
 * (its own events, and its OTLP spans re-keyed by the repartition stage)
 * is judged in one place. The range assignor gives that when the topics
 * have equal partition counts and every member reads the same topics; a
 * member that sees its assignment differ between the topics says so.
 *
 * @locality sr_consumer_run runs on one thread (rebalances included);
 * workers touch only sr_track_done.
 */
#ifndef SR_CONSUMER_H
#define SR_CONSUMER_H

#include <signal.h>

#include "core/kafka.h"
#include "core/metrics.h"
#include "core/ring.h"

#define SR_WORKERS_MAX 64
#define SR_CONSUMER_TOPICS_MAX 4

struct sr_consumer;
struct sr_track; /* one assigned partition */

/* Durable state (aggregator/store.h), seen from the consumer: where to
 * resume each partition, and checkpoints whose barrier goes through every
 * worker's ring as an item with a NULL message. With hooks, input offsets
 * are committed to Kafka only after the state store made them durable. */
struct sr_state_hooks {
  void *ctx;
  /* Next offset stored for the partition, or -1. */
  int64_t (*stored)(void *ctx, const char *topic, int32_t partition);
  /* Begins a checkpoint with these next offsets (n entries of topic,
   * partition, next); returns the barrier, or NULL while one is in
   * flight. */
  void *(*begin)(void *ctx, const char *const *topics,
                 const int32_t *partitions, const int64_t *next, size_t n);
  /* True once the barrier's checkpoint is durable. */
  bool (*durable)(void *ctx, void *barrier);
};

struct sr_consumer_opts {
  const char *brokers;
  const char *group;
  const char *const *topics; /* the array is copied, the names borrowed */
  size_t ntopics;            /* 1 to SR_CONSUMER_TOPICS_MAX */
  const struct sr_kafka_props *props;
  size_t n_workers;
  int commit_interval_ms;
  const char *offset_reset; /* "earliest" or "latest" for a new group */
  /* How far back (ms of record time) a newly assigned partition the group
   * has read before, but this instance holds no state for, is read again
   * to rebuild its sessions (publishing nothing until the group's
   * offset); 0: not at all. */
  int64_t restore_window_ms;
  struct sr_metrics *metrics; /* borrowed; NULL: lag not reported */
  const struct sr_state_hooks *state; /* NULL: offsets in Kafka only */
};

/* rings[i] feeds worker i (borrowed); producer is the one the workers
 * produce with (borrowed, for its outstanding count). */
struct sr_consumer *sr_consumer_create(const struct sr_consumer_opts *opts,
                                       struct sr_ring *const *rings,
                                       struct sr_producer *producer, char *err,
                                       size_t errlen);

/* Polls and routes until *stop, then drains the workers, stores the final
 * offsets and leaves the group. 0, or SR_EKAFKA on a fatal consumer error. */
int sr_consumer_run(struct sr_consumer *c, volatile sig_atomic_t *stop);

/* Closes (if run did not) and frees; accepts NULL. */
void sr_consumer_destroy(struct sr_consumer *c);

/* Worker side: marks `offset` of the tracked partition finished by worker
 * `w`. Call after producing everything for the message. */
void sr_track_done(struct sr_track *t, size_t w, int64_t offset);
/* Worker side: whether the message at `offset` only rebuilds state, its
 * commands and dead letters published already by the partition's former
 * owner (see plan_restore in consumer.c). */
bool sr_track_restoring(const struct sr_track *t, int64_t offset);

/* With a state store: messages (all partitions) whose state and offsets
 * the database holds, i.e. routed before the last durable checkpoint;
 * callable from any thread. */
uint64_t sr_consumer_durable_messages(const struct sr_consumer *c);

#endif
