/*
 * Wiring of `stackrisk run`: broker (optional) → producer → workers →
 * consumer. Construction order is the reverse of data flow so every stage
 * exists before anything can reach it; destruction runs the other way.
 */
#include "core/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/worker.h"
#include "core/log.h"
#include "ingest/consumer.h"
#include "ingest/repartition.h"
#include "query/http.h"

_Static_assert(SR_METRICS_SHARDS >= SR_WORKERS_MAX, "a metrics shard per worker");

struct sr_pipeline {
  const struct sr_engine *engine;
  const char *brokers;
  struct sr_broker *broker;
  struct sr_producer *producer;
  struct sr_worker *workers[SR_WORKERS_MAX];
  struct sr_ring *rings[SR_WORKERS_MAX];
  size_t n_workers;
  struct sr_consumer *consumer;
  struct sr_metrics *metrics;
  struct sr_http *http;
  struct sr_repartition *otlp; /* NULL when otlp.enabled is false */
  char otlp_group[256];
};

struct sr_pipeline *sr_pipeline_create(const struct sr_engine *engine,
                                       char *err, size_t errlen) {
  const struct sr_settings *s = &engine->settings;
  struct sr_pipeline *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->engine = engine;
  p->brokers = s->brokers;
  p->metrics = sr_metrics_create();
  if (!p->metrics) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  if (!p->brokers || !*p->brokers) {
    const char *topics[] = {s->topic_events, s->topic_control, s->topic_dlq,
                            engine->otlp.topic, engine->otlp.repartition_topic};
    p->broker = sr_broker_create(1, topics, engine->otlp.enabled ? 5 : 3,
                                 (int)s->partitions, err, errlen);
    if (!p->broker) goto fail;
    p->brokers = sr_broker_bootstraps(p->broker);
  }
  p->producer = sr_producer_create(p->brokers, &s->props, (int)s->linger_ms,
                                   err, errlen);
  if (!p->producer) goto fail;
  for (size_t i = 0; i < (size_t)s->workers; i++) {
    struct sr_worker_opts wo = {
        .index = i,
        .dets = engine->dets,
        .policy = engine->policy,
        .producer = p->producer,
        .control_topic = s->topic_control,
        .dlq_topic = s->topic_dlq,
        .max_message_bytes = (size_t)s->max_message_bytes,
        .metrics = sr_metrics_shard(p->metrics, i),
    };
    p->workers[i] = sr_worker_create(&wo, err, errlen);
    if (!p->workers[i]) goto fail;
    p->n_workers++;
    if (sr_worker_start(p->workers[i], err, errlen)) goto fail;
    p->rings[i] = sr_worker_ring(p->workers[i]);
  }
  /* The stateful stage reads native events and repartitioned OTLP ones. */
  const char *topics[] = {s->topic_events, engine->otlp.repartition_topic};
  struct sr_consumer_opts co = {
      .brokers = p->brokers,
      .group = s->group,
      .topics = topics,
      .ntopics = engine->otlp.enabled ? 2 : 1,
      .props = &s->props,
      .n_workers = p->n_workers,
      .commit_interval_ms = (int)s->commit_interval_ms,
      .offset_reset = s->offset_reset,
      .metrics = p->metrics,
  };
  p->consumer = sr_consumer_create(&co, p->rings, p->producer, err, errlen);
  if (!p->consumer) goto fail;
  if (s->http_listen && *s->http_listen) {
    char token[SR_HTTP_TOKEN_MAX + 1] = "";
    if (s->http_token_file &&
        sr_http_read_token(s->http_token_file, token, sizeof token, err, errlen))
      goto fail;
    struct sr_http_opts ho = {s->http_listen, s->state_path, token, p->metrics};
    p->http = sr_http_create(&ho, err, errlen);
    memset(token, 0, sizeof token);
    if (!p->http) goto fail;
  }
  if (engine->otlp.enabled) {
    snprintf(p->otlp_group, sizeof p->otlp_group, "%s-otlp", s->group);
    if (engine->otlp.group && strcmp(engine->otlp.group, s->group) == 0) {
      snprintf(err, errlen,
               "otlp.group must differ from the main group '%s': the OTLP "
               "stage consumes other topics",
               s->group);
      goto fail;
    }
    struct sr_repartition_opts ro = {
        .brokers = p->brokers,
        .group = engine->otlp.group ? engine->otlp.group : p->otlp_group,
        .dlq_topic = s->topic_dlq,
        .offset_reset = s->offset_reset,
        .props = &s->props,
        .otlp = &engine->otlp,
        .max_message_bytes = (size_t)s->max_message_bytes,
        .commit_interval_ms = (int)s->commit_interval_ms,
    };
    p->otlp = sr_repartition_create(&ro, err, errlen);
    if (!p->otlp || sr_repartition_start(p->otlp, err, errlen)) goto fail;
  }
  return p;
fail:
  sr_pipeline_destroy(p);
  return NULL;
}

const char *sr_pipeline_brokers(const struct sr_pipeline *p) {
  return p->brokers;
}

const char *sr_pipeline_http_url(const struct sr_pipeline *p) {
  return p->http ? sr_http_url(p->http) : NULL;
}

bool sr_pipeline_embedded(const struct sr_pipeline *p) {
  return p->broker != NULL;
}

int sr_pipeline_run(struct sr_pipeline *p, volatile sig_atomic_t *stop) {
  const struct sr_settings *s = &p->engine->settings;
  SR_INFO("consuming %s as group %s with %zu workers; commands to %s, dead "
          "letters to %s",
          s->topic_events, s->group, p->n_workers, s->topic_control,
          s->topic_dlq);
  if (p->otlp)
    SR_INFO("OTLP spans from %s, repartitioned by session through %s",
            p->engine->otlp.topic, p->engine->otlp.repartition_topic);
  int rc = sr_consumer_run(p->consumer, stop);
  sr_repartition_stop(p->otlp);
  return rc;
}

void sr_pipeline_stats(const struct sr_pipeline *p,
                       struct sr_pipeline_stats *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < p->n_workers; i++) {
    const struct sr_worker_stats *st = sr_worker_stats(p->workers[i]);
    out->events += atomic_load_explicit(&st->events, memory_order_relaxed);
    out->dead_letters +=
        atomic_load_explicit(&st->dead_letters, memory_order_relaxed);
    for (int a = 0; a <= SR_ACTION_KILL; a++)
      out->commands[a] +=
          atomic_load_explicit(&st->commands[a], memory_order_relaxed);
  }
  if (p->otlp) {
    const struct sr_repartition_stats *o = sr_repartition_stats(p->otlp);
    out->otlp_spans = atomic_load(&o->spans);
    out->otlp_dead_letters =
        atomic_load(&o->dead_spans) + atomic_load(&o->dead_messages);
  }
}

void sr_pipeline_destroy(struct sr_pipeline *p) {
  if (!p) return;
  sr_http_destroy(p->http); /* it reads the metrics */
  /* The consumer first: it must not route into stopped workers, and its
   * close drains them. */
  sr_repartition_destroy(p->otlp); /* stops feeding the consumer first */
  sr_consumer_destroy(p->consumer);
  for (size_t i = 0; i < p->n_workers; i++) sr_worker_destroy(p->workers[i]);
  sr_producer_destroy(p->producer, 10000);
  sr_broker_destroy(p->broker);
  sr_metrics_destroy(p->metrics);
  free(p);
}
