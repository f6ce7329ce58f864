/*
 * A literal prefilter for a Hyperscan pattern set: proves, cheaply, that no
 * pattern of the set can match a text, so the scan (600-1,100 instructions
 * per call whatever the text) is skipped.
 *
 * Each pattern declares what any match of it must contain: groups of
 * literals, every group needed, one literal of a group enough. The
 * declaration is written next to the pattern as "a|b&c|d" ('&' between
 * groups, '|' between literals), for instance "ignore&previous|prior" for
 * "ignore\s+(the\s+)?(previous|prior)\s+instructions". Literals are
 * compared ASCII case-insensitively, so one declaration serves caseless and
 * case-sensitive patterns alike (for the latter it is only less strict).
 * At setup every literal must occur, case-folded, in its pattern's text: a
 * declaration that names a word the pattern does not have is refused.
 *
 * A text "may match" when some pattern has a literal of each of its groups
 * in it; otherwise no pattern can match and the scan is skipped. The answer
 * is never "no" for a text a pattern matches, provided the declarations are
 * right; tests/unit/detectors/test_textscan.c holds every detector's set to
 * that on matching, bench and random texts.
 *
 * @locality built at setup, read-only afterwards; safe from any thread.
 */
#ifndef SR_PREFILTER_H
#define SR_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>

#define SR_PREFILTER_LITERALS 64 /* distinct literals per set */
#define SR_PREFILTER_GROUPS 4    /* groups per pattern */
#define SR_PREFILTER_LITERAL_MAX 24

/* Which code reads the text: AVX2, 32 positions a step, when the CPU has
 * it; else SSSE3, 16 a step (Hyperscan itself needs SSSE3); plain C, one
 * position at a time, elsewhere (not x86). AUTO picks the first the CPU
 * runs. */
enum sr_prefilter_path {
  SR_PREFILTER_AUTO = 0,
  SR_PREFILTER_PLAIN,
  SR_PREFILTER_SSSE3,
  SR_PREFILTER_AVX2,
};

struct sr_prefilter;

/*
 * Builds the prefilter of n patterns (exprs[i] declared needs[i]). NULL with
 * err set ("owner: pattern 3 (expr): ...") when a declaration is malformed,
 * names a literal its pattern does not contain, the set needs more than
 * SR_PREFILTER_LITERALS literals, or the CPU lacks `path`. @locality setup
 */
struct sr_prefilter *sr_prefilter_create(const char *owner,
                                         const char *const *exprs,
                                         const char *const *needs, size_t n,
                                         enum sr_prefilter_path path, char *err,
                                         size_t errlen);
void sr_prefilter_destroy(struct sr_prefilter *f);

/* Whether this CPU runs that path. */
bool sr_prefilter_has(enum sr_prefilter_path path);

/*
 * False when no pattern can match p[0, n): no pattern has a literal of each
 * of its groups there. Reads only p[0, n).
 * @locality any thread; no allocation.
 */
bool sr_prefilter_may_match(const struct sr_prefilter *f, const char *p,
                            size_t n);

#endif
