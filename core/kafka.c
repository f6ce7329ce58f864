/*
 * Kafka plumbing: configuration, the embedded mock broker and a producer that
 * tracks undelivered records.
 *
 * Why a delivery counter rather than per-record bookkeeping: the consumer's
 * rule is "commit an input offset only after everything produced while
 * processing up to it has been acknowledged". Workers bump the counter
 * before they mark an input record done; delivery reports lower it. When the
 * committer sees zero after reading the done marks, every record produced for
 * those marks has been acknowledged. No per-record state, no locks.
 */
#include "core/kafka.h"

#include <jansson.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sr.h"

int sr_kafka_prop_check(const char *key, const char *value, char *err,
                        size_t errlen) {
  rd_kafka_conf_t *scratch = rd_kafka_conf_new();
  rd_kafka_conf_res_t r = rd_kafka_conf_set(scratch, key, value, err, errlen);
  rd_kafka_conf_destroy(scratch);
  return r == RD_KAFKA_CONF_OK ? SR_OK : SR_EINVAL;
}

int sr_kafka_props_add_kv(struct sr_kafka_props *props, char *kv, char *err,
                          size_t errlen) {
  char kerr[512];
  char *eq = strchr(kv, '=');
  if (!eq || eq == kv) {
    snprintf(err, errlen, "librdkafka property '%s': expected KEY=VALUE", kv);
    return SR_EINVAL;
  }
  if (props->n == SR_KAFKA_PROPS_MAX) {
    snprintf(err, errlen, "too many librdkafka properties (at most %d)",
             SR_KAFKA_PROPS_MAX);
    return SR_EINVAL;
  }
  *eq = '\0';
  if (sr_kafka_prop_check(kv, eq + 1, kerr, sizeof kerr)) {
    snprintf(err, errlen, "librdkafka property '%s': %s", kv, kerr);
    return SR_EINVAL;
  }
  props->key[props->n] = kv;
  props->value[props->n] = eq + 1;
  props->n++;
  return SR_OK;
}

int sr_kafka_props_read(const struct sr_conf_node *map,
                        struct sr_kafka_props *props, char *err,
                        size_t errlen) {
  char kerr[512];
  if (!map) return SR_OK;
  if (sr_conf_kind(map) != SR_CONF_MAP)
    return sr_conf_error(map, err, errlen,
                         "expected a map of librdkafka properties");
  for (size_t i = 0; i < sr_conf_len(map); i++) {
    const struct sr_conf_node *v = sr_conf_at(map, i);
    const char *key = sr_conf_key_at(map, i);
    if (!sr_conf_scalar(v))
      return sr_conf_error(v, err, errlen, "expected a scalar value");
    if (sr_kafka_prop_check(key, sr_conf_scalar(v), kerr, sizeof kerr))
      return sr_conf_error(v, err, errlen, "%s", kerr);
    if (props->n == SR_KAFKA_PROPS_MAX)
      return sr_conf_error(map, err, errlen, "too many properties (at most %d)",
                           SR_KAFKA_PROPS_MAX);
    props->key[props->n] = key;
    props->value[props->n++] = sr_conf_scalar(v);
  }
  return SR_OK;
}

/* librdkafka syslog levels → ours; everything it says goes through the same
 * level check as our own lines. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
  enum sr_log_level l = level <= 3   ? SR_LOG_ERROR
                        : level <= 4 ? SR_LOG_WARN
                        : level <= 6 ? SR_LOG_INFO
                                     : SR_LOG_DEBUG;
  /* The mock cluster's harmless "no bootstrap.servers" warning and the
   * chatty connection notices are debug material. */
  if (l == SR_LOG_WARN && strcmp(fac, "CONFWARN") == 0) l = SR_LOG_DEBUG;
  if (l == SR_LOG_INFO) l = SR_LOG_DEBUG;
  SR_LOG(l, "kafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

/* Without an error callback librdkafka logs each error a second time, as
 * "ERROR", after the line that already said what failed. A connection that
 * failed is in that line (FAIL); that a client reaches no broker at all is
 * told once, by the watch below, for the clients of `run`. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
  (void)opaque;
  switch ((rd_kafka_resp_err_t)err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      SR_DEBUG("kafka %s: %s", rd_kafka_name(rk), reason);
      break;
    case RD_KAFKA_RESP_ERR__FATAL: {
      char why[512];
      rd_kafka_fatal_error(rk, why, sizeof why);
      SR_ERROR("kafka %s: fatal error: %s", rd_kafka_name(rk), why);
      break;
    }
    default:
      SR_WARN("kafka %s: %s", rd_kafka_name(rk), reason);
  }
}

/* Watched clients --------------------------------------------------------*/

/* The conf's opaque belongs to the client's owner (delivery reports,
 * rebalances), so the statistics callback finds its row by handle. */
#define WATCHED_MAX 16

static pthread_mutex_t watched_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watched {
  const rd_kafka_t *rk;
  struct sr_metrics_kafka *row;
  const char *role;        /* "the events consumer" */
  const char *consequence; /* what waits while it reaches no broker */
  int64_t watched_ms;      /* when sr_kafka_watch was called */
  bool ever_connected;
  bool warned;     /* the outage was logged */
  char tried[256]; /* connections last seen being made, with their states */
} watched[WATCHED_MAX];

void sr_kafka_watch(rd_kafka_t *rk, struct sr_metrics *m, const char *client,
                    const char *role, const char *consequence) {
  struct sr_metrics_kafka *row = m ? sr_metrics_kafka_claim(m, client) : NULL;
  if (!row) return;
  pthread_mutex_lock(&watched_lock);
  for (size_t i = 0; i < WATCHED_MAX; i++) {
    if (watched[i].rk) continue;
    watched[i] = (struct watched){
        rk,    row,   role, consequence, sr_clock_ms(CLOCK_MONOTONIC),
        false, false, ""};
    break;
  }
  pthread_mutex_unlock(&watched_lock);
}

void sr_kafka_unwatch(const rd_kafka_t *rk) {
  pthread_mutex_lock(&watched_lock);
  for (size_t i = 0; i < WATCHED_MAX; i++)
    if (watched[i].rk == rk) watched[i] = (struct watched){0};
  pthread_mutex_unlock(&watched_lock);
}

static const char *member(json_t *object, const char *key) {
  const char *v = json_string_value(json_object_get(object, key));
  return v ? v : "";
}

/* A connection being made: TRY_CONNECT (waiting out the backoff),
 * CONNECT, and the handshakes after it. Not INIT (a broker the client has
 * not needed: connections are sparse) and not DOWN (passed through on the
 * way to either, an idle connection closed included). */
static bool connecting(const char *state) {
  static const char *const other[] = {"UP", "UPDATE", "INIT", "DOWN"};
  for (size_t i = 0; i < SR_ARRAY_LEN(other); i++)
    if (strcmp(state, other[i]) == 0) return false;
  return true;
}

static json_int_t node_id(json_t *broker) {
  json_t *id = json_object_get(broker, "nodeid");
  return json_is_integer(id) ? json_integer_value(id) : -1;
}

struct broker_count {
  int up, known;   /* brokers with a node id (the bootstrap ones before) */
  bool connected;  /* some connection is up, the coordinator's included */
  bool connecting; /* some connection is being made */
  char names[256]; /* those being made, with their states */
};

/* Reads the client's broker entries from its statistics, all but its
 * internal one; the consumer's group coordinator is a logical entry,
 * counted for being connected or connecting but not as a broker. */
static void count_brokers(json_t *brokers, struct broker_count *n) {
  bool numbered = false;
  const char *name;
  json_t *b;
  json_object_foreach(brokers, name, b) {
    if (node_id(b) >= 0) numbered = true;
  }
  *n = (struct broker_count){0};
  size_t len = 0;
  json_object_foreach(brokers, name, b) {
    const char *source = member(b, "source");
    const char *state = member(b, "state");
    if (strcmp(source, "internal") == 0) continue;
    bool up = strcmp(state, "UP") == 0 || strcmp(state, "UPDATE") == 0;
    n->connected |= up;
    if (connecting(state)) {
      n->connecting = true;
      if (len < sizeof n->names)
        len += (size_t)snprintf(n->names + len, sizeof n->names - len,
                                "%s%s %s", len ? ", " : "", name, state);
    }
    if (strcmp(source, "logical") == 0 || (numbered && node_id(b) < 0))
      continue;
    n->known++;
    n->up += up;
  }
}

/* Runs on the thread that polls the client, every statistics.interval.ms. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  (void)opaque;
  pthread_mutex_lock(&watched_lock);
  struct watched *w = NULL;
  for (size_t i = 0; i < WATCHED_MAX && !w; i++)
    if (watched[i].rk == rk) w = &watched[i];
  json_t *root = w ? json_loadb(json, len, 0, NULL) : NULL;
  json_t *brokers = json_object_get(root, "brokers");
  if (json_is_object(brokers)) {
    struct broker_count n;
    count_brokers(brokers, &n);
    struct sr_metrics_kafka *row = w->row;
    int64_t now = sr_clock_ms(CLOCK_MONOTONIC);
    int64_t since = atomic_load(&row->unreachable_since_ms);
    /* Connected clears; connecting to no avail sets (since the client
     * started, if it never was connected); neither (an idle client
     * between attempts) leaves it as it was. */
    if (n.connected) {
      if (w->warned)
        SR_INFO(
            "kafka: %s reaches its brokers again (%d of %d up), after "
            "%lld s",
            w->role, n.up, n.known, (long long)(now - since) / 1000);
      since = 0;
      w->warned = false;
      w->ever_connected = true;
    } else if (n.connecting) {
      if (!since) since = w->ever_connected ? now : w->watched_ms;
      snprintf(w->tried, sizeof w->tried, "%s", n.names);
    }
    if (since && !w->warned && now - since >= SR_KAFKA_UNREACHABLE_MS) {
      SR_WARN(
          "kafka: %s has reached none of its brokers for %lld s (%s): "
          "%s; retrying, and /healthz answers 503 meanwhile",
          w->role, (long long)(now - since) / 1000, w->tried, w->consequence);
      w->warned = true;
    }
    atomic_store(&row->brokers_known, n.known);
    atomic_store(&row->unreachable_since_ms, since);
    atomic_store(&row->brokers_up, n.up);
  }
  json_decref(root);
  pthread_mutex_unlock(&watched_lock);
  return 0; /* librdkafka frees json */
}

/* Checks one bootstrap entry, [PROTO://]HOST[:PORT] or [PROTO://][IPV6]
 * [:PORT], of n bytes at e: librdkafka takes ":" or "host:x" as given and
 * then fails to connect, over and over, to "localhost:0" or an unknown
 * port, which tells the operator nothing of the typo. */
static bool bootstrap_entry_ok(const char *e, size_t n, char *err,
                               size_t errlen) {
  const char *end = e + n, *host = e;
  for (const char *q = e; q + 3 <= end; q++)
    if (memcmp(q, "://", 3) == 0) {
      host = q + 3;
      break;
    }
  const char *port = NULL, *host_end = end;
  if (host < end && *host == '[') {
    const char *close = memchr(host, ']', (size_t)(end - host));
    if (!close) {
      snprintf(err, errlen,
               "'%.*s' opens an IPv6 address with '[' but has no ']'", (int)n,
               e);
      return false;
    }
    host_end = close + 1;
    if (host_end < end) {
      if (*host_end != ':') {
        snprintf(err, errlen, "'%.*s' has '%.*s' after its address", (int)n, e,
                 (int)(end - host_end), host_end);
        return false;
      }
      port = host_end + 1;
    }
  } else {
    const char *colon = memchr(host, ':', (size_t)(end - host));
    /* More than one ':' without brackets: a bare IPv6 address, no port. */
    if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
      host_end = colon;
      port = colon + 1;
    }
  }
  if (host_end == host || (*host == '[' && host_end - host <= 2)) {
    snprintf(err, errlen, "'%.*s' names no host (expected HOST:PORT)", (int)n,
             e);
    return false;
  }
  if (!port) return true; /* librdkafka's default port, 9092 */
  long v = 0;
  const char *q = port;
  while (q < end && *q >= '0' && *q <= '9' && v <= 65535)
    v = v * 10 + (*q++ - '0');
  if (q == port || q != end || v < 1 || v > 65535) {
    snprintf(err, errlen,
             "'%.*s' has port '%.*s', not a number from 1 to 65535", (int)n, e,
             (int)(end - port), port);
    return false;
  }
  return true;
}

int sr_kafka_check_bootstrap(const char *list, char *err, size_t errlen) {
  char why[384];
  size_t entries = 0;
  for (const char *p = list;;) {
    p += strspn(p, " \t");
    size_t n = strcspn(p, ",");
    size_t t = n;
    while (t && (p[t - 1] == ' ' || p[t - 1] == '\t')) t--;
    if (t) {
      if (!bootstrap_entry_ok(p, t, why, sizeof why)) {
        snprintf(err, errlen, "Kafka bootstrap servers '%s': %s", list, why);
        return SR_EINVAL;
      }
      entries++;
    }
    if (!p[n]) break;
    p += n + 1;
  }
  if (!entries) {
    snprintf(err, errlen,
             "Kafka bootstrap servers '%s': no broker in it (expected "
             "HOST:PORT[,HOST:PORT...])",
             list);
    return SR_EINVAL;
  }
  return SR_OK;
}

rd_kafka_conf_t *sr_kafka_conf_new(const char *brokers, const char *client_id,
                                   const char *const (*defaults)[2],
                                   size_t ndefaults,
                                   const struct sr_kafka_props *props,
                                   char *err, size_t errlen) {
  char kerr[512];
  if (brokers && sr_kafka_check_bootstrap(brokers, err, errlen)) return NULL;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  rd_kafka_conf_set_stats_cb(conf, stats_cb);
  if ((brokers && rd_kafka_conf_set(conf, "bootstrap.servers", brokers, kerr,
                                    sizeof kerr) != RD_KAFKA_CONF_OK) ||
      (client_id && rd_kafka_conf_set(conf, "client.id", client_id, kerr,
                                      sizeof kerr) != RD_KAFKA_CONF_OK)) {
    snprintf(err, errlen, "kafka: %s", kerr);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  for (size_t i = 0; i < ndefaults; i++) {
    if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], kerr,
                          sizeof kerr) != RD_KAFKA_CONF_OK) {
      snprintf(err, errlen, "kafka: %s", kerr);
      rd_kafka_conf_destroy(conf);
      return NULL;
    }
  }
  for (size_t i = 0; props && i < props->n; i++) {
    if (rd_kafka_conf_set(conf, props->key[i], props->value[i], kerr,
                          sizeof kerr) != RD_KAFKA_CONF_OK) {
      snprintf(err, errlen, "kafka property '%s': %s", props->key[i], kerr);
      rd_kafka_conf_destroy(conf);
      return NULL;
    }
  }
  return conf;
}

/* Waiting for a consumer group ---------------------------------------------*/

void sr_group_wait_start(struct sr_group_wait *w, const char *prefix,
                         const char *group) {
  *w = (struct sr_group_wait){prefix, group, sr_clock_ms(CLOCK_MONOTONIC)};
}

void sr_group_wait_poll(struct sr_group_wait *w) {
  if (w->assigned || w->told ||
      sr_clock_ms(CLOCK_MONOTONIC) - w->since_ms < SR_GROUP_WAIT_NOTICE_MS)
    return;
  w->told = true;
  SR_INFO(
      "%swaiting for consumer group %s to assign partitions (none after "
      "%d s): its coordinator may first wait out a former member's "
      "session.timeout.ms (10 s by default), or the brokers are not "
      "answering",
      w->prefix, w->group, SR_GROUP_WAIT_NOTICE_MS / 1000);
}

void sr_group_wait_assigned(struct sr_group_wait *w, int partitions) {
  if (!w->assigned && w->told)
    SR_INFO("%sassigned %d partition(s) by consumer group %s after %lld s",
            w->prefix, partitions, w->group,
            (long long)(sr_clock_ms(CLOCK_MONOTONIC) - w->since_ms) / 1000);
  else
    SR_INFO("%sassigned %d partition(s)", w->prefix, partitions);
  w->assigned = true;
}

/* Embedded broker ----------------------------------------------------------*/

struct sr_broker {
  rd_kafka_t *rk; /* owns the mock cluster */
  rd_kafka_mock_cluster_t *mcluster;
};

struct sr_broker *sr_broker_create(int nbrokers, const char *const *topics,
                                   size_t ntopics, int partitions, char *err,
                                   size_t errlen) {
  char kerr[256];
  struct sr_broker *b = calloc(1, sizeof *b);
  if (!b) goto oom;
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(NULL, "stackrisk-broker", NULL, 0, NULL, err, errlen);
  if (!conf) goto fail;
  b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr);
  if (!b->rk) {
    rd_kafka_conf_destroy(conf);
    snprintf(err, errlen, "embedded broker: %s", kerr);
    goto fail;
  }
  conf = NULL; /* owned by rk now */
  b->mcluster = rd_kafka_mock_cluster_new(b->rk, nbrokers);
  if (!b->mcluster) {
    snprintf(err, errlen, "embedded broker: cannot start the mock cluster");
    goto fail;
  }
  for (size_t i = 0; i < ntopics; i++) {
    if (sr_broker_topic_create(b, topics[i], partitions) != SR_OK) {
      snprintf(err, errlen, "embedded broker: cannot create topic '%s'",
               topics[i]);
      goto fail;
    }
  }
  return b;
oom:
  snprintf(err, errlen, "out of memory");
fail:
  sr_broker_destroy(b);
  return NULL;
}

const char *sr_broker_bootstraps(const struct sr_broker *b) {
  return rd_kafka_mock_cluster_bootstraps(b->mcluster);
}

int sr_broker_topic_create(struct sr_broker *b, const char *topic,
                           int partitions) {
  rd_kafka_resp_err_t e =
      rd_kafka_mock_topic_create(b->mcluster, topic, partitions, 1);
  return e ? SR_EKAFKA : SR_OK;
}

void sr_broker_destroy(struct sr_broker *b) {
  if (!b) return;
  if (b->mcluster) rd_kafka_mock_cluster_destroy(b->mcluster);
  if (b->rk) rd_kafka_destroy(b->rk);
  free(b);
}

/* Producer -----------------------------------------------------------------*/

#define EPOCHS 64 /* delivery epochs tracked at once (a ring) */

struct sr_producer {
  rd_kafka_t *rk;
  _Atomic int64_t outstanding;
  _Atomic int64_t failed;
  _Atomic uint64_t epoch;           /* records sent now belong to it */
  _Atomic int64_t pending[EPOCHS];  /* unacknowledged, by epoch % EPOCHS */
  /* Handles of the topics named to sr_producer_know_topics, kept for
   * sending: producing by name takes librdkafka's handle write lock and
   * searches its topics for every record. Read-only after setup. */
  struct {
    char name[256];
    rd_kafka_topic_t *rkt;
  } known[SR_PRODUCER_TOPICS_MAX];
  size_t n_known;
};

/* Runs on the thread that polls. With message.timeout.ms=0 librdkafka
 * retries transient errors forever, so an error here is permanent (too
 * large, topic does not exist...): the record stays counted as outstanding,
 * which holds the input offsets back so it is produced again after a
 * restart rather than lost. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  struct sr_producer *p = opaque;
  if (m->err) {
    atomic_fetch_add(&p->failed, 1);
    SR_ERROR(
        "delivery to %s failed for good: %s; input offsets are held "
        "back until restart",
        rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    return;
  }
  uint64_t epoch = (uintptr_t)m->_private;
  atomic_fetch_sub_explicit(&p->pending[epoch % EPOCHS], 1,
                            memory_order_release);
  atomic_fetch_sub_explicit(&p->outstanding, 1, memory_order_release);
}

struct sr_producer *sr_producer_create(const char *brokers,
                                       const struct sr_kafka_props *props,
                                       int linger_ms, char *err,
                                       size_t errlen) {
  char kerr[512], linger[32];
  struct sr_producer *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  snprintf(linger, sizeof linger, "%d", linger_ms);
  const char *const defaults[][2] = {
      {"enable.idempotence", "true"},
      {"message.timeout.ms", "0"},
      {"linger.ms", linger},
      {"partitioner", "murmur2_random"},
      {"statistics.interval.ms", SR_KAFKA_STATS_INTERVAL},
  };
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(brokers, "stackrisk", defaults, SR_ARRAY_LEN(defaults),
                        props, err, errlen);
  if (!conf) goto fail;
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_conf_set_opaque(conf, p);
  p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr);
  if (!p->rk) {
    snprintf(err, errlen, "kafka producer: %s", kerr);
    goto fail_conf;
  }
  return p;
fail_conf:
  rd_kafka_conf_destroy(conf);
fail:
  free(p);
  return NULL;
}

rd_kafka_resp_err_t sr_kafka_learn_topic(rd_kafka_t *rk, const char *topic,
                                         int timeout_ms) {
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  if (!t) return rd_kafka_last_error();
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  return e;
}

/* The kept handle of topic, or NULL. @locality any thread */
static rd_kafka_topic_t *known_topic(const struct sr_producer *p,
                                     const char *topic) {
  for (size_t i = 0; i < p->n_known; i++)
    if (strcmp(p->known[i].name, topic) == 0) return p->known[i].rkt;
  return NULL;
}

/* sr_kafka_learn_topic until the deadline, asking again while no broker
 * answers: librdkafka fails each request only after its timeout then, so
 * this does not spin, and a raised *stop is seen within a slice. */
static rd_kafka_resp_err_t learn_until(rd_kafka_t *rk, const char *topic,
                                       int64_t deadline,
                                       const volatile sig_atomic_t *stop) {
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
  int64_t left;
  while (!(stop && *stop) &&
         (left = deadline - sr_clock_ms(CLOCK_MONOTONIC)) > 0) {
    e = sr_kafka_learn_topic(rk, topic, (int)SR_MIN(left, 500));
    if (e != RD_KAFKA_RESP_ERR__TRANSPORT && e != RD_KAFKA_RESP_ERR__TIMED_OUT)
      break;
  }
  return e;
}

int sr_producer_know_topics(struct sr_producer *p, const char *const *topics,
                            size_t n, int timeout_ms,
                            const volatile sig_atomic_t *stop) {
  int64_t deadline = sr_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
  int rc = SR_OK;
  for (size_t i = 0; i < n; i++) {
    /* Once the brokers have been silent until the deadline, the later
     * topics are not waited for. */
    rd_kafka_resp_err_t e = learn_until(p->rk, topics[i], deadline, stop);
    if (e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT)
      rc = SR_ETIMEOUT;
    else if (e)
      SR_WARN(
          "topic %s: no metadata (%s); its first record waits for "
          "librdkafka's next refresh",
          topics[i], rd_kafka_err2str(e));
    if (p->n_known == SR_PRODUCER_TOPICS_MAX || strlen(topics[i]) >= 256 ||
        known_topic(p, topics[i]))
      continue; /* produced by name, as any other topic */
    rd_kafka_topic_t *t = rd_kafka_topic_new(p->rk, topics[i], NULL);
    if (!t) continue;
    snprintf(p->known[p->n_known].name, sizeof p->known[0].name, "%s",
             topics[i]);
    p->known[p->n_known++].rkt = t;
  }
  return rc;
}

void sr_producer_destroy(struct sr_producer *p, int timeout_ms) {
  if (!p) return;
  if (sr_producer_flush(p, timeout_ms) != SR_OK)
    SR_WARN("producer closed with %lld records undelivered",
            (long long)sr_producer_outstanding(p));
  for (size_t i = 0; i < p->n_known; i++) rd_kafka_topic_destroy(p->known[i].rkt);
  sr_kafka_unwatch(p->rk);
  rd_kafka_destroy(p->rk);
  free(p);
}

int sr_producer_send(struct sr_producer *p, const char *topic,
                     int32_t partition, const void *key, size_t keylen,
                     const void *value, size_t len,
                     const struct sr_header *headers, size_t nheaders) {
  rd_kafka_headers_t *hdrs = NULL;
  if (nheaders) {
    hdrs = rd_kafka_headers_new(nheaders);
    for (size_t i = 0; i < nheaders; i++)
      rd_kafka_header_add(hdrs, headers[i].name, -1, headers[i].value,
                          (ssize_t)headers[i].len);
  }
  atomic_fetch_add_explicit(&p->outstanding, 1, memory_order_relaxed);
  uint64_t epoch = atomic_load_explicit(&p->epoch, memory_order_acquire);
  atomic_fetch_add_explicit(&p->pending[epoch % EPOCHS], 1,
                            memory_order_relaxed);
  /* A topic not kept at setup gets a handle for this record only
   * (librdkafka finds its topic object by name and counts a reference). */
  rd_kafka_topic_t *kept = known_topic(p, topic);
  rd_kafka_topic_t *rkt = kept ? kept : rd_kafka_topic_new(p->rk, topic, NULL);
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__QUEUE_FULL; /* try at once */
  if (!rkt && !(e = rd_kafka_last_error())) e = RD_KAFKA_RESP_ERR__INVALID_ARG;
  while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    e = rd_kafka_producev(p->rk, RD_KAFKA_V_RKT(rkt),
                          RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, keylen),
                          RD_KAFKA_V_VALUE((void *)value, len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_HEADERS(hdrs),
                          RD_KAFKA_V_OPAQUE((void *)(uintptr_t)epoch),
                          RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p->rk, 10); /* backpressure: wait for room */
  }
  if (rkt && rkt != kept) rd_kafka_topic_destroy(rkt);
  if (!e) return SR_OK; /* headers are owned by librdkafka now */
  atomic_fetch_sub(&p->pending[epoch % EPOCHS], 1);
  atomic_fetch_sub(&p->outstanding, 1);
  SR_ERROR("produce to %s: %s", topic, rd_kafka_err2str(e));
  if (hdrs) rd_kafka_headers_destroy(hdrs);
  return SR_EKAFKA;
}

void sr_producer_poll(struct sr_producer *p, int timeout_ms) {
  rd_kafka_poll(p->rk, timeout_ms);
}

int64_t sr_producer_outstanding(const struct sr_producer *p) {
  return atomic_load_explicit(&p->outstanding, memory_order_acquire);
}

uint64_t sr_producer_epoch_next(struct sr_producer *p) {
  return atomic_fetch_add_explicit(&p->epoch, 1, memory_order_acq_rel);
}

/* A record of epoch <= e sent after its epoch was closed was sent after
 * the caller's seals (see kafka.h), and may sit in any slot but the one of
 * e + 1, which only newer records use: waiting for every other slot waits
 * for all of them, never for the records of the open epoch. */
bool sr_producer_epoch_delivered(const struct sr_producer *p, uint64_t e) {
  for (uint64_t i = 0; i < EPOCHS; i++)
    if (i != (e + 1) % EPOCHS &&
        atomic_load_explicit(&p->pending[i], memory_order_acquire) > 0)
      return false;
  return true;
}

int64_t sr_producer_failed(const struct sr_producer *p) {
  return atomic_load(&p->failed);
}

int sr_producer_flush(struct sr_producer *p, int timeout_ms) {
  rd_kafka_flush(p->rk, timeout_ms);
  return sr_producer_outstanding(p) - sr_producer_failed(p) > 0 ? SR_ETIMEOUT
                                                                : SR_OK;
}

rd_kafka_t *sr_producer_handle(struct sr_producer *p) {
  return p->rk;
}
