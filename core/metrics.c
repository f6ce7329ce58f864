/*
 * Pipeline metrics: per-worker shards of relaxed atomics, summed at scrape;
 * a mutex-guarded lag table written by the consumer thread and rows of the
 * Kafka clients. See metrics.h.
 */
#include "core/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sr.h"

/* 10 µs to 1 s: one message normally takes tens of microseconds; the upper
 * buckets catch stalls (a full producer queue, a slow disk). */
const uint64_t sr_metrics_bucket_ns[SR_METRICS_BUCKETS - 1] = {
    10000,    25000,    50000,     100000,    250000,
    500000,   1000000,  2500000,   5000000,   10000000,
    25000000, 50000000, 100000000, 250000000, 1000000000};

struct sr_metrics {
  struct sr_metrics_shard shards[SR_METRICS_SHARDS];
  struct sr_metrics_otlp otlp;
  pthread_mutex_t lock;
  /* under lock */
  struct sr_metrics_lag_row lag[SR_LAG_SOURCES][SR_METRICS_PARTITIONS];
  uint32_t n_lag[SR_LAG_SOURCES];
  struct sr_metrics_kafka kafka[SR_METRICS_KAFKA_CLIENTS];
  uint32_t n_kafka; /* rows claimed; under lock */
};

struct sr_metrics *sr_metrics_create(void) {
  /* The shards are cache-line aligned; calloc only promises 16 bytes. */
  struct sr_metrics *m = aligned_alloc(64, sizeof *m);
  if (!m) return NULL;
  memset(m, 0, sizeof *m);
  pthread_mutex_init(&m->lock, NULL);
  return m;
}

void sr_metrics_destroy(struct sr_metrics *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->lock);
  free(m);
}

struct sr_metrics_shard *sr_metrics_shard(struct sr_metrics *m, size_t i) {
  return i < SR_METRICS_SHARDS ? &m->shards[i] : NULL;
}

struct sr_metrics_otlp *sr_metrics_otlp(struct sr_metrics *m) {
  return &m->otlp;
}

void sr_metrics_set_lag(struct sr_metrics *m, enum sr_metrics_lag_source source,
                        const struct sr_metrics_lag *rows, size_t n) {
  n = SR_MIN(n, (size_t)SR_METRICS_PARTITIONS);
  pthread_mutex_lock(&m->lock);
  struct sr_metrics_lag_row *to = m->lag[source];
  for (size_t i = 0; i < n; i++) {
    snprintf(to[i].topic, sizeof to[i].topic, "%s", rows[i].topic);
    to[i].partition = rows[i].partition;
    to[i].lag = rows[i].lag;
    to[i].restoring = rows[i].restoring;
  }
  m->n_lag[source] = (uint32_t)n;
  pthread_mutex_unlock(&m->lock);
}

struct sr_metrics_kafka *sr_metrics_kafka_claim(struct sr_metrics *m,
                                                const char *client) {
  struct sr_metrics_kafka *k = NULL;
  pthread_mutex_lock(&m->lock);
  if (m->n_kafka < SR_METRICS_KAFKA_CLIENTS) {
    k = &m->kafka[m->n_kafka++];
    snprintf(k->client, sizeof k->client, "%s", client);
    atomic_store(&k->brokers_up, -1);
  }
  pthread_mutex_unlock(&m->lock);
  return k;
}

int64_t sr_metrics_kafka_unreachable(struct sr_metrics *m, int64_t now_ms,
                                     char *client, size_t cap) {
  int64_t worst = 0;
  pthread_mutex_lock(&m->lock);
  for (uint32_t i = 0; i < m->n_kafka; i++) {
    int64_t since = atomic_load(&m->kafka[i].unreachable_since_ms);
    if (since && now_ms - since > worst) {
      worst = now_ms - since;
      snprintf(client, cap, "%s", m->kafka[i].client);
    }
  }
  pthread_mutex_unlock(&m->lock);
  return worst;
}

static uint64_t load(_Atomic uint64_t *c) {
  return atomic_load_explicit(c, memory_order_relaxed);
}

void sr_metrics_totals(struct sr_metrics *m, uint64_t *events,
                       uint64_t *dead_letters,
                       uint64_t commands[SR_METRICS_ACTIONS]) {
  *events = *dead_letters = 0;
  memset(commands, 0, SR_METRICS_ACTIONS * sizeof commands[0]);
  for (size_t i = 0; i < SR_METRICS_SHARDS; i++) {
    struct sr_metrics_shard *s = &m->shards[i];
    for (size_t k = 0; k < SR_METRICS_KINDS; k++) *events += load(&s->events[k]);
    for (size_t a = 0; a < SR_METRICS_ACTIONS; a++)
      commands[a] += load(&s->commands[a]);
    *dead_letters += load(&s->dead_letters);
  }
}

void sr_metrics_snapshot(struct sr_metrics *m,
                         struct sr_metrics_snapshot *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < SR_METRICS_SHARDS; i++) {
    struct sr_metrics_shard *s = &m->shards[i];
    for (size_t k = 0; k < SR_METRICS_KINDS; k++) out->events[k] += load(&s->events[k]);
    for (size_t a = 0; a < SR_METRICS_ACTIONS; a++)
      out->commands[a] += load(&s->commands[a]);
    out->decode_errors += load(&s->decode_errors);
    out->dead_letters += load(&s->dead_letters);
    out->sessions += load(&s->sessions);
    for (size_t b = 0; b < SR_METRICS_BUCKETS; b++)
      out->latency[b] += load(&s->latency[b]);
    out->latency_sum_ns += load(&s->latency_sum_ns);
  }
  for (size_t b = 1; b < SR_METRICS_BUCKETS; b++)
    out->latency[b] += out->latency[b - 1];
  out->otlp.messages = load(&m->otlp.messages);
  out->otlp.spans = load(&m->otlp.spans);
  out->otlp.dead_spans = load(&m->otlp.dead_spans);
  out->otlp.dead_messages = load(&m->otlp.dead_messages);
  out->latency_count = out->latency[SR_METRICS_BUCKETS - 1];
  pthread_mutex_lock(&m->lock);
  for (int src = 0; src < SR_LAG_SOURCES; src++) {
    uint32_t n = SR_MIN(m->n_lag[src], SR_METRICS_PARTITIONS - out->n_lag);
    memcpy(out->lag + out->n_lag, m->lag[src], n * sizeof out->lag[0]);
    out->n_lag += n;
  }
  int64_t now = sr_clock_ms(CLOCK_MONOTONIC);
  for (uint32_t i = 0; i < m->n_kafka; i++) {
    struct sr_metrics_kafka *k = &m->kafka[i];
    int32_t up = atomic_load(&k->brokers_up);
    if (up < 0) continue;
    struct sr_metrics_kafka_row *r = &out->kafka[out->n_kafka++];
    memcpy(r->client, k->client, sizeof r->client);
    r->brokers_up = up;
    r->brokers_known = atomic_load(&k->brokers_known);
    int64_t since = atomic_load(&k->unreachable_since_ms);
    r->unreachable_ms = since ? now - since : 0;
  }
  pthread_mutex_unlock(&m->lock);
}
