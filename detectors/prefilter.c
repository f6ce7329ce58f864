/*
 * Literal prefilter (see prefilter.h).
 *
 * Finding which declared literals occur is Teddy's idea (Hyperscan's own
 * small-literal matcher): every literal goes into one of 8 buckets, and six
 * 16-entry tables hold, for each nibble value, the buckets that have a
 * literal whose first (second, third) byte has that low (high) nibble.
 * ANDing the six lookups for the bytes at i, i + 1 and i + 2 gives the
 * buckets that may have a literal starting at i; 32 positions a step with
 * AVX2's byte shuffle, 16 with SSSE3's (the least Hyperscan runs on).
 * Bytes are folded with | 0x20 (a letter's lower case; the few other bytes
 * that collide merely over-approximate). A bucket
 * takes the literal that adds fewest nibble combinations to it, so most
 * candidates are real three-byte starts; each is then checked against a
 * hash bitmap of the literals' first three bytes, and only then its
 * literals (those with its first two bytes, found by a small hash) are
 * compared, case-folded, 8 bytes at a time. Plain C does the same one
 * position at a time with the first two bytes' tables.
 *
 * Texts shorter than a step are copied into a zero-padded block; longer
 * ones end with a step over their last W + 2 bytes, so nothing outside
 * p[0, n) is read. A literal is 2 bytes or more, so a text's last byte
 * starts none.
 */
#include "detectors/prefilter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SR_PF_X86 1
#endif

#define BUCKETS 8
#define PAIR_SLOTS 128 /* > 2 x SR_PREFILTER_LITERALS: probes stay short */

/* A hash of three bytes folded with | 0x20 (mostly 16 of the 24 bits). */
static inline uint32_t tri_bit(uint32_t a, uint32_t b, uint32_t c) {
  return ((a << 16 | b << 8 | c) * 0x9E3779B1u) >> 16;
}

static inline size_t pair_slot(uint16_t pair) {
  return (size_t)((pair * 0x9E37u) >> 9) & (PAIR_SLOTS - 1);
}

/* A literal, and its first 8 bytes as one word: (text | fold) & mask ==
 * head compares them case-insensitively (fold has 0x20 at letters). */
struct literal {
  uint64_t head, fold, mask;
  uint16_t pair; /* first two bytes, folded with | 0x20 */
  uint8_t len;
  char s[SR_PREFILTER_LITERAL_MAX]; /* lower case */
};

/* A pattern is possible when every nonzero group mask meets the found
 * literals. Invariant: need[k][0] != 0 for k < npat. */
struct sr_prefilter {
  /* Bucket bits per nibble: [2 * j] low, [2 * j + 1] high nibble of byte
   * j of a literal (a two-byte literal's byte 2 is any byte). */
  uint8_t nib[6][16];
  uint64_t tri[65536 / 64]; /* tri_bit() of the literals' first 3 bytes */
  struct {
    uint16_t pair;
    uint64_t lits;    /* 0: empty slot */
  } slot[PAIR_SLOTS]; /* open addressing by pair_slot() */
  struct literal lit[SR_PREFILTER_LITERALS];
  size_t nlit, npat;
  bool two; /* some literal is two bytes long */
  enum sr_prefilter_path path; /* never AUTO */
  uint64_t (*need)[SR_PREFILTER_GROUPS];
  uint64_t alone; /* literals that by themselves make a pattern possible */
};

static inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool contains_nocase(const char *hay, const char *w, size_t k) {
  for (size_t i = 0; hay[i]; i++) {
    size_t j = 0;
    while (j < k && hay[i + j] && lower(hay[i + j]) == lower(w[j])) j++;
    if (j == k) return true;
  }
  return false;
}

bool sr_prefilter_has(enum sr_prefilter_path path) {
  switch (path) {
    case SR_PREFILTER_AUTO:
    case SR_PREFILTER_PLAIN:
      return true;
#if defined(SR_PF_X86)
    case SR_PREFILTER_SSSE3:
      return __builtin_cpu_supports("ssse3");
    case SR_PREFILTER_AVX2:
      return __builtin_cpu_supports("avx2");
#else
    default:
      return false;
#endif
  }
  return false;
}

/* The literal's index, added when new; -1 when the set is full. */
static int intern(struct sr_prefilter *f, const char *w, size_t k) {
  for (size_t i = 0; i < f->nlit; i++)
    if (f->lit[i].len == k && memcmp(f->lit[i].s, w, k) == 0) return (int)i;
  if (f->nlit == SR_PREFILTER_LITERALS) return -1;
  struct literal *l = &f->lit[f->nlit];
  l->len = (uint8_t)k;
  memcpy(l->s, w, k);
  for (size_t j = 0; j < k && j < 8; j++) {
    bool letter = w[j] >= 'a' && w[j] <= 'z';
    l->head |= (uint64_t)(uint8_t)w[j] << (8 * j);
    l->fold |= (uint64_t)(letter ? 0x20 : 0) << (8 * j);
    l->mask |= (uint64_t)0xff << (8 * j);
  }
  return (int)f->nlit++;
}

/* Parses pattern k's declaration into f->need[k]; 0 or -1 with err. */
static int declare(struct sr_prefilter *f, const char *owner, size_t k,
                   const char *expr, const char *need, char *err,
                   size_t errlen) {
  size_t g = 0;
  const char *s = need;
  for (;;) {
    const char *e = s;
    while (*e && *e != '|' && *e != '&') e++;
    size_t len = (size_t)(e - s);
    char w[SR_PREFILTER_LITERAL_MAX];
    if (len < 2 || len > sizeof w) {
      snprintf(err, errlen,
               "%s: pattern %zu (%s): literal '%.*s' in '%s' must be 2 to %d "
               "bytes",
               owner, k, expr, (int)len, s, need, SR_PREFILTER_LITERAL_MAX);
      return -1;
    }
    for (size_t i = 0; i < len; i++) w[i] = lower(s[i]);
    if (!contains_nocase(expr, w, len)) {
      snprintf(err, errlen,
               "%s: pattern %zu (%s): declared literal '%.*s' does not occur "
               "in it",
               owner, k, expr, (int)len, s);
      return -1;
    }
    int id = intern(f, w, len);
    if (id < 0) {
      snprintf(err, errlen, "%s: more than %d distinct literals declared",
               owner, SR_PREFILTER_LITERALS);
      return -1;
    }
    f->need[k][g] |= 1ull << id;
    if (!*e) return 0;
    if (*e == '&' && ++g == SR_PREFILTER_GROUPS) {
      snprintf(err, errlen, "%s: pattern %zu (%s): more than %d groups in '%s'",
               owner, k, expr, SR_PREFILTER_GROUPS, need);
      return -1;
    }
    s = e + 1;
  }
}

struct sr_prefilter *sr_prefilter_create(const char *owner,
                                         const char *const *exprs,
                                         const char *const *needs, size_t n,
                                         enum sr_prefilter_path path, char *err,
                                         size_t errlen) {
  struct sr_prefilter *f = calloc(1, sizeof(*f));
  if (!f || !(f->need = calloc(n ? n : 1, sizeof *f->need))) {
    free(f);
    snprintf(err, errlen, "%s: out of memory", owner);
    return NULL;
  }
  f->npat = n;
  for (size_t k = 0; k < n; k++) {
    if (declare(f, owner, k, exprs[k], needs[k], err, errlen) != 0) goto fail;
    if (!f->need[k][1]) f->alone |= f->need[k][0];
  }
  /* Buckets: each pair goes where it adds fewest nibble combinations
   * (pairs the tables let through without a literal behind them). */
  uint16_t sets[BUCKETS][6] = {{0}}; /* nibble values per table */
  for (size_t i = 0; i < f->nlit; i++) {
    const struct literal *l = &f->lit[i];
    uint8_t c0 = (uint8_t)(l->s[0] | 0x20);
    uint8_t c1 = (uint8_t)(l->s[1] | 0x20);
    uint8_t c2 = (uint8_t)(l->len > 2 ? l->s[2] | 0x20 : 0);
    uint16_t pair = (uint16_t)(c0 << 8 | c1);
    f->lit[i].pair = pair;
    f->two = f->two || l->len == 2;
    /* A two-byte literal may be followed by anything. */
    for (unsigned x = 0; x < 256; x++) {
      uint32_t t = tri_bit(c0, c1, l->len > 2 ? c2 : x);
      f->tri[t >> 6] |= 1ull << (t & 63);
    }
    size_t h = pair_slot(pair);
    while (f->slot[h].lits && f->slot[h].pair != pair)
      h = (h + 1) & (PAIR_SLOTS - 1);
    f->slot[h].pair = pair;
    f->slot[h].lits |= 1ull << i;
    const uint16_t add[6] = {(uint16_t)(1u << (c0 & 15)),
                             (uint16_t)(1u << (c0 >> 4)),
                             (uint16_t)(1u << (c1 & 15)),
                             (uint16_t)(1u << (c1 >> 4)),
                             (uint16_t)(l->len > 2 ? 1u << (c2 & 15) : 0xffff),
                             (uint16_t)(l->len > 2 ? 1u << (c2 >> 4) : 0xffff)};
    size_t best = 0;
    long best_cost = -1;
    for (size_t b = 0; b < BUCKETS; b++) {
      long before = 1, after = 1;
      for (int t = 0; t < 6; t++) {
        before *= __builtin_popcount(sets[b][t]);
        after *= __builtin_popcount(sets[b][t] | add[t]);
      }
      if (best_cost < 0 || after - before < best_cost) {
        best_cost = after - before;
        best = b;
      }
    }
    for (int t = 0; t < 6; t++) {
      sets[best][t] |= add[t];
      for (unsigned v = 0; v < 16; v++)
        if (add[t] >> v & 1) f->nib[t][v] |= (uint8_t)(1u << best);
    }
  }
  if (path == SR_PREFILTER_AUTO)
    path = sr_prefilter_has(SR_PREFILTER_AVX2)    ? SR_PREFILTER_AVX2
           : sr_prefilter_has(SR_PREFILTER_SSSE3) ? SR_PREFILTER_SSSE3
                                                  : SR_PREFILTER_PLAIN;
  if (!sr_prefilter_has(path)) {
    snprintf(err, errlen, "%s: this CPU lacks the prefilter path asked for",
             owner);
    goto fail;
  }
  f->path = path;
  return f;
fail:
  sr_prefilter_destroy(f);
  return NULL;
}

void sr_prefilter_destroy(struct sr_prefilter *f) {
  if (!f) return;
  free(f->need);
  free(f);
}

/* The literals with first pair `pair` (in the set) that start at p[i]. */
static uint64_t walk(const struct sr_prefilter *f, const char *p, size_t n,
                     size_t i, uint16_t pair) {
  size_t h = pair_slot(pair);
  while (f->slot[h].lits && f->slot[h].pair != pair)
    h = (h + 1) & (PAIR_SLOTS - 1);
  uint64_t got = 0; /* an empty slot: no literal starts with the pair */
  for (uint64_t ls = f->slot[h].lits; ls; ls &= ls - 1) {
    int k = __builtin_ctzll(ls);
    const struct literal *l = &f->lit[k];
    if (l->len > n - i) continue;
    size_t j = 2;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n - i >= 8) {
      uint64_t x;
      memcpy(&x, p + i, 8); /* byte j at bits 8j */
      if (((x | l->fold) & l->mask) != l->head) continue;
      j = 8;
    }
#endif
    while (j < l->len && lower(p[i + j]) == l->s[j]) j++;
    if (j >= l->len) got |= 1ull << k;
  }
  return got;
}

/* The literals that start at p[i] (i + 1 < n): most candidates the vector
 * step lets through end at the test of their first three bytes. */
static inline uint64_t confirm(const struct sr_prefilter *f, const char *p,
                               size_t n, size_t i) {
  uint32_t a = (uint8_t)(p[i] | 0x20), b = (uint8_t)(p[i + 1] | 0x20);
  if (i + 2 < n) {
    uint32_t t = tri_bit(a, b, (uint8_t)(p[i + 2] | 0x20));
    if (!(f->tri[t >> 6] >> (t & 63) & 1)) return 0;
  }
  return walk(f, p, n, i, (uint16_t)(a << 8 | b));
}

static uint64_t found_plain(const struct sr_prefilter *f, const char *p,
                            size_t n) {
  uint64_t got = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    uint8_t a = (uint8_t)(p[i] | 0x20), b = (uint8_t)(p[i + 1] | 0x20);
    unsigned m = f->nib[0][a & 15] & f->nib[1][a >> 4] & f->nib[2][b & 15] &
                 f->nib[3][b >> 4];
    if (m) got |= confirm(f, p, n, i);
  }
  return got;
}

#if defined(SR_PF_X86)
/* The literals at the positions base + k for each bit k of `bits`. */
static inline uint64_t take(const struct sr_prefilter *f, const char *p,
                            size_t n, size_t base, uint32_t bits) {
  uint64_t got = 0;
  for (; bits; bits &= bits - 1)
    got |= confirm(f, p, n, base + (unsigned)__builtin_ctz(bits));
  return got;
}

/* Where the last step of a text of n bytes starts, the first i not done,
 * and w positions a step: the step's positions to keep. Texts of fewer
 * than w + 2 bytes are copied into pad (zeros after them: a zero third
 * byte lets only a two-byte literal through, and none of 3+ fits there). */
static inline uint32_t last_mask(size_t n, size_t i, size_t w, size_t base) {
  if (n < w + 2) return (uint32_t)((1ull << (n - 1)) - 1);
  return i - base < w ? (uint32_t)((1ull << w) - 1) & (~0u << (i - base)) : 0;
}

/* The bucket bits of byte j's nibbles, for the bytes at q + j. */
#define SR_PF_LOOKUP(sh, and, srl, c, lo, hi, nib) \
  and(sh(lo, and(c, nib)), sh(hi, and(srl(c, 4), nib)))

/* A step: the positions of q[0, w) where a literal may start, reading
 * q[0, w + 2); t holds the six tables in the step's vector width. */
typedef uint32_t (*step_fn)(const uint8_t *q, const void *t);

/* The literals in p[0, n), w positions a step (inlined into each path, so
 * `step` is a direct call there, itself inlined). */
static inline __attribute__((always_inline)) uint64_t scan(
    const struct sr_prefilter *f, const char *p, size_t n, size_t w,
    step_fn step, const void *t) {
  const uint8_t *u = (const uint8_t *)p;
  uint64_t got = 0;
  size_t i = 0;
  for (; i + w + 2 <= n; i += w) got |= take(f, p, n, i, step(u + i, t));
  if (i + 1 >= n) return got; /* no position with a byte after it left */
  size_t base = n < w + 2 ? 0 : n - (w + 2);
  uint32_t bits = last_mask(n, i, w, base);
  if (n < w + 2) {
    uint8_t pad[34] = {0};
    memcpy(pad, p, n);
    bits &= step(pad, t);
  } else {
    if (bits) bits &= step(u + base, t);
    if (f->two) got |= confirm(f, p, n, n - 2);
  }
  return got | take(f, p, n, base, bits);
}

/* Steps are inlined into their path's scan: a call per step reloaded the
 * six tables from memory; inlined, they stay in registers. */
__attribute__((target("avx2"), always_inline)) static inline uint32_t
step_avx2(const uint8_t *q, const void *tv) {
  const __m256i *t = tv;
  const __m256i nib = _mm256_set1_epi8(0x0f), fold = _mm256_set1_epi8(0x20);
  __m256i v = _mm256_set1_epi8(-1);
#pragma GCC unroll 3
  for (int j = 0; j < 3; j++) {
    __m256i c =
        _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(q + j)), fold);
    v = _mm256_and_si256(
        v, SR_PF_LOOKUP(_mm256_shuffle_epi8, _mm256_and_si256,
                        _mm256_srli_epi16, c, t[2 * j], t[2 * j + 1], nib));
  }
  return ~(uint32_t)_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(v, _mm256_setzero_si256()));
}

__attribute__((target("avx2"))) static uint64_t found_avx2(
    const struct sr_prefilter *f, const char *p, size_t n) {
  __m256i t[6];
#pragma GCC unroll 6
  for (int j = 0; j < 6; j++)
    t[j] = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)f->nib[j]));
  return scan(f, p, n, 32, step_avx2, t);
}

__attribute__((target("ssse3"), always_inline)) static inline uint32_t
step_ssse3(const uint8_t *q, const void *tv) {
  const __m128i *t = tv;
  const __m128i nib = _mm_set1_epi8(0x0f), fold = _mm_set1_epi8(0x20);
  __m128i v = _mm_set1_epi8(-1);
#pragma GCC unroll 3
  for (int j = 0; j < 3; j++) {
    __m128i c = _mm_or_si128(_mm_loadu_si128((const __m128i *)(q + j)), fold);
    v = _mm_and_si128(v, SR_PF_LOOKUP(_mm_shuffle_epi8, _mm_and_si128,
                                      _mm_srli_epi16, c, t[2 * j],
                                      t[2 * j + 1], nib));
  }
  return 0xffffu &
         ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()));
}

__attribute__((target("ssse3"))) static uint64_t found_ssse3(
    const struct sr_prefilter *f, const char *p, size_t n) {
  __m128i t[6];
#pragma GCC unroll 6
  for (int j = 0; j < 6; j++)
    t[j] = _mm_loadu_si128((const __m128i *)f->nib[j]);
  return scan(f, p, n, 16, step_ssse3, t);
}
#undef SR_PF_LOOKUP
#endif

bool sr_prefilter_may_match(const struct sr_prefilter *f, const char *p,
                            size_t n) {
  uint64_t got;
  switch (f->path) {
#if defined(SR_PF_X86)
    case SR_PREFILTER_AVX2:
      got = found_avx2(f, p, n);
      break;
    case SR_PREFILTER_SSSE3:
      got = found_ssse3(f, p, n);
      break;
#endif
    default:
      got = found_plain(f, p, n);
  }
  if (!got) return false;
  if (got & f->alone) return true;
  for (size_t k = 0; k < f->npat; k++) {
    const uint64_t *g = f->need[k];
    size_t j = 0;
    while (j < SR_PREFILTER_GROUPS && g[j] && (g[j] & got)) j++;
    if (j == SR_PREFILTER_GROUPS || !g[j]) return true;
  }
  return false;
}
