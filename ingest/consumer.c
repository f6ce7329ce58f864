/*
 * Consumer-group consumer and router (see consumer.h for the model).
 *
 * Why rd_kafka_consumer_poll and not batch consumption: in librdkafka 2.0.2
 * the batch calls can lose messages when a rebalance runs in parallel. Why
 * offsets are stored by hand: auto-store would commit what has been read,
 * not what has been processed and answered.
 *
 * A partition revoked by a rebalance is drained first: the rebalance
 * callback waits until the workers have finished every message handed over,
 * waits for the producer to deliver, stores the offsets and commits them
 * synchronously, and only then gives the partition up.
 */
#include "ingest/consumer.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "core/log.h"
#include "ingest/decode.h"

#define TRACKS_MAX 1024

struct sr_track {
  char topic[256];
  int32_t partition;
  int64_t last_dispatched; /* consumer thread only; -1: none since
                              assignment or the last reset */
  int64_t from;            /* consumer thread only: where reading started,
                              the store's offset or a reset's position;
                              -1 when Kafka decides */
  int64_t stored;          /* consumer thread only: last stored offset */
  int64_t ck_next;         /* consumer thread only: next offset of the
                              last checkpoint begun (state store) */
  bool reset;              /* consumer thread only: the next checkpoint
                              records the partition's offset, even below
                              ck_next (track_reset) */
  int64_t recheck_ms;      /* consumer thread only: when check_ends may
                              ask the leader about it again */
  /* Restoring: messages below this offset were answered already, by
   * whoever owned the partition before (the group's committed offset);
   * they rebuild session state and publish nothing. -1: none. Set by the
   * consumer thread before it hands messages over, read by workers. */
  _Atomic int64_t restore_until;
  bool restore_told; /* consumer thread only: its end was logged */
  _Atomic int64_t dispatched[SR_WORKERS_MAX];
  _Atomic int64_t done[SR_WORKERS_MAX];
};

struct sr_consumer {
  rd_kafka_t *rk;
  struct sr_producer *producer;
  struct sr_ring *const *rings;
  size_t n_workers;
  int commit_interval_ms;
  struct sr_track *tracks[TRACKS_MAX];
  size_t n_tracks;
  uint64_t messages;
  bool closed;
  struct sr_metrics *metrics;
  const struct sr_state_hooks *state; /* NULL: offsets in Kafka only */
  void *inflight;                     /* barrier of the open checkpoint */
  uint64_t inflight_messages;         /* messages routed before it */
  _Atomic uint64_t durable_messages;  /* ... before the last durable one */
  int64_t last_begin_ms;              /* when the last checkpoint began */
  int64_t restore_ms; /* how far back a partition without state is read */
  /* The track of the last message routed and its topic handle: messages
   * come in runs of one partition. NULL after a revoke frees tracks. */
  const rd_kafka_topic_t *last_rkt;
  struct sr_track *last_track;
  int64_t inflight_warn_ms;           /* when to warn it is stuck */
  struct sr_group_wait group_wait;
  const char *topics[SR_CONSUMER_TOPICS_MAX]; /* names borrowed */
  size_t ntopics;
};

static struct sr_track *track_find(struct sr_consumer *c, const char *topic,
                                   int32_t partition) {
  for (size_t i = 0; i < c->n_tracks; i++) {
    struct sr_track *t = c->tracks[i];
    if (t->partition == partition && strcmp(t->topic, topic) == 0) return t;
  }
  return NULL;
}

static void track_add(struct sr_consumer *c, const char *topic,
                      int32_t partition) {
  if (track_find(c, topic, partition)) return;
  if (c->n_tracks == TRACKS_MAX) {
    SR_ERROR("more than %d assigned partitions; %s [%d] is not tracked",
             TRACKS_MAX, topic, partition);
    return;
  }
  struct sr_track *t = calloc(1, sizeof *t);
  if (!t) abort(); /* setup-time allocation; nothing sensible to do */
  snprintf(t->topic, sizeof t->topic, "%s", topic);
  t->partition = partition;
  t->last_dispatched = -1;
  t->from = -1;
  t->stored = -1;
  t->ck_next = -1;
  atomic_init(&t->restore_until, -1);
  for (size_t w = 0; w < SR_WORKERS_MAX; w++) {
    atomic_init(&t->dispatched[w], -1);
    atomic_init(&t->done[w], -1);
  }
  c->tracks[c->n_tracks++] = t;
}

void sr_track_done(struct sr_track *t, size_t w, int64_t offset) {
  atomic_store_explicit(&t->done[w], offset, memory_order_release);
}

bool sr_track_restoring(const struct sr_track *t, int64_t offset) {
  return offset < atomic_load_explicit(&t->restore_until, memory_order_relaxed);
}

/* Whether `next` may go to Kafka as the group's offset: not while the
 * partition is restoring, which would move the group back below offsets
 * whose commands are published, and have them published again. */
static bool committable(const struct sr_track *t, int64_t next) {
  return next >= atomic_load_explicit(&t->restore_until, memory_order_relaxed);
}

/* The offset the partition's next message should have: the one after the
 * last dispatched, else where reading started; -1 when not known. */
static int64_t track_next(const struct sr_track *t) {
  return t->last_dispatched >= 0 ? t->last_dispatched + 1 : t->from;
}

/* Lowest offset not yet finished (the offset to commit), or where reading
 * started if nothing was dispatched (-1: not known). */
static int64_t track_safe(const struct sr_consumer *c, struct sr_track *t) {
  if (t->last_dispatched < 0) return t->from;
  int64_t safe = t->last_dispatched + 1;
  for (size_t w = 0; w < c->n_workers; w++) {
    int64_t done = atomic_load_explicit(&t->done[w], memory_order_acquire);
    int64_t disp =
        atomic_load_explicit(&t->dispatched[w], memory_order_relaxed);
    if (done < disp && done + 1 < safe) safe = done + 1;
  }
  return safe;
}

/* Stores safe offsets when every record produced for them is delivered. */
static void store_offsets(struct sr_consumer *c) {
  rd_kafka_topic_partition_list_t *l =
      rd_kafka_topic_partition_list_new((int)c->n_tracks);
  int64_t safe[TRACKS_MAX];
  for (size_t i = 0; i < c->n_tracks; i++)
    safe[i] = track_safe(c, c->tracks[i]);
  /* Read after the done marks: zero now means every record produced before
   * those marks was acknowledged. */
  if (sr_producer_outstanding(c->producer) > 0) {
    rd_kafka_topic_partition_list_destroy(l);
    return;
  }
  for (size_t i = 0; i < c->n_tracks; i++) {
    struct sr_track *t = c->tracks[i];
    if (safe[i] <= t->stored || !committable(t, safe[i])) continue;
    rd_kafka_topic_partition_list_add(l, t->topic, t->partition)->offset =
        safe[i];
    t->stored = safe[i];
  }
  if (l->cnt) {
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, l);
    if (e) SR_WARN("storing offsets: %s", rd_kafka_err2str(e));
  }
  rd_kafka_topic_partition_list_destroy(l);
}

static bool workers_idle(const struct sr_consumer *c) {
  for (size_t i = 0; i < c->n_tracks; i++) {
    const struct sr_track *t = c->tracks[i];
    for (size_t w = 0; w < c->n_workers; w++)
      if (atomic_load(&t->done[w]) < atomic_load(&t->dispatched[w]))
        return false;
  }
  return true;
}

/* Lag per partition from the watermarks librdkafka caches from fetch
 * responses (no broker round trip): the high watermark less the offset the
 * partition's next message should have. A partition fetched but never read
 * from has that offset unknown (no message, no stored offset): it shows 0
 * when it is empty, as most of an idle topic's partitions are, and is left
 * out otherwise, as is one not fetched yet. */
static void report_lag(struct sr_consumer *c) {
  struct sr_metrics_lag rows[SR_METRICS_PARTITIONS];
  size_t n = 0;
  for (size_t i = 0; i < c->n_tracks && n < SR_METRICS_PARTITIONS; i++) {
    struct sr_track *t = c->tracks[i];
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(c->rk, t->topic, t->partition, &lo,
                                       &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0)
      continue;
    int64_t next = track_next(t);
    if (next < 0 && lo != hi) continue;
    int64_t until =
        atomic_load_explicit(&t->restore_until, memory_order_relaxed);
    rows[n++] = (struct sr_metrics_lag){t->topic, t->partition,
                                        next < 0 ? 0 : SR_MAX(hi - next, 0),
                                        next < 0 ? 0 : SR_MAX(until - next, 0)};
  }
  sr_metrics_set_lag(c->metrics, SR_LAG_STATEFUL, rows, n);
}

/* Hands item to worker w, waiting (serving the producer every
 * millisecond) while its ring is full. A full ring means the worker is
 * behind: block until its next pop frees a slot and wakes us (spinning
 * here would starve the very thread we wait for on 2 cores). */
static void push(struct sr_consumer *c, size_t w, struct sr_ring_item item) {
  while (!sr_ring_push(c->rings[w], item)) {
    sr_producer_poll(c->producer, 0);
    sr_ring_wait_room(c->rings[w], 1);
  }
}

/* State store: once the open checkpoint is durable, its offsets go to
 * Kafka too (for lag monitoring and as the fallback of a new database). */
static void checkpoint_poll(struct sr_consumer *c) {
  if (!c->inflight || !c->state->durable(c->state->ctx, c->inflight)) return;
  c->inflight = NULL;
  atomic_store_explicit(&c->durable_messages, c->inflight_messages,
                        memory_order_relaxed);
  rd_kafka_topic_partition_list_t *l =
      rd_kafka_topic_partition_list_new((int)c->n_tracks);
  for (size_t i = 0; i < c->n_tracks; i++) {
    struct sr_track *t = c->tracks[i];
    if (t->ck_next <= t->stored || !committable(t, t->ck_next)) continue;
    rd_kafka_topic_partition_list_add(l, t->topic, t->partition)->offset =
        t->ck_next;
    t->stored = t->ck_next;
  }
  if (l->cnt) {
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, l);
    if (e) SR_WARN("storing offsets: %s", rd_kafka_err2str(e));
  }
  rd_kafka_topic_partition_list_destroy(l);
}

/* State store: begins a checkpoint of everything dispatched so far (the
 * barrier follows it in every ring). False when nothing is new or one is
 * still in flight. */
static bool checkpoint_begin(struct sr_consumer *c) {
  const char *topics[TRACKS_MAX];
  int32_t parts[TRACKS_MAX];
  int64_t next[TRACKS_MAX];
  struct sr_track *in[TRACKS_MAX];
  size_t n = 0;
  if (c->inflight) return false;
  for (size_t i = 0; i < c->n_tracks; i++) {
    struct sr_track *t = c->tracks[i];
    int64_t at = track_next(t);
    if (at < 0 || (!t->reset && at <= t->ck_next)) continue;
    in[n] = t;
    topics[n] = t->topic;
    parts[n] = t->partition;
    next[n++] = at;
  }
  if (!n) return false;
  void *barrier = c->state->begin(c->state->ctx, topics, parts, next, n);
  if (!barrier) return false;
  for (size_t i = 0; i < n; i++) {
    in[i]->ck_next = next[i];
    in[i]->reset = false;
  }
  for (size_t w = 0; w < c->n_workers; w++)
    push(c, w, (struct sr_ring_item){NULL, barrier});
  c->inflight = barrier;
  c->inflight_messages = c->messages;
  c->last_begin_ms = sr_clock_ms(CLOCK_MONOTONIC);
  c->inflight_warn_ms = c->last_begin_ms + 30000;
  return true;
}

/* State store: waits until the open checkpoint is durable, or deadline. */
static void checkpoint_wait(struct sr_consumer *c, int64_t deadline) {
  while (c->inflight && sr_clock_ms(CLOCK_MONOTONIC) < deadline) {
    sr_producer_poll(c->producer, 1);
    checkpoint_poll(c);
  }
}

/* State store: makes everything dispatched so far durable. */
static void checkpoint_drain(struct sr_consumer *c) {
  int64_t deadline = sr_clock_ms(CLOCK_MONOTONIC) + 60000;
  checkpoint_wait(c, deadline);            /* the open checkpoint */
  if (!c->inflight && checkpoint_begin(c)) /* the rest */
    checkpoint_wait(c, deadline);
  if (c->inflight)
    SR_ERROR("the state store did not make the last checkpoint durable in "
             "60 s; its input offsets are not committed");
}

/* Waits until every handed-over message is processed and its output
 * delivered, then stores and commits offsets. */
static void drain(struct sr_consumer *c) {
  if (c->state) {
    checkpoint_drain(c);
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, NULL, 0);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
      SR_WARN("committing offsets: %s", rd_kafka_err2str(e));
    return;
  }
  while (!workers_idle(c)) {
    sr_producer_poll(c->producer, 1);
  }
  if (sr_producer_flush(c->producer, 30000) != SR_OK)
    SR_WARN(
        "drain: %lld records still undelivered; their input offsets are "
        "not committed",
        (long long)sr_producer_outstanding(c->producer));
  store_offsets(c);
  rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, NULL, 0);
  if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
    SR_WARN("committing offsets: %s", rd_kafka_err2str(e));
}

/* True when partition p of topic is in parts. */
static bool assigned(const rd_kafka_topic_partition_list_t *parts,
                     const char *topic, int32_t p) {
  for (int i = 0; i < parts->cnt; i++)
    if (parts->elems[i].partition == p && !strcmp(parts->elems[i].topic, topic))
      return true;
  return false;
}

/* Warns when a whole (eager) assignment gives this member partition p of
 * one topic but not of another: a session arriving on both would be
 * judged by two instances. */
static void check_copartitioned(const rd_kafka_topic_partition_list_t *parts,
                                const char *const *topics, size_t ntopics) {
  for (int i = 0; i < parts->cnt; i++) {
    const rd_kafka_topic_partition_t *e = &parts->elems[i];
    for (size_t t = 0; t < ntopics; t++) {
      if (assigned(parts, topics[t], e->partition)) continue;
      SR_WARN(
          "assigned %s [%d] but not %s [%d]: a session arriving on "
          "both topics may be judged by two instances; give them the "
          "same partition count, and every instance the same "
          "otlp.enabled",
          e->topic, (int)e->partition, topics[t], (int)e->partition);
      return;
    }
  }
}

/* Kafka answers the group's offsets and the offsets of times within this;
 * past it a partition is read as it was before restoring existed. */
#define RESTORE_QUERY_MS 10000

/* Whether the partition's leader looks offsets up by time: asked for time
 * 0, a broker that does answers the log's first offset; librdkafka's mock
 * cluster (the embedded broker) answers END (-1) to every time. */
static bool time_lookup_works(rd_kafka_t *rk, const char *topic,
                              int32_t partition) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, partition)->offset = 0;
  bool works = rd_kafka_offsets_for_times(rk, l, RESTORE_QUERY_MS) == 0 &&
               !l->elems[0].err && l->elems[0].offset >= 0;
  rd_kafka_topic_partition_list_destroy(l);
  return works;
}

/*
 * Sessions live in this instance's memory and state database only, so a
 * partition that comes without them (a new instance or a lost database
 * taking over from the group's committed offset) would judge its sessions
 * with no history: plan mode, credentials read, a user's "stop" all
 * forgotten. Detectors run on event time, so reading the partition again
 * rebuilds that state exactly; what was answered before the group's
 * committed offset publishes nothing again (sr_track_restoring).
 *
 * For each newly assigned partition with a committed offset C:
 * - state stored here, at S < C (this database fell behind another
 *   owner): read from S as before, publishing from C on;
 * - no state here: read from the first record of the last restore_ms
 *   (wall time of the records), publishing from C on; from the log's
 *   start on a broker that cannot look offsets up by time;
 * - otherwise nothing changes.
 * Both queries block the rebalance, up to RESTORE_QUERY_MS each; a failed
 * one is logged and the partition read from C as before.
 */
static void plan_restore(struct sr_consumer *c, rd_kafka_t *rk,
                         rd_kafka_topic_partition_list_t *parts) {
  rd_kafka_topic_partition_list_t *done =
      rd_kafka_topic_partition_list_copy(parts);
  rd_kafka_topic_partition_list_t *since =
      rd_kafka_topic_partition_list_new(parts->cnt);
  int64_t from_ms = sr_clock_ms(CLOCK_REALTIME) - c->restore_ms;
  rd_kafka_resp_err_t e = rd_kafka_committed(rk, done, RESTORE_QUERY_MS);
  if (e) {
    SR_WARN(
        "cannot read the group's committed offsets (%s): partitions "
        "without state here start without their sessions' history",
        rd_kafka_err2str(e));
    goto out;
  }
  for (int i = 0; i < parts->cnt; i++) {
    rd_kafka_topic_partition_t *p = &parts->elems[i];
    int64_t committed = done->elems[i].offset;
    struct sr_track *t = track_find(c, p->topic, p->partition);
    if (!t || committed < 0) continue; /* nobody read it before */
    if (p->offset >= 0) {              /* from this database */
      if (committed <= p->offset) continue;
      atomic_store_explicit(&t->restore_until, committed, memory_order_relaxed);
      SR_INFO(
          "%s [%d]: the group has read up to offset %lld, this state "
          "database up to %lld: reading the %lld events between again "
          "to bring its sessions up to date, publishing from %lld on",
          p->topic, (int)p->partition, (long long)committed,
          (long long)p->offset, (long long)(committed - p->offset),
          (long long)committed);
    } else if (c->restore_ms > 0) {
      rd_kafka_topic_partition_list_add(since, p->topic, p->partition)->offset =
          from_ms;
    }
  }
  if (!since->cnt) goto out;
  e = rd_kafka_offsets_for_times(rk, since, RESTORE_QUERY_MS);
  if (e) {
    SR_WARN(
        "cannot find where the last %lld s of the assigned partitions "
        "begin (%s): they start without their sessions' history",
        (long long)(c->restore_ms / 1000), rd_kafka_err2str(e));
    goto out;
  }
  char when[32];
  sr_log_utc(from_ms, when, sizeof when);
  for (int i = 0; i < since->cnt; i++) {
    rd_kafka_topic_partition_t *q = &since->elems[i];
    rd_kafka_topic_partition_t *p =
        rd_kafka_topic_partition_list_find(parts, q->topic, q->partition);
    rd_kafka_topic_partition_t *d =
        rd_kafka_topic_partition_list_find(done, q->topic, q->partition);
    struct sr_track *t = track_find(c, q->topic, q->partition);
    if (!p || !d || !t || q->err) continue;
    int64_t start = q->offset;
    if (start < 0 && !time_lookup_works(rk, q->topic, q->partition)) {
      int64_t lo, hi;
      if (rd_kafka_query_watermark_offsets(rk, q->topic, q->partition, &lo, &hi,
                                           RESTORE_QUERY_MS) == 0)
        start = lo; /* the whole log, however old */
    }
    /* END (-1): nothing written since; at or past C: nothing to restore */
    if (start < 0 || start >= d->offset) continue;
    p->offset = t->from = start;
    atomic_store_explicit(&t->restore_until, d->offset, memory_order_relaxed);
    SR_INFO(
        "%s [%d]: no state here for its sessions; restoring it from "
        "the %lld events since %s (offset %lld), publishing from the "
        "group's offset %lld on",
        q->topic, (int)q->partition, (long long)(d->offset - start),
        q->offset < 0 ? "the log's start" : when, (long long)start,
        (long long)d->offset);
  }
out:
  rd_kafka_topic_partition_list_destroy(done);
  rd_kafka_topic_partition_list_destroy(since);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  struct sr_consumer *c = opaque;
  bool cooperative =
      strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < parts->cnt; i++) {
      rd_kafka_topic_partition_t *p = &parts->elems[i];
      track_add(c, p->topic, p->partition);
      int64_t next =
          c->state ? c->state->stored(c->state->ctx, p->topic, p->partition)
                   : -1;
      if (next < 0) continue; /* Kafka's committed offset, or the reset */
      p->offset = next;
      struct sr_track *t = track_find(c, p->topic, p->partition);
      if (t) t->from = t->ck_next = next;
      SR_INFO("%s [%d]: resuming at offset %lld from the state store",
              p->topic, (int)p->partition, (long long)next);
    }
    plan_restore(c, rk, parts);
    sr_group_wait_assigned(&c->group_wait, parts->cnt);
    if (!cooperative) check_copartitioned(parts, c->topics, c->ntopics);
    if (cooperative) {
      rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
      if (e) {
        SR_ERROR("incremental assign: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk, parts);
    }
    return;
  }
  /* Revoke (or lost): finish what was handed over before letting go. */
  drain(c);
  c->last_track = NULL;
  for (int i = 0; i < parts->cnt; i++) {
    for (size_t j = 0; j < c->n_tracks; j++) {
      struct sr_track *t = c->tracks[j];
      if (t->partition == parts->elems[i].partition &&
          strcmp(t->topic, parts->elems[i].topic) == 0) {
        free(t);
        c->tracks[j] = c->tracks[--c->n_tracks];
        break;
      }
    }
  }
  SR_INFO("revoked %d partition(s)", parts->cnt);
  if (cooperative) {
    rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
    if (e) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk, NULL);
  }
}

struct sr_consumer *sr_consumer_create(const struct sr_consumer_opts *opts,
                                       struct sr_ring *const *rings,
                                       struct sr_producer *producer, char *err,
                                       size_t errlen) {
  char kerr[512];
  assert(opts->n_workers >= 1 && opts->n_workers <= SR_WORKERS_MAX);
  assert(opts->ntopics >= 1 && opts->ntopics <= SR_CONSUMER_TOPICS_MAX);
  struct sr_consumer *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  c->rings = rings;
  c->producer = producer;
  c->state = opts->state;
  c->n_workers = opts->n_workers;
  c->metrics = opts->metrics;
  c->restore_ms = opts->restore_window_ms;
  c->commit_interval_ms =
      opts->commit_interval_ms > 0 ? opts->commit_interval_ms : 200;
  for (size_t i = 0; i < opts->ntopics; i++) c->topics[i] = opts->topics[i];
  c->ntopics = opts->ntopics;
  /* Several topics: the range assignor, which co-partitions them (the
   * later entry wins); cooperative-sticky balances partitions over the
   * group without regard to which topic they belong to. */
  const char *const defaults[][2] = {
      SR_KAFKA_CONSUMER_DEFAULTS(opts->group, opts->offset_reset),
      {"partition.assignment.strategy", "range"}};
  size_t ndefaults = SR_ARRAY_LEN(defaults) - (opts->ntopics > 1 ? 0 : 1);
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(opts->brokers, "stackrisk", defaults, ndefaults,
                        opts->props, err, errlen);
  if (!conf) goto fail;
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_opaque(conf, c);
  c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
  if (!c->rk) {
    snprintf(err, errlen, "kafka consumer: %s", kerr);
    goto fail_conf;
  }
  conf = NULL;
  rd_kafka_poll_set_consumer(c->rk);
  sr_kafka_watch(c->rk, c->metrics, "events-consumer", "the events consumer",
                 "events are not read, and gated calls get no verdict");
  rd_kafka_topic_partition_list_t *subs =
      rd_kafka_topic_partition_list_new((int)opts->ntopics);
  for (size_t i = 0; i < opts->ntopics; i++)
    rd_kafka_topic_partition_list_add(subs, opts->topics[i],
                                      RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (e) {
    snprintf(err, errlen, "kafka subscribe: %s", rd_kafka_err2str(e));
    goto fail;
  }
  sr_group_wait_start(&c->group_wait, "", opts->group);
  return c;
fail_conf:
  rd_kafka_conf_destroy(conf);
fail:
  sr_consumer_destroy(c);
  return NULL;
}

/* Says that the partition no longer holds offset `was`, where t was to go
 * on, and is read from `at` now. */
static void warn_moved(const struct sr_track *t, int64_t was, int64_t at) {
  SR_WARN(
      "%s [%d]: %s %lld does not fit the partition, which is read from "
      "offset %lld now: the topic was recreated or its retention "
      "removed the stored offset; state continues from here",
      t->topic, (int)t->partition,
      t->last_dispatched < 0 ? "the stored offset" : "the next offset",
      (long long)was, (long long)at);
}

/* The partition's offsets went back to `at`: its log is a new one (the
 * topic was recreated, or lost its end), and offsets at or past `at` name
 * other events than those read before. What was dispatched from the old
 * log is finished and made durable with `at` as the partition's offset
 * before anything from the new one is dispatched: a crash from then on
 * resumes at `at`, never at the old offset, and a crash before it resumes
 * at the old offset, which the broker answers with the same reset (unless
 * the new log grew past it meanwhile). Without
 * this the offsets to store stayed below the old ones, so nothing of the
 * partition was stored again. Sessions are not touched: state goes on.
 * Blocks for one checkpoint (the rebalance callback does as much). */
static void track_reset(struct sr_consumer *c, struct sr_track *t, int64_t at) {
  assert(at >= 0);
  /* The open checkpoint carries the old log's offset: it lands first, so
   * that its completion cannot store that offset after this one. */
  if (c->state) checkpoint_wait(c, sr_clock_ms(CLOCK_MONOTONIC) + 60000);
  t->from = at;
  t->last_dispatched = -1;
  t->stored = -1;
  t->reset = true;
  atomic_store_explicit(&t->restore_until, -1, memory_order_relaxed);
  drain(c);
  /* drain gave up on the store: the marks below need idle workers */
  while (!workers_idle(c)) sr_producer_poll(c->producer, 1);
  for (size_t w = 0; w < SR_WORKERS_MAX; w++) {
    atomic_store_explicit(&t->dispatched[w], at - 1, memory_order_relaxed);
    atomic_store_explicit(&t->done[w], at - 1, memory_order_relaxed);
  }
  if (t->stored != at) return; /* not durable: Kafka's offset waits too */
  /* librdkafka commits a stored offset only above the last one it
   * committed; named in the call, a lower one goes through. */
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, t->topic, t->partition)->offset = at;
  rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, 0);
  if (e) SR_WARN("committing offsets: %s", rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(l);
}

/* m's offset is not the one t expected (next): the consumer's offset reset
 * moved the partition, because the offset was no longer in its log. Gaps
 * that mean nothing (transaction markers, compaction) leave the log start
 * below next, and are passed over. @locality consumer thread, rare */
static void position_moved(struct sr_consumer *c, struct sr_track *t,
                           int64_t next, int64_t offset) {
  int64_t lo, hi;
  if (offset < next) {
    warn_moved(t, next, offset);
    track_reset(c, t, offset);
  } else if (rd_kafka_get_watermark_offsets(c->rk, t->topic, t->partition, &lo,
                                            &hi) == 0 &&
             lo > next) {
    warn_moved(t, next, offset); /* offsets still grow: nothing to redo */
  }
}

/* A partition that receives nothing says nothing in route: its log can end
 * below the offset it is to be read from (the topic was recreated), and
 * that stored offset would skip events of the new log once it grows past
 * it. Fetch responses leave each partition's log end in librdkafka's
 * cache; one below the expected offset is confirmed by the leader (the
 * cache may come from a follower behind it), and the partition is reset to
 * the log's start: where `earliest` reads from, at or before where
 * `latest` does. The query blocks (a second at most) only when the cache
 * says so; a partition it does not confirm is asked again 10 s later. */
static void check_ends(struct sr_consumer *c, int64_t now) {
  for (size_t i = 0; i < c->n_tracks; i++) {
    struct sr_track *t = c->tracks[i];
    int64_t next = track_next(t), lo, hi;
    if (next <= 0 || now < t->recheck_ms ||
        rd_kafka_get_watermark_offsets(c->rk, t->topic, t->partition, &lo,
                                       &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0 || hi >= next)
      continue;
    if (rd_kafka_query_watermark_offsets(c->rk, t->topic, t->partition, &lo,
                                         &hi, 1000) ||
        hi >= next) {
      t->recheck_ms = now + 10000;
      continue;
    }
    warn_moved(t, next, SR_MAX(lo, 0));
    track_reset(c, t, SR_MAX(lo, 0));
  }
}

/* Hands one message to the worker owning its session. Waits (sleeping,
 * serving the producer) while that worker's ring is full: backpressure, not
 * loss. */
static void route(struct sr_consumer *c, rd_kafka_message_t *m) {
  char scratch[SR_SESSION_ID_MAX];
  sr_str sid;
  size_t w;
  if (sr_decode_peek_session(m->payload, m->len, scratch, &sid) == SR_OK)
    w = XXH3_64bits(sid.p, sid.n) % c->n_workers;
  else
    w = (size_t)m->offset % c->n_workers;
  struct sr_track *t = c->last_track;
  if (!t || c->last_rkt != m->rkt || t->partition != m->partition) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    t = track_find(c, topic, m->partition);
    if (!t) { /* assigned outside the rebalance callback: track it now */
      track_add(c, topic, m->partition);
      t = track_find(c, topic, m->partition);
      if (!t) {
        rd_kafka_message_destroy(m);
        return;
      }
    }
    c->last_rkt = m->rkt;
    c->last_track = t;
  }
  int64_t next = track_next(t);
  if (next >= 0 && m->offset != next) position_moved(c, t, next, m->offset);
  /* A worker idle on this partition starts from just before this offset,
   * so the safe offset never falls back below it. */
  if (atomic_load_explicit(&t->done[w], memory_order_acquire) ==
      atomic_load_explicit(&t->dispatched[w], memory_order_relaxed))
    atomic_store_explicit(&t->done[w], m->offset - 1, memory_order_relaxed);
  atomic_store_explicit(&t->dispatched[w], m->offset, memory_order_release);
  t->last_dispatched = m->offset;
  int64_t until = atomic_load_explicit(&t->restore_until, memory_order_relaxed);
  if (until >= 0 && !t->restore_told && m->offset + 1 >= until) {
    t->restore_told = true;
    SR_INFO(
        "%s [%d]: restored up to the group's offset %lld; publishing "
        "from there on",
        t->topic, (int)t->partition, (long long)until);
  }
  push(c, w, (struct sr_ring_item){m, t});
  c->messages++;
}

int sr_consumer_run(struct sr_consumer *c, volatile sig_atomic_t *stop) {
  int64_t next_store = sr_clock_ms(CLOCK_MONOTONIC) + c->commit_interval_ms;
  int rc = SR_OK;
  unsigned burst = 0;
  while (!*stop) {
    /* A poll with a timeout reads the clock to set its deadline; one
     * without does not. While messages are queued the first returns one,
     * and only an empty queue waits. */
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 0);
    if (!m) m = rd_kafka_consumer_poll(c->rk, 20);
    /* Serving the producer and reading the clock cost a lock and a system
     * call: once per burst of messages, and whenever the input pauses. */
    if (m && ++burst % 64 != 0 && !m->err) {
      route(c, m);
      continue;
    }
    if (m) {
      if (!m->err) {
        route(c, m);
      } else {
        SR_WARN("consumer: %s", rd_kafka_message_errstr(m));
        bool fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
        rd_kafka_message_destroy(m);
        if (fatal) {
          rc = SR_EKAFKA;
          break;
        }
      }
    }
    sr_producer_poll(c->producer, 0);
    if (c->state) checkpoint_poll(c);
    int64_t now = sr_clock_ms(CLOCK_MONOTONIC);
    /* The input paused (nothing for a poll's 20 ms): make what came before
     * durable now rather than at the next interval, so that a crash in a
     * quiet moment replays nothing; at most four times an interval, so
     * that gaps between fetches under load do not multiply checkpoints. */
    if (!m && c->state && !c->inflight &&
        now - c->last_begin_ms >= c->commit_interval_ms / 4)
      checkpoint_begin(c);
    if (now >= next_store) {
      if (c->state && c->inflight && now >= c->inflight_warn_ms) {
        /* Processing goes on (verdicts matter more), but nothing since is
         * durable: a restart would replay it all. */
        SR_WARN("a state checkpoint has not become durable for 30 s (see "
                "the store's errors); processing continues without it");
        c->inflight_warn_ms = now + 30000;
      }
      if (c->state)
        checkpoint_begin(c);
      else
        store_offsets(c);
      if (c->metrics) report_lag(c);
      check_ends(c, now);
      sr_group_wait_poll(&c->group_wait);
      next_store = now + c->commit_interval_ms;
    }
  }
  drain(c);
  rd_kafka_consumer_close(c->rk);
  c->closed = true;
  return rc;
}

void sr_consumer_destroy(struct sr_consumer *c) {
  if (!c) return;
  if (c->rk) {
    if (!c->closed) rd_kafka_consumer_close(c->rk);
    sr_kafka_unwatch(c->rk);
    rd_kafka_destroy(c->rk);
  }
  for (size_t i = 0; i < c->n_tracks; i++) free(c->tracks[i]);
  free(c);
}

uint64_t sr_consumer_durable_messages(const struct sr_consumer *c) {
  return atomic_load_explicit(&c->durable_messages, memory_order_relaxed);
}
