/*
 * Tests of core/arena.c: what a decoder relies on when it places objects in
 * the per-batch arena (alignment, a hard capacity, reuse after reset).
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"

START_TEST(test_alignment) {
  struct sr_arena *a = sr_arena_create(1024);
  ck_assert_ptr_nonnull(a);
  /* Odd sizes in a row: every block still starts on 16 bytes. */
  size_t sizes[] = {1, 3, 17, 8, 31, 16, 5};
  unsigned char *prev = NULL;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = sr_arena_alloc(a, sizes[i]);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 16, 0);
    if (prev) ck_assert(p >= prev + sizes[i - 1]); /* no overlap */
    memset(p, 0xab, sizes[i]);
    prev = p;
  }
  sr_arena_destroy(a);
}
END_TEST

START_TEST(test_exhaustion_returns_null) {
  struct sr_arena *a = sr_arena_create(64);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(sr_arena_alloc(a, 48));
  /* 48 rounds up to 48; 16 more fit exactly, then nothing does. */
  ck_assert_ptr_nonnull(sr_arena_alloc(a, 16));
  ck_assert_uint_eq(sr_arena_used(a), 64);
  ck_assert_ptr_null(sr_arena_alloc(a, 1));
  sr_arena_destroy(a);

  a = sr_arena_create(64);
  ck_assert_ptr_nonnull(sr_arena_alloc(a, 1));
  /* The padding counts: 16 + 49 > 64. */
  ck_assert_ptr_null(sr_arena_alloc(a, 49));
  ck_assert_ptr_nonnull(sr_arena_alloc(a, 48));
  /* A hostile size does not wrap around. */
  ck_assert_ptr_null(sr_arena_alloc(a, SIZE_MAX));
  ck_assert_ptr_null(sr_arena_alloc(a, SIZE_MAX - 8));
  sr_arena_destroy(a);
}
END_TEST

START_TEST(test_reset_reuses_memory) {
  struct sr_arena *a = sr_arena_create(128);
  unsigned char *first = sr_arena_alloc(a, 100);
  ck_assert_ptr_nonnull(first);
  ck_assert_ptr_null(sr_arena_alloc(a, 100));
  ck_assert_uint_ge(sr_arena_used(a), 100);
  sr_arena_reset(a);
  ck_assert_uint_eq(sr_arena_used(a), 0);
  /* The same memory comes back, and the full capacity is usable again. */
  ck_assert_ptr_eq(sr_arena_alloc(a, 128), first);
  sr_arena_destroy(a);
}
END_TEST

START_TEST(test_destroy_accepts_null) {
  sr_arena_destroy(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arena");
  TCase *t = tcase_create("arena");
  tcase_add_test(t, test_alignment);
  tcase_add_test(t, test_exhaustion_returns_null);
  tcase_add_test(t, test_reset_reuses_memory);
  tcase_add_test(t, test_destroy_accepts_null);
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
