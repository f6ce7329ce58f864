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
 * each command in the pending run; every SR_BATCH_MAX commands are signed
 * as one batch as soon as they are there, and flush() signs the rest, hands
 * every pending command to the producer in order, and then marks done the
 * offsets of the messages handled while they were pending (their marks
 * wait, latest offset per partition, so the rule above still holds). The
 * run is flushed when it holds RUN_BATCHES full batches, FLUSH_AFTER
 * messages after its first command, when the ring is empty (before the
 * worker sleeps, so an idle worker publishes at once), before a checkpoint
 * barrier is sealed (the checkpoint must see every command of the events
 * before it handed to the producer), and at stop. So batching delays a
 * command by at most FLUSH_AFTER messages' processing (~5 ms at 2-3 µs a
 * message), and only under load, where the ring's own backlog (4096
 * messages) already holds each message longer: an idle worker flushes at
 * once.
 *
 * Why a run of up to SR_BATCH_MAX (256) commands is handed over together:
 * librdkafka sends one produce request per partition, so 64 commands keyed
 * over 16 partitions went out as 16 requests of 4 records, and the
 * requests, not the bytes, cost: producing the bench's commands took more
 * CPU in librdkafka and the broker than consuming all its events. Handing
 * over a run of 256 at once makes each request several times larger
 * without raising linger.ms, which would delay every verdict of an idle
 * system as well. The run is one signed batch (RUN_BATCHES 1): at ~230,000
 * instructions an Ed25519 signature over 64 commands cost more per command
 * than the leaf and node hashes of a tree of 256.
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

/* Messages handled after a run's first command before it is flushed. */
#define FLUSH_AFTER 2048
/* Signed batches a run holds at most: one, since a batch holds as many
 * commands as a run should (one Ed25519 signature per run). */
#define RUN_BATCHES 1
#define RUN_MAX (RUN_BATCHES * SR_BATCH_MAX)

struct sr_worker {
  struct sr_worker_opts opts;
  struct sr_ring *ring;
  struct sr_arena *arena;
  struct sr_aggregator *agg;
  uint64_t handled; /* messages, for timing one in SR_METRICS_TIMED_EVERY */
  struct sr_log_limit dead_log; /* dead letters logged at WARN */
  pthread_t thread;
  bool running;
  atomic_bool stop;
  /* The pending run; the aggregator writes each event's command straight
   * into the next free slot. batch[0..n_signed) are signed already. */
  struct sr_command batch[RUN_MAX];
  size_t n_batch, n_signed;
  size_t since_first; /* messages handled since batch[0] */
  /* Done marks held back while a run is pending: the latest offset per
   * partition. At most FLUSH_AFTER messages wait, so at most as many
   * partitions. */
  struct {
    struct sr_track *track;
    int64_t offset;
  } held[FLUSH_AFTER];
  size_t n_held;
  /* The run's commands encoded (a command takes ~1 KiB; a run that does
   * not fit goes out in parts), and each one's length. */
  uint8_t pb[RUN_MAX * 1024 + SR_COMMAND_PB_MAX];
  size_t pb_len[RUN_MAX];
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

/* Signs the commands of the run not signed yet as one batch. @locality
 * worker thread */
static void sign_rest(struct sr_worker *w) {
  size_t n = w->n_batch - w->n_signed;
  if (!n) return;
  if (w->opts.signer)
    sr_signer_sign_batch(w->opts.signer, w->batch + w->n_signed, n);
  w->n_signed = w->n_batch;
}

/* Signs what is left of the pending run, hands its commands to the
 * producer in order, then releases the done marks held for it.
 * @locality worker thread */
static void flush(struct sr_worker *w) {
  if (!w->n_batch) return;
  sign_rest(w);
  /* Encoded first, then produced back to back, so that the records of a
   * partition are all queued before linger.ms runs out from the first. */
  for (size_t i = 0; i < w->n_batch;) {
    size_t end = i, used = 0;
    for (; end < w->n_batch && sizeof w->pb - used >= SR_COMMAND_PB_MAX;
         end++) {
      int n = sr_command_encode(&w->batch[end], w->pb + used,
                                SR_COMMAND_PB_MAX);
      assert(n > 0); /* SR_COMMAND_PB_MAX covers the largest command */
      w->pb_len[end] = (size_t)n;
      used += (size_t)n;
    }
    for (used = 0; i < end; used += w->pb_len[i++]) {
      const struct sr_command *cmd = &w->batch[i];
      sr_producer_send(w->opts.producer, w->opts.control_topic,
                       RD_KAFKA_PARTITION_UA, cmd->session_id,
                       strlen(cmd->session_id), w->pb + used, w->pb_len[i],
                       NULL, 0);
      sr_metrics_command(w->opts.metrics, cmd->action);
      SR_DEBUG("command %s %s session=%s call=%s rule=%s risk=%.3f "
               "batch=%u/%u",
               cmd->command_id, sr_action_name(cmd->action), cmd->session_id,
               cmd->call_id, cmd->rule, cmd->risk, cmd->batch_index,
               cmd->batch_size);
      if (w->opts.shard) sr_shard_published(w->opts.shard);
    }
  }
  w->n_batch = w->n_signed = 0;
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

/* A message of a partition being restored (sr_track_restoring) rebuilds
 * state only: its commands and dead letters were published by whoever
 * answered it first, and its commands are in that owner's audit log.
 * @locality worker thread */
static void handle(struct sr_worker *w, rd_kafka_message_t *m,
                   const struct sr_track *track) {
  char err[512];
  struct sr_event ev;
  rd_kafka_timestamp_type_t tstype;
  struct sr_decode_opts dopts = sr_decode_opts_record(
      w->opts.max_message_bytes, rd_kafka_message_timestamp(m, &tstype),
      w->opts.max_future_ms);
  sr_arena_reset(w->arena);
  int rc = sr_decode_event(m->payload, m->len, &dopts, w->arena, &ev, err,
                           sizeof err);
  bool restoring = sr_track_restoring(track, m->offset);
  if (rc != SR_OK && restoring) return;
  if (rc != SR_OK) {
    sr_metrics_decode_error(w->opts.metrics);
    sr_metrics_dead_letter(w->opts.metrics);
    sr_dlq_log(&w->dead_log, "", m, err);
    sr_dlq_send(w->opts.producer, w->opts.dlq_topic, m, err);
    return;
  }
  ev.partition = m->partition;
  ev.offset = m->offset;
  sr_metrics_event(w->opts.metrics, ev.type);
  assert(w->n_batch < RUN_MAX); /* a full run is flushed at once */
  struct sr_command *cmd = &w->batch[w->n_batch];
  rc = sr_aggregator_process(w->agg, &ev, cmd);
  if (rc == SR_AGG_REDELIVERED) {
    SR_DEBUG("redelivered event %.*s of session %.*s ignored",
             (int)ev.event_id.n, ev.event_id.p, (int)ev.session_id.n,
             ev.session_id.p);
    return;
  }
  if (rc == 1 && restoring) rc = 0;
  if (rc >= 0 && w->opts.shard) /* the topic goes only into audit rows */
    sr_shard_note(w->opts.shard, &ev, rc == 1 ? cmd : NULL,
                  rc == 1 ? rd_kafka_topic_name(m->rkt) : NULL);
  if (rc == 1) {
    if (w->n_batch++ == 0) w->since_first = 0; /* published by flush() */
  } else if (rc < 0 && !restoring) {
    snprintf(err, sizeof err, "out of memory for a new session");
    sr_metrics_dead_letter(w->opts.metrics);
    sr_dlq_log(&w->dead_log, "", m, err);
    sr_dlq_send(w->opts.producer, w->opts.dlq_topic, m, err);
  }
}

/* The consumer thread wrote the messages waiting in the ring (and read
 * their payloads), most likely on the other core: fetching them while this
 * one is handled hides the misses. The next message's bytes are asked for
 * now (its struct was asked for one message ago), and the one after's
 * struct, whose timestamp lies in the line after the message's fields.
 * @locality worker thread */
static void prefetch_ahead(const struct sr_ring *ring) {
  struct sr_ring_item next;
  if (sr_ring_peek(ring, 0, &next) && next.a) {
    const rd_kafka_message_t *n = next.a;
    const char *p = n->payload;
    for (size_t off = 0; p && off < n->len && off < 512; off += 64)
      __builtin_prefetch(p + off);
    /* librdkafka's op behind a consumed message: rd_kafka_message_destroy
     * reads and writes its header first, and the consumer thread wrote it
     * last (a prefetch of a stale hint cannot fault). */
    if (n->_private) __builtin_prefetch(n->_private, 1);
  }
  if (sr_ring_peek(ring, 1, &next) && next.a) {
    __builtin_prefetch(next.a);
    __builtin_prefetch((const char *)next.a + 64);
    __builtin_prefetch((const char *)next.a + 128);
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
      prefetch_ahead(w->ring);
      if (w->handled++ % SR_METRICS_TIMED_EVERY == 0) {
        uint64_t t0 = sr_metrics_clock_ns(w->opts.metrics);
        handle(w, m, item.b);
        sr_metrics_processed(w->opts.metrics, t0);
      } else {
        handle(w, m, item.b);
      }
      sr_metrics_sessions(w->opts.metrics, sr_session_table_count(
                                               sr_aggregator_sessions(w->agg)));
      mark_done(w, item.b, m->offset);
      rd_kafka_message_destroy(m);
      if (w->n_batch - w->n_signed == SR_BATCH_MAX) sign_rest(w);
      if (w->n_batch &&
          (w->n_batch == RUN_MAX || ++w->since_first >= FLUSH_AFTER))
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
