/*
 * Canonical environment names (see env.h). The alias table is short on
 * purpose: it holds the spellings seen in real harnesses and inventories, and
 * everything else is compared as written, case-insensitively.
 *
 * Every detector canonicalises every call's environment, so the lookup is
 * shaped for the hot path: a name longer than the longest alias is returned
 * at once; otherwise it is lower-cased once into a small buffer and compared
 * only with the aliases of its length.
 */
#include "detectors/env.h"

#include <string.h>

struct alias {
  const char *name; /* lower case */
  uint8_t len;
  sr_str canonical;
};

/* The canonical spellings, each one object: a name that already points at
 * one of them is canonical (most callers pass a name canonicalised before,
 * such as sr_op's environment). */
static const char PRODUCTION[] = "production", STAGING[] = "staging",
                  DEVELOPMENT[] = "development", TEST[] = "test",
                  LOCAL[] = "local";

#define ALIAS(n, c) {n, sizeof(n) - 1, {c, sizeof(c) - 1}}

static const struct alias aliases[] = {
    ALIAS("production", PRODUCTION), ALIAS("prod", PRODUCTION),
    ALIAS("prd", PRODUCTION),        ALIAS("live", PRODUCTION),
    ALIAS("staging", STAGING),       ALIAS("stage", STAGING),
    ALIAS("stg", STAGING),           ALIAS("preprod", STAGING),
    ALIAS("pre-prod", STAGING),      ALIAS("pre-production", STAGING),
    ALIAS("uat", STAGING),           ALIAS("development", DEVELOPMENT),
    ALIAS("dev", DEVELOPMENT),       ALIAS("develop", DEVELOPMENT),
    ALIAS("devel", DEVELOPMENT),     ALIAS("test", TEST),
    ALIAS("testing", TEST),          ALIAS("qa", TEST),
    ALIAS("local", LOCAL),           ALIAS("localhost", LOCAL),
};

#define ALIAS_MAX (sizeof("pre-production") - 1)

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool canonical_spelling(const char *p) {
  return p == PRODUCTION || p == STAGING || p == DEVELOPMENT || p == TEST ||
         p == LOCAL;
}

sr_str sr_env_canonical(sr_str env) {
  while (env.n > 0 && blank(env.p[0])) {
    env.p++;
    env.n--;
  }
  while (env.n > 0 && blank(env.p[env.n - 1])) env.n--;
  if (env.n == 0) return SR_STR_NULL;
  if (canonical_spelling(env.p)) return env;
  if (env.n > ALIAS_MAX) return env;
  /* Every alias starts with one of these letters. */
  char first = env.p[0] >= 'A' && env.p[0] <= 'Z' ? (char)(env.p[0] + 32)
                                                   : env.p[0];
  if (!memchr("pdlstuq", first, 7)) return env;
  char lower[ALIAS_MAX];
  for (size_t i = 0; i < env.n; i++) {
    char c = env.p[i];
    lower[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
  }
  for (size_t i = 0; i < SR_ARRAY_LEN(aliases); i++) {
    if (aliases[i].len == env.n && aliases[i].name[0] == first &&
        memcmp(aliases[i].name, lower, env.n) == 0)
      return aliases[i].canonical;
  }
  return env;
}

bool sr_env_eq(sr_str a, sr_str b) {
  if (canonical_spelling(a.p) && canonical_spelling(b.p)) return a.p == b.p;
  a = sr_env_canonical(a);
  b = sr_env_canonical(b);
  if (a.n != b.n) return false;
  if (a.p == b.p) return true; /* the same alias, or the same bytes */
  for (size_t i = 0; i < a.n; i++) {
    unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool sr_env_is_production(sr_str env) {
  return sr_env_canonical(env).p == PRODUCTION;
}
