/*
 * Wiring of `stackrisk run`: broker (optional) → producer → workers →
 * consumer. Construction order is the reverse of data flow so every stage
 * exists before anything can reach it; destruction runs the other way.
 */
#include "core/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/store.h"
#include "aggregator/sign.h"
#include "aggregator/worker.h"
#include "core/log.h"
#include "ingest/consumer.h"
#include "ingest/repartition.h"
#include "query/http.h"

_Static_assert(SR_METRICS_SHARDS >= SR_WORKERS_MAX, "a metrics shard per worker");

struct sr_pipeline {
  const struct sr_engine *engine;
  const char *brokers;
  bool brokers_silent; /* no answer to the metadata requests at create */
  struct sr_broker *broker;
  struct sr_producer *producer;
  struct sr_signer *signer;
  struct sr_worker *workers[SR_WORKERS_MAX];
  struct sr_ring *rings[SR_WORKERS_MAX];
  size_t n_workers;
  struct sr_consumer *consumer;
  struct sr_metrics *metrics;
  struct sr_http *http;
  struct sr_repartition *otlp; /* NULL when otlp.enabled is false */
  char otlp_group[256];
  struct sr_store *store;        /* NULL without a state database */
  struct sr_state_hooks hooks;
  struct sr_store_offset offs[1024]; /* consumer thread: begin's argument */
};

/* The consumer's view of the store (ingest/ does not know aggregator/). */
/* An embedded broker starts with empty topics: offsets stored against an
 * earlier one would skip its first events, so only sessions carry over. */
static int64_t hook_stored(void *ctx, const char *topic, int32_t partition) {
  struct sr_pipeline *p = ctx;
  return p->broker ? -1 : sr_store_offset(p->store, topic, partition);
}

static void *hook_begin(void *ctx, const char *const *topics,
                        const int32_t *partitions, const int64_t *next,
                        size_t n) {
  struct sr_pipeline *p = ctx;
  n = SR_MIN(n, SR_ARRAY_LEN(p->offs));
  for (size_t i = 0; i < n; i++) {
    snprintf(p->offs[i].topic, sizeof p->offs[i].topic, "%s", topics[i]);
    p->offs[i].partition = partitions[i];
    p->offs[i].next = next[i];
  }
  return sr_store_begin(p->store, p->offs, n);
}

static bool hook_durable(void *ctx, void *barrier) {
  struct sr_pipeline *p = ctx;
  return sr_store_durable(p->store, barrier);
}

/* Refuses a topic the pipeline would both read and write: each dead letter
 * (or command) read back would be dead-lettered again, forever. The
 * workers read the events topic and, with OTLP, the repartition topic; the
 * OTLP stage reads otlp.topic (which otlp.c already keeps apart from the
 * repartition topic); both write the control and dead-letter topics. */
static int check_topics(const struct sr_engine *e, char *err, size_t errlen) {
  const struct sr_settings *s = &e->settings;
  const char *const read[][2] = {
      {s->topic_events, "the events topic (--events-topic)"},
      {e->otlp.topic, "otlp.topic"},
      {e->otlp.repartition_topic, "otlp.repartition_topic"}};
  const char *const written[][2] = {
      {s->topic_control, "the control topic (--control-topic)"},
      {s->topic_dlq, "the dead-letter topic (--dlq-topic)"}};
  size_t n_read = e->otlp.enabled ? SR_ARRAY_LEN(read) : 1;
  for (size_t r = 0; r < n_read; r++)
    for (size_t w = 0; w < SR_ARRAY_LEN(written); w++)
      if (strcmp(read[r][0], written[w][0]) == 0) {
        snprintf(err, errlen,
                 "%s must differ from %s '%s': stackrisk would read back "
                 "what it writes, in a loop",
                 read[r][1], written[w][1], written[w][0]);
        return SR_EINVAL;
      }
  return SR_OK;
}

/* How long create waits for the brokers to describe the topics written:
 * a command to a topic the producer has not learned waits about a second. */
#define METADATA_WAIT_MS 5000

struct sr_pipeline *sr_pipeline_create(const struct sr_engine *engine,
                                       const volatile sig_atomic_t *stop,
                                       char *err, size_t errlen) {
  const struct sr_settings *s = &engine->settings;
  struct sr_pipeline *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->engine = engine;
  p->brokers = s->brokers;
  if (check_topics(engine, err, errlen)) goto fail;
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
  sr_kafka_watch(sr_producer_handle(p->producer), p->metrics,
                 "commands-producer", "the command producer",
                 "commands and dead letters wait in memory, and the input "
                 "offsets behind them are not committed");
  const char *written[] = {s->topic_control, s->topic_dlq};
  p->brokers_silent =
      sr_producer_know_topics(p->producer, written, SR_ARRAY_LEN(written),
                              METADATA_WAIT_MS, stop) != SR_OK;
  if (s->state_path && *s->state_path) {
    struct sr_store_opts so = {
        .path = s->state_path,
        .idle_ms = s->idle_eviction_s * 1000,
        .retention_ms = s->retention_s * 1000,
        .audit_retention_ms = s->audit_retention_s * 1000,
        .timeline_max = (uint32_t)s->timeline_events,
        .crash_at = getenv("STACKRISK_CRASH_AT"),
    };
    p->store = sr_store_open(&so, engine->dets, (size_t)s->workers, err,
                             errlen);
    if (!p->store || sr_store_start(p->store, p->producer, err, errlen))
      goto fail;
    p->hooks = (struct sr_state_hooks){p, hook_stored, hook_begin,
                                       hook_durable};
    SR_INFO("state database %s%s", s->state_path,
            p->broker ? " (embedded broker: stored offsets not used)" : "");
  }
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
        .max_future_ms = s->max_future_s * 1000,
        .metrics = sr_metrics_shard(p->metrics, i),
        .shard = p->store ? sr_store_shard(p->store, i) : NULL,
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
      .restore_window_ms = s->restore_window_s * 1000,
      .metrics = p->metrics,
      .state = p->store ? &p->hooks : NULL,
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
        .max_future_ms = s->max_future_s * 1000,
        .commit_interval_ms = (int)s->commit_interval_ms,
        /* brokers that did not answer us will not answer it either */
        .metadata_ms = p->brokers_silent ? 0 : METADATA_WAIT_MS,
        .stop = stop,
        .metrics = p->metrics,
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
  if (*stop) {
    /* told to stop during set-up: it is not going to consume */
  } else if (p->brokers_silent) {
    /* A stream processor outlives a broker outage: librdkafka keeps
     * reconnecting, and partitions are assigned once the brokers answer. */
    SR_WARN(
        "the Kafka brokers at %s have not answered for %d s: not "
        "consuming yet; retrying until they answer (then %s as group %s, "
        "commands to %s)",
        p->brokers, METADATA_WAIT_MS / 1000, s->topic_events, s->group,
        s->topic_control);
  } else {
    SR_INFO(
        "consuming %s as group %s with %zu workers; commands to %s, dead "
        "letters to %s",
        s->topic_events, s->group, p->n_workers, s->topic_control,
        s->topic_dlq);
    if (p->otlp)
      SR_INFO("OTLP spans from %s, repartitioned by session through %s",
              p->engine->otlp.topic, p->engine->otlp.repartition_topic);
  }
  int rc = sr_consumer_run(p->consumer, stop);
  sr_repartition_stop(p->otlp);
  return rc;
}

void sr_pipeline_stats(const struct sr_pipeline *p,
                       struct sr_pipeline_stats *out) {
  memset(out, 0, sizeof *out);
  uint64_t commands[SR_METRICS_ACTIONS];
  sr_metrics_totals(p->metrics, &out->events, &out->dead_letters, commands);
  for (int a = 0; a <= SR_ACTION_KILL && a < SR_METRICS_ACTIONS; a++)
    out->commands[a] = commands[a];
  if (p->store) out->durable = sr_consumer_durable_messages(p->consumer);
  if (p->otlp) {
    const struct sr_metrics_otlp *o = sr_repartition_stats(p->otlp);
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
  sr_store_close(p->store);
  sr_producer_destroy(p->producer, 10000);
  sr_signer_destroy(p->signer);
  sr_broker_destroy(p->broker);
  sr_metrics_destroy(p->metrics);
  free(p);
}
