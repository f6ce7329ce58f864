/*
 * Canonical environment names (see env.h). The alias table is short on
 * purpose: it holds the spellings seen in real harnesses and inventories, and
 * everything else is compared as written, case-insensitively. A table scan of
 * a dozen short strings costs less than hashing and is called a few times per
 * event at most.
 */
#include "detectors/env.h"

struct alias {
  const char *name;
  sr_str canonical;
};

static const struct alias aliases[] = {
    {"production", SR_STR_LIT("production")},
    {"prod", SR_STR_LIT("production")},
    {"prd", SR_STR_LIT("production")},
    {"live", SR_STR_LIT("production")},
    {"staging", SR_STR_LIT("staging")},
    {"stage", SR_STR_LIT("staging")},
    {"stg", SR_STR_LIT("staging")},
    {"preprod", SR_STR_LIT("staging")},
    {"pre-prod", SR_STR_LIT("staging")},
    {"pre-production", SR_STR_LIT("staging")},
    {"uat", SR_STR_LIT("staging")},
    {"development", SR_STR_LIT("development")},
    {"dev", SR_STR_LIT("development")},
    {"develop", SR_STR_LIT("development")},
    {"devel", SR_STR_LIT("development")},
    {"test", SR_STR_LIT("test")},
    {"testing", SR_STR_LIT("test")},
    {"qa", SR_STR_LIT("test")},
    {"local", SR_STR_LIT("local")},
    {"localhost", SR_STR_LIT("local")},
};

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

sr_str sr_env_canonical(sr_str env) {
  if (env.n == 0) return SR_STR_NULL;
  while (env.n > 0 && blank(env.p[0])) {
    env.p++;
    env.n--;
  }
  while (env.n > 0 && blank(env.p[env.n - 1])) env.n--;
  if (env.n == 0) return SR_STR_NULL;
  /* Every detector canonicalises every call's environment: filter on the
   * length and first letter before comparing whole names. */
  if (env.n > sizeof("pre-production") - 1) return env;
  char first = env.p[0] >= 'A' && env.p[0] <= 'Z' ? (char)(env.p[0] + 32)
                                                   : env.p[0];
  for (size_t i = 0; i < SR_ARRAY_LEN(aliases); i++) {
    if (aliases[i].name[0] == first && sr_str_eq_nocase(env, aliases[i].name))
      return aliases[i].canonical;
  }
  return env;
}

bool sr_env_eq(sr_str a, sr_str b) {
  a = sr_env_canonical(a);
  b = sr_env_canonical(b);
  if (a.n != b.n) return false;
  for (size_t i = 0; i < a.n; i++) {
    unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool sr_env_is_production(sr_str env) {
  return sr_str_eq_cstr(sr_env_canonical(env), "production");
}
