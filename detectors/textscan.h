/*
 * A small Hyperscan wrapper for the detectors that read text (secrets,
 * injected instructions, a user's stop, a sub-agent's warning): a table of
 * patterns compiled once at setup into a block-mode database, a per-thread
 * scratch, and a scan that collects which patterns matched and where their
 * matches end. Match starts are not asked for (HS_FLAG_SOM_LEFTMOST makes
 * scans many times slower, see catalogue.c); a caller that needs the
 * matched text walks back from the end in C.
 *
 * Most texts can match none of a set's patterns, and a Hyperscan call costs
 * 600-1,100 instructions even on two bytes; so when the patterns declare
 * the literals their matches must contain (`need`, see prefilter.h), a text
 * without them is not scanned at all.
 *
 * @locality the set is built at setup and read-only afterwards; each thread
 * scans with its own scratch.
 */
#ifndef SR_TEXTSCAN_H
#define SR_TEXTSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR_TEXTSCAN_CASELESS 1u /* ASCII case-insensitive */
#define SR_TEXTSCAN_ONCE 2u     /* report the first match only */
#define SR_TEXTSCAN_HITS_MAX 32 /* hits kept per scan; later ones dropped */

/* An apostrophe in a pattern ("don" SR_TEXTSCAN_APOS "?t"): as typed, or as
 * chat clients, phones and typeset pages turn it (U+2019, in UTF-8). */
#define SR_TEXTSCAN_APOS "('|\xe2\x80\x99)"

struct sr_textscan_pattern {
  const char *expr; /* Hyperscan (PCRE-like) syntax */
  unsigned flags;   /* SR_TEXTSCAN_* */
  /* What every match contains, "a|b&c" (see prefilter.h); NULL in every
   * pattern of a set for no prefilter. */
  const char *need;
};

struct sr_textscan_hit {
  uint32_t id;  /* index into the pattern table */
  uint32_t end; /* offset just past the match's last byte */
};

/* What one scan found, in the order Hyperscan reported (by end offset).
 * `ids` has bit i set when pattern i (< 64) matched at least once. */
struct sr_textscan_hits {
  struct sr_textscan_hit v[SR_TEXTSCAN_HITS_MAX];
  uint32_t n;
  bool overflow; /* more hits than SR_TEXTSCAN_HITS_MAX: the scan stopped */
  uint64_t ids;
};

struct sr_textscan;
struct sr_textscan_scratch;

/* Compiles n (1..64) patterns: the first at `pats`, each next `stride`
 * bytes further (a detector's table of structs that begin with a
 * struct sr_textscan_pattern). `owner` names the detector in errors. NULL
 * with err set when a pattern does not compile, or its `need` is refused
 * (see sr_prefilter_create), or some patterns declare one and others not.
 * @locality setup */
struct sr_textscan *sr_textscan_create(const char *owner,
                                       const struct sr_textscan_pattern *pats,
                                       size_t n, size_t stride, char *err,
                                       size_t errlen);
void sr_textscan_destroy(struct sr_textscan *ts);

/* The set's size and its pattern i (the caller's table entry), for tests
 * that hold each declaration to its pattern. */
size_t sr_textscan_size(const struct sr_textscan *ts);
const struct sr_textscan_pattern *sr_textscan_pattern(
    const struct sr_textscan *ts, size_t i);

/* One per thread; NULL when out of memory. */
struct sr_textscan_scratch *sr_textscan_scratch_create(
    const struct sr_textscan *ts);
void sr_textscan_scratch_destroy(struct sr_textscan_scratch *s);

/* For a detector whose context is heap-allocated and begins with a
 * `struct sr_textscan *`: its thread_create, thread_destroy and destroy
 * (which frees the set and the context; NULL is fine). */
void *sr_textscan_ctx_thread_create(const void *ctx);
void sr_textscan_ctx_thread_destroy(void *scratch);
void sr_textscan_ctx_destroy(void *ctx);

/*
 * Scans p[0, n) and fills *out (cleared first): sr_textscan_scan when
 * sr_textscan_may_match, else no hits.
 * @locality worker thread, with that thread's scratch; no allocation.
 */
void sr_textscan_run(const struct sr_textscan *ts,
                     struct sr_textscan_scratch *s, const char *p, size_t n,
                     struct sr_textscan_hits *out);

/* False when the declared literals prove that no pattern matches p[0, n)
 * (always true for a set without declarations). @locality any thread */
bool sr_textscan_may_match(const struct sr_textscan *ts, const char *p,
                           size_t n);

/* The Hyperscan scan alone, whatever the prefilter says (tests hold
 * sr_textscan_may_match true wherever this finds a hit).
 * @locality as sr_textscan_run */
void sr_textscan_scan(const struct sr_textscan *ts,
                      struct sr_textscan_scratch *s, const char *p, size_t n,
                      struct sr_textscan_hits *out);

/* ASCII case-insensitive search of needle in hay; NULL when absent. */
const char *sr_textscan_find(const char *hay, size_t n, const char *needle,
                             size_t k);

/* The host of the first URL (`scheme://[user@]host`) in p[from, n),
 * lowercased into out (cap bytes, NUL-terminated). Returns the offset just
 * past that host (where to look for the next one), 0 when there is none. */
size_t sr_textscan_next_host(const char *p, size_t n, size_t from, char *out,
                             size_t cap);

#endif
