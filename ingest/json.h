/*
 * A small, strict (RFC 8259), zero-copy JSON pull reader for the decoders.
 *
 * Nothing is built: the caller walks the document with object_next /
 * array_next and reads each value with the function for the type it
 * expects, or skips it. Strings come back as views into the input unless
 * they contain escapes; those are unescaped (\uXXXX and surrogate pairs to
 * UTF-8) into the arena. Nesting is bounded by SR_JSON_MAX_DEPTH. Errors
 * carry the byte offset: "invalid JSON at byte 17: expected ':'".
 *
 * @locality the calling thread; a reader is a stack object over one buffer.
 */
#ifndef SR_JSON_H
#define SR_JSON_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/bytes16.h"
#include "core/sr.h"

#define SR_JSON_MAX_DEPTH 64

enum sr_json_type {
  SR_JSON_INVALID = 0, /* end of input, or a byte no value starts with */
  SR_JSON_NULL,
  SR_JSON_FALSE,
  SR_JSON_TRUE,
  SR_JSON_NUMBER,
  SR_JSON_STRING,
  SR_JSON_ARRAY,
  SR_JSON_OBJECT,
};

/*
 * Reader state. Fields are private to json.c; the struct is public only so
 * that a reader can live on the stack.
 */
struct sr_json {
  const char *p;   /* cursor: next unread byte */
  const char *beg; /* start of the buffer, for error offsets */
  const char *end;
  struct sr_arena *arena; /* unescaped strings; may be NULL */
  char *err;
  size_t errlen;
  uint32_t depth; /* containers opened by object_begin/array_begin */
  uint64_t more;  /* bit d-1: the container at depth d has had an item */
  bool wide;      /* long strings scanned with AVX2 (sr_json_wide_ok) */
  bool nul;       /* a string unescaped so far held \u0000 (a NUL byte) */
};

/* Whether this CPU runs the AVX2 scan for long strings. Every reader asks
 * at init and keeps the answer in its `wide` field; a test clears that
 * field to run the SSE2 scan on a machine that has AVX2. */
static inline bool sr_json_wide_ok(void) {
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

/* sr_json_find_special past its first sixteen bytes, out of line: the
 * strings of an event rarely get here. */
const unsigned char *sr_json_find_special_long(const unsigned char *lo,
                                               const unsigned char *s,
                                               const unsigned char *end,
                                               bool wide);

/* buf is borrowed for the reader's lifetime and for every view it returns.
 * arena may be NULL when no escaped string will be read with
 * sr_json_string (raw reads and skips never allocate); err may be NULL.
 * Inline: a decoder sets up one reader per message. */
static inline void sr_json_init(struct sr_json *j, const void *buf, size_t len,
                                struct sr_arena *arena, char *err,
                                size_t errlen) {
  assert(buf || len == 0);
  j->beg = buf ? (const char *)buf : "";
  j->p = j->beg;
  j->end = j->beg + len;
  j->arena = arena;
  j->err = err;
  j->errlen = errlen;
  j->depth = 0;
  j->more = 0;
  j->wide = sr_json_wide_ok();
  j->nul = false;
}

/* Skips whitespace and classifies the next value by its first byte, without
 * consuming or validating it. */
enum sr_json_type sr_json_peek(struct sr_json *j);

/* "object", "array", "string", "number", "boolean", "null"; "nothing" for
 * SR_JSON_INVALID. For error messages. */
const char *sr_json_type_name(enum sr_json_type t);

/* Byte offset of the cursor. */
size_t sr_json_offset(const struct sr_json *j);

/*
 * Objects: object_begin consumes '{'; each object_next then returns 1 with
 * the key of the next member and the cursor on its value (which the caller
 * must consume, by a read or sr_json_skip), or 0 after consuming '}'.
 * An escaped key is unescaped into the arena. object_next_raw gives the key
 * as the raw text between its quotes and whether it holds escapes; it never
 * allocates. All return a negative SR_E* on error. A plain member of compact
 * JSON (`"key":` with no blank and no escape, most of every event) is read
 * in one step before the general path is tried.
 */
int sr_json_object_begin(struct sr_json *j);
int sr_json_object_next(struct sr_json *j, sr_str *key);
int sr_json_object_next_raw(struct sr_json *j, sr_str *raw, bool *escaped);

/* Arrays: as objects, without keys. */
int sr_json_array_begin(struct sr_json *j);
int sr_json_array_next(struct sr_json *j);

/* Reads a string: a view into the buffer, or into the arena when it held
 * escapes (SR_ENOMEM when the arena is full or absent). */
int sr_json_string(struct sr_json *j, sr_str *out);
/* Reads and validates a string, returning the text between the quotes as
 * is, and whether it holds escapes. Never allocates. */
int sr_json_string_raw(struct sr_json *j, sr_str *raw, bool *escaped);
/*
 * Unescapes raw (validated by sr_json_string_raw) into dst; returns the
 * length written, or SIZE_MAX when it would exceed cap. The result is never
 * longer than raw, so cap >= raw.n always suffices.
 */
size_t sr_json_unescape(sr_str raw, char *dst, size_t cap);

/* Reads a number, validated against the grammar; *text is its text and
 * *integral says it has neither fraction nor exponent. */
int sr_json_number(struct sr_json *j, sr_str *text, bool *integral);
/* Converts number text read by sr_json_number. to_int64 accepts "1e3" or
 * "2.0" (integral values); it returns SR_EINVAL for a fraction and
 * SR_EBOUND when the value does not fit. to_double returns SR_EBOUND for
 * text longer than 127 bytes. Neither writes err. */
int sr_json_to_int64(sr_str text, int64_t *out);
int sr_json_to_double(sr_str text, double *out);

int sr_json_bool(struct sr_json *j, bool *out);
int sr_json_null(struct sr_json *j);

/* Skips one value of any type, validating it; *raw (if not NULL) is its
 * exact text. Never allocates. */
int sr_json_skip(struct sr_json *j, sr_str *raw);

/* Succeeds when only whitespace is left. */
int sr_json_finish(struct sr_json *j);

/*
 * Fast paths, inline so that a decoder's per-member loop makes no call for
 * the members of compact JSON. Each reads one thing when it has the plain
 * shape and returns true; otherwise it returns false with the reader
 * untouched, for the general functions above to read the same bytes and
 * report whatever is wrong with them. None is ever an error.
 */

#ifndef __SSE2__
/* Flags (high bit) the bytes of x that are '"', '\\' or below 0x20. Each
 * test is the classic "has a zero byte" trick: flags above the first hit may
 * be spurious (borrows run upward), but the lowest one is exact, which is
 * all the scan needs: on little-endian it is the first special byte. */
static inline uint64_t sr_json_swar_special(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  uint64_t q = x ^ (ones * '"');
  uint64_t b = x ^ (ones * '\\');
  return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) &
         highs;
}
#endif

#ifdef __SSE2__
/* sr_json_find_special for fewer than sixteen bytes left, [s, end): the
 * sixteen bytes that end at end when the buffer (from lo) holds that many,
 * with the flags of the bytes before s shifted out; byte by byte in a
 * buffer shorter than that. */
static inline __attribute__((always_inline)) const unsigned char *
sr_json_special_tail(const unsigned char *lo, const unsigned char *s,
                     const unsigned char *end) {
  if (s < end && end - lo >= 16) {
    unsigned m = sr_bytes16_json_special(end - 16) >> (16 - (end - s));
    return m ? s + __builtin_ctz(m) : end;
  }
  while (s < end && *s >= 0x20 && *s != '"' && *s != '\\') s++;
  return s;
}
#endif

/*
 * The first '"', '\\' or control byte in [s, end); end if none. lo <= s is
 * the start of the buffer. Strings are scanned sixteen bytes a step with
 * SSE2 (eight with portable SWAR elsewhere). Only the first step is
 * inline: the short strings of every event end there, and the rest of a
 * longer one is scanned out of line, 32 bytes a step with AVX2 when `wide`
 * (the reader's choice at init) and 64 bytes or more are left. Fewer than
 * sixteen bytes before the end (the last members of every message) are not
 * scanned byte by byte: the sixteen bytes that end at `end` are, when the
 * buffer holds that many, with the flags of the bytes before s shifted out.
 * Nothing outside [lo, end) is ever read. (No SWAR step under SSE2: only a
 * buffer shorter than sixteen bytes is left, and the registers SWAR needs made
 * the callers' common path pay for saving them.)
 */
static inline __attribute__((always_inline)) const unsigned char *
sr_json_find_special(const unsigned char *lo, const unsigned char *s,
                     const unsigned char *end, bool wide) {
#ifdef __SSE2__
  if (end - s >= 16) {
    unsigned m = sr_bytes16_json_special(s);
    if (m) return s + __builtin_ctz(m);
    return sr_json_find_special_long(lo, s + 16, end, wide);
  }
  return sr_json_special_tail(lo, s, end);
#else
  (void)lo;
  (void)wide;
  while (end - s >= 8) {
    uint64_t x, m;
    memcpy(&x, s, 8);
    m = sr_json_swar_special(x);
    if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return s + ((unsigned)__builtin_ctzll(m) >> 3);
#else
      break; /* the lowest flag is the last byte: let the byte loop look */
#endif
    }
    s += 8;
  }
  /* the tail of a big-endian scan, or fewer than eight bytes */
  while (s < end && *s >= 0x20 && *s != '"' && *s != '\\') s++;
  return s;
#endif
}

/* The next member's `"key":` of the open object (after its ',' unless it is
 * the first) when it has no blank, escape or control byte: *key is the text
 * between the quotes and the cursor is on the value. @locality hot path */
static inline __attribute__((always_inline)) bool sr_json_plain_key(
    struct sr_json *j, sr_str *key) {
  const unsigned char *p = (const unsigned char *)j->p;
  const unsigned char *end = (const unsigned char *)j->end;
  uint64_t level = (uint64_t)1 << (j->depth - 1);
  if (j->more & level) {
    if (p >= end || *p != ',') return false;
    p++;
  }
  if (p >= end || *p != '"') return false;
  const unsigned char *k =
      sr_json_find_special((const unsigned char *)j->beg, p + 1, end, j->wide);
  if (end - k < 2 || k[0] != '"' || k[1] != ':') return false;
  key->p = (const char *)p + 1;
  key->n = (size_t)(k - (p + 1));
  j->p = (const char *)k + 2;
  j->more |= level;
  return true;
}

/* The '}' of the open object (there must be one) right at the cursor:
 * consumes it, as sr_json_object_next does when it returns 0.
 * @locality hot path */
static inline bool sr_json_plain_close(struct sr_json *j) {
  if (j->p >= j->end || *j->p != '}') return false;
  j->p++;
  j->depth--;
  return true;
}

/* Whether the byte right at the cursor (no blank skipped) is c. */
static inline bool sr_json_at(const struct sr_json *j, char c) {
  return j->p < j->end && *j->p == c;
}

/* A '{' right at the cursor, within the depth bound: consumes it, as
 * sr_json_object_begin does. @locality hot path */
static inline bool sr_json_plain_open(struct sr_json *j) {
  if (j->p >= j->end || *j->p != '{' || j->depth >= SR_JSON_MAX_DEPTH)
    return false;
  j->p++;
  j->depth++;
  j->more &= ~((uint64_t)1 << (j->depth - 1));
  return true;
}

/* The eight bytes at s as a little-endian word. */
static inline uint64_t sr_json_le64(const unsigned char *s) {
  uint64_t w;
  memcpy(&w, s, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

/*
 * For a caller that recognises members by their bytes, as patterns
 * `,"key":`: the sixteen bytes that lead the next member of the open
 * object, from its ',' or, for the first member (first: none read yet),
 * from the byte before its key's quote, which reads as a ',' in w[0], so
 * that one pattern fits both. w[0] and w[1] are those bytes as
 * little-endian words; the return value is where they start, or NULL when
 * fewer than sixteen bytes are left there. The reader is untouched; nothing
 * is checked but the room. @locality hot path
 */
static inline const unsigned char *sr_json_member_lead(const struct sr_json *j,
                                                       bool first,
                                                       uint64_t w[2]) {
  assert(!first || j->p > j->beg); /* the object's '{' is behind */
  const unsigned char *q = (const unsigned char *)j->p - first;
  if ((const unsigned char *)j->end - q < 16) return NULL;
  w[0] = sr_json_le64(q);
  w[1] = sr_json_le64(q + 8);
  if (first) w[0] = (w[0] & ~(uint64_t)0xFF) | ',';
  return q;
}

/* Consumes the member led at q (by sr_json_member_lead), which the caller
 * has seen to open with `,"key":` (n bytes; any byte for the ',' of the
 * first member) where the key has no quote, backslash or control byte: the
 * cursor is left on the value. @locality hot path */
static inline void sr_json_member_take(struct sr_json *j,
                                       const unsigned char *q, size_t n,
                                       bool first) {
  j->p = (const char *)q + n;
  if (first) j->more |= (uint64_t)1 << (j->depth - 1);
}

/* A string value at the cursor without escape or control byte: *value is
 * the text between the quotes. @locality hot path */
static inline __attribute__((always_inline)) bool sr_json_plain_string(
    struct sr_json *j, sr_str *value) {
  const unsigned char *p = (const unsigned char *)j->p;
  const unsigned char *end = (const unsigned char *)j->end;
  if (p >= end || *p != '"') return false;
  const unsigned char *v =
      sr_json_find_special((const unsigned char *)j->beg, p + 1, end, j->wide);
  if (v >= end || *v != '"') return false;
  value->p = (const char *)p + 1;
  value->n = (size_t)(v - (p + 1));
  j->p = (const char *)v + 1;
  return true;
}

/* The value of the eight digit bytes (each 0-9) of d, the first digit in
 * the lowest byte, combined by three multiplications: pairs, then fours,
 * then the eight. A number of fewer digits is shifted to the top first: the
 * zero bytes below read as leading zeros. (The multiplications assume
 * little-endian order.) */
static inline uint64_t sr_json_digits8_value(uint64_t d) {
  d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFull;
  d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFull;
  return (d * 10000 + (d >> 32)) & 0xFFFFFFFFull;
}

/* The eight bytes at s as digit values: a digit byte becomes 0-9. *bad
 * flags (high bit) the first byte that is not a digit exactly; flags above
 * it may be spurious (borrows and carries run upward). */
static inline uint64_t sr_json_digit_bytes(const char *s, uint64_t *bad) {
  uint64_t x;
  memcpy(&x, s, 8);
  uint64_t d = x - 0x3030303030303030ull;
  *bad = ((d + 0x7676767676767676ull) | d) & 0x8080808080808080ull;
  return d;
}

/* The number of digits (0 to 8) the eight bytes at s open with; *value is
 * their value. */
static inline unsigned sr_json_digits8(const char *s, uint64_t *value) {
  uint64_t bad;
  uint64_t d = sr_json_digit_bytes(s, &bad);
  unsigned n = bad ? (unsigned)__builtin_ctzll(bad) >> 3 : 8;
  if (n == 0) {
    *value = 0;
    return 0;
  }
  *value = sr_json_digits8_value(d << 8 * (8 - n));
  return n;
}

/* An integer at the cursor written as a JSON integer of at most eighteen
 * digits (which cannot overflow): an optional '-', no leading zero, no
 * fraction, no exponent. *out is what sr_json_number and sr_json_to_int64
 * would give. With sixteen bytes left after the sign (every integer but the
 * last bytes of a message), the digits of both words are found at once and
 * combined without a loop: the thirteen digits of an event's ts_ms in two
 * combinations. @locality hot path */
static inline bool sr_json_plain_int(struct sr_json *j, int64_t *out) {
  static const uint64_t pow10[] = {1,      10,      100,      1000,     10000,
                                   100000, 1000000, 10000000, 100000000};
  const char *p = j->p, *end = j->end;
  bool neg = p < end && *p == '-';
  const char *s = p + neg, *d = s;
  uint64_t v = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (end - s >= 16) {
    uint64_t bad_lo, bad_hi;
    uint64_t lo = sr_json_digit_bytes(s, &bad_lo);
    uint64_t hi = sr_json_digit_bytes(s + 8, &bad_hi);
    unsigned n;
    if (bad_lo) {
      n = (unsigned)__builtin_ctzll(bad_lo) >> 3;
      if (n == 0) return false;
      v = sr_json_digits8_value(lo << 8 * (8 - n));
    } else if (bad_hi) {
      n = 8 + ((unsigned)__builtin_ctzll(bad_hi) >> 3);
      v = sr_json_digits8_value(lo) * pow10[n - 8] +
          (n > 8 ? sr_json_digits8_value(hi << 8 * (16 - n)) : 0);
    } else {
      goto bytes; /* sixteen digits or more: the loops below */
    }
    d = s + n;
    goto done;
  }
  /* Sixteen digits at most this way: v stays below 10^16, and the byte
   * loop below adds at most three more, still below 2^64. */
  while (end - d >= 8 && d - s < 16) {
    uint64_t part;
    unsigned k = sr_json_digits8(d, &part);
    v = v * pow10[k] + part;
    d += k;
    if (k < 8) goto done;
  }
bytes:
#endif
  while (d < end && (unsigned char)(*d - '0') < 10 && d - s < 19) {
    v = v * 10 + (unsigned)(*d - '0');
    d++;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
done:
#endif
  if (d == s || d - s > 18 || (*s == '0' && d - s > 1)) return false;
  if (d < end && (*d == '.' || *d == 'e' || *d == 'E')) return false;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  j->p = d;
  return true;
}

/*
 * A compact object of one level at the cursor whose keys and values are
 * all plain strings (as sr_json_plain_string reads them), such as most tool
 * arguments, {"command":"ls -la"}: consumed as sr_json_skip would, *raw its
 * text. False with the reader untouched for anything else (escapes,
 * nesting, numbers, literals, blanks, a syntax error), which sr_json_skip
 * then reads and reports. @locality hot path
 */
static inline bool sr_json_plain_flat(struct sr_json *j, sr_str *raw) {
  const char *start = j->p;
  sr_str s;
  if (!sr_json_at(j, '{') || j->depth >= SR_JSON_MAX_DEPTH) return false;
  j->p++;
  if (!sr_json_at(j, '}')) {
    for (;;) {
      if (!sr_json_plain_string(j, &s) || !sr_json_at(j, ':')) goto undo;
      j->p++;
      if (!sr_json_plain_string(j, &s)) goto undo;
      if (sr_json_at(j, '}')) break;
      if (!sr_json_at(j, ',')) goto undo;
      j->p++;
    }
  }
  j->p++;
  raw->p = start;
  raw->n = (size_t)(j->p - start);
  return true;
undo:
  j->p = start;
  return false;
}

#endif
