/*
 * Repartition stage (see repartition.h for why it exists).
 *
 * One thread: poll one OTLP message, decode and map it into the arena,
 * produce its events and dead letters, note the next offset of its
 * partition. Every commit interval, and before a partition is given up,
 * a checkpoint snapshots those offsets, flushes the producer and stores the
 * snapshot only if nothing is left outstanding: every record produced for
 * the messages before a stored offset has then been acknowledged. The flush
 * stalls consumption for as long as delivery takes, which is also the
 * backpressure when the broker is slow or away.
 *
 * The events are re-encoded as stackrisk.v1.Event (not forwarded as spans)
 * so that the stateful stage reads one contract whatever the source, and
 * the native decoder's checks apply to them again.
 */
#include "ingest/repartition.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "ingest/dlq.h"
#include "schemas/stackrisk.pb-c.h"

#define PARTS_MAX 1024

struct part {
  int32_t partition;
  int64_t next;   /* offset after the last message handled; -1 none */
  int64_t stored; /* last stored offset; -1 none */
};

struct sr_repartition {
  struct sr_repartition_opts opts;
  rd_kafka_t *rk;
  struct sr_producer *producer;
  struct sr_otlp_decoder *dec;
  struct sr_arena *arena;
  struct sr_metrics *metrics;    /* the pipeline's (lag); NULL: none */
  struct sr_metrics_otlp *stats; /* the pipeline's, or own_stats */
  struct sr_metrics_otlp own_stats;
  struct sr_log_limit dead_log; /* dead letters logged at WARN */
  struct part parts[PARTS_MAX];
  size_t n_parts;
  pthread_t thread;
  bool running, closed;
  atomic_bool stop;
  struct sr_group_wait group_wait; /* the stage's thread */
};

/* Encoding -----------------------------------------------------------------*/

static char *cstr(struct sr_arena *a, sr_str s) {
  if (!s.n) return (char *)protobuf_c_empty_string;
  char *p = sr_arena_alloc(a, s.n + 1);
  if (!p) return NULL;
  memcpy(p, s.p, s.n);
  p[s.n] = '\0';
  return p;
}

static char **cstrs(struct sr_arena *a, const struct sr_str_list *l,
                    bool *oom) {
  if (!l->n) return NULL;
  char **v = sr_arena_alloc(a, l->n * sizeof *v);
  if (!v) {
    *oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < l->n; i++)
    if (!(v[i] = cstr(a, l->v[i]))) *oom = true;
  return v;
}

int sr_repartition_encode(const struct sr_event *ev, struct sr_arena *a,
                          sr_str *out) {
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  Stackrisk__V1__Scope scope = STACKRISK__V1__SCOPE__INIT;
  Stackrisk__V1__Estimate est = STACKRISK__V1__ESTIMATE__INIT;
  Stackrisk__V1__Target target = STACKRISK__V1__TARGET__INIT;
  Stackrisk__V1__Credential cred = STACKRISK__V1__CREDENTIAL__INIT;
  bool oom = false;
#define S(dst, src) oom |= !((dst) = cstr(a, (src)))
  m.type = (Stackrisk__V1__EventType)ev->type;
  S(m.session_id, ev->session_id);
  S(m.event_id, ev->event_id);
  m.ts_ms = ev->ts_ms;
  S(m.agent_id, ev->agent_id);
  S(m.parent_agent_id, ev->parent_agent_id);
  S(m.task, ev->task);
  m.mode = (Stackrisk__V1__Mode)ev->mode;
  S(m.environment, ev->environment);
  if (ev->scope_environments.n || ev->scope_domains.n ||
      ev->scope_resources.n) {
    scope.n_environments = ev->scope_environments.n;
    scope.environments = cstrs(a, &ev->scope_environments, &oom);
    scope.n_domains = ev->scope_domains.n;
    scope.domains = cstrs(a, &ev->scope_domains, &oom);
    scope.n_resources = ev->scope_resources.n;
    scope.resources = cstrs(a, &ev->scope_resources, &oom);
    m.scope = &scope;
  }
  if (ev->estimate.present) {
    est.steps = ev->estimate.steps;
    est.seconds = ev->estimate.seconds;
    est.cost_usd = ev->estimate.cost_usd;
    m.estimate = &est;
  }
  m.phase = (Stackrisk__V1__Phase)ev->phase;
  S(m.call_id, ev->call_id);
  S(m.tool, ev->tool);
  S(m.arguments, ev->arguments);
  if (ev->target.id.n || ev->target.kind.n || ev->target.environment.n ||
      ev->target.backups) {
    S(target.id, ev->target.id);
    S(target.kind, ev->target.kind);
    S(target.environment, ev->target.environment);
    target.backups = (Stackrisk__V1__Backups)ev->target.backups;
    m.target = &target;
  }
  if (ev->credential.id.n) {
    S(cred.id, ev->credential.id);
    S(cred.purpose, ev->credential.purpose);
    if (ev->credential.scopes_given) {
      cred.n_scopes = ev->credential.scopes.n;
      cred.scopes = cstrs(a, &ev->credential.scopes, &oom);
    }
    cred.n_environments = ev->credential.environments.n;
    cred.environments = cstrs(a, &ev->credential.environments, &oom);
    m.credential = &cred;
  }
  m.want_verdict = ev->want_verdict;
  S(m.result, ev->result);
  m.cost_usd = ev->cost_usd;
  S(m.role, ev->role);
  S(m.text, ev->text);
  S(m.path, ev->path);
  S(m.op, ev->op);
  m.n_credentials_found = ev->credentials_found.n;
  m.credentials_found = cstrs(a, &ev->credentials_found, &oom);
  S(m.decision, ev->decision);
  S(m.approver, ev->approver);
#undef S
  if (oom) return SR_ENOMEM;
  size_t n = stackrisk__v1__event__get_packed_size(&m);
  uint8_t *p = sr_arena_alloc(a, n ? n : 1);
  if (!p) return SR_ENOMEM;
  stackrisk__v1__event__pack(&m, p);
  *out = (sr_str){(const char *)p, n};
  return 0;
}

/* Offsets ------------------------------------------------------------------*/

static struct part *part_get(struct sr_repartition *r, int32_t partition) {
  for (size_t i = 0; i < r->n_parts; i++)
    if (r->parts[i].partition == partition) return &r->parts[i];
  if (r->n_parts == PARTS_MAX) return NULL;
  struct part *p = &r->parts[r->n_parts++];
  *p = (struct part){partition, -1, -1};
  return p;
}

/* Stores the offsets handled so far if everything produced for them is
 * delivered within timeout_ms; false when something is still outstanding. */
static bool checkpoint(struct sr_repartition *r, int timeout_ms) {
  int64_t want[PARTS_MAX];
  bool any = false;
  for (size_t i = 0; i < r->n_parts; i++) {
    want[i] = r->parts[i].next;
    any |= want[i] > r->parts[i].stored;
  }
  if (!any) return true;
  sr_producer_flush(r->producer, timeout_ms);
  int64_t left = sr_producer_outstanding(r->producer);
  if (left != 0) {
    SR_DEBUG("otlp: %lld records undelivered; input offsets held back",
             (long long)left);
    return false;
  }
  rd_kafka_topic_partition_list_t *l =
      rd_kafka_topic_partition_list_new((int)r->n_parts);
  for (size_t i = 0; i < r->n_parts; i++) {
    if (want[i] <= r->parts[i].stored) continue;
    rd_kafka_topic_partition_list_add(l, r->opts.otlp->topic,
                                      r->parts[i].partition)
        ->offset = want[i];
    r->parts[i].stored = want[i];
  }
  rd_kafka_resp_err_t e = rd_kafka_offsets_store(r->rk, l);
  if (e) SR_WARN("otlp: storing offsets: %s", rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(l);
  return true;
}

/* Lag per partition, as the stateful consumer reports it (consumer.c,
 * report_lag): the cached high watermark less the next offset to handle;
 * 0 for an empty partition nothing was read from; left out when neither
 * is known. */
static void report_lag(struct sr_repartition *r) {
  struct sr_metrics_lag rows[SR_METRICS_PARTITIONS];
  size_t n = 0;
  for (size_t i = 0; i < r->n_parts && n < SR_METRICS_PARTITIONS; i++) {
    const struct part *p = &r->parts[i];
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(r->rk, r->opts.otlp->topic, p->partition,
                                       &lo, &hi) ||
        hi < 0 || (p->next < 0 && lo != hi))
      continue;
    rows[n++] =
        (struct sr_metrics_lag){r->opts.otlp->topic, p->partition,
                                p->next < 0 ? 0 : SR_MAX(hi - p->next, 0)};
  }
  sr_metrics_set_lag(r->metrics, SR_LAG_OTLP, rows, n);
}

/* Before giving partitions up (revoke, close): deliver, store, commit. */
static void drain(struct sr_repartition *r) {
  if (!checkpoint(r, 30000))
    SR_WARN("otlp: %lld repartitioned records still undelivered; their "
            "input offsets are not committed",
            (long long)sr_producer_outstanding(r->producer));
  rd_kafka_resp_err_t e = rd_kafka_commit(r->rk, NULL, 0);
  if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
    SR_WARN("otlp: committing offsets: %s", rd_kafka_err2str(e));
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
  struct sr_repartition *r = opaque;
  bool cooperative =
      strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    sr_group_wait_assigned(&r->group_wait, parts->cnt);
    for (int i = 0; i < parts->cnt; i++) /* for the lag of empty ones */
      part_get(r, parts->elems[i].partition);
    if (!cooperative) {
      rd_kafka_assign(rk, parts);
      return;
    }
    rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
    if (e) {
      SR_ERROR("otlp: incremental assign: %s", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
    return;
  }
  drain(r);
  for (int i = 0; i < parts->cnt; i++)
    for (size_t j = 0; j < r->n_parts; j++)
      if (r->parts[j].partition == parts->elems[i].partition) {
        r->parts[j] = r->parts[--r->n_parts];
        break;
      }
  SR_INFO("otlp: revoked %d partition(s)", parts->cnt);
  if (!cooperative) {
    rd_kafka_assign(rk, NULL);
    return;
  }
  rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
  if (e) rd_kafka_error_destroy(e);
}

/* The stage ----------------------------------------------------------------*/

struct sr_repartition *sr_repartition_create(
    const struct sr_repartition_opts *opts, char *err, size_t errlen) {
  char kerr[512];
  struct sr_repartition *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  r->opts = *opts;
  if (!r->opts.max_message_bytes)
    r->opts.max_message_bytes = SR_MESSAGE_MAX_DEFAULT;
  if (r->opts.commit_interval_ms <= 0) r->opts.commit_interval_ms = 200;
  atomic_init(&r->stop, false);
  r->metrics = opts->metrics;
  r->stats = opts->metrics ? sr_metrics_otlp(opts->metrics) : &r->own_stats;
  /* Protobuf-c objects for every attribute: up to ~16x the wire size. */
  r->arena = sr_arena_create(16 * r->opts.max_message_bytes + (1u << 20));
  r->dec = sr_otlp_decoder_create(opts->otlp, err, errlen);
  if (!r->arena || !r->dec) {
    if (!r->arena) snprintf(err, errlen, "out of memory");
    goto fail;
  }
  r->producer = sr_producer_create(opts->brokers, opts->props,
                                   (int)opts->otlp->linger_ms, err, errlen);
  if (!r->producer) goto fail;
  sr_kafka_watch(sr_producer_handle(r->producer), opts->metrics,
                 "otlp-producer", "the OTLP stage's producer",
                 "spans are not passed on to the stateful stage");
  const char *written[] = {opts->otlp->repartition_topic, opts->dlq_topic};
  if (sr_producer_know_topics(r->producer, written, SR_ARRAY_LEN(written),
                              opts->metadata_ms, opts->stop) != SR_OK &&
      opts->metadata_ms > 0 && !(opts->stop && *opts->stop))
    SR_WARN(
        "otlp: the Kafka brokers did not answer in %d ms; the first "
        "records to %s and %s wait for librdkafka's next metadata refresh",
        opts->metadata_ms, written[0], written[1]);
  const char *const defaults[][2] = {
      SR_KAFKA_CONSUMER_DEFAULTS(opts->group, opts->offset_reset)};
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(opts->brokers, "stackrisk-otlp", defaults,
                        SR_ARRAY_LEN(defaults), opts->props, err, errlen);
  if (!conf) goto fail;
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_opaque(conf, r);
  r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
  if (!r->rk) {
    rd_kafka_conf_destroy(conf);
    snprintf(err, errlen, "kafka consumer (otlp): %s", kerr);
    goto fail;
  }
  rd_kafka_poll_set_consumer(r->rk);
  sr_kafka_watch(r->rk, opts->metrics, "otlp-consumer",
                 "the OTLP stage's consumer", "spans are not read");
  rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, opts->otlp->topic,
                                    RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(r->rk, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (e) {
    snprintf(err, errlen, "kafka subscribe (otlp): %s", rd_kafka_err2str(e));
    goto fail;
  }
  sr_group_wait_start(&r->group_wait, "otlp: ", opts->group);
  return r;
fail:
  sr_repartition_destroy(r);
  return NULL;
}

/* @locality the stage's thread */
static void handle(struct sr_repartition *r, const rd_kafka_message_t *m) {
  char err[512];
  struct sr_otlp_batch b;
  rd_kafka_timestamp_type_t tstype;
  struct sr_decode_opts dopts = sr_decode_opts_record(
      r->opts.max_message_bytes, rd_kafka_message_timestamp(m, &tstype),
      r->opts.max_future_ms);
  sr_arena_reset(r->arena);
  atomic_fetch_add_explicit(&r->stats->messages, 1, memory_order_relaxed);
  int rc = sr_otlp_decode(r->dec, m->payload, m->len, &dopts, r->arena, &b,
                          err, sizeof err);
  if (rc) {
    atomic_fetch_add_explicit(&r->stats->dead_messages, 1,
                              memory_order_relaxed);
    sr_dlq_log(&r->dead_log, "otlp: ", m, err);
    sr_dlq_send(r->producer, r->opts.dlq_topic, m, err);
    return;
  }
  atomic_fetch_add_explicit(&r->stats->spans, b.n_spans, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->stats->ignored, b.n_ignored,
                            memory_order_relaxed);
  for (size_t i = 0; i < b.n_events; i++) {
    const struct sr_event *ev = b.events[i];
    sr_str pb;
    if (sr_repartition_encode(ev, r->arena, &pb)) {
      /* The arena is sized for the worst message, so this is not expected;
       * if it happens, the message is kept whole rather than cut short. */
      snprintf(err, sizeof err,
               "decoder arena exhausted re-encoding event %zu of %zu", i + 1,
               b.n_events);
      SR_ERROR("otlp: %s [%d] @%lld: %s (dead-lettered)",
               rd_kafka_topic_name(m->rkt), (int)m->partition,
               (long long)m->offset, err);
      atomic_fetch_add_explicit(&r->stats->dead_messages, 1,
                                memory_order_relaxed);
      sr_dlq_send(r->producer, r->opts.dlq_topic, m, err);
      return;
    }
    sr_producer_send(r->producer, r->opts.otlp->repartition_topic,
                     RD_KAFKA_PARTITION_UA, ev->session_id.p,
                     ev->session_id.n, pb.p, pb.n, NULL, 0);
  }
  atomic_fetch_add_explicit(&r->stats->events, b.n_events,
                            memory_order_relaxed);
  for (size_t i = 0; i < b.n_rejects; i++) {
    sr_str one;
    const char *why = b.rejects[i].reason;
    atomic_fetch_add_explicit(&r->stats->dead_spans, 1, memory_order_relaxed);
    sr_dlq_log(&r->dead_log, "otlp: ", m, why);
    if (sr_otlp_encode_span(&b, b.rejects[i].span, r->arena, &one) == 0)
      sr_dlq_send_value(r->producer, r->opts.dlq_topic, m, one.p, one.n, why);
    else /* no room to cut the span out: the whole message, same reason */
      sr_dlq_send(r->producer, r->opts.dlq_topic, m, why);
  }
}

static void *run(void *arg) {
  struct sr_repartition *r = arg;
  pthread_setname_np(pthread_self(), "sr-repartition");
  int64_t next = sr_clock_ms(CLOCK_MONOTONIC) + r->opts.commit_interval_ms;
  while (!atomic_load(&r->stop)) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 50);
    if (m) {
      if (!m->err) {
        handle(r, m);
        struct part *p = part_get(r, m->partition);
        if (p) p->next = m->offset + 1;
      } else {
        SR_WARN("otlp consumer: %s", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    sr_producer_poll(r->producer, 0);
    int64_t now = sr_clock_ms(CLOCK_MONOTONIC);
    if (now >= next) {
      checkpoint(r, r->opts.commit_interval_ms);
      if (r->metrics) report_lag(r);
      sr_group_wait_poll(&r->group_wait);
      next = sr_clock_ms(CLOCK_MONOTONIC) + r->opts.commit_interval_ms;
    }
  }
  drain(r);
  rd_kafka_consumer_close(r->rk);
  r->closed = true;
  return NULL;
}

int sr_repartition_start(struct sr_repartition *r, char *err, size_t errlen) {
  int e = pthread_create(&r->thread, NULL, run, r);
  if (e) {
    snprintf(err, errlen, "cannot start the OTLP stage: %s", strerror(e));
    return SR_EINVAL;
  }
  r->running = true;
  return SR_OK;
}

void sr_repartition_stop(struct sr_repartition *r) {
  if (!r || !r->running) return;
  atomic_store(&r->stop, true);
  pthread_join(r->thread, NULL);
  r->running = false;
}

void sr_repartition_destroy(struct sr_repartition *r) {
  if (!r) return;
  sr_repartition_stop(r);
  if (r->rk) {
    if (!r->closed) rd_kafka_consumer_close(r->rk);
    sr_kafka_unwatch(r->rk);
    rd_kafka_destroy(r->rk);
  }
  sr_producer_destroy(r->producer, 10000);
  sr_otlp_decoder_destroy(r->dec);
  sr_arena_destroy(r->arena);
  free(r);
}

const struct sr_metrics_otlp *sr_repartition_stats(
    const struct sr_repartition *r) {
  return r->stats;
}
