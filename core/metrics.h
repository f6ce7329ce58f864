/*
 * Live counters of the running pipeline, read by /metrics.
 *
 * Each worker thread owns one shard: relaxed atomic counters on their own
 * cache lines, so the hot path pays one uncontended atomic add per counter
 * and never a lock. A scrape sums the shards (sr_metrics_snapshot); the sum
 * is not one instant, which Prometheus counters do not need.
 *
 * The consumer lag tables are different: each is rewritten by its
 * consumer's thread (the stateful stage's, the OTLP stage's) every commit
 * interval and read at scrape, both rare, so they sit behind a mutex.
 *
 * Each Kafka client of the pipeline has a row saying whether it reaches
 * its brokers (struct sr_metrics_kafka), written from the client's
 * statistics by the thread that polls it (core/kafka.h, sr_kafka_watch).
 *
 * The OTLP stage has one thread and counters of its own (sr_metrics_otlp):
 * its dead letters are spans and messages the workers never see.
 *
 * core/ knows no event kinds or actions: counters are indexed by the small
 * integers of enum sr_event_type and enum sr_action, named by the renderer.
 */
#ifndef SR_METRICS_H
#define SR_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define SR_METRICS_SHARDS 64    /* one per worker thread */
#define SR_METRICS_KINDS 8      /* enum sr_event_type values */
#define SR_METRICS_ACTIONS 8    /* enum sr_action values */
#define SR_METRICS_BUCKETS 16   /* latency buckets, the last is +Inf */
#define SR_METRICS_PARTITIONS 256
#define SR_METRICS_TOPIC_MAX 250 /* Kafka topic names are at most 249 */
#define SR_METRICS_KAFKA_CLIENTS 8
/* A Kafka client's label, such as "events-consumer", with its NUL. */
#define SR_METRICS_CLIENT_MAX 32

/* Upper bounds of the latency buckets, in nanoseconds (the 16th is +Inf). */
extern const uint64_t sr_metrics_bucket_ns[SR_METRICS_BUCKETS - 1];

/* One worker's counters. @locality written by its worker thread only. */
struct sr_metrics_shard {
  _Alignas(64) _Atomic uint64_t events[SR_METRICS_KINDS];
  _Atomic uint64_t decode_errors;
  _Atomic uint64_t dead_letters;
  _Atomic uint64_t commands[SR_METRICS_ACTIONS];
  _Atomic uint64_t sessions; /* gauge: sessions this worker holds */
  _Atomic uint64_t latency[SR_METRICS_BUCKETS]; /* per bucket, not cumulative */
  _Atomic uint64_t latency_sum_ns;
};

/* The OTLP (repartition) stage's counters.
 * @locality written by that stage's thread only; read by any. */
struct sr_metrics_otlp {
  _Alignas(64) _Atomic uint64_t messages; /* OTLP messages consumed */
  _Atomic uint64_t spans;                 /* spans in them */
  _Atomic uint64_t events;        /* events produced to the internal topic */
  _Atomic uint64_t ignored;       /* spans that are no agent, tool or LLM */
  _Atomic uint64_t dead_spans;    /* spans dead-lettered alone */
  _Atomic uint64_t dead_messages; /* messages dead-lettered whole */
};

/* One Kafka client of the pipeline, as its last statistics said.
 * @locality written by the thread that polls the client; read by any. */
struct sr_metrics_kafka {
  char client[SR_METRICS_CLIENT_MAX]; /* set once, when the row is claimed */
  _Atomic int32_t brokers_up;         /* connected; -1 before statistics */
  _Atomic int32_t brokers_known;
  /* CLOCK_MONOTONIC ms since which it has been trying to reach a broker
   * and reaching none; 0 while it reaches one (or needs none). */
  _Atomic int64_t unreachable_since_ms;
};

struct sr_metrics;

/* A point-in-time copy for rendering. */
struct sr_metrics_snapshot {
  uint64_t events[SR_METRICS_KINDS];
  uint64_t decode_errors;
  uint64_t dead_letters;
  uint64_t commands[SR_METRICS_ACTIONS];
  uint64_t sessions;
  struct { /* the OTLP stage's, copied */
    uint64_t messages, spans, dead_spans, dead_messages;
  } otlp;
  uint64_t latency[SR_METRICS_BUCKETS]; /* cumulative, as Prometheus wants */
  uint64_t latency_count;
  uint64_t latency_sum_ns;
  struct sr_metrics_lag_row {
    char topic[SR_METRICS_TOPIC_MAX];
    int32_t partition;
    int64_t lag;
    int64_t restoring;
  } lag[SR_METRICS_PARTITIONS]; /* every source's, while they fit */
  uint32_t n_lag;
  struct sr_metrics_kafka_row { /* clients with statistics only */
    char client[SR_METRICS_CLIENT_MAX];
    int32_t brokers_up, brokers_known;
    int64_t unreachable_ms; /* how long it has reached none; 0 if it does */
  } kafka[SR_METRICS_KAFKA_CLIENTS];
  uint32_t n_kafka;
};

/* One partition's lag as the consumer reports it; topic borrowed. */
struct sr_metrics_lag {
  const char *topic;
  int32_t partition;
  int64_t lag; /* messages behind the high watermark */
  /* Messages still to read before the partition publishes again: it is
   * being restored from its topic (ingest/consumer.c, plan_restore), its
   * sessions rebuilt and nothing published below the group's offset.
   * 0 when it is not. */
  int64_t restoring;
};

struct sr_metrics *sr_metrics_create(void);
void sr_metrics_destroy(struct sr_metrics *m); /* accepts NULL */
/* Shard i (< SR_METRICS_SHARDS) for worker i; lives as long as m. */
struct sr_metrics_shard *sr_metrics_shard(struct sr_metrics *m, size_t i);
/* The OTLP stage's counters; live as long as m. */
struct sr_metrics_otlp *sr_metrics_otlp(struct sr_metrics *m);
/* Who reports lag: each replaces its own rows only. */
enum sr_metrics_lag_source {
  SR_LAG_STATEFUL, /* the events (and repartition) consumer */
  SR_LAG_OTLP,     /* the OTLP stage's consumer */
  SR_LAG_SOURCES
};

/* Replaces source's lag rows with rows[0..n) (n capped at
 * SR_METRICS_PARTITIONS). @locality the source's consumer thread. */
void sr_metrics_set_lag(struct sr_metrics *m, enum sr_metrics_lag_source source,
                        const struct sr_metrics_lag *rows, size_t n);
/* A new row for a Kafka client named `client` (truncated to fit), or
 * NULL when all SR_METRICS_KAFKA_CLIENTS are taken. Lives as long as m.
 * Any thread. */
struct sr_metrics_kafka *sr_metrics_kafka_claim(struct sr_metrics *m,
                                                const char *client);
/* How long, in ms at monotonic time now_ms, the client that has gone
 * longest without reaching a broker has done so (0: every client reaches
 * one); its name into client[0..cap) when not 0. Any thread. */
int64_t sr_metrics_kafka_unreachable(struct sr_metrics *m, int64_t now_ms,
                                     char *client, size_t cap);
/* Events of every kind, dead letters and commands by action, summed over
 * the shards: what a stop summary or a progress poll needs, without the
 * snapshot's 64 KiB lag table. Any thread. */
void sr_metrics_totals(struct sr_metrics *m, uint64_t *events,
                       uint64_t *dead_letters,
                       uint64_t commands[SR_METRICS_ACTIONS]);
/* Sums every shard, copies the OTLP counters, the lag table and the Kafka
 * clients' rows. Any thread. */
void sr_metrics_snapshot(struct sr_metrics *m,
                         struct sr_metrics_snapshot *out);

/* Hot-path updates. Every one accepts a NULL shard (a worker run without a
 * pipeline, as in tests and benches) and then does nothing.
 * @locality the shard's worker thread. A shard has one writer, so an
 * update is a relaxed load and store, not a locked read-modify-write: a
 * reader still sees whole values, and the hot path pays no bus lock. */
static inline void sr_metrics_add(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                        memory_order_relaxed);
}

static inline void sr_metrics_event(struct sr_metrics_shard *s, unsigned kind) {
  if (s) sr_metrics_add(&s->events[kind < SR_METRICS_KINDS ? kind : 0], 1);
}

static inline void sr_metrics_decode_error(struct sr_metrics_shard *s) {
  if (s) sr_metrics_add(&s->decode_errors, 1);
}

static inline void sr_metrics_dead_letter(struct sr_metrics_shard *s) {
  if (s) sr_metrics_add(&s->dead_letters, 1);
}

static inline void sr_metrics_command(struct sr_metrics_shard *s,
                                      unsigned action) {
  if (s) sr_metrics_add(&s->commands[action < SR_METRICS_ACTIONS ? action : 0], 1);
}

static inline uint64_t sr_metrics_clock_ns(const struct sr_metrics_shard *s) {
  if (!s) return 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Workers time one message in SR_METRICS_TIMED_EVERY: two clock reads
 * cost about as much as a tenth of a message's whole processing. */
#define SR_METRICS_TIMED_EVERY 16

/* Records one message's processing time (since t0 from
 * sr_metrics_clock_ns). */
static inline void sr_metrics_processed(struct sr_metrics_shard *s,
                                        uint64_t t0) {
  if (!s) return;
  uint64_t ns = sr_metrics_clock_ns(s) - t0;
  unsigned b = 0;
  while (b < SR_METRICS_BUCKETS - 1 && ns > sr_metrics_bucket_ns[b]) b++;
  sr_metrics_add(&s->latency[b], 1);
  sr_metrics_add(&s->latency_sum_ns, ns);
}

/* The number of sessions the worker now holds. */
static inline void sr_metrics_sessions(struct sr_metrics_shard *s,
                                       uint64_t sessions) {
  if (s) atomic_store_explicit(&s->sessions, sessions, memory_order_relaxed);
}

#endif
