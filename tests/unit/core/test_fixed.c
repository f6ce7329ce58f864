/*
 * Tests of core/fixed.h: sr_fixed_format must print exactly what printf's
 * "%.Nf" prints, because its output is signed (the canonical form of a
 * command, which enforcers rebuild from the JSON form printf wrote) and
 * stored (audit rows). Ties, values just beside a tie, the edges of the
 * fast path, what it hands to printf, and truncation are all compared with
 * snprintf itself.
 */
#include <check.h>
/* Truncating output into small buffers is what these tests compare; at -O3
 * GCC proves it happens and would refuse the file. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/fixed.h"

static void same_as_printf(double v, unsigned decimals, size_t cap) {
  char got[64], want[64];
  memset(got, 'x', sizeof got);
  size_t n = sr_fixed_format(got, cap, v, decimals);
  snprintf(want, cap, "%.*f", (int)decimals, v);
  ck_assert_msg(n == strlen(want) && strcmp(got, want) == 0,
                "%.17g with %u decimals (cap %zu): got \"%s\" (%zu), printf "
                "\"%s\"",
                v, decimals, cap, got, n, want);
}

START_TEST(listed_values_print_as_printf_does) {
  static const double values[] = {
      0.0,     0.5,       1.5,       2.5,        0.05,      0.0005,
      0.00005, 0.0015,    0.0025,    0.1235,     1.0005,    2.4,
      5.8305,  5.831,     0.12345,   0.9995,     0.99995,   9.9995,
      99.9995, 1e-9,      0.000499999, 123456.7894999,      999999.9995,
      999999.9999996,     999999.999, 1e6,       1e7,       4.5e15,
      -0.0,    -1.5,      -0.0004,   1.0 / 3.0,  2.0 / 3.0, 255.2555,
      0.7,     DBL_MIN,   DBL_TRUE_MIN, 1e300,   INFINITY,  -INFINITY,
      NAN};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
    for (unsigned d = 0; d <= SR_FIXED_DECIMALS_MAX; d++)
      same_as_printf(values[i], d, 64);
}
END_TEST

START_TEST(every_exact_half_step_prints_as_printf_does) {
  /* k / (2 * 10^d): exact ties in decimal, never exact in binary except
   * where k / 2^j is, so each lands just beside a tie or on one. */
  static const double den[] = {2.0, 20.0, 200.0, 2000.0, 20000.0};
  for (unsigned d = 0; d < 5; d++)
    for (uint32_t k = 0; k < 200000; k++)
      same_as_printf((double)k / den[d], d, 64);
}
END_TEST

START_TEST(random_values_print_as_printf_does) {
  uint64_t x = 42;
  for (int i = 0; i < 300000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
    double v = i % 4 == 0   ? u
               : i % 4 == 1 ? u * 10.0
               : i % 4 == 2 ? u * 1e6
                            : (float)u; /* scores are floats */
    same_as_printf(v, (unsigned)(i % (SR_FIXED_DECIMALS_MAX + 1)), 64);
  }
}
END_TEST

START_TEST(a_small_buffer_truncates_as_printf_does) {
  for (size_t cap = 1; cap < 20; cap++) {
    same_as_printf(123456.789, 3, cap);
    same_as_printf(0.25, 4, cap);
    same_as_printf(1e300, 3, cap);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("fixed");
  TCase *tc = tcase_create("printf");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, listed_values_print_as_printf_does);
  tcase_add_test(tc, every_exact_half_step_prints_as_printf_does);
  tcase_add_test(tc, random_values_print_as_printf_does);
  tcase_add_test(tc, a_small_buffer_truncates_as_printf_does);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
