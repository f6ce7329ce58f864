/*
 * Reason builder: the text and the cut are snprintf's, byte for byte, so a
 * detector that moved off snprintf writes the very same reasons.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "detectors/reason.h"

START_TEST(same_text_as_snprintf_at_every_cut) {
  static const char embedded[] = "ab\0cd";
  sr_str id = SR_STR_LIT("railway-token-with-a-rather-long-name");
  sr_str nul = {embedded, 5};
  for (size_t cap = 1; cap <= 80; cap++) {
    char want[80], got[80];
    memset(want, 'x', sizeof want);
    memset(got, 'x', sizeof got);
    snprintf(want, cap, "credential %.*s used for %.8s%s (%.*s)", 12, id.p,
             "volume:delete", " (destructive)", 5, nul.p);
    struct sr_reason r = sr_reason_start(got, cap);
    sr_reason_str(&r, "credential ");
    sr_reason_view(&r, id, 12);
    sr_reason_str(&r, " used for ");
    sr_reason_strn(&r, "volume:delete", 8);
    sr_reason_str(&r, " (destructive)");
    sr_reason_str(&r, " (");
    sr_reason_view(&r, nul, 5);
    sr_reason_view(&r, SR_STR_NULL, 5);
    sr_reason_str(&r, ")");
    ck_assert_msg(memcmp(want, got, sizeof want) == 0, "cap %zu: '%s' vs '%s'",
                  cap, want, got);
  }
}
END_TEST

/* Every cut of a reason holding "%llu" and "%.0f" values, compared with
 * snprintf: ties (x.5 of both parities), values around powers of ten,
 * negative zero, event-time seconds (ms / 1000.0), and past the fast
 * path's range (1e15, infinities, NaN). */
static void check_numbers(uint64_t u, double x) {
  for (size_t cap = 1; cap <= 48; cap++) {
    char want[48], got[48];
    memset(want, 'x', sizeof want);
    memset(got, 'x', sizeof got);
    snprintf(want, cap, "%llu items in %.0f s", (unsigned long long)u, x);
    struct sr_reason r = sr_reason_start(got, cap);
    sr_reason_uint(&r, u);
    sr_reason_str(&r, " items in ");
    sr_reason_f0(&r, x);
    sr_reason_str(&r, " s");
    ck_assert_msg(memcmp(want, got, sizeof want) == 0,
                  "cap %zu, %llu, %.17g: '%s' vs '%s'", cap,
                  (unsigned long long)u, x, want, got);
  }
}

START_TEST(numbers_as_snprintf_writes_them) {
  static const double special[] = {0.0,   -0.0,  0.5,    1.5,    2.5,
                                   -0.4,  -0.5,  -1.5,   -2.6,   0.49999999999999994,
                                   9.5,   99.5,  999.5,  1e15 - 0.5, 1e15,
                                   -1e15, 1e300, -1e300, INFINITY, -INFINITY,
                                   NAN,   4503599627370495.5, 1e14 + 0.5};
  for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
    check_numbers(i, special[i]);
  uint64_t u = 1;
  for (int i = 0; i < 64; i++, u = u * 3 + 1) check_numbers(u, (double)u);
  check_numbers(UINT64_MAX, 0);
  /* Seconds of event time as velocity computes them, and fractions. */
  for (int64_t ms = 0; ms < 200000; ms += 37) {
    check_numbers((uint64_t)ms, (double)ms / 1000.0);
    check_numbers((uint64_t)ms, (double)ms / 8.0 - 12000.0);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("reason");
  TCase *tc = tcase_create("build");
  tcase_add_test(tc, same_text_as_snprintf_at_every_cut);
  tcase_add_test(tc, numbers_as_snprintf_writes_them);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
