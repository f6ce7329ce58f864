/*
 * Hyperscan for the text-reading detectors (see textscan.h).
 *
 * Each detector compiles its own small database: its patterns are its
 * configuration, and a detector that is disabled costs nothing. The scan
 * callback only records (id, end) pairs; all judgement happens in the
 * detector, in C, over the few places that matched.
 *
 * Hits are kept sorted by (end, id): Hyperscan reports matches by end
 * offset, but the order of two matches ending at the same byte depends on
 * how the database was built, and a set must see the same hits in the same
 * order whether it scanned alone or in a shared database.
 *
 * A shared database tags each pattern id with its set: id = set << 6 |
 * pattern (a set has at most 64 patterns). One scan fills every set's hits
 * of that field; a set that has its SR_TEXTSCAN_HITS_MAX drops the rest
 * (and is marked overflowed) as its own scan would have stopped, and the
 * scan stops once every set is full.
 */
#include "detectors/textscan.h"

#include <assert.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sr.h"

/* Invariant: exprs[i], flags[i] (Hyperscan's) for i < n are what db was
 * compiled from; exprs are borrowed (static tables). */
struct sr_textscan {
  hs_database_t *db;
  size_t n;
  const char *exprs[64];
  unsigned flags[64];
};

struct sr_textscan_scratch {
  hs_scratch_t *hs;
};

struct sr_textscan *sr_textscan_create(const char *owner,
                                       const struct sr_textscan_pattern *pats,
                                       size_t n, size_t stride, char *err,
                                       size_t errlen) {
  assert(n > 0 && n <= 64 && stride >= sizeof(*pats));
  const char *exprs[64];
  unsigned flags[64], ids[64];
  for (size_t i = 0; i < n; i++) {
    const struct sr_textscan_pattern *p =
        (const void *)((const char *)pats + i * stride);
    exprs[i] = p->expr;
    flags[i] = 0;
    if (p->flags & SR_TEXTSCAN_CASELESS) flags[i] |= HS_FLAG_CASELESS;
    if (p->flags & SR_TEXTSCAN_ONCE) flags[i] |= HS_FLAG_SINGLEMATCH;
    ids[i] = (unsigned)i;
  }
  struct sr_textscan *ts = calloc(1, sizeof(*ts));
  if (!ts) {
    snprintf(err, errlen, "%s: out of memory", owner);
    return NULL;
  }
  ts->n = n;
  memcpy(ts->exprs, exprs, n * sizeof exprs[0]);
  memcpy(ts->flags, flags, n * sizeof flags[0]);
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
  return ts;
}

void sr_textscan_destroy(struct sr_textscan *ts) {
  if (!ts) return;
  hs_free_database(ts->db);
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

static void hits_clear(struct sr_textscan_hits *h) {
  h->n = 0;
  h->overflow = false;
  h->ids = 0;
}

/* Adds a hit in (end, id) order; false (overflow set) when h is full. */
static bool push(struct sr_textscan_hits *h, uint32_t id, uint32_t end) {
  if (h->n == SR_TEXTSCAN_HITS_MAX) {
    h->overflow = true;
    return false;
  }
  uint32_t i = h->n++;
  while (i > 0 && (h->v[i - 1].end > end ||
                   (h->v[i - 1].end == end && h->v[i - 1].id > id))) {
    h->v[i] = h->v[i - 1];
    i--;
  }
  h->v[i].id = id;
  h->v[i].end = end;
  h->ids |= 1ull << id;
  return true;
}

static int on_match(unsigned id, unsigned long long from,
                    unsigned long long to, unsigned flags, void *arg) {
  (void)from;
  (void)flags;
  /* Full: stop, the caller has enough to judge. */
  return push(arg, id, (uint32_t)to) ? 0 : 1;
}

void sr_textscan_run(const struct sr_textscan *ts,
                     struct sr_textscan_scratch *s, const char *p, size_t n,
                     struct sr_textscan_hits *out) {
  hits_clear(out);
  if (n == 0) return;
  if (n > UINT32_MAX) n = UINT32_MAX;
  hs_error_t rc = hs_scan(ts->db, p, (unsigned)n, 0, s->hs, on_match, out);
  /* Only a corrupt database or a shared scratch fails a scan: bugs. */
  assert(rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED);
  (void)rc;
}

/* --- shared scans -------------------------------------------------------- */

#define SETS_MAX 8 /* sets sharing one field */

/* One field's shared database. Invariant: db is NULL (not shared: fewer
 * than two sets read the field) or was compiled from sets[0, n), pattern j
 * of set m with id m << 6 | j. */
struct group {
  hs_database_t *db;
  size_t n;
  const struct sr_textscan *sets[SETS_MAX];
};

struct sr_textscan_shared {
  struct group g[SR_TEXT_FIELDS];
};

/* Invariant: for a shared field f, scanned[f] says hits[f][0, g[f].n) hold
 * the scan of text[f] (the current event's). */
struct sr_textscan_event {
  const struct sr_textscan_shared *sh;
  hs_scratch_t *hs; /* big enough for every field's database */
  sr_str text[SR_TEXT_FIELDS];
  bool scanned[SR_TEXT_FIELDS];
  struct sr_textscan_hits hits[SR_TEXT_FIELDS][SETS_MAX];
};

static int compile_group(struct group *g, enum sr_text_field f, char *err,
                         size_t errlen) {
  static const char *const names[SR_TEXT_FIELDS] = {"arguments", "result",
                                                    "message"};
  size_t total = 0;
  for (size_t m = 0; m < g->n; m++) total += g->sets[m]->n;
  const char **exprs = calloc(total, sizeof *exprs);
  unsigned *flags = calloc(total, sizeof *flags);
  unsigned *ids = calloc(total, sizeof *ids);
  int rc = SR_ENOMEM;
  if (!exprs || !flags || !ids) {
    snprintf(err, errlen, "shared %s scan: out of memory", names[f]);
    goto out;
  }
  size_t k = 0;
  for (size_t m = 0; m < g->n; m++) {
    for (size_t j = 0; j < g->sets[m]->n; j++, k++) {
      exprs[k] = g->sets[m]->exprs[j];
      flags[k] = g->sets[m]->flags[j];
      ids[k] = (unsigned)(m << 6 | j);
    }
  }
  hs_compile_error_t *cerr = NULL;
  if (hs_compile_multi(exprs, flags, ids, (unsigned)total, HS_MODE_BLOCK,
                       NULL, &g->db, &cerr) != HS_SUCCESS) {
    snprintf(err, errlen, "shared %s scan: %s", names[f],
             cerr ? cerr->message : "hyperscan error");
    hs_free_compile_error(cerr);
    rc = SR_EINVAL;
    goto out;
  }
  rc = SR_OK;
out:
  free(ids);
  free(flags);
  free(exprs);
  return rc;
}

struct sr_textscan_shared *sr_textscan_shared_create(
    const struct sr_textscan_use *uses, size_t n, char *err, size_t errlen) {
  struct sr_textscan_shared *sh = calloc(1, sizeof(*sh));
  if (!sh) {
    snprintf(err, errlen, "shared scans: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    struct group *g = &sh->g[uses[i].field];
    bool dup = false;
    for (size_t m = 0; m < g->n; m++) dup = dup || g->sets[m] == uses[i].ts;
    if (dup) continue;
    if (g->n == SETS_MAX) {
      snprintf(err, errlen, "shared scans: more than %d sets on one field",
               SETS_MAX);
      goto fail;
    }
    g->sets[g->n++] = uses[i].ts;
  }
  for (int f = 0; f < SR_TEXT_FIELDS; f++)
    if (sh->g[f].n >= 2 &&
        compile_group(&sh->g[f], (enum sr_text_field)f, err, errlen) != 0)
      goto fail;
  return sh;
fail:
  sr_textscan_shared_destroy(sh);
  return NULL;
}

void sr_textscan_shared_destroy(struct sr_textscan_shared *sh) {
  if (!sh) return;
  for (int f = 0; f < SR_TEXT_FIELDS; f++) hs_free_database(sh->g[f].db);
  free(sh);
}

struct sr_textscan_event *sr_textscan_event_create(
    const struct sr_textscan_shared *sh) {
  struct sr_textscan_event *e = calloc(1, sizeof(*e));
  if (!e) return NULL;
  e->sh = sh;
  for (int f = 0; f < SR_TEXT_FIELDS; f++) {
    if (sh->g[f].db && hs_alloc_scratch(sh->g[f].db, &e->hs) != HS_SUCCESS) {
      sr_textscan_event_destroy(e);
      return NULL;
    }
  }
  return e;
}

void sr_textscan_event_destroy(struct sr_textscan_event *e) {
  if (!e) return;
  hs_free_scratch(e->hs);
  free(e);
}

void sr_textscan_event_begin(struct sr_textscan_event *e,
                             const sr_str fields[SR_TEXT_FIELDS]) {
  for (int f = 0; f < SR_TEXT_FIELDS; f++) {
    e->text[f] = fields[f];
    e->scanned[f] = false;
  }
}

struct group_scan {
  struct sr_textscan_hits *hits;
  size_t full, n;
};

static int on_group_match(unsigned id, unsigned long long from,
                          unsigned long long to, unsigned flags, void *arg) {
  (void)from;
  (void)flags;
  struct group_scan *gs = arg;
  struct sr_textscan_hits *h = &gs->hits[id >> 6];
  if (h->overflow) return 0;
  if (!push(h, id & 63u, (uint32_t)to)) gs->full++;
  return gs->full == gs->n ? 1 : 0;
}

void sr_textscan_hits_of(struct sr_textscan_event *e, enum sr_text_field field,
                         const struct sr_textscan *ts,
                         struct sr_textscan_scratch *own, const char *p,
                         size_t n, struct sr_textscan_hits *out) {
  const struct group *g = e ? &e->sh->g[field] : NULL;
  if (!g || !g->db || n == 0 || p != e->text[field].p ||
      n != e->text[field].n || n > UINT32_MAX) {
    sr_textscan_run(ts, own, p, n, out);
    return;
  }
  size_t m = 0;
  while (m < g->n && g->sets[m] != ts) m++;
  if (m == g->n) {
    sr_textscan_run(ts, own, p, n, out);
    return;
  }
  struct sr_textscan_hits *hits = e->hits[field];
  if (!e->scanned[field]) {
    for (size_t k = 0; k < g->n; k++) hits_clear(&hits[k]);
    struct group_scan gs = {hits, 0, g->n};
    hs_error_t rc = hs_scan(g->db, p, (unsigned)n, 0, e->hs, on_group_match,
                            &gs);
    assert(rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED);
    (void)rc;
    e->scanned[field] = true;
  }
  const struct sr_textscan_hits *h = &hits[m];
  out->n = h->n;
  out->overflow = h->overflow;
  out->ids = h->ids;
  memcpy(out->v, h->v, h->n * sizeof h->v[0]);
}

static inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

const char *sr_textscan_find(const char *hay, size_t n, const char *needle,
                             size_t k) {
  if (k == 0) return hay;
  if (k > n) return NULL;
  char f = lower(needle[0]);
  for (size_t i = 0; i + k <= n; i++) {
    if (lower(hay[i]) != f) continue;
    size_t j = 1;
    while (j < k && lower(hay[i + j]) == lower(needle[j])) j++;
    if (j == k) return hay + i;
  }
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
