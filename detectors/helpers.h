/*
 * Small helpers shared by the session-course detectors (loop, velocity,
 * planning_fallacy, authority_gradient, secret_exposure, injection,
 * user_override): an id's hash for per-session memory, a prefetch of
 * session scratch, the log-scaled score several of them use, whether a
 * host is one the session declared, and whether a tool authors text.
 * Header-only: each is a few instructions on the hot path.
 */
#ifndef SR_DETECTOR_HELPERS_H
#define SR_DETECTOR_HELPERS_H

#include <assert.h>
#include <math.h>
#include <strings.h>
#include <xxhash.h>

#include "detectors/detector.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* printf arguments for a bounded view: "%.*s", SR_SV(s, 48) */
#define SR_SV(s, max) (int)SR_MIN((s).n, (size_t)(max)), ((s).p ? (s).p : "")

/* A 32-bit hash of an id (call id, agent id) to remember it by in session
 * scratch; never 0 for a non-empty id, 0 for an empty one. */
static inline uint32_t sr_det_id_hash(sr_str id) {
  return id.n ? (uint32_t)XXH3_64bits(id.p, id.n) | 1u : 0;
}

/* Starts loading the cache lines of p[0..n) (session scratch a detector
 * is about to read or write). Sessions are many and a session's next event
 * comes after many others', so its scratch is rarely still in cache; a
 * detector that has work to do before it first reads its scratch (hashing
 * an id, scanning a text) issues this first, and the miss overlaps that
 * work instead of stalling the read after it. A hint: no effect on
 * results. */
static inline void sr_det_prefetch(const void *p, size_t n) {
  /* A byte every 64 and the last: every line of p[0, n) whatever p's
   * alignment, and for a constant n a few instructions, no loop. */
  const char *c = p;
  for (size_t i = 0; i < n; i += 64) __builtin_prefetch(c + i, 1);
  if (n > 1) __builtin_prefetch(c + n - 1, 1);
}

/* Bit i set when v[i] == x, for the n (<= 16) entries of a ring of 32-bit
 * hashes (call ids, keys) that detectors search on every call: four
 * compares a step where SSE2 is there, and the caller visits the matches
 * only. Reads v[0, 16) whatever n: a ring is 16 entries. */
static inline uint32_t sr_det_ring16_matches(const uint32_t *v, size_t n,
                                             uint32_t x) {
  assert(n <= 16);
  uint32_t m = 0;
#if defined(__SSE2__)
  const __m128i k = _mm_set1_epi32((int)x);
#pragma GCC unroll 4
  for (unsigned q = 0; q < 4; q++) {
    __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(v + 4 * q));
    m |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(w, k)))
         << (4 * q);
  }
#else
  for (unsigned i = 0; i < 16; i++) m |= (uint32_t)(v[i] == x) << i;
#endif
  return m & (uint32_t)((1ull << n) - 1);
}

/* 0 below lo; from lo, 0.3 rising with ln(x) to 1.0 at hi (hi > lo > 0). */
static inline float sr_det_log_score(double x, double lo, double hi) {
  if (!(x >= lo)) return 0.0f;
  double s = 0.3 + 0.7 * log(x / lo) / log(hi / lo);
  return s > 1.0 ? 1.0f : (float)s;
}

/* The host (lowercase) is a declared scope domain or a subdomain of one. */
static inline bool sr_det_declared_host(const struct sr_session_info *s,
                                        const char *host) {
  size_t hn = strlen(host);
  for (size_t i = 0; i < s->n_scope_domains; i++) {
    const char *d = s->scope_domains[i];
    size_t dn = strlen(d);
    if (dn && dn <= hn && strcasecmp(host + hn - dn, d) == 0 &&
        (dn == hn || host[hn - dn - 1] == '.'))
      return true;
  }
  return false;
}

/* Tools that author text (Write, Edit, edit_file, mcp__fs__write_file):
 * a document that cites an address or a command contacts nobody and runs
 * nothing. */
static inline bool sr_det_authors_text(sr_str tool) {
  static const char *const names[] = {
      "write",     "edit",       "multiedit",   "notebookedit",
      "edit_file", "write_file", "create_file", "str_replace"};
  size_t cut = 0;
  for (size_t i = 0; i + 1 < tool.n; i++)
    if (tool.p[i] == '_' && tool.p[i + 1] == '_') cut = i + 2;
  sr_str last = {tool.p + cut, tool.n - cut};
  for (size_t i = 0; i < SR_ARRAY_LEN(names); i++)
    if (sr_str_eq_nocase(last, names[i])) return true;
  return false;
}

#endif
