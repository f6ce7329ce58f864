/*
 * Hyperscan for the text-reading detectors (see textscan.h).
 *
 * Each detector compiles its own small database: its patterns are its
 * configuration, and a detector that is disabled costs nothing. The scan
 * callback only records (id, end) pairs; all judgement happens in the
 * detector, in C, over the few places that matched. Before it, the
 * patterns' declared literals (prefilter.c) rule out most texts without a
 * Hyperscan call.
 */
#include "detectors/textscan.h"

#include <assert.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/sr.h"
#include "detectors/prefilter.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Invariant: pf is NULL exactly when the patterns declare no literals. */
struct sr_textscan {
  hs_database_t *db;
  struct sr_prefilter *pf;
  size_t n;
  const struct sr_textscan_pattern *pat[64]; /* borrowed: static tables */
};

struct sr_textscan_scratch {
  hs_scratch_t *hs;
};

struct sr_textscan *sr_textscan_create(const char *owner,
                                       const struct sr_textscan_pattern *pats,
                                       size_t n, size_t stride, char *err,
                                       size_t errlen) {
  assert(n > 0 && n <= 64 && stride >= sizeof(*pats));
  const char *exprs[64], *needs[64];
  unsigned flags[64], ids[64];
  size_t declared = 0;
  struct sr_textscan *ts = calloc(1, sizeof(*ts));
  if (!ts) {
    snprintf(err, errlen, "%s: out of memory", owner);
    return NULL;
  }
  ts->n = n;
  for (size_t i = 0; i < n; i++) {
    const struct sr_textscan_pattern *p =
        (const void *)((const char *)pats + i * stride);
    ts->pat[i] = p;
    exprs[i] = p->expr;
    needs[i] = p->need;
    declared += p->need != NULL;
    flags[i] = 0;
    if (p->flags & SR_TEXTSCAN_CASELESS) flags[i] |= HS_FLAG_CASELESS;
    if (p->flags & SR_TEXTSCAN_ONCE) flags[i] |= HS_FLAG_SINGLEMATCH;
    ids[i] = (unsigned)i;
  }
  hs_compile_error_t *cerr = NULL;
  if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL,
                       &ts->db, &cerr) != HS_SUCCESS) {
    int x = cerr ? cerr->expression : -1;
    snprintf(err, errlen, "%s: pattern %d (%s): %s", owner, x,
             x >= 0 ? exprs[x] : "?", cerr ? cerr->message : "hyperscan error");
    hs_free_compile_error(cerr);
    free(ts);
    return NULL;
  }
  if (declared && declared < n) {
    size_t x = 0;
    while (needs[x]) x++;
    snprintf(err, errlen,
             "%s: pattern %zu (%s) declares no literals while others do",
             owner, x, exprs[x]);
    goto fail;
  }
  if (declared && !(ts->pf = sr_prefilter_create(owner, exprs, needs, n,
                                                  SR_PREFILTER_AUTO, err,
                                                  errlen)))
    goto fail;
  return ts;
fail:
  sr_textscan_destroy(ts);
  return NULL;
}

size_t sr_textscan_size(const struct sr_textscan *ts) { return ts->n; }

const struct sr_textscan_pattern *sr_textscan_pattern(
    const struct sr_textscan *ts, size_t i) {
  assert(i < ts->n);
  return ts->pat[i];
}

void sr_textscan_destroy(struct sr_textscan *ts) {
  if (!ts) return;
  hs_free_database(ts->db);
  sr_prefilter_destroy(ts->pf);
  free(ts);
}

struct sr_textscan_scratch *sr_textscan_scratch_create(
    const struct sr_textscan *ts) {
  struct sr_textscan_scratch *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  if (hs_alloc_scratch(ts->db, &s->hs) != HS_SUCCESS) {
    free(s);
    return NULL;
  }
  return s;
}

void sr_textscan_scratch_destroy(struct sr_textscan_scratch *s) {
  if (!s) return;
  hs_free_scratch(s->hs);
  free(s);
}

void *sr_textscan_ctx_thread_create(const void *ctx) {
  return sr_textscan_scratch_create(*(struct sr_textscan *const *)ctx);
}

void sr_textscan_ctx_thread_destroy(void *scratch) {
  sr_textscan_scratch_destroy(scratch);
}

void sr_textscan_ctx_destroy(void *ctx) {
  if (!ctx) return;
  sr_textscan_destroy(*(struct sr_textscan **)ctx);
  free(ctx);
}

static int on_match(unsigned id, unsigned long long from,
                    unsigned long long to, unsigned flags, void *arg) {
  (void)from;
  (void)flags;
  struct sr_textscan_hits *h = arg;
  if (h->n == SR_TEXTSCAN_HITS_MAX) {
    h->overflow = true;
    return 1; /* stop: the caller has enough to judge */
  }
  h->v[h->n].id = id;
  h->v[h->n].end = (uint32_t)to;
  h->n++;
  if (id < 64) h->ids |= 1ull << id;
  return 0;
}

bool sr_textscan_may_match(const struct sr_textscan *ts, const char *p,
                           size_t n) {
  return !ts->pf || sr_prefilter_may_match(ts->pf, p, n);
}

void sr_textscan_run(const struct sr_textscan *ts,
                     struct sr_textscan_scratch *s, const char *p, size_t n,
                     struct sr_textscan_hits *out) {
  if (sr_textscan_may_match(ts, p, n)) {
    sr_textscan_scan(ts, s, p, n, out);
    return;
  }
  out->n = 0;
  out->overflow = false;
  out->ids = 0;
}

void sr_textscan_scan(const struct sr_textscan *ts,
                      struct sr_textscan_scratch *s, const char *p, size_t n,
                      struct sr_textscan_hits *out) {
  out->n = 0;
  out->overflow = false;
  out->ids = 0;
  if (n == 0) return;
  if (n > UINT32_MAX) n = UINT32_MAX;
  hs_error_t rc = hs_scan(ts->db, p, (unsigned)n, 0, s->hs, on_match, out);
  /* Only a corrupt database or a shared scratch fails a scan: bugs. */
  assert(rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED);
  (void)rc;
}

static inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* needle[1, k) at p, case-insensitively. */
static inline bool rest_eq(const char *p, const char *needle, size_t k) {
  size_t j = 1;
  while (j < k && lower(p[j]) == lower(needle[j])) j++;
  return j == k;
}

const char *sr_textscan_find(const char *hay, size_t n, const char *needle,
                             size_t k) {
  if (k == 0) return hay;
  if (k > n) return NULL;
  /* lower(c) == f is (c | fold) == f: a letter matches either case, any
   * other byte only itself. */
  const uint8_t f = (uint8_t)lower(needle[0]);
  const uint8_t fold = f >= 'a' && f <= 'z' ? 0x20 : 0;
  const size_t last = n - k; /* the last position a match can start */
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i vf = _mm_set1_epi8((char)f), vfold = _mm_set1_epi8((char)fold);
  for (; i + 16 <= last + 1; i += 16) {
    __m128i v =
        _mm_or_si128(_mm_loadu_si128((const __m128i *)(hay + i)), vfold);
    for (unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vf)); m;
         m &= m - 1) {
      size_t at = i + (size_t)__builtin_ctz(m);
      if (rest_eq(hay + at, needle, k)) return hay + at;
    }
  }
#endif
  for (; i <= last; i++)
    if ((uint8_t)(hay[i] | fold) == f && rest_eq(hay + i, needle, k))
      return hay + i;
  return NULL;
}

static inline bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.';
}

size_t sr_textscan_next_host(const char *p, size_t n, size_t from, char *out,
                             size_t cap) {
  assert(cap > 0);
  out[0] = '\0';
  for (size_t i = from; i + 3 < n; i++) {
    if (p[i] != ':' || p[i + 1] != '/' || p[i + 2] != '/') continue;
    size_t h = i + 3, e = h;
    /* Skip user:password@ so the host, not the credential, is kept. */
    while (e < n && e - h < 256 && p[e] != '/' && p[e] != '@' &&
           p[e] != ' ' && p[e] != '"' && p[e] != '\'' && p[e] != '\\')
      e++;
    if (e < n && p[e] == '@') h = e + 1;
    e = h;
    while (e < n && host_char(p[e])) e++;
    while (e > h && p[e - 1] == '.') e--;
    if (e == h) continue;
    size_t k = SR_MIN(e - h, cap - 1);
    for (size_t j = 0; j < k; j++) out[j] = lower(p[h + j]);
    out[k] = '\0';
    return e;
  }
  return 0;
}
