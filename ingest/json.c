/*
 * Zero-copy JSON pull reader.
 *
 * Why hand-written: the decoders run on the hot path (over a million events
 * a second per thread, detection included) and must not touch the heap per
 * event. A tree-building library allocates and copies every node; this
 * reader builds nothing. The caller pulls members one by one and either
 * reads a value with the function for the type it wants or skips it, so an
 * event is decoded in a single pass over its bytes, and unknown fields cost
 * only the scan that validates them.
 *
 * Shape of the code:
 *  - strings are the bulk of every event (arguments, results, messages), so
 *    scanning them is the one loop worth tuning: sixteen bytes a step with
 *    SSE2 (eight with portable SWAR elsewhere) find the first '"', '\\' or
 *    control byte directly. The common case, a short string without
 *    escapes, ends in the one inline step; a longer one goes on out of
 *    line, 32 bytes a step with AVX2 when the CPU has it (asked once per
 *    reader, at init). Escapes are validated by an out-of-line loop
 *    (invalid escapes and lone surrogates are errors), and unescaping is a
 *    second pass, sixteen bytes a copy, paid only by strings that have any.
 *  - views are written through the caller's pointer, never built in a local
 *    and copied: copying a just-written 16-byte view stalls on store
 *    forwarding, which showed up at this call rate.
 *  - skipping a value is an explicit state machine with a bit stack (one bit
 *    per level: object or array), not recursion, so hostile nesting cannot
 *    blow the C stack; depth is bounded by SR_JSON_MAX_DEPTH anyway. The
 *    usual skipped value, a one-level compact object of strings and numbers
 *    (tool arguments), is read by a plain loop first, which hands anything
 *    else back to the machine.
 *  - the reader is strict RFC 8259: no comments, no trailing commas, no
 *    leading zeros, no bare control characters in strings. Invalid UTF-8 is
 *    passed through untouched: detectors match bytes.
 *  - errors name the byte offset, so a rejected line can be fixed by hand.
 */
#include "ingest/json.h"

#include <assert.h>
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_BIT(d) ((uint64_t)1 << ((d)-1))
#define STR_(x) #x
#define XSTR(x) STR_(x)

static inline bool is_digit(char c) {
  return (unsigned char)(c - '0') < 10;
}

/* Compact JSON has no blanks at all: one comparison decides that. */
static inline const char *skip_ws(const char *p, const char *end) {
  while (p < end && (unsigned char)*p <= ' ' &&
         (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
    p++;
  }
  return p;
}

static int fail_at(struct sr_json *j, const char *at, const char *what) {
  if (j->err && j->errlen) {
    snprintf(j->err, j->errlen, "invalid JSON at byte %zu: %s",
             (size_t)(at - j->beg), what);
  }
  return SR_EINVAL;
}

/* At the cursor: reports running out of input as such, whatever was
 * expected. */
static int fail_here(struct sr_json *j, const char *what) {
  return fail_at(j, j->p, j->p >= j->end ? "unexpected end of input" : what);
}

static int fail_depth(struct sr_json *j) {
  return fail_at(j, j->p,
                 "nesting deeper than " XSTR(SR_JSON_MAX_DEPTH) " levels");
}

enum sr_json_type sr_json_peek(struct sr_json *j) {
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end) return SR_JSON_INVALID;
  switch (*j->p) {
    case '{':
      return SR_JSON_OBJECT;
    case '[':
      return SR_JSON_ARRAY;
    case '"':
      return SR_JSON_STRING;
    case 't':
      return SR_JSON_TRUE;
    case 'f':
      return SR_JSON_FALSE;
    case 'n':
      return SR_JSON_NULL;
    default:
      return (*j->p == '-' || is_digit(*j->p)) ? SR_JSON_NUMBER
                                               : SR_JSON_INVALID;
  }
}

const char *sr_json_type_name(enum sr_json_type t) {
  switch (t) {
    case SR_JSON_NULL:
      return "null";
    case SR_JSON_FALSE:
    case SR_JSON_TRUE:
      return "boolean";
    case SR_JSON_NUMBER:
      return "number";
    case SR_JSON_STRING:
      return "string";
    case SR_JSON_ARRAY:
      return "array";
    case SR_JSON_OBJECT:
      return "object";
    case SR_JSON_INVALID:
      break;
  }
  return "nothing";
}

size_t sr_json_offset(const struct sr_json *j) {
  return (size_t)(j->p - j->beg);
}

#ifdef __SSE2__
#if defined(__x86_64__) || defined(__i386__)
#define WIDE_SCAN 1
/* Bit i set when byte i of the 32 at s is '"', '\\' or below 0x20. */
__attribute__((target("avx2"))) static inline unsigned special_avx2(
    const unsigned char *s) {
  const __m256i quote = _mm256_set1_epi8('"'), bslash = _mm256_set1_epi8('\\');
  const __m256i ctl = _mm256_set1_epi8(0x1F);
  __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)s);
  __m256i hit = _mm256_or_si256(
      _mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
                      _mm256_cmpeq_epi8(v, bslash)),
      _mm256_cmpeq_epi8(_mm256_max_epu8(v, ctl), ctl)); /* v <= 0x1F */
  return (unsigned)_mm256_movemask_epi8(hit);
}

/* The AVX2 scan of sr_json_find_special_long, 32 bytes a step, for 64
 * bytes or more (end - s >= 64): the first special byte in [s, end), end if
 * none. The last step reads the 32 bytes that end at end, the flags of
 * those before s shifted out: nothing outside [s, end) is read. */
__attribute__((target("avx2"))) static const unsigned char *find_special_avx2(
    const unsigned char *s, const unsigned char *end) {
  assert(end - s >= 64);
  while (end - s >= 32) {
    unsigned m = special_avx2(s);
    if (m) return s + __builtin_ctz(m);
    s += 32;
  }
  if (s == end) return end;
  unsigned m = special_avx2(end - 32) >> (32 - (end - s));
  return m ? s + __builtin_ctz(m) : end;
}
#endif

const unsigned char *sr_json_find_special_long(const unsigned char *lo,
                                               const unsigned char *s,
                                               const unsigned char *end,
                                               bool wide) {
#ifdef WIDE_SCAN
  if (wide && end - s >= 64) return find_special_avx2(s, end);
#else
  (void)wide;
#endif
  while (end - s >= 16) {
    unsigned m = sr_bytes16_json_special(s);
    if (m) return s + __builtin_ctz(m);
    s += 16;
  }
  return sr_json_special_tail(lo, s, end);
}
#endif

static inline int hex4(const unsigned char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = s[i];
    unsigned lc = c | 0x20u;
    unsigned d;
    if (c - '0' < 10u) {
      d = c - '0';
    } else if (lc - 'a' < 6u) {
      d = lc - 'a' + 10u;
    } else {
      return -1;
    }
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

/* The first '"', '\\' or control byte at or after s; j->end if none. */
static inline __attribute__((always_inline)) const unsigned char *find_special(
    const struct sr_json *j, const unsigned char *s) {
  return sr_json_find_special((const unsigned char *)j->beg, s,
                              (const unsigned char *)j->end, j->wide);
}

/*
 * The general case of scan_string, from s, the first special byte (or end)
 * of a string that opened at the cursor: validates escapes up to the closing
 * quote. Kept out of line so that the common case stays small.
 */
static int scan_string_slow(struct sr_json *j, const unsigned char *s,
                            sr_str *raw, bool *escaped) {
  const unsigned char *end = (const unsigned char *)j->end;
  bool esc = false;
  for (;;) {
    if (s >= end) return fail_at(j, (const char *)s, "unterminated string");
    if (*s == '"') break;
    if (*s != '\\') {
      return fail_at(j, (const char *)s, "control character in string");
    }
    esc = true;
    if (end - s < 2) {
      return fail_at(j, (const char *)end, "unterminated string");
    }
    switch (s[1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        s = find_special(j, s + 2);
        continue;
      case 'u':
        break;
      default:
        return fail_at(j, (const char *)s, "invalid escape");
    }
    uint32_t hi, lo;
    if (end - s < 6 || hex4(s + 2, &hi)) {
      return fail_at(j, (const char *)s, "invalid \\u escape");
    }
    if (hi >= 0xDC00 && hi <= 0xDFFF) {
      return fail_at(j, (const char *)s, "lone surrogate in \\u escape");
    }
    if (hi < 0xD800 || hi > 0xDBFF) {
      s = find_special(j, s + 6);
      continue;
    }
    if (end - s < 12 || s[6] != '\\' || s[7] != 'u' || hex4(s + 8, &lo) ||
        lo < 0xDC00 || lo > 0xDFFF) {
      return fail_at(j, (const char *)s, "lone surrogate in \\u escape");
    }
    s = find_special(j, s + 12);
  }
  raw->p = j->p + 1;
  raw->n = (size_t)((const char *)s - raw->p);
  *escaped = esc;
  j->p = (const char *)s + 1;
  return 0;
}

/*
 * The cursor is on an opening quote. Validates the string up to its closing
 * quote and leaves the cursor after it; *raw is the text in between.
 */
static inline int scan_string(struct sr_json *j, sr_str *raw, bool *escaped) {
  const unsigned char *end = (const unsigned char *)j->end;
  const unsigned char *s = find_special(j, (const unsigned char *)j->p + 1);
  assert(*j->p == '"');
  if (s < end && *s == '"') {
    raw->p = j->p + 1;
    raw->n = (size_t)((const char *)s - raw->p);
    *escaped = false;
    j->p = (const char *)s + 1;
    return 0;
  }
  return scan_string_slow(j, s, raw, escaped);
}

static int scan_number(struct sr_json *j, sr_str *text, bool *integral) {
  const char *s = j->p, *end = j->end;
  bool intg = true;
  if (s < end && *s == '-') s++;
  if (s >= end || !is_digit(*s)) return fail_at(j, s, "invalid number");
  if (*s == '0') {
    s++;
  } else {
    while (s < end && is_digit(*s)) s++;
  }
  if (s < end && *s == '.') {
    s++;
    if (s >= end || !is_digit(*s)) return fail_at(j, s, "invalid number");
    while (s < end && is_digit(*s)) s++;
    intg = false;
  }
  if (s < end && (*s == 'e' || *s == 'E')) {
    s++;
    if (s < end && (*s == '+' || *s == '-')) s++;
    if (s >= end || !is_digit(*s)) return fail_at(j, s, "invalid number");
    while (s < end && is_digit(*s)) s++;
    intg = false;
  }
  text->p = j->p;
  text->n = (size_t)(s - j->p);
  *integral = intg;
  j->p = s;
  return 0;
}

static int scan_literal(struct sr_json *j, const char *word, size_t n) {
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) {
    return fail_at(j, j->p, "invalid literal");
  }
  j->p += n;
  return 0;
}

int sr_json_object_begin(struct sr_json *j) {
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end || *j->p != '{') return fail_here(j, "expected '{'");
  if (j->depth >= SR_JSON_MAX_DEPTH) return fail_depth(j);
  j->p++;
  j->depth++;
  j->more &= ~LEVEL_BIT(j->depth);
  return 0;
}

int sr_json_object_next_raw(struct sr_json *j, sr_str *raw, bool *escaped) {
  assert(j->depth > 0);
  if (sr_json_plain_key(j, raw)) {
    *escaped = false;
    return 1;
  }
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end) return fail_here(j, "");
  if (*j->p == '}') {
    j->p++;
    j->depth--;
    return 0;
  }
  if (j->more & LEVEL_BIT(j->depth)) {
    if (*j->p != ',') return fail_at(j, j->p, "expected ',' or '}'");
    j->p = skip_ws(j->p + 1, j->end);
    if (j->p >= j->end || *j->p != '"') {
      return fail_here(j, "expected a string key");
    }
  } else if (*j->p != '"') {
    return fail_at(j, j->p, "expected a string key or '}'");
  }
  int rc = scan_string(j, raw, escaped);
  if (rc) return rc;
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end || *j->p != ':') return fail_here(j, "expected ':'");
  j->p++;
  j->more |= LEVEL_BIT(j->depth);
  return 1;
}

static int unescape_into_arena(struct sr_json *j, sr_str raw, sr_str *out) {
  char *dst = j->arena ? sr_arena_alloc(j->arena, raw.n) : NULL;
  if (!dst) {
    if (j->err && j->errlen)
      snprintf(j->err, j->errlen, "decoder arena exhausted");
    return SR_ENOMEM;
  }
  size_t n = sr_json_unescape(raw, dst, raw.n);
  assert(n != SIZE_MAX);
  if (memchr(dst, 0, n)) j->nul = true; /* only \u0000 makes one */
  out->p = dst;
  out->n = n;
  return 0;
}

int sr_json_object_next(struct sr_json *j, sr_str *key) {
  /* *key is filled in place: copying a just-written sr_str as a whole
   * would stall on store forwarding, measurably so at this rate. */
  bool esc;
  int rc = sr_json_object_next_raw(j, key, &esc);
  if (rc <= 0 || !esc) return rc;
  rc = unescape_into_arena(j, *key, key);
  return rc ? rc : 1;
}

int sr_json_array_begin(struct sr_json *j) {
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end || *j->p != '[') return fail_here(j, "expected '['");
  if (j->depth >= SR_JSON_MAX_DEPTH) return fail_depth(j);
  j->p++;
  j->depth++;
  j->more &= ~LEVEL_BIT(j->depth);
  return 0;
}

int sr_json_array_next(struct sr_json *j) {
  assert(j->depth > 0);
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end) return fail_here(j, "");
  if (*j->p == ']') {
    j->p++;
    j->depth--;
    return 0;
  }
  if (j->more & LEVEL_BIT(j->depth)) {
    if (*j->p != ',') return fail_at(j, j->p, "expected ',' or ']'");
    j->p++;
  }
  j->more |= LEVEL_BIT(j->depth);
  return 1;
}

int sr_json_string_raw(struct sr_json *j, sr_str *raw, bool *escaped) {
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end || *j->p != '"') return fail_here(j, "expected a string");
  return scan_string(j, raw, escaped);
}

int sr_json_string(struct sr_json *j, sr_str *out) {
  bool esc;
  int rc = sr_json_string_raw(j, out, &esc);
  if (rc || !esc) return rc;
  return unescape_into_arena(j, *out, out);
}

static inline size_t put_utf8(char *dst, uint32_t cp) {
  if (cp < 0x80) {
    dst[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = (char)(0xC0 | cp >> 6);
    dst[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = (char)(0xE0 | cp >> 12);
    dst[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    dst[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  dst[0] = (char)(0xF0 | cp >> 18);
  dst[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  dst[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  dst[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Copies n <= 16 bytes: two overlapping moves of the widest size that
 * fits, not a call. */
static inline void copy_small(char *dst, const unsigned char *src, size_t n) {
  uint64_t a, b;
  uint32_t c, d;
  if (n >= 8) {
    memcpy(&a, src, 8), memcpy(&b, src + n - 8, 8);
    memcpy(dst, &a, 8), memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    memcpy(&c, src, 4), memcpy(&d, src + n - 4, 4);
    memcpy(dst, &c, 4), memcpy(dst + n - 4, &d, 4);
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = (char)src[i];
  }
}

/*
 * Copies the bytes of [s, end) up to the first backslash into dst, room
 * bytes long; returns where it stopped (the backslash, or end), or NULL
 * when the run does not fit. lo <= s is the start of the string. Sixteen
 * bytes a step under SSE2, each chunk stored whole before its backslash is
 * looked for (a chunk is only stored when it fits in dst); fewer than
 * sixteen left are found in the sixteen bytes that end at `end` when the
 * string has that many, and copied by copy_small. Nothing outside
 * [lo, end) is read.
 */
static inline const unsigned char *next_backslash(const unsigned char *lo,
                                                  const unsigned char *s,
                                                  const unsigned char *end,
                                                  char *dst, size_t room) {
  const unsigned char *from = s, *bs;
#ifdef __SSE2__
  const __m128i bslash = _mm_set1_epi8('\\');
  /* whole chunks while one fits in both the source and dst */
  for (size_t left = SR_MIN((size_t)(end - s), room); left >= 16; left -= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    _mm_storeu_si128((__m128i *)(void *)(dst + (s - from)), v);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
    if (m) return s + __builtin_ctz(m);
    s += 16;
  }
  if (end - s < 16 && end - lo >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash)) >>
                 (16 - (end - s));
    bs = m ? s + __builtin_ctz(m) : end;
  } else
#else
  (void)lo;
#endif
  {
    bs = memchr(s, '\\', (size_t)(end - s));
    if (!bs) bs = end;
  }
  if ((size_t)(bs - from) > room) return NULL;
  if (bs - s <= 16) {
    copy_small(dst + (s - from), s, (size_t)(bs - s));
  } else {
    memcpy(dst + (s - from), s, (size_t)(bs - s));
  }
  return bs;
}

size_t sr_json_unescape(sr_str raw, char *dst, size_t cap) {
  const unsigned char *s = (const unsigned char *)raw.p;
  const unsigned char *end = s + raw.n;
  size_t n = 0;
  while (s < end) {
    const unsigned char *bs =
        next_backslash((const unsigned char *)raw.p, s, end, dst + n, cap - n);
    if (!bs) return SIZE_MAX;
    n += (size_t)(bs - s);
    if (bs == end) break;
    s = bs;
    assert(end - s >= 2);
    uint32_t cp = 0;
    size_t used = 2;
    switch (s[1]) {
      case 'b':
        cp = '\b';
        break;
      case 'f':
        cp = '\f';
        break;
      case 'n':
        cp = '\n';
        break;
      case 'r':
        cp = '\r';
        break;
      case 't':
        cp = '\t';
        break;
      case 'u': {
        int bad = hex4(s + 2, &cp);
        used = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo = 0;
          bad |= hex4(s + 8, &lo);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          used = 12;
        }
        assert(!bad);
        (void)bad;
        break;
      }
      default: /* '"', '\\', '/' */
        cp = s[1];
        break;
    }
    size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (k > cap - n) return SIZE_MAX;
    n += put_utf8(dst + n, cp);
    s += used;
  }
  return n;
}

int sr_json_number(struct sr_json *j, sr_str *text, bool *integral) {
  j->p = skip_ws(j->p, j->end);
  return scan_number(j, text, integral);
}

int sr_json_to_double(sr_str text, double *out) {
  char buf[128];
  if (text.n >= sizeof buf) return SR_EBOUND;
  memcpy(buf, text.p, text.n);
  buf[text.n] = '\0';
  /* The grammar was checked already; strtod agrees with it in the C
   * locale, which stackrisk never changes. */
  double v = strtod(buf, NULL);
  if (!isfinite(v)) return SR_EBOUND;
  *out = v;
  return 0;
}

/* text has a fraction or an exponent (1.0, 2e3): an integer only if its
 * value is one. */
static int fractional_to_int64(sr_str text, int64_t *out) {
  double v;
  int rc = sr_json_to_double(text, &v);
  if (rc) return rc;
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) {
    return SR_EBOUND;
  }
  int64_t i = (int64_t)v;
  if ((double)i != v) return SR_EINVAL;
  *out = i;
  return 0;
}

int sr_json_to_int64(sr_str text, int64_t *out) {
  size_t k = 0;
  bool neg = text.n > 0 && text.p[0] == '-';
  if (neg) k++;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  uint64_t v = 0;
  /* Eighteen digits cannot overflow: only the digits after those pay for
   * the division of the overflow check (every event has a 13-digit ts_ms). */
  size_t safe_end = SR_MIN(text.n, k + 18);
  for (; k < safe_end && is_digit(text.p[k]); k++)
    v = v * 10 + (unsigned)(text.p[k] - '0');
  for (; k < text.n && is_digit(text.p[k]); k++) {
    unsigned d = (unsigned)(text.p[k] - '0');
    if (v > (limit - d) / 10) return SR_EBOUND;
    v = v * 10 + d;
  }
  if (k < text.n) return fractional_to_int64(text, out);
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int sr_json_bool(struct sr_json *j, bool *out) {
  j->p = skip_ws(j->p, j->end);
  if (j->p < j->end && *j->p == 't') {
    *out = true;
    return scan_literal(j, "true", 4);
  }
  if (j->p < j->end && *j->p == 'f') {
    *out = false;
    return scan_literal(j, "false", 5);
  }
  return fail_here(j, "expected true or false");
}

int sr_json_null(struct sr_json *j) {
  j->p = skip_ws(j->p, j->end);
  if (j->p >= j->end || *j->p != 'n') return fail_here(j, "expected null");
  return scan_literal(j, "null", 4);
}

/* p is on the opening quote of a string inside a skipped value: the byte
 * after its closing quote, or NULL once the error is reported. */
static inline __attribute__((always_inline)) const char *past_string(
    struct sr_json *j, const char *p) {
  const unsigned char *s = find_special(j, (const unsigned char *)p + 1);
  if (s < (const unsigned char *)j->end && *s == '"') {
    return (const char *)s + 1;
  }
  sr_str raw;
  bool esc;
  j->p = p;
  return scan_string_slow(j, s, &raw, &esc) ? NULL : j->p;
}

/*
 * The common shape of a skipped value, read without the state machine: a
 * compact object of one level, `{"key":value,...}` with string or number
 * values (arguments such as {"command":"ls -la"}). p is on its '{'.
 * Returns the byte after its '}'; NULL with j->p untouched for any other
 * shape (blanks, nesting, literals, a syntax error), which the state
 * machine then reads from the start and reports; or NULL with SR_EINVAL in
 * *rc for a bad string or number, reported here just as the machine would.
 */
static const char *skip_flat_object(struct sr_json *j, const char *p, int *rc) {
  const char *end = j->end;
  sr_str text;
  bool integral;
  p++;
  if (p < end && *p == '}') return p + 1;
  for (;;) {
    if (p >= end || *p != '"') return NULL;
    if (!(p = past_string(j, p))) goto bad;
    if (p >= end || *p != ':') return NULL;
    p++;
    if (p >= end) return NULL;
    if (*p == '"') {
      if (!(p = past_string(j, p))) goto bad;
    } else if (*p == '-' || is_digit(*p)) {
      j->p = p;
      if (scan_number(j, &text, &integral)) goto bad;
      p = j->p;
    } else {
      return NULL;
    }
    if (p >= end) return NULL;
    if (*p == '}') return p + 1;
    if (*p != ',') return NULL;
    p++;
  }
bad:
  *rc = SR_EINVAL;
  return NULL;
}

/*
 * A state machine over three states (a value is due, a value has ended, a
 * key is due) with one bit per open level saying object or array. The gotos
 * are the transitions. The cursor is a local, stored back into j when the
 * value ends, on an error, or to hand over to a scanner that reads j, so
 * that the loop keeps it in a register (a view written through a pointer
 * could alias j->p and force a reload after every string).
 */
int sr_json_skip(struct sr_json *j, sr_str *raw) {
  uint64_t is_obj = 0;
  uint32_t d = 0;
  sr_str s;
  bool flag;
  int rc;
  const char *end = j->end;
  const char *p = skip_ws(j->p, end);
  const char *start = p;

  if (p < end && *p == '{' && j->depth < SR_JSON_MAX_DEPTH) {
    const char *after;
    const char *at = j->p;
    rc = 0;
    if ((after = skip_flat_object(j, p, &rc))) {
      p = after;
      goto after;
    }
    if (rc) return rc;
    j->p = at;
  }

value:
  if (p >= end) goto fail_end;
  switch (*p) {
    case '{':
    case '[': {
      bool obj = *p == '{';
      if (j->depth + d >= SR_JSON_MAX_DEPTH) {
        j->p = p;
        return fail_depth(j);
      }
      d++;
      is_obj = obj ? (is_obj | LEVEL_BIT(d)) : (is_obj & ~LEVEL_BIT(d));
      p = skip_ws(p + 1, end);
      if (p < end && *p == (obj ? '}' : ']')) {
        p++;
        d--;
        goto after;
      }
      if (obj) goto key;
      goto value;
    }
    case '"':
      p = past_string(j, p);
      if (!p) return SR_EINVAL;
      goto after;
    case 't':
      j->p = p;
      rc = scan_literal(j, "true", 4);
      break;
    case 'f':
      j->p = p;
      rc = scan_literal(j, "false", 5);
      break;
    case 'n':
      j->p = p;
      rc = scan_literal(j, "null", 4);
      break;
    default:
      j->p = p;
      if (*p != '-' && !is_digit(*p)) {
        return fail_at(j, p, "expected a value");
      }
      rc = scan_number(j, &s, &flag);
      break;
  }
  if (rc) return rc;
  p = j->p;

after:
  if (d == 0) {
    j->p = p;
    if (raw) {
      raw->p = start;
      raw->n = (size_t)(p - start);
    }
    return 0;
  }
  p = skip_ws(p, end);
  if (p >= end) goto fail_end;
  if (*p == ',') {
    p = skip_ws(p + 1, end);
    if (is_obj & LEVEL_BIT(d)) goto key;
    goto value;
  }
  if (*p == ((is_obj & LEVEL_BIT(d)) ? '}' : ']')) {
    p++;
    d--;
    goto after;
  }
  j->p = p;
  return fail_at(
      j, p,
      (is_obj & LEVEL_BIT(d)) ? "expected ',' or '}'" : "expected ',' or ']'");

key:
  if (p >= end || *p != '"') {
    j->p = p;
    return fail_here(j, "expected a string key");
  }
  p = past_string(j, p);
  if (!p) return SR_EINVAL;
  p = skip_ws(p, end);
  if (p >= end || *p != ':') {
    j->p = p;
    return fail_here(j, "expected ':'");
  }
  p = skip_ws(p + 1, end);
  goto value;

fail_end:
  j->p = p;
  return fail_here(j, "");
}

int sr_json_finish(struct sr_json *j) {
  j->p = skip_ws(j->p, j->end);
  if (j->p != j->end)
    return fail_at(j, j->p, "unexpected data after the value");
  return 0;
}
