/*
 * Bounded buffer appends. Always NUL-terminated; never writes past cap.
 */
#include "core/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/bytes16.h"
#include "core/fixed.h"

void sr_buf_printf(struct sr_buf *b, const char *fmt, ...) {
  size_t room = b->cap - b->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->cap ? b->p + b->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n <= 0) return;
  if ((size_t)n >= room) {
    b->overflow = true;
    if (b->cap) b->len = b->cap - 1;
  } else {
    b->len += (size_t)n;
  }
}

/* The escape of a control character, quote or backslash. */
static void escape(struct sr_buf *b, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': sr_buf_append(b, "\\\"", 2); break;
    case '\\': sr_buf_append(b, "\\\\", 2); break;
    case '\n': sr_buf_append(b, "\\n", 2); break;
    case '\r': sr_buf_append(b, "\\r", 2); break;
    case '\t': sr_buf_append(b, "\\t", 2); break;
    default: {
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      sr_buf_append(b, u, 6);
    }
  }
}

/* The first index from i on (n when none) of a byte of p[0..n) that does
 * not go into a JSON string as it is: a control character, quote or
 * backslash, or unless high a byte from 0x80 on (sr_buf_json_text checks
 * those as UTF-8). Sixteen at a time where SSE2 is there: the store writes
 * every timeline text and the audit log every command's reasons through
 * here, nearly all plain. */
static size_t plain_run(const unsigned char *p, size_t i, size_t n,
                        bool high) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    unsigned m = sr_bytes16_json_special(p + i) |
                 (high ? 0u : sr_bytes16_high(p + i));
    if (m) return i + (size_t)__builtin_ctz(m);
  }
#endif
  while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' &&
         (high || p[i] < 0x80))
    i++;
  return i;
}

/* Sixteen at a time where SSE2 is there, the tail as the last sixteen
 * (never reading past s). */
bool sr_buf_json_plain(sr_str s, bool high_ok) {
  const unsigned char *p = (const unsigned char *)s.p;
  size_t i = 0;
#if defined(__SSE2__)
  unsigned high = high_ok ? 0u : ~0u;
  if (s.n >= 16) {
    for (; i + 16 <= s.n; i += 16)
      if (sr_bytes16_json_special(p + i) | (sr_bytes16_high(p + i) & high))
        return false;
    i = s.n - 16;
    return !(sr_bytes16_json_special(p + i) | (sr_bytes16_high(p + i) & high));
  }
#endif
  unsigned bad = 0, hi = high_ok ? 0u : 1u;
  for (; i < s.n; i++)
    bad |=
        (p[i] < 0x20) | ((p[i] >= 0x80) & hi) | (p[i] == '"') | (p[i] == '\\');
  return !bad;
}

void sr_buf_json_string(struct sr_buf *b, sr_str s) {
  const unsigned char *p = (const unsigned char *)s.p;
  /* Nearly every text is plain: one copy, quotes included, when it fits. */
  if (b->cap && b->len + s.n + 3 <= b->cap && sr_buf_json_plain(s, true)) {
    char *o = b->p + b->len;
    o[0] = '"';
    if (s.n) memcpy(o + 1, s.p, s.n);
    o[s.n + 1] = '"';
    o[s.n + 2] = '\0';
    b->len += s.n + 2;
    return;
  }
  sr_buf_append(b, "\"", 1);
  size_t start = 0, i = 0;
  while ((i = plain_run(p, i, s.n, true)) < s.n) {
    sr_buf_append(b, s.p + start, i - start);
    escape(b, p[i]);
    start = ++i;
  }
  if (start < s.n) sr_buf_append(b, s.p + start, s.n - start);
  sr_buf_append(b, "\"", 1);
}

void sr_buf_json_text(struct sr_buf *b, sr_str s) {
  const unsigned char *p = (const unsigned char *)s.p;
  sr_buf_append(b, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < s.n;) {
    i = plain_run(p, i, s.n, false);
    if (i == s.n) break;
    unsigned char c = p[i];
    size_t k = c >= 0x80 ? sr_utf8_seq(p + i, s.n - i) : 0;
    if (k) {
      i += k;
      continue;
    }
    sr_buf_append(b, s.p + start, i - start);
    if (c >= 0x80)
      sr_buf_append(b, "\xEF\xBF\xBD", 3);
    else
      escape(b, c);
    start = ++i;
  }
  if (start < s.n) sr_buf_append(b, s.p + start, s.n - start);
  sr_buf_append(b, "\"", 1);
}

void sr_buf_u64(struct sr_buf *b, uint64_t v) {
  char d[20], *s = sr_decimal(d + sizeof d, v);
  sr_buf_append(b, s, (size_t)(d + sizeof d - s));
}

void sr_buf_i64(struct sr_buf *b, int64_t v) {
  if (v < 0) sr_buf_append(b, "-", 1);
  sr_buf_u64(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

void sr_buf_fixed(struct sr_buf *b, double v, unsigned decimals) {
  /* Room for the longest: -DBL_MAX has 309 integer digits. */
  char t[320];
  sr_buf_append(b, t, sr_fixed_format(t, sizeof t, v, decimals));
}

void sr_buf_hex(struct sr_buf *b, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char t[64];
  while (n) {
    size_t k = SR_MIN(n, sizeof t / 2);
    for (size_t i = 0; i < k; i++) {
      t[2 * i] = digits[p[i] >> 4];
      t[2 * i + 1] = digits[p[i] & 15];
    }
    sr_buf_append(b, t, 2 * k);
    p += k;
    n -= k;
  }
}

/* The fast path scales v to six integer digits with one multiplication by
 * an exact power of ten (one rounding, relative error 2^-53, so under
 * 1e-9 absolute on a number below 1e6) and rounds; values whose scaled
 * form lies within 1e-6 of a rounding tie or of a decade boundary take
 * printf, so the digits are always those of "%.6g". */
void sr_buf_real6(struct sr_buf *b, double v) {
  static const double decade[] = {1e-4, 1e-3, 1e-2, 1e-1, 1e0,
                                  1e1,  1e2,  1e3,  1e4,  1e5};
  static const double scale[] = {1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1};
  if (!isfinite(v)) {
    sr_buf_puts(b, "null");
    return;
  }
  if (v == 0.0 && !signbit(v)) {
    sr_buf_append(b, "0", 1);
    return;
  }
  const double margin = 1e-6;
  int e = 0; /* v in [decade[e], decade[e + 1]): exponent e - 4 */
  while (e < 9 && v >= decade[e + 1]) e++;
  double sc = e < 9 && v >= decade[0] ? v * scale[e] : 0.0;
  /* Distance from a tie, without libm (the hook links this file). */
  double tie = sc - (double)(uint32_t)sc - 0.5;
  if (sc < 1e5 + margin || sc + 0.5 + margin >= 1e6 ||
      (tie < margin && tie > -margin)) {
    char t[32];
    int n = snprintf(t, sizeof t, "%.6g", v);
    sr_buf_append(b, t, (size_t)n);
    return;
  }
  uint32_t m = (uint32_t)(sc + 0.5);
  char d[6];
  for (int i = 5; i >= 0; i--, m /= 10) d[i] = (char)('0' + m % 10);
  int nd = 6;            /* significant digits left once trailing zeros go */
  int point = e - 4 + 1; /* digits before the point; <= 0: "0.000ddd" */
  int keep = point > 0 ? point : 0;
  while (nd > keep && nd > 1 && d[nd - 1] == '0') nd--;
  if (point <= 0) {
    sr_buf_append(b, "0.", 2);
    for (int i = point; i < 0; i++) sr_buf_append(b, "0", 1);
    sr_buf_append(b, d, (size_t)nd);
  } else {
    sr_buf_append(b, d, (size_t)point);
    if (nd > point) {
      sr_buf_append(b, ".", 1);
      sr_buf_append(b, d + point, (size_t)(nd - point));
    }
  }
}
