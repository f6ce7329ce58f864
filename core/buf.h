/*
 * A bounded output buffer for building JSON lines, HTTP bodies and reasons
 * without allocation: appends past the capacity are dropped and remembered
 * (`overflow`), so a caller checks once at the end instead of after every
 * append.
 */
#ifndef SR_BUF_H
#define SR_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/sr.h"

struct sr_buf {
  char *p;
  size_t cap; /* bytes available, NUL included */
  size_t len;
  bool overflow;
};

static inline struct sr_buf sr_buf_init(char *p, size_t cap) {
  struct sr_buf b = {p, cap, 0, false};
  if (cap) p[0] = '\0';
  return b;
}

/* Appends n bytes of s (NULL when n is 0), as many as fit. Inline: it is
 * called per piece of every timeline summary and reason. */
static inline void sr_buf_append(struct sr_buf *b, const char *s, size_t n) {
  if (n == 0) return; /* s may be NULL: an empty view */
  if (b->cap == 0) {
    b->overflow = true;
    return;
  }
  size_t room = b->cap - 1 - b->len;
  if (n > room) {
    b->overflow = true;
    n = room;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}
static inline void sr_buf_puts(struct sr_buf *b, const char *s) {
  sr_buf_append(b, s, strlen(s));
}
void sr_buf_printf(struct sr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when s goes into a JSON string as it is: no control character,
 * quote or backslash, and unless high_ok no byte from 0x80 on (which
 * sr_buf_json_text checks as UTF-8). */
bool sr_buf_json_plain(sr_str s, bool high_ok);
/* Appends s as a JSON string literal, quotes included, escaping control
 * characters, quotes and backslashes (UTF-8 passes through). */
void sr_buf_json_string(struct sr_buf *b, sr_str s);
/* Same, and broken UTF-8 replaced with U+FFFD (each byte that starts no
 * valid sequence), so the literal is valid JSON whatever s holds. At most
 * 6 * s.n + 2 bytes. */
void sr_buf_json_text(struct sr_buf *b, sr_str s);
/* Appends v with 6 significant digits, as "%.6g" prints it (the query
 * API's precision for reals), without printf for values in [1e-4, 1e5);
 * "null" when v is not finite, so the text stays a JSON value. */
void sr_buf_real6(struct sr_buf *b, double v);
/* Writes v in decimal, two digits a step, so that it ends just before
 * end, and returns where it starts (at most 20 bytes before end). For
 * callers that place the digits themselves (the store's chunks, signing's
 * canonical form). */
static inline char *sr_decimal(char *end, uint64_t v) {
  static const char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233"
      "34353637383940414243444546474849505152535455565758596061626364656667"
      "6869707172737475767778798081828384858687888990919293949596979899";
  while (v >= 100) {
    end -= 2;
    memcpy(end, pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    end -= 2;
    memcpy(end, pairs + 2 * v, 2);
  } else {
    *--end = (char)('0' + v);
  }
  return end;
}
/* Appends v in decimal, as %lld / %llu would, without printf. */
void sr_buf_i64(struct sr_buf *b, int64_t v);
void sr_buf_u64(struct sr_buf *b, uint64_t v);
/* Appends v as "%.*f" prints it, decimals <= SR_FIXED_DECIMALS_MAX, without
 * printf for the values core/fixed.h handles. */
void sr_buf_fixed(struct sr_buf *b, double v, unsigned decimals);
/* Appends the n bytes at p in lowercase hex, as "%02x" each would. */
void sr_buf_hex(struct sr_buf *b, const uint8_t *p, size_t n);

#endif
