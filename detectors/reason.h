/*
 * Reason text built piece by piece, byte for byte what snprintf with "%s"
 * and "%.*s" would write, without parsing a format: detectors that score a
 * finding above its threshold write a reason on every such call, and
 * snprintf costs about 700 instructions a call against some 20 for a copy.
 *
 * Like snprintf, a reason is cut at cap - 1 bytes and always NUL-terminated;
 * like "%.*s", a view is bounded by its maximum and stops at a NUL byte.
 * Numbers: "%llu" of an unsigned integer, and "%.0f" of a double through
 * core/fixed.h's printf-exact formatter.
 *
 * @locality any thread; header-only, no allocation.
 */
#ifndef SR_DETECTOR_REASON_H
#define SR_DETECTOR_REASON_H

#include <stdint.h>
#include <string.h>

#include "core/fixed.h"
#include "core/sr.h"

/* Invariant: cap > 0, n < cap, p[n] == '\0'. */
struct sr_reason {
  char *p;
  size_t cap;
  size_t n;
};

/* Starts an empty reason in buf (cap > 0). */
static inline struct sr_reason sr_reason_start(char *buf, size_t cap) {
  buf[0] = '\0';
  return (struct sr_reason){buf, cap, 0};
}

/* Appends len bytes of s, or what still fits. */
static inline void sr_reason_put(struct sr_reason *r, const char *s,
                                 size_t len) {
  size_t room = r->cap - 1 - r->n;
  if (len > room) len = room;
  memcpy(r->p + r->n, s, len);
  r->n += len;
  r->p[r->n] = '\0';
}

/* "%s" of a C string. */
static inline void sr_reason_str(struct sr_reason *r, const char *s) {
  sr_reason_put(r, s, strlen(s));
}

/* "%.*s" of a C string: at most max bytes. */
static inline void sr_reason_strn(struct sr_reason *r, const char *s,
                                  size_t max) {
  sr_reason_put(r, s, strnlen(s, max));
}

/* "%.*s" of a view: at most max bytes, up to a NUL; NULL as empty. */
static inline void sr_reason_view(struct sr_reason *r, sr_str s, size_t max) {
  if (s.p) sr_reason_put(r, s.p, strnlen(s.p, SR_MIN(s.n, max)));
}

/* "%llu" (also "%zu", "%u") of v. */
static inline void sr_reason_uint(struct sr_reason *r, uint64_t v) {
  char buf[20];
  size_t i = sizeof buf;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  sr_reason_put(r, buf + i, sizeof buf - i);
}

/* "%.0f" of x (core/fixed.h: printf's digits, printf itself where its
 * fast path cannot be sure). */
static inline void sr_reason_f0(struct sr_reason *r, double x) {
  char buf[320]; /* "%.0f" of DBL_MAX is 309 digits */
  size_t n = sr_fixed_format(buf, sizeof buf, x, 0);
  sr_reason_put(r, buf, n);
}

#endif
