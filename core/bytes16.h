/*
 * Byte classes sixteen bytes at a time (SSE2), for the scans that skip
 * plain bytes until one that matters: what a JSON string cannot hold as it
 * is (the reader in ingest/json.h, the writer in core/buf.c) and ASCII
 * digits (loop, velocity, secrets). Only under SSE2: callers keep their
 * byte loops for tails and for other machines.
 */
#ifndef SR_CORE_BYTES16_H
#define SR_CORE_BYTES16_H

#if defined(__SSE2__)
#include <emmintrin.h>

static inline __m128i sr_bytes16_load(const void *p) {
  return _mm_loadu_si128((const __m128i *)p);
}

/* 0xFF at each byte of v that is an ASCII digit, 0 elsewhere. */
static inline __m128i sr_bytes16_digit_lanes(__m128i v) {
  const __m128i lo = _mm_set1_epi8('0' - 1), hi = _mm_set1_epi8('9' + 1);
  return _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
}

/* Bit i set when byte i of the 16 at p is an ASCII digit. */
static inline unsigned sr_bytes16_digits(const void *p) {
  return (unsigned)_mm_movemask_epi8(
      sr_bytes16_digit_lanes(sr_bytes16_load(p)));
}

/* Bit i set when byte i of the 16 at p is '"', '\\' or below 0x20. */
static inline unsigned sr_bytes16_json_special(const void *p) {
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
  const __m128i ctl = _mm_set1_epi8(0x1F);
  __m128i v = sr_bytes16_load(p);
  __m128i hit = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
      _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl)); /* v <= 0x1F */
  return (unsigned)_mm_movemask_epi8(hit);
}

/* Bit i set when byte i of the 16 at p is 0x80 or above. */
static inline unsigned sr_bytes16_high(const void *p) {
  return (unsigned)_mm_movemask_epi8(sr_bytes16_load(p));
}
#endif

#endif
