/*
 * Wiring of `stackrisk run`: broker (optional) → producer → workers →
 * consumer. Construction order is the reverse of data flow so every stage
 * exists before anything can reach it; destruction runs the other way.
 */
#include "core/pipeline.h"

#include <stdio.h>
#include <stdlib.h>

#include "aggregator/sign.h"
#include "aggregator/worker.h"
#include "core/log.h"
#include "ingest/consumer.h"

struct sr_pipeline {
  const struct sr_engine *engine;
  const char *brokers;
  struct sr_broker *broker;
  struct sr_producer *producer;
  struct sr_signer *signer;
  struct sr_worker *workers[SR_WORKERS_MAX];
  struct sr_ring *rings[SR_WORKERS_MAX];
  size_t n_workers;
  struct sr_consumer *consumer;
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
  if (!p->brokers || !*p->brokers) {
    const char *topics[] = {s->topic_events, s->topic_control, s->topic_dlq};
    p->broker =
        sr_broker_create(1, topics, 3, (int)s->partitions, err, errlen);
    if (!p->broker) goto fail;
    p->brokers = sr_broker_bootstraps(p->broker);
  }
  char key[4096], pub[4096];
  bool generated;
  if (sr_sign_resolve_secret(s->signing_key, key, sizeof key, pub, sizeof pub,
                             &generated, err, errlen))
    goto fail;
  if (generated) {
    printf("stackrisk: generated a signing key pair; enforcement points "
           "verify commands with the public key %s\n", pub);
    fflush(stdout);
  }
  SR_INFO("signing commands with %s (public key %s)", key, pub);
  p->signer = sr_signer_load(key, err, errlen);
  if (!p->signer) goto fail;
  p->producer = sr_producer_create(p->brokers, &s->props, (int)s->linger_ms,
                                   err, errlen);
  if (!p->producer) goto fail;
  for (size_t i = 0; i < (size_t)s->workers; i++) {
    struct sr_worker_opts wo = {
        .index = i,
        .dets = engine->dets,
        .policy = engine->policy,
        .producer = p->producer,
        .signer = p->signer,
        .control_topic = s->topic_control,
        .dlq_topic = s->topic_dlq,
        .max_message_bytes = (size_t)s->max_message_bytes,
    };
    p->workers[i] = sr_worker_create(&wo, err, errlen);
    if (!p->workers[i]) goto fail;
    p->n_workers++;
    if (sr_worker_start(p->workers[i], err, errlen)) goto fail;
    p->rings[i] = sr_worker_ring(p->workers[i]);
  }
  const char *topics[] = {s->topic_events};
  struct sr_consumer_opts co = {
      .brokers = p->brokers,
      .group = s->group,
      .topics = topics,
      .ntopics = 1,
      .props = &s->props,
      .n_workers = p->n_workers,
      .commit_interval_ms = (int)s->commit_interval_ms,
      .offset_reset = s->offset_reset,
  };
  p->consumer = sr_consumer_create(&co, p->rings, p->producer, err, errlen);
  if (!p->consumer) goto fail;
  return p;
fail:
  sr_pipeline_destroy(p);
  return NULL;
}

const char *sr_pipeline_brokers(const struct sr_pipeline *p) {
  return p->brokers;
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
  return sr_consumer_run(p->consumer, stop);
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
}

void sr_pipeline_destroy(struct sr_pipeline *p) {
  if (!p) return;
  /* The consumer first: it must not route into stopped workers, and its
   * close drains them. */
  sr_consumer_destroy(p->consumer);
  for (size_t i = 0; i < p->n_workers; i++) sr_worker_destroy(p->workers[i]);
  sr_producer_destroy(p->producer, 10000);
  sr_signer_destroy(p->signer);
  sr_broker_destroy(p->broker);
  free(p);
}
