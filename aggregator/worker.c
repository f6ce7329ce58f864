/*
 * Worker thread loop: ring → decode → aggregate → publish → mark done.
 *
 * The order inside one message matters for at-least-once: the command (or
 * dead letter) is handed to the producer, which counts it as outstanding,
 * before the offset is marked done; the consumer stores offsets only when
 * nothing is outstanding. So a stored offset never covers a command that
 * was not delivered.
 *
 * Commands are signed in Merkle batches (aggregator/sign.h): one Ed25519
 * signature (~23 µs) covers up to SR_BATCH_MAX commands. handle() leaves
 * each command in the pending batch; flush() signs it, hands each command to the
 * producer in order, and then marks done the offsets of the messages
 * handled while it was pending (their marks wait, latest offset per
 * partition, so the rule above still holds). A batch is flushed when full,
 * FLUSH_AFTER messages after its first command, when the ring is empty
 * (before the worker sleeps, so an idle worker publishes at once), before a
 * checkpoint barrier is sealed (the checkpoint must see every command of
 * the events before it handed to the producer), and at stop. So batching
 * delays a command by at most FLUSH_AFTER messages' processing (~3 ms at
 * 2-3 µs a message), and only under load, where the ring's own backlog
 * (4096 messages) already holds each message longer: an idle worker
 * flushes at once. FLUSH_AFTER is sized so that batches fill: at the bench
 * corpus's rate (a command per 12 events) 256 messages made batches of
 * ~22, and the signature per batch was ~900 instructions per event.
 *
 * When the ring is empty the worker blocks on it (sr_ring_wait_nonempty)
 * and the consumer's next push wakes it: no CPU at idle, and a verdict
 * request does not wait out a sleep.
 */
#include "aggregator/worker.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aggregator/store.h"
#include "core/arena.h"
#include "core/log.h"
#include "ingest/consumer.h"
#include "ingest/decode.h"
#include "ingest/dlq.h"

/* Messages handled after a batch's first command before it is flushed. */
#define FLUSH_AFTER 1024

struct sr_worker {
  struct sr_worker_opts opts;
  struct sr_ring *ring;
  struct sr_arena *arena;
  struct sr_aggregator *agg;
  uint64_t handled; /* messages, for timing one in SR_METRICS_TIMED_EVERY */
  pthread_t thread;
  bool running;
  atomic_bool stop;
  /* The pending batch; the aggregator writes each event's command straight
   * into the next free slot. */
  struct sr_command batch[SR_BATCH_MAX];
  size_t n_batch;
  size_t since_first; /* messages handled since batch[0] */
  /* Done marks held back while a batch is pending: the latest offset per
   * partition. At most FLUSH_AFTER messages wait, so at most as many
   * partitions. */
  struct {
    struct sr_track *track;
    int64_t offset;
  } held[FLUSH_AFTER];
  size_t n_held;
  uint8_t pb[SR_COMMAND_PB_MAX];
};

struct sr_worker *sr_worker_create(const struct sr_worker_opts *opts,
                                   char *err, size_t errlen) {
  struct sr_worker *w = calloc(1, sizeof *w);
  if (!w) goto oom;
  w->opts = *opts;
  if (!w->opts.max_message_bytes)
    w->opts.max_message_bytes = SR_MESSAGE_MAX_DEFAULT;
  w->ring = sr_ring_create(opts->ring_capacity ? opts->ring_capacity : 4096);
  /* Decoding never needs more than a few times the message size. */
  w->arena = sr_arena_create(4 * w->opts.max_message_bytes + (1u << 20));
  if (!w->ring || !w->arena) goto oom;
  w->agg = sr_aggregator_create(opts->dets, opts->policy, err, errlen);
  if (!w->agg) goto fail;
  if (opts->shard) sr_shard_attach(opts->shard, w->agg);
  atomic_init(&w->stop, false);
  return w;
oom:
  snprintf(err, errlen, "out of memory creating worker %zu", opts->index);
fail:
  sr_worker_destroy(w);
  return NULL;
}

struct sr_ring *sr_worker_ring(struct sr_worker *w) { return w->ring; }

/* Signs the pending batch, hands its commands to the producer in order,
 * then releases the done marks held for it. @locality worker thread */
static void flush(struct sr_worker *w) {
  if (!w->n_batch) return;
  if (w->opts.signer) sr_signer_sign_batch(w->opts.signer, w->batch, w->n_batch);
  for (size_t i = 0; i < w->n_batch; i++) {
    struct sr_command *cmd = &w->batch[i];
    int n = sr_command_encode(cmd, w->pb, sizeof w->pb);
    assert(n > 0); /* SR_COMMAND_PB_MAX covers the largest command */
    sr_producer_send(w->opts.producer, w->opts.control_topic,
                     RD_KAFKA_PARTITION_UA, cmd->session_id,
                     strlen(cmd->session_id), w->pb, (size_t)n, NULL, 0);
    sr_metrics_command(w->opts.metrics, cmd->action);
    SR_DEBUG("command %s %s session=%s call=%s rule=%s risk=%.3f batch=%u/%u",
             cmd->command_id, sr_action_name(cmd->action), cmd->session_id,
             cmd->call_id, cmd->rule, cmd->risk, cmd->batch_index,
             cmd->batch_size);
    if (w->opts.shard) sr_shard_published(w->opts.shard);
  }
  w->n_batch = 0;
  for (size_t i = 0; i < w->n_held; i++)
    sr_track_done(w->held[i].track, w->opts.index, w->held[i].offset);
  w->n_held = 0;
}

/* Marks offset done now, or, while a batch is pending, after its flush.
 * @locality worker thread */
static void mark_done(struct sr_worker *w, struct sr_track *t,
                      int64_t offset) {
  if (!w->n_batch) {
    sr_track_done(t, w->opts.index, offset);
    return;
  }
  size_t i = w->n_held;
  while (i > 0 && w->held[i - 1].track != t) i--;
  if (i == 0) {
    assert(w->n_held < FLUSH_AFTER);
    i = ++w->n_held;
    w->held[i - 1].track = t;
  }
  w->held[i - 1].offset = offset; /* offsets of a partition only grow */
}

/* @locality worker thread */
static void handle(struct sr_worker *w, rd_kafka_message_t *m) {
  char err[512];
  struct sr_event ev;
  rd_kafka_timestamp_type_t tstype;
  int64_t ts = rd_kafka_message_timestamp(m, &tstype);
  struct sr_decode_opts dopts = {w->opts.max_message_bytes, ts > 0 ? ts : 0};
  sr_arena_reset(w->arena);
  int rc = sr_decode_event(m->payload, m->len, &dopts, w->arena, &ev, err,
                           sizeof err);
  if (rc != SR_OK) {
    sr_metrics_decode_error(w->opts.metrics);
    sr_metrics_dead_letter(w->opts.metrics);
    SR_DEBUG("dead letter %s [%d] @%lld: %s", rd_kafka_topic_name(m->rkt),
             (int)m->partition, (long long)m->offset, err);
    sr_dlq_send(w->opts.producer, w->opts.dlq_topic, m, err);
    return;
  }
  ev.partition = m->partition;
  ev.offset = m->offset;
  sr_metrics_event(w->opts.metrics, ev.type);
  assert(w->n_batch < SR_BATCH_MAX); /* a full batch is flushed at once */
  struct sr_command *cmd = &w->batch[w->n_batch];
  rc = sr_aggregator_process(w->agg, &ev, cmd);
  if (rc >= 0 && w->opts.shard) /* the topic goes only into audit rows */
    sr_shard_note(w->opts.shard, &ev, rc == 1 ? cmd : NULL,
                  rc == 1 ? rd_kafka_topic_name(m->rkt) : NULL);
  if (rc == 1) {
    if (w->n_batch++ == 0) w->since_first = 0; /* published by flush() */
  } else if (rc < 0) {
    snprintf(err, sizeof err, "out of memory for a new session");
    sr_metrics_dead_letter(w->opts.metrics);
    sr_dlq_send(w->opts.producer, w->opts.dlq_topic, m, err);
  }
}

static void *run(void *arg) {
  struct sr_worker *w = arg;
  char name[16];
  snprintf(name, sizeof name, "sr-worker-%zu", w->opts.index);
  pthread_setname_np(pthread_self(), name);
  for (;;) {
    struct sr_ring_item item;
    if (sr_ring_pop(w->ring, &item)) {
      if (!item.a) { /* a checkpoint barrier (only sent with a store) */
        flush(w);
        sr_shard_seal(w->opts.shard, item.b);
        continue;
      }
      rd_kafka_message_t *m = item.a;
      if (w->handled++ % SR_METRICS_TIMED_EVERY == 0) {
        uint64_t t0 = sr_metrics_clock_ns(w->opts.metrics);
        handle(w, m);
        sr_metrics_processed(w->opts.metrics, t0);
      } else {
        handle(w, m);
      }
      sr_metrics_sessions(w->opts.metrics, sr_session_table_count(
                                               sr_aggregator_sessions(w->agg)));
      mark_done(w, item.b, m->offset);
      rd_kafka_message_destroy(m);
      if (w->n_batch &&
          (w->n_batch == SR_BATCH_MAX || ++w->since_first >= FLUSH_AFTER))
        flush(w);
      continue;
    }
    flush(w); /* the ring is empty: publish before sleeping */
    if (atomic_load(&w->stop)) break;
    /* The timeout is only a safety net: a push or sr_worker_stop wakes. */
    sr_ring_wait_nonempty(w->ring, 100);
  }
  return NULL;
}

int sr_worker_start(struct sr_worker *w, char *err, size_t errlen) {
  int e = pthread_create(&w->thread, NULL, run, w);
  if (e) {
    snprintf(err, errlen, "cannot start worker %zu: %s", w->opts.index,
             strerror(e));
    return SR_EINVAL;
  }
  w->running = true;
  return SR_OK;
}

void sr_worker_stop(struct sr_worker *w) {
  if (!w->running) return;
  atomic_store(&w->stop, true);
  sr_ring_kick(w->ring);
  pthread_join(w->thread, NULL);
  w->running = false;
}

void sr_worker_destroy(struct sr_worker *w) {
  if (!w) return;
  sr_worker_stop(w);
  sr_aggregator_destroy(w->agg);
  sr_arena_destroy(w->arena);
  sr_ring_destroy(w->ring);
  free(w);
}
