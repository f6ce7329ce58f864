/*
 * The dead-letter topic: where a message that cannot be processed goes, with
 * its original bytes and key, and headers saying why and where it came from:
 *   stackrisk.error      the reason ("field 'ts_ms': expected an integer")
 *   stackrisk.topic      source topic
 *   stackrisk.partition  source partition (decimal)
 *   stackrisk.offset     source offset (decimal)
 * Bad input never stops the stream: the source offset is committed like any
 * other once the dead letter is delivered.
 */
#ifndef SR_DLQ_H
#define SR_DLQ_H

#include <librdkafka/rdkafka.h>

#include "core/kafka.h"
#include "core/log.h"

/* Produces the dead letter for message m; 0 or SR_EKAFKA. */
int sr_dlq_send(struct sr_producer *p, const char *dlq_topic,
                const rd_kafka_message_t *m, const char *reason);

/* The same, with `value` (borrowed until return) in place of m's payload:
 * one span of a multi-span message, re-encoded alone. */
int sr_dlq_send_value(struct sr_producer *p, const char *dlq_topic,
                      const rd_kafka_message_t *m, const void *value,
                      size_t len, const char *reason);

/* Logs the dead letter of m at WARN (prefix, topic, partition, offset,
 * reason) within l's rate limit, so that a flood of bad input cannot fill
 * the disk. @locality l's thread */
void sr_dlq_log(struct sr_log_limit *l, const char *prefix,
                const rd_kafka_message_t *m, const char *reason);

#endif
