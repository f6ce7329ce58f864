/*
 * Control-topic reader (see control.h). Uses assign() on every partition
 * found in the topic's metadata rather than a consumer group: enforcers are
 * many, each must see all commands, and a group join would cost seconds.
 * The start offsets are resolved to absolute ones before create returns, so
 * "from the end" means the end at the time of create, not at the time of
 * the first fetch.
 */
#include "enforce/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/log.h"

struct sr_control_reader {
  rd_kafka_t *rk;
};

static struct sr_control_reader *open_reader(
    const char *brokers, const char *client_id, const char *topic,
    bool from_beginning, const char *session,
    const struct sr_kafka_props *props, int timeout_ms, char *err,
    size_t errlen) {
  char kerr[512];
  int64_t deadline = sr_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
  struct sr_control_reader *r = calloc(1, sizeof *r);
  rd_kafka_topic_partition_list_t *parts = NULL;
  const struct rd_kafka_metadata *md = NULL;
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  rd_kafka_conf_t *conf =
      sr_kafka_conf_new(brokers, client_id, NULL, 0, props, err, errlen);
  if (!conf) goto fail;
  /* assign() needs a group id, though it never joins the group: a unique
   * one keeps enforcers from sharing anything. */
  char group[96];
  snprintf(group, sizeof group, "stackrisk-reader-%ld-%p", (long)getpid(),
           (void *)r);
  /* A verdict is waited for: fetch as soon as a record is there. */
  if (rd_kafka_conf_set(conf, "group.id", group, kerr, sizeof kerr) ||
      rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", kerr, sizeof kerr) ||
      rd_kafka_conf_set(conf, "fetch.error.backoff.ms", "10", kerr,
                        sizeof kerr) ||
      rd_kafka_conf_set(conf, "enable.partition.eof", "false", kerr,
                        sizeof kerr) ||
      rd_kafka_conf_set(conf, "enable.auto.commit", "false", kerr,
                        sizeof kerr)) {
    snprintf(err, errlen, "kafka: %s", kerr);
    rd_kafka_conf_destroy(conf);
    goto fail;
  }
  r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
  if (!r->rk) {
    snprintf(err, errlen, "kafka consumer: %s", kerr);
    rd_kafka_conf_destroy(conf);
    goto fail;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, topic, NULL);
  rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 0, rkt, &md, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (e || md->topic_cnt != 1 || md->topics[0].err) {
    snprintf(
        err, errlen, "cannot read metadata of topic %s at %s: %s", topic,
        brokers,
        rd_kafka_err2str(e               ? e
                         : md->topic_cnt ? md->topics[0].err
                                         : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    goto fail;
  }
  int cnt = md->topics[0].partition_cnt;
  parts = rd_kafka_topic_partition_list_new(cnt);
  for (int i = 0; i < cnt; i++) {
    int32_t p = md->topics[0].partitions[i].id;
    if (session && cnt > 0 &&
        p != rd_kafka_msg_partitioner_murmur2(NULL, session, strlen(session),
                                              cnt, NULL, NULL))
      continue;
    int64_t lo = 0, hi = 0;
    int left = (int)SR_MAX(deadline - sr_clock_ms(CLOCK_MONOTONIC), 1);
    e = rd_kafka_query_watermark_offsets(r->rk, topic, p, &lo, &hi, left);
    if (e) {
      snprintf(err, errlen, "cannot read offsets of %s [%d]: %s", topic, p,
               rd_kafka_err2str(e));
      goto fail;
    }
    rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
        from_beginning ? lo : hi;
  }
  e = rd_kafka_assign(r->rk, parts);
  if (e) {
    snprintf(err, errlen, "cannot assign %s: %s", topic, rd_kafka_err2str(e));
    goto fail;
  }
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_metadata_destroy(md);
  return r;
fail:
  if (parts) rd_kafka_topic_partition_list_destroy(parts);
  if (md) rd_kafka_metadata_destroy(md);
  sr_control_reader_destroy(r);
  return NULL;
}

struct sr_control_reader *sr_control_reader_create(
    const char *brokers, const char *client_id, const char *topic,
    bool from_beginning, const struct sr_kafka_props *props, int timeout_ms,
    char *err, size_t errlen) {
  return open_reader(brokers, client_id, topic, from_beginning, NULL, props,
                     timeout_ms, err, errlen);
}

struct sr_control_reader *sr_control_reader_create_session(
    const char *brokers, const char *client_id, const char *topic,
    const char *session, const struct sr_kafka_props *props, int timeout_ms,
    char *err, size_t errlen) {
  return open_reader(brokers, client_id, topic, false, session, props,
                     timeout_ms, err, errlen);
}

void sr_control_reader_destroy(struct sr_control_reader *r) {
  if (!r) return;
  if (r->rk) {
    rd_kafka_consumer_close(r->rk);
    rd_kafka_destroy(r->rk);
  }
  free(r);
}

int sr_control_reader_next(struct sr_control_reader *r, int timeout_ms,
                           struct sr_command *cmd, char *err, size_t errlen) {
  rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, timeout_ms);
  if (!m) return SR_ETIMEOUT;
  int rc;
  if (m->err) {
    snprintf(err, errlen, "control topic: %s", rd_kafka_message_errstr(m));
    rc = SR_EINVAL;
  } else {
    rc = sr_command_decode(m->payload, m->len, cmd, err, errlen);
    if (rc == SR_OK && !cmd->command_id[0]) {
      snprintf(err, errlen, "record at %s [%d] @%lld has no command id",
               rd_kafka_topic_name(m->rkt), (int)m->partition,
               (long long)m->offset);
      rc = SR_EINVAL;
    }
  }
  rd_kafka_message_destroy(m);
  return rc;
}
