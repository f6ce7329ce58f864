/*
 * Private to the decoders (decode.c, decode_json.c, decode_protobuf.c): the
 * checks and error wording both wire forms share, so that the same bad
 * event gets the same reason whichever way it arrived.
 */
#ifndef SR_DECODE_INTERNAL_H
#define SR_DECODE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "ingest/decode.h"
#include "ingest/event.h"

/* Room for a field path such as "credential.environments[31]". */
#define SR_DECODE_FIELD_NAME_MAX 64

/* Zeroes every field of ev except the items of its lists (their counts are
 * zeroed): items past a list's n are never read, and the item arrays are
 * most of the event's size, which a whole memset paid for on every event.
 * @locality decoder thread */
void sr_decode_reset_event(struct sr_event *ev);

/* Formats into err (if any) and returns rc, so that `return
 * sr_decode_errf(...)` reports and fails in one step. */
int sr_decode_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The message size limit of opts (which may be NULL). */
static inline size_t sr_decode_max_bytes(const struct sr_decode_opts *opts) {
  return opts && opts->max_message_bytes ? opts->max_message_bytes
                                         : SR_MESSAGE_MAX_DEFAULT;
}

/* The error for a message of len bytes over the limit of opts. */
int sr_decode_err_size(size_t len, const struct sr_decode_opts *opts, char *err,
                       size_t errlen);

/* SR_EBOUND "message of N bytes exceeds the limit of M" when len is over the
 * configured limit; 0 otherwise. opts may be NULL. Inline: every message
 * passes it. */
static inline int sr_decode_check_size(size_t len,
                                       const struct sr_decode_opts *opts,
                                       char *err, size_t errlen) {
  if (len <= sr_decode_max_bytes(opts)) return 0;
  return sr_decode_err_size(len, opts, err, errlen);
}

/* Writes "prefix.name[idx]" into buf (prefix may be NULL, idx < 0 for
 * none); returns buf. */
const char *sr_decode_field_name(char *buf, size_t cap, const char *prefix,
                                 const char *name, long idx);

/* SR_EBOUND for a string or a list over its limit, naming the field. */
int sr_decode_err_str_bound(char *err, size_t errlen, const char *field,
                            size_t n, size_t limit);
int sr_decode_err_list_bound(char *err, size_t errlen, const char *field,
                             size_t n);

/* A printable, shortened copy of an input value for an error message. */
const char *sr_decode_quote(char *buf, size_t cap, sr_str v);

/* Reads a protobuf base-128 varint of at most ten bytes at *pp, advancing
 * *pp; false when it is truncated or too long. Inline: tags and lengths
 * are read for every field of every message. */
static inline bool sr_decode_wire_varint(const uint8_t **pp, const uint8_t *end,
                                         uint64_t *out) {
  const uint8_t *p = *pp;
  if (p < end && *p < 0x80) { /* one byte: most tags and short lengths */
    *out = *p;
    *pp = p + 1;
    return true;
  }
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p >= end) return false;
    uint8_t b = *p++;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *pp = p;
      *out = v;
      return true;
    }
  }
  return false;
}

/* Maps an approval decision (approve/deny, any case) to its canonical
 * spelling, a static string; false when it is neither. */
bool sr_decode_decision(sr_str v, sr_str *canonical);

/*
 * The checks and defaults common to both wire forms, run after the fields
 * were read: type and session id present, event id defaulted to the hash of
 * the bytes (in the arena), event time defaulted to the fallback clock,
 * provenance set.
 */
int sr_decode_finish(const void *buf, size_t len,
                     const struct sr_decode_opts *opts, struct sr_arena *arena,
                     struct sr_event *ev, char *err, size_t errlen);

#endif
