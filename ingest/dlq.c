/*
 * Dead letters: the original record plus reason headers (see dlq.h).
 */
#include "ingest/dlq.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/sr.h"

/* Dead letters must fit the broker's default message.max.bytes (1 MB), or
 * their delivery would fail for good and hold the stream's offsets back. */
#define DLQ_PAYLOAD_MAX (900 * 1024)

void sr_dlq_log(struct sr_log_limit *l, const char *prefix,
                const rd_kafka_message_t *m, const char *reason) {
  if (sr_log_limit_take(l, sr_clock_ms(CLOCK_MONOTONIC), "dead letters"))
    SR_WARN("%sdead letter %s [%d] @%lld: %s", prefix,
            rd_kafka_topic_name(m->rkt), (int)m->partition,
            (long long)m->offset, reason);
}

int sr_dlq_send(struct sr_producer *p, const char *dlq_topic,
                const rd_kafka_message_t *m, const char *reason) {
  return sr_dlq_send_value(p, dlq_topic, m, m->payload, m->len, reason);
}

int sr_dlq_send_value(struct sr_producer *p, const char *dlq_topic,
                      const rd_kafka_message_t *m, const void *value,
                      size_t len, const char *reason) {
  char part[16], off[24], size[24];
  const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
  snprintf(part, sizeof part, "%d", (int)m->partition);
  snprintf(off, sizeof off, "%lld", (long long)m->offset);
  snprintf(size, sizeof size, "%zu", len);
  struct sr_header h[] = {
      {"stackrisk.error", reason, strlen(reason)},
      {"stackrisk.topic", topic, strlen(topic)},
      {"stackrisk.partition", part, strlen(part)},
      {"stackrisk.offset", off, strlen(off)},
      {"stackrisk.truncated", size, strlen(size)}, /* only when cut */
  };
  bool cut = len > DLQ_PAYLOAD_MAX;
  return sr_producer_send(p, dlq_topic, RD_KAFKA_PARTITION_UA, m->key,
                          m->key_len, value, cut ? DLQ_PAYLOAD_MAX : len, h,
                          sizeof h / sizeof h[0] - (cut ? 0 : 1));
}
