/*
 * Canonical environment names (see env.h). The alias table is short on
 * purpose: it holds the spellings seen in real harnesses and inventories, and
 * everything else is compared as written, case-insensitively.
 *
 * Every detector canonicalises every call's environment, so the lookup is
 * shaped for the hot path: a name spelt exactly as a canonical one (what
 * events mostly carry) is found by its length and one comparison; a name
 * longer than the longest alias is returned at once; otherwise its first
 * letter picks a group of at most six aliases, compared by length, then as
 * bytes (the usual lower-case spelling), then letter by letter, folding case
 * on the fly.
 */
#include "detectors/env.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

struct alias {
  const char *name; /* lower case */
  uint8_t len;
  sr_str canonical;
};

/* The canonical spellings, in one array: a name that already points at one
 * of them is canonical (most callers pass a name canonicalised before, such
 * as sr_op's environment), and one range test tells. */
static const char CANONICAL[] = "production\0staging\0development\0test\0local";
#define PRODUCTION (CANONICAL)
#define STAGING (CANONICAL + sizeof("production"))
#define DEVELOPMENT (STAGING + sizeof("staging"))
#define TEST (DEVELOPMENT + sizeof("development"))
#define LOCAL (TEST + sizeof("test"))
#define SPELT(p, lit) {p, sizeof(lit) - 1}
#define PRODUCTION_S SPELT(PRODUCTION, "production")
#define STAGING_S SPELT(STAGING, "staging")
#define DEVELOPMENT_S SPELT(DEVELOPMENT, "development")
#define TEST_S SPELT(TEST, "test")
#define LOCAL_S SPELT(LOCAL, "local")

#define ALIAS(n, c) {n, sizeof(n) - 1, c}

/* The aliases grouped by their first letter: a lookup reads one group. */
static const struct alias aliases_p[] = {
    ALIAS("production", PRODUCTION_S), ALIAS("prod", PRODUCTION_S),
    ALIAS("prd", PRODUCTION_S),        ALIAS("preprod", STAGING_S),
    ALIAS("pre-prod", STAGING_S),      ALIAS("pre-production", STAGING_S),
};
static const struct alias aliases_s[] = {ALIAS("staging", STAGING_S),
                                         ALIAS("stage", STAGING_S),
                                         ALIAS("stg", STAGING_S)};
static const struct alias aliases_l[] = {ALIAS("live", PRODUCTION_S),
                                         ALIAS("local", LOCAL_S),
                                         ALIAS("localhost", LOCAL_S)};
static const struct alias aliases_d[] = {
    ALIAS("development", DEVELOPMENT_S), ALIAS("dev", DEVELOPMENT_S),
    ALIAS("develop", DEVELOPMENT_S), ALIAS("devel", DEVELOPMENT_S)};
static const struct alias aliases_t[] = {ALIAS("test", TEST_S),
                                         ALIAS("testing", TEST_S)};
static const struct alias aliases_u[] = {ALIAS("uat", STAGING_S)};
static const struct alias aliases_q[] = {ALIAS("qa", TEST_S)};

#define ALIAS_MAX (sizeof("pre-production") - 1)

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Only the spellings themselves point into CANONICAL. */
static bool canonical_spelling(const char *p) {
  return (uintptr_t)p - (uintptr_t)CANONICAL < sizeof(CANONICAL);
}

/* The alias spelt `env` (trimmed, 1..ALIAS_MAX bytes) in any case, or NULL. */
static const struct alias *find_alias(sr_str env) {
  const struct alias *group;
  size_t n;
#define GROUP(g) (group = (g), n = SR_ARRAY_LEN(g))
  switch (lower(env.p[0])) {
    case 'p': GROUP(aliases_p); break;
    case 's': GROUP(aliases_s); break;
    case 'l': GROUP(aliases_l); break;
    case 'd': GROUP(aliases_d); break;
    case 't': GROUP(aliases_t); break;
    case 'u': GROUP(aliases_u); break;
    case 'q': GROUP(aliases_q); break;
    default: return NULL;
  }
#undef GROUP
  for (size_t i = 0; i < n; i++) {
    if (group[i].len != env.n) continue;
    /* Spelt in lower case, as inventories and harnesses mostly write it. */
    if (memcmp(env.p + 1, group[i].name + 1, env.n - 1) == 0)
      return &group[i];
    size_t k = 1; /* the first letter chose the group */
    while (k < env.n && lower(env.p[k]) == group[i].name[k]) k++;
    if (k == env.n) return &group[i];
  }
  return NULL;
}

/* The canonical spelling that `env` is written as, byte for byte (the
 * usual spelling of events and inventories), or NULL. */
static const struct alias *spelt_canonically(sr_str env) {
  const struct alias *a;
  switch (env.n) {
    case 10: a = &aliases_p[0]; break; /* production */
    case 7: a = &aliases_s[0]; break;  /* staging */
    case 11: a = &aliases_d[0]; break; /* development */
    case 4: a = &aliases_t[0]; break;  /* test */
    case 5: a = &aliases_l[1]; break;  /* local */
    default: return NULL;
  }
  assert(a->len == env.n && a->canonical.n == env.n);
  return sr_mem_eq(env.p, a->name, env.n) ? a : NULL;
}

/* sr_env_canonical of a name neither canonical nor spelt as a canonical
 * name: trimmed, then looked up. Out of line, so that the two quick
 * answers before it need no registers saved. */
static __attribute__((noinline)) sr_str canonical_slow(sr_str env) {
  while (env.n > 0 && blank(env.p[0])) {
    env.p++;
    env.n--;
  }
  while (env.n > 0 && blank(env.p[env.n - 1])) env.n--;
  if (env.n == 0) return SR_STR_NULL;
  if (canonical_spelling(env.p) || env.n > ALIAS_MAX) return env;
  const struct alias *a = find_alias(env);
  return a ? a->canonical : env;
}

sr_str sr_env_canonical(sr_str env) {
  /* Already one of the spellings (no blanks in them): most callers. */
  if (env.n && canonical_spelling(env.p)) return env;
  const struct alias *c = spelt_canonically(env);
  if (c) return c->canonical;
  return canonical_slow(env);
}

bool sr_env_eq(sr_str a, sr_str b) {
  if (canonical_spelling(a.p) && canonical_spelling(b.p)) return a.p == b.p;
  a = sr_env_canonical(a);
  b = sr_env_canonical(b);
  if (a.n != b.n) return false;
  if (a.p == b.p) return true; /* the same alias, or the same bytes */
  for (size_t i = 0; i < a.n; i++) {
    if (lower(a.p[i]) != lower(b.p[i])) return false;
  }
  return true;
}

bool sr_env_is_production(sr_str env) {
  return sr_env_canonical(env).p == PRODUCTION;
}
