/*
 * Shared vocabulary of every stackrisk module: borrowed string views, error
 * codes and a few tiny helpers. Kept small on purpose: a module that needs
 * more includes the header of the stage before it, not a grab bag.
 */
#ifndef SR_SR_H
#define SR_SR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Error codes: functions return 0 or one of these (negative). */
#define SR_OK 0
#define SR_EINVAL (-1)   /* bad input: config, payload, argument */
#define SR_ENOMEM (-2)   /* allocation or arena exhausted */
#define SR_EIO (-3)      /* file or socket error */
#define SR_EBOUND (-4)   /* a size bound was broken */
#define SR_EKAFKA (-5)   /* librdkafka refused */
#define SR_ENOTFOUND (-6)
#define SR_ETIMEOUT (-7)

/*
 * A borrowed, not necessarily NUL-terminated string view. Whoever hands one
 * out states how long the bytes stay valid (usually: until the arena or the
 * Kafka message it points into is released).
 */
typedef struct sr_str {
  const char *p;
  size_t n;
} sr_str;

/* Milliseconds on `clock`: CLOCK_MONOTONIC for deadlines and durations,
 * CLOCK_REALTIME for Unix time (event times, command expiry). */
static inline int64_t sr_clock_ms(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define SR_STR_NULL ((sr_str){NULL, 0})
#define SR_STR_LIT(s) ((sr_str){(s), sizeof(s) - 1})

static inline sr_str sr_str_from(const char *s) {
  return s ? (sr_str){s, strlen(s)} : SR_STR_NULL;
}

static inline bool sr_str_empty(sr_str s) { return s.n == 0; }

static inline bool sr_str_eq(sr_str a, sr_str b) {
  return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* memcmp(a, b, n) == 0 without the call for the short keys, names and ids
 * of the per-event paths: up to sixteen bytes in two overlapping words a
 * side. Reads nothing outside a[0, n) and b[0, n). */
static inline bool sr_mem_eq(const void *a, const void *b, size_t n) {
  const char *p = a, *q = b;
  uint64_t x0, x1, y0, y1;
  if (n > 16) return memcmp(a, b, n) == 0; /* rare: the call pays off */
  if (n >= 8) {
    memcpy(&x0, p, 8), memcpy(&x1, p + n - 8, 8);
    memcpy(&y0, q, 8), memcpy(&y1, q + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    uint32_t u0, u1, v0, v1;
    memcpy(&u0, p, 4), memcpy(&u1, p + n - 4, 4);
    memcpy(&v0, q, 4), memcpy(&v1, q + n - 4, 4);
    return ((u0 ^ v0) | (u1 ^ v1)) == 0;
  }
  for (size_t k = 0; k < n; k++)
    if (p[k] != q[k]) return false;
  return true;
}

/* No strlen: these run per event against tables of names, and most
 * comparisons fail on the first byte. */
static inline bool sr_str_eq_cstr(sr_str a, const char *s) {
  size_t i = 0;
  for (; i < a.n; i++)
    if (!s[i] || s[i] != a.p[i]) return false;
  return s[i] == '\0';
}

/* ASCII case-insensitive equality (environment names, enum words). */
bool sr_str_eq_nocase(sr_str a, const char *s);

/* Copies at most cap-1 bytes of s into dst and NUL-terminates; returns dst. */
char *sr_str_copy(char *dst, size_t cap, sr_str s);

/* Length of the valid UTF-8 sequence at p (1-4 of the n bytes there), or 0
 * when it is not one: overlong forms, surrogates and code points past
 * U+10FFFF are invalid. n > 0. */
size_t sr_utf8_seq(const unsigned char *p, size_t n);

#define SR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SR_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
