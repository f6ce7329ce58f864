/*
 * Kafka plumbing shared by every stage: client configuration (brokers,
 * `kafka.*` properties from the config file and `-X` flags, librdkafka's log
 * routed into our log macros), the embedded broker (librdkafka's mock
 * cluster: a real Kafka-protocol broker on real sockets), and a producer that
 * counts what it has not yet delivered so offsets are only committed after
 * everything produced for them has landed.
 */
#ifndef SR_KAFKA_H
#define SR_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR_KAFKA_PROPS_MAX 64

/* librdkafka properties as given by the user, applied in order (later wins).
 * Strings are borrowed (config tree or argv) for the life of the struct. */
struct sr_kafka_props {
  const char *key[SR_KAFKA_PROPS_MAX];
  const char *value[SR_KAFKA_PROPS_MAX];
  size_t n;
};

struct sr_conf_node;

/* Whether librdkafka takes `value` for property `key`, asked on a scratch
 * conf so that a typo is caught where it was written, not when a client is
 * created (or never, for a command that makes none). 0, or SR_EINVAL with
 * librdkafka's reason in err. */
int sr_kafka_prop_check(const char *key, const char *value, char *err,
                        size_t errlen);

/* Adds one "key=value" (from -X); SR_EINVAL with err on a bad form, a
 * property librdkafka refuses, or a full table. The string is split in
 * place into the caller's buffer `kv`. */
int sr_kafka_props_add_kv(struct sr_kafka_props *props, char *kv, char *err,
                          size_t errlen);

/* Appends the config file's kafka.properties map (NULL: none) to props,
 * each property checked as by sr_kafka_prop_check. SR_EINVAL with err
 * naming file, line and key. Strings are borrowed from the config tree. */
int sr_kafka_props_read(const struct sr_conf_node *map,
                        struct sr_kafka_props *props, char *err, size_t errlen);

/*
 * The {key, value} pairs both of our consumer groups (the events consumer
 * and the OTLP stage) start from, for a defaults table of
 * sr_kafka_conf_new: offsets stored by hand after processing and committed
 * in the background, incremental rebalancing (not for the stateful stage's
 * two co-partitioned topics: ingest/consumer.h), a 10 s session timeout and
 * two fetch settings:
 *
 * - session.timeout.ms 10000 (librdkafka's default is 45 s): how long a
 *   crashed instance's partitions go unread, their gated calls unanswered,
 *   before the group hands them to another; and, on the embedded broker,
 *   how long a restarted run waits for its partitions (below). Heartbeats
 *   come from librdkafka's own thread, so a busy worker does not miss one;
 *   brokers accept 6 s and up (group.min.session.timeout.ms).
 * - fetch.wait.max.ms 10: the embedded broker answers an empty fetch only
 *   after the full wait, which would add up to 500 ms (the default) to
 *   whatever arrives while a fetch waits, a gated call's verdict included.
 * - librdkafka before 2.2 (Debian ships 2.0.2) stops fetching for a whole
 *   second once its local queue holds queued.min.messages or
 *   queued.max.messages.kbytes (librdkafka issue #2879, fixed by
 *   fetch.queue.backoff.ms in 2.2). Catching up on a backlog, the
 *   consumer drained the queue long before that second was over and
 *   idled. The count limit is lifted and the byte limit set to more than a
 *   second of processing, the remedy its maintainers give; it is memory
 *   used only while a backlog waits.
 * - statistics.interval.ms 1000: what the watch below reads.
 *
 * kafka.properties can change any of them.
 */
/* clang-format off */
#define SR_KAFKA_CONSUMER_DEFAULTS(group, offset_reset)                     \
  {"group.id", (group)},                                                    \
  {"enable.auto.offset.store", "false"},                                    \
  {"enable.auto.commit", "true"},                                           \
  {"auto.commit.interval.ms", "1000"},                                      \
  {"auto.offset.reset", (offset_reset) ? (offset_reset) : "earliest"},      \
  {"partition.assignment.strategy", "cooperative-sticky"},                  \
  {"session.timeout.ms", "10000"},                                          \
  {"enable.partition.eof", "false"},                                        \
  {"fetch.wait.max.ms", "10"},                                              \
  {"queued.min.messages", "10000000"},                                      \
  {"queued.max.messages.kbytes", "262144"},                                 \
  {"statistics.interval.ms", SR_KAFKA_STATS_INTERVAL}
/* clang-format on */

/* Checks a bootstrap list as --brokers and kafka.brokers take it:
 * comma-separated [PROTO://]HOST[:PORT] entries, IPv6 in brackets, port
 * 1-65535 when given. SR_EINVAL with err naming the list and the entry at
 * fault. sr_kafka_conf_new checks its brokers so. */
int sr_kafka_check_bootstrap(const char *list, char *err, size_t errlen);

/* A new conf with bootstrap.servers, client.id and our log callback, then
 * the caller's defaults (ndefaults {key, value} pairs, may be 0), then every
 * user property, so the user's word wins. NULL with err naming the property
 * librdkafka refused. The caller owns the conf (rd_kafka_new frees it on
 * success). */
rd_kafka_conf_t *sr_kafka_conf_new(const char *brokers, const char *client_id,
                                   const char *const (*defaults)[2],
                                   size_t ndefaults,
                                   const struct sr_kafka_props *props,
                                   char *err, size_t errlen);

/*
 * Puts topic's partitions and leaders into rk's metadata cache, waiting up
 * to timeout_ms. Without it librdkafka 2.0.2 learns a topic a producer has
 * not written yet only at its topic scan about a second after the first
 * record, and holds that record (a verdict someone waits for) until then.
 * 0, or the error of the metadata request.
 * @locality setup
 */
rd_kafka_resp_err_t sr_kafka_learn_topic(rd_kafka_t *rk, const char *topic,
                                         int timeout_ms);

/* Waiting for a consumer group ---------------------------------------------*/

/*
 * Why a group consumer sits idle, told to the operator. Nothing at all
 * happens until the group's coordinator has assigned partitions, which can
 * take up to a former member's session.timeout.ms (10 s by default): one
 * that stopped without leaving, or, on librdkafka's mock cluster (our
 * embedded broker), any member that left at all, the mock keeping the group
 * rebalancing that long after its last member leaves. sr_group_wait_poll,
 * called from the poll loop, says once after SR_GROUP_WAIT_NOTICE_MS
 * without an assignment that the consumer waits for its group;
 * sr_group_wait_assigned, from the rebalance callback, logs each
 * assignment, and how long the first took when the wait was noticed.
 * Strings are borrowed for the life of the struct.
 * @locality the consumer's poll thread
 */
#define SR_GROUP_WAIT_NOTICE_MS 5000

struct sr_group_wait {
  const char *prefix; /* before each line: "" or "otlp: " */
  const char *group;
  int64_t since_ms; /* when it subscribed (CLOCK_MONOTONIC) */
  bool assigned, told;
};

/* Starts the clock; call when the consumer subscribes. */
void sr_group_wait_start(struct sr_group_wait *w, const char *prefix,
                         const char *group);
void sr_group_wait_poll(struct sr_group_wait *w);
void sr_group_wait_assigned(struct sr_group_wait *w, int partitions);

/* Watched clients ----------------------------------------------------------*/

/*
 * Whether `run`'s Kafka clients reach their brokers, from librdkafka's
 * statistics (statistics.interval.ms, SR_KAFKA_STATS_INTERVAL in their
 * defaults): each client's row in the metrics (brokers up and known, how
 * long it has reached none) for /metrics and /healthz, and one WARN when a
 * client has reached none for SR_KAFKA_UNREACHABLE_MS, one INFO when it
 * does again. librdkafka's own lines say which connection failed.
 */
#define SR_KAFKA_STATS_INTERVAL "1000"
#define SR_KAFKA_UNREACHABLE_MS 10000

struct sr_metrics;

/* Watches rk, a client created from sr_kafka_conf_new, under the label
 * `client` ("events-consumer") in m (NULL: not at all); role ("the events
 * consumer") and consequence ("events are not read ...") are for the log
 * and must outlive the watch. Call sr_kafka_unwatch before destroying rk.
 * @locks any thread; the callbacks run on the thread that polls rk */
void sr_kafka_watch(rd_kafka_t *rk, struct sr_metrics *m, const char *client,
                    const char *role, const char *consequence);
/* Stops watching rk; a client never watched is fine. */
void sr_kafka_unwatch(const rd_kafka_t *rk);

/* Embedded broker ----------------------------------------------------------*/

struct sr_broker;

/* Starts a mock cluster of `nbrokers` on 127.0.0.1 ephemeral ports and
 * creates each topic with `partitions` partitions. */
struct sr_broker *sr_broker_create(int nbrokers, const char *const *topics,
                                   size_t ntopics, int partitions, char *err,
                                   size_t errlen);
/* "127.0.0.1:port,..." valid until destroy. */
const char *sr_broker_bootstraps(const struct sr_broker *b);
/* Creates one more topic; 0 or SR_EKAFKA. */
int sr_broker_topic_create(struct sr_broker *b, const char *topic,
                           int partitions);
/* Accepts NULL. */
void sr_broker_destroy(struct sr_broker *b);

/* Producer -----------------------------------------------------------------*/

/*
 * An idempotent producer with infinite delivery timeout: a command or
 * dead-letter record is retried until the broker takes it, and `outstanding`
 * counts records produced but not yet acknowledged. The consumer commits
 * input offsets only when it has seen outstanding at zero after the work for
 * those offsets was done.
 * @locks sr_producer_send is thread-safe; poll from one thread.
 */
struct sr_producer;

struct sr_producer *sr_producer_create(const char *brokers,
                                       const struct sr_kafka_props *props,
                                       int linger_ms, char *err, size_t errlen);
/* Flushes (up to timeout_ms) and frees; accepts NULL. */
void sr_producer_destroy(struct sr_producer *p, int timeout_ms);

/*
 * Fetches the metadata of the topics the producer is about to write,
 * waiting up to timeout_ms in all (see sr_kafka_learn_topic), in slices of
 * half a second so that a raised *stop (may be NULL) ends the wait within
 * one: a process told to stop while its brokers do not answer stops. Also
 * keeps a handle of each topic (up to SR_PRODUCER_TOPICS_MAX) that
 * sr_producer_send uses for its records. Best effort: SR_OK when the
 * brokers answered for every topic (a topic they could not describe is
 * logged), SR_ETIMEOUT when they did not answer in time or *stop was
 * raised; either way the producer works, and a topic not learned waits for
 * librdkafka's next metadata refresh at its first record.
 * @locality setup, before any thread sends
 */
int sr_producer_know_topics(struct sr_producer *p, const char *const *topics,
                            size_t n, int timeout_ms,
                            const volatile sig_atomic_t *stop);
/* Topics whose handles sr_producer_know_topics keeps for sending (records
 * to them skip librdkafka's lookup by name); further ones go by name. */
#define SR_PRODUCER_TOPICS_MAX 8

struct sr_header {
  const char *name;
  const void *value;
  size_t len;
};

/* Copies key and value; partition RD_KAFKA_PARTITION_UA hashes the key.
 * Blocks (polling) while librdkafka's queue is full. 0 or SR_EKAFKA. */
int sr_producer_send(struct sr_producer *p, const char *topic,
                     int32_t partition, const void *key, size_t keylen,
                     const void *value, size_t len,
                     const struct sr_header *headers, size_t nheaders);
/* Serves delivery reports. */
void sr_producer_poll(struct sr_producer *p, int timeout_ms);
/* Records produced and not yet acknowledged. */
int64_t sr_producer_outstanding(const struct sr_producer *p);
/* Delivery epochs: a way to wait for "everything sent before now" while
 * others keep sending. sr_producer_epoch_next closes the current epoch and
 * returns it (records sent afterwards belong to the next one);
 * sr_producer_epoch_delivered(p, e) is true once every record of epochs up
 * to e is acknowledged. A record that failed for good stays pending.
 * @locks both are thread-safe; one caller at a time closes epochs. */
uint64_t sr_producer_epoch_next(struct sr_producer *p);
bool sr_producer_epoch_delivered(const struct sr_producer *p, uint64_t e);
/* Records whose delivery failed for good (logged). */
int64_t sr_producer_failed(const struct sr_producer *p);
/* Waits for every outstanding record; SR_ETIMEOUT if some remain. */
int sr_producer_flush(struct sr_producer *p, int timeout_ms);
rd_kafka_t *sr_producer_handle(struct sr_producer *p);

#endif
