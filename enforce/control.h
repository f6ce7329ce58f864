/*
 * The enforcer's side of the control topic: a reader that follows every
 * partition of the control topic (no consumer group: each enforcer sees
 * every command) and hands out decoded commands.
 *
 * It is positioned before it returns from create (the end offsets are
 * resolved by then), so a command published after create is never missed.
 *
 * @locality one thread.
 */
#ifndef SR_CONTROL_H
#define SR_CONTROL_H

#include "aggregator/command.h"
#include "core/kafka.h"

struct sr_control_reader;

/* from_beginning: every retained command; else only new ones. timeout_ms
 * bounds the set-up (metadata and offsets) in all: brokers that do not
 * answer make it fail then, with err saying so. client_id names the Kafka
 * client in logs (and to the brokers): the command that reads. */
struct sr_control_reader *sr_control_reader_create(
    const char *brokers, const char *client_id, const char *topic,
    bool from_beginning, const struct sr_kafka_props *props, int timeout_ms,
    char *err, size_t errlen);
/* Follows only the partition that commands for `session` land on (the
 * control topic is keyed by session id, murmur2 like our producer), from
 * its end: what a gate waiting on one call of that session needs, at the
 * cost of two round trips. timeout_ms bounds the set-up. */
struct sr_control_reader *sr_control_reader_create_session(
    const char *brokers, const char *client_id, const char *topic,
    const char *session, const struct sr_kafka_props *props, int timeout_ms,
    char *err, size_t errlen);
void sr_control_reader_destroy(struct sr_control_reader *r);

/* Waits up to timeout_ms for the next command. 0 and *cmd filled,
 * SR_ETIMEOUT when none came, SR_EINVAL (err set) for a record that is not a
 * command (it is skipped: call again). */
int sr_control_reader_next(struct sr_control_reader *r, int timeout_ms,
                           struct sr_command *cmd, char *err, size_t errlen);

#endif
