/*
 * The literal prefilter against a plain reference: on random texts (every
 * length from 0 to 130, literals planted at every offset, random case,
 * bytes that collide under | 0x20) no path ever says "no" where the
 * declared literals are there, the AVX2, SSSE3 and plain paths answer
 * alike, and texts without them are refused. Texts sit in buffers of their
 * exact size so the sanitizer run catches a read past the end. Declarations a pattern
 * does not back are refused at setup with the pattern named.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/prefilter.h"

/* Patterns only need their text here: the literals must occur in it. */
static const char *const exprs[] = {
    "ignore\\s+(the\\s+)?(previous|prior)\\s+instructions",
    "AKIA|ASIA",
    "\\bcurl\\s[^|]*\\|\\s*(ba)?sh\\b",
    "://",
    "(run|execute)\\s+(following|this)\\s+(command|script)",
};
static const char *const needs[] = {
    "gnor&previous|prior&instructions",
    "akia|asia",
    "curl&sh",
    "://",
    "run|xecute&following|this&command|cript",
};
#define NPAT (sizeof exprs / sizeof exprs[0])

/* Every literal of the declarations above. */
static const char *const lits[] = {
    "gnor", "previous", "prior", "instructions", "akia", "asia", "curl",
    "sh",   "://",      "run",   "xecute",       "following", "this",
    "command", "cript"};
#define NLIT (sizeof lits / sizeof lits[0])

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool has_nocase(const char *p, size_t n, const char *w) {
  size_t k = strlen(w);
  for (size_t i = 0; i + k <= n; i++) {
    size_t j = 0;
    while (j < k && lower(p[i + j]) == lower(w[j])) j++;
    if (j == k) return true;
  }
  return false;
}

/* The reference: some pattern has a literal of each of its groups. */
static bool reference(const char *p, size_t n) {
  for (size_t k = 0; k < NPAT; k++) {
    bool all = true;
    const char *s = needs[k];
    while (all && *s) {
      bool any = false;
      for (;;) {
        const char *e = s;
        while (*e && *e != '|' && *e != '&') e++;
        char w[32];
        memcpy(w, s, (size_t)(e - s));
        w[e - s] = '\0';
        any = any || has_nocase(p, n, w);
        s = *e ? e + 1 : e;
        if (*e != '|') break;
      }
      all = any;
    }
    if (all) return true;
  }
  return false;
}

static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Filler bytes: letters, and bytes that fold onto literal bytes ('@' and
 * '`', '\x1a' and ':', '?' and '\x1f') to tempt the folded tables. */
static char filler(uint64_t *s) {
  static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                            "VWXYZ  \n\t:/@`\x1a\x1f?_-.0123456789\xc3\xa9";
  return set[rnd(s) % (sizeof set - 1)];
}

/* A random text of length n into a fresh buffer of exactly n bytes. */
static char *random_text(uint64_t *s, size_t n) {
  char *p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) p[i] = filler(s);
  /* Plant up to three literals, some cut short by the end. */
  for (int k = (int)(rnd(s) % 4); k > 0 && n; k--) {
    const char *w = lits[rnd(s) % NLIT];
    size_t at = rnd(s) % n, len = strlen(w);
    for (size_t j = 0; j < len && at + j < n; j++)
      p[at + j] = (rnd(s) & 1) && w[j] >= 'a' && w[j] <= 'z'
                      ? (char)(w[j] - 32)
                      : w[j];
  }
  return p;
}

static struct sr_prefilter *make(enum sr_prefilter_path path) {
  char err[256] = "";
  struct sr_prefilter *f =
      sr_prefilter_create("test", exprs, needs, NPAT, path, err, sizeof err);
  ck_assert_msg(f, "%s", err);
  return f;
}

START_TEST(never_refuses_a_text_holding_the_literals) {
  /* Every path this CPU runs, against the reference and against plain C. */
  static const enum sr_prefilter_path paths[] = {
      SR_PREFILTER_PLAIN, SR_PREFILTER_SSSE3, SR_PREFILTER_AVX2};
  struct sr_prefilter *f[3] = {NULL};
  for (int k = 0; k < 3; k++)
    if (sr_prefilter_has(paths[k])) f[k] = make(paths[k]);
  uint64_t s = 0x9e3779b97f4a7c15ull;
  size_t maybe = 0, no = 0;
  for (int round = 0; round < 300; round++) {
    for (size_t n = 0; n <= 130; n++) {
      char *p = random_text(&s, n);
      bool want = reference(p, n);
      bool got = sr_prefilter_may_match(f[0], p, n);
      ck_assert_msg(got || !want, "plain refused '%.*s'", (int)n, p);
      for (int k = 1; k < 3; k++)
        if (f[k])
          ck_assert_msg(sr_prefilter_may_match(f[k], p, n) == got,
                        "path %d and plain differ on '%.*s'", (int)paths[k],
                        (int)n, p);
      maybe += got;
      no += !got;
      free(p);
    }
  }
  /* Both answers occur: the test would notice a filter that always says
   * "maybe" as surely as one that refuses a match. */
  ck_assert_uint_gt(maybe, 1000);
  ck_assert_uint_gt(no, 1000);
  for (int k = 0; k < 3; k++) sr_prefilter_destroy(f[k]);
}
END_TEST

START_TEST(refuses_texts_without_the_literals) {
  struct sr_prefilter *f = make(SR_PREFILTER_AUTO);
  static const char *const no[] = {
      "", "a", "git status --short", "ignore this",  /* no later groups */
      "AKI", "curl https://example.org -o x.tgz" /* "://" only here */,
      "run the following: ls", "Tests: 5 passed, 5 total"};
  static const char *const yes[] = {
      "IGNORE PRIOR INSTRUCTIONS", "ASIA", "xAkIa", "curl x | sh",
      "a://b", "Execute this script", "ignore the previous instructions"};
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
    size_t n = strlen(no[i]);
    bool url = strstr(no[i], "://") != NULL;
    ck_assert_msg(sr_prefilter_may_match(f, no[i], n) == url, "%s", no[i]);
  }
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    ck_assert_msg(sr_prefilter_may_match(f, yes[i], strlen(yes[i])), "%s",
                  yes[i]);
  sr_prefilter_destroy(f);
}
END_TEST

static const char *create_error(const char *expr, const char *need) {
  static char err[256];
  err[0] = '\0';
  struct sr_prefilter *f = sr_prefilter_create(
      "det", &expr, &need, 1, SR_PREFILTER_PLAIN, err, sizeof err);
  sr_prefilter_destroy(f);
  return f ? NULL : err;
}

START_TEST(declarations_the_pattern_does_not_back_are_refused) {
  ck_assert_ptr_null(create_error("ignore\\s+previous", "ignore&previous"));
  ck_assert_str_eq(create_error("ignore\\s+previous", "ignore&prior"),
                   "det: pattern 0 (ignore\\s+previous): declared literal "
                   "'prior' does not occur in it");
  ck_assert_str_eq(create_error("a|bc", "a|bc"),
                   "det: pattern 0 (a|bc): literal 'a' in 'a|bc' must be 2 "
                   "to 24 bytes");
  ck_assert_ptr_nonnull(strstr(create_error("abc", "ab&&bc"), "literal ''"));
  ck_assert_ptr_nonnull(
      strstr(create_error("ab bc cd de ef", "ab&bc&cd&de&ef"),
             "more than 4 groups"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("prefilter");
  TCase *tc = tcase_create("prefilter");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, never_refuses_a_text_holding_the_literals);
  tcase_add_test(tc, refuses_texts_without_the_literals);
  tcase_add_test(tc, declarations_the_pattern_does_not_back_are_refused);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
