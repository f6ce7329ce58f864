/*
 * Decoders: bytes of one message → sr_event. The wire form is sniffed per
 * message: a payload whose first non-blank byte is '{' is a JSON line, any
 * other is a protobuf stackrisk.v1.Event (a serialised Event never begins
 * with 0x7B: that would be field 15 as a group, which Event does not use).
 *
 * A decoder never allocates from the heap: strings that must be rewritten
 * (JSON escapes) and protobuf-c objects go into the caller's arena. On
 * failure it returns SR_EINVAL (malformed) or SR_EBOUND (a bound broken)
 * and writes a reason naming the field into err, e.g.
 * "field 'ts_ms': expected an integer" or "missing 'session_id'".
 *
 * @locality the calling thread; arena and event belong to it.
 */
#ifndef SR_DECODE_H
#define SR_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "ingest/event.h"

enum sr_wire_format {
  SR_WIRE_JSON = 1,
  SR_WIRE_PROTOBUF = 2,
};

struct sr_decode_opts {
  size_t max_message_bytes; /* 0 = SR_MESSAGE_MAX_DEFAULT */
  /* Event time used when the event carries none (Kafka message timestamp,
   * or the previous event's time in a replay). */
  int64_t fallback_ts_ms;
  /* When the input was written (the Kafka record's timestamp; the clock,
   * in a replay) and how far ahead of it an event's own time may lie: an
   * event stamped later is refused. Event time ages sessions and expires
   * stored rows, so one event from a wrong clock or in the wrong unit
   * (microseconds) would move it years ahead for good. 0 for either: no
   * bound. */
  int64_t written_ms;
  int64_t max_future_ms;
};

/* Options for a Kafka record written at record_ts_ms (librdkafka's -1 when
 * it has none): its time stands in for an event's missing one and bounds
 * how far ahead an event may be stamped (max_future_ms, 0 = no bound). */
static inline struct sr_decode_opts sr_decode_opts_record(
    size_t max_message_bytes, int64_t record_ts_ms, int64_t max_future_ms) {
  int64_t ts = record_ts_ms > 0 ? record_ts_ms : 0;
  return (struct sr_decode_opts){max_message_bytes, ts, ts, max_future_ms};
}

/* The reason an event at ts_ms is too far ahead of opts' written_ms, in
 * err, or 0 when it is not. */
int sr_decode_check_future(const struct sr_decode_opts *opts, int64_t ts_ms,
                           char *err, size_t errlen);

enum sr_wire_format sr_decode_sniff(const void *buf, size_t len);

/* Decodes one event; ev->raw is set to the input, partition/offset to -1.
 * The event borrows from buf and arena. */
int sr_decode_event(const void *buf, size_t len,
                    const struct sr_decode_opts *opts, struct sr_arena *arena,
                    struct sr_event *ev, char *err, size_t errlen);
int sr_decode_json(const void *buf, size_t len,
                   const struct sr_decode_opts *opts, struct sr_arena *arena,
                   struct sr_event *ev, char *err, size_t errlen);
int sr_decode_protobuf(const void *buf, size_t len,
                       const struct sr_decode_opts *opts,
                       struct sr_arena *arena, struct sr_event *ev, char *err,
                       size_t errlen);

/*
 * Finds the session id without a full decode, for routing to the worker that
 * owns the session. Never allocates; *out borrows from buf, or from scratch
 * (at least SR_SESSION_ID_MAX bytes) when a JSON id had to be unescaped, so
 * the same session routes the same way in either wire form. Returns
 * SR_ENOTFOUND when there is none (or it is not valid); the full decode then
 * reports the precise error.
 */
int sr_decode_peek_session(const void *buf, size_t len, char *scratch,
                           sr_str *out);

#endif
