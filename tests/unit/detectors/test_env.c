/*
 * Canonical environment names: the aliases detectors rely on to compare a
 * call's environment with a declaration or a credential.
 */
#include <check.h>
#include <string.h>

#include "detectors/env.h"

static bool canon_is(const char *in, const char *want) {
  return sr_str_eq_cstr(sr_env_canonical(sr_str_from(in)), want);
}

START_TEST(aliases_map_to_one_spelling) {
  ck_assert(canon_is("prod", "production"));
  ck_assert(canon_is("PRD", "production"));
  ck_assert(canon_is(" Production ", "production"));
  ck_assert(canon_is("live", "production"));
  ck_assert(canon_is("stg", "staging"));
  ck_assert(canon_is("pre-prod", "staging"));
  ck_assert(canon_is("dev", "development"));
  ck_assert(canon_is("QA", "test"));
  ck_assert(canon_is("localhost", "local"));
}
END_TEST

START_TEST(other_names_kept_and_compared_without_case) {
  ck_assert(canon_is("eu-canary", "eu-canary"));
  ck_assert(canon_is("  eu-canary\t", "eu-canary"));
  ck_assert(sr_str_empty(sr_env_canonical(SR_STR_LIT("   "))));
  ck_assert(sr_str_empty(sr_env_canonical(SR_STR_NULL)));
  ck_assert(sr_env_eq(SR_STR_LIT("EU-Canary"), SR_STR_LIT("eu-canary")));
  ck_assert(sr_env_eq(SR_STR_LIT("prod"), SR_STR_LIT("Production")));
  ck_assert(!sr_env_eq(SR_STR_LIT("prod"), SR_STR_LIT("staging")));
  ck_assert(!sr_env_eq(SR_STR_LIT("production-eu"), SR_STR_LIT("prod")));
  ck_assert(sr_env_is_production(SR_STR_LIT("prd")));
  ck_assert(!sr_env_is_production(SR_STR_LIT("preprod")));
  ck_assert(!sr_env_is_production(SR_STR_NULL));
}
END_TEST

/* A canonical spelling in the caller's bytes (as events carry it) becomes
 * the one canonical object, which is what comparisons by pointer rely on;
 * near misses of the same length stay as they are. */
START_TEST(canonical_spellings_in_any_buffer) {
  static const char *const names[] = {"production", "staging", "development",
                                      "test", "local"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char buf[16];
    strcpy(buf, names[i]);
    sr_str c = sr_env_canonical(sr_str_from(buf));
    ck_assert_msg(c.p != buf && sr_str_eq_cstr(c, names[i]), "%s", names[i]);
    ck_assert(sr_env_canonical(c).p == c.p);
    /* One byte off anywhere: kept as written. */
    for (size_t j = 0; j < strlen(names[i]); j++) {
      strcpy(buf, names[i]);
      buf[j] = '#';
      ck_assert_msg(sr_env_canonical(sr_str_from(buf)).p == buf, "%s", buf);
    }
  }
  char prod[] = "production";
  ck_assert(sr_env_is_production(sr_str_from(prod)));
  ck_assert(sr_env_eq(sr_str_from(prod), SR_STR_LIT("PRD")));
}
END_TEST

/* Every alias in any case, and near misses that share a first letter and a
 * length with one: the lookup reads one group per first letter. */
START_TEST(every_alias_and_near_misses) {
  static const char *const table[][2] = {
      {"PRODUCTION", "production"}, {"Prod", "production"},
      {"prd", "production"},        {"Live", "production"},
      {"STAGING", "staging"},       {"Stage", "staging"},
      {"sTg", "staging"},           {"PreProd", "staging"},
      {"Pre-Prod", "staging"},      {"pre-PRODUCTION", "staging"},
      {"UAT", "staging"},           {"Development", "development"},
      {"DEV", "development"},       {"Develop", "development"},
      {"devel", "development"},     {"TEST", "test"},
      {"Testing", "test"},          {"qa", "test"},
      {"LOCAL", "local"},           {"LocalHost", "local"},
      {"prox", "prox"},             {"stagx", "stagx"},
      {"lives", "lives"},           {"dew", "dew"},
      {"tesT1", "tesT1"},           {"uas", "uas"},
      {"q", "q"},                   {"xprod", "xprod"},
      {"pre-productio", "pre-productio"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    ck_assert_msg(canon_is(table[i][0], table[i][1]), "%s", table[i][0]);
}
END_TEST

int main(void) {
  Suite *s = suite_create("env");
  TCase *tc = tcase_create("canonical");
  tcase_add_test(tc, aliases_map_to_one_spelling);
  tcase_add_test(tc, other_names_kept_and_compared_without_case);
  tcase_add_test(tc, canonical_spellings_in_any_buffer);
  tcase_add_test(tc, every_alias_and_near_misses);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
