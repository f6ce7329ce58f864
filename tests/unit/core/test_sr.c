/*
 * Tests of core/sr.h's inline helpers that the per-event paths lean on.
 * sr_mem_eq stands in for memcmp(a, b, n) == 0 in the session table, the
 * JSON decoder's key lookup, the session peek and environment names: it
 * must agree with memcmp at every length and wherever the bytes differ,
 * and read nothing past n (the buffers below end exactly at n, so ASan
 * catches a read beyond).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/sr.h"

#define LEN_MAX 80

START_TEST(mem_eq_agrees_with_memcmp_at_every_length_and_position) {
  for (size_t n = 0; n <= LEN_MAX; n++) {
    char *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
    ck_assert(a && b);
    for (size_t i = 0; i < n; i++) a[i] = b[i] = (char)('a' + i % 26);
    ck_assert_msg(sr_mem_eq(a, b, n), "equal, length %zu", n);
    for (size_t at = 0; at < n; at++) {
      for (unsigned flip = 1; flip < 256; flip <<= 1) {
        b[at] = (char)(a[at] ^ flip);
        ck_assert_msg(!sr_mem_eq(a, b, n), "bit %u at %zu of %zu", flip, at, n);
        ck_assert(!sr_mem_eq(b, a, n));
      }
      b[at] = a[at];
    }
    free(a);
    free(b);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("sr");
  TCase *tc = tcase_create("mem_eq");
  tcase_add_test(tc, mem_eq_agrees_with_memcmp_at_every_length_and_position);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
