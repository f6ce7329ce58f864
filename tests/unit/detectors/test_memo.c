/*
 * The detectors' per-thread memo: an answer comes back only for a key equal
 * in every byte, fields are told apart by length (NULL from empty), a key
 * too long is never remembered, and keys whose first slot collides do not
 * evict each other.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/memo.h"

static void key_of(struct sr_memo_key *k, const char *a, const char *b) {
  sr_memo_key_start(k);
  sr_memo_key_cstr(k, a);
  sr_memo_key_cstr(k, b);
}

static bool lookup(struct sr_memo *m, const char *a, const char *b, int *v) {
  struct sr_memo_key k;
  key_of(&k, a, b);
  bool hit;
  sr_memo_find(m, &k, v, sizeof *v, &hit);
  return hit;
}

static void remember(struct sr_memo *m, const char *a, const char *b, int v) {
  struct sr_memo_key k;
  key_of(&k, a, b);
  bool hit;
  int old = 0;
  struct sr_memo_slot *s = sr_memo_find(m, &k, &old, sizeof old, &hit);
  ck_assert_ptr_nonnull(s);
  sr_memo_store(m, s, &k, &v, sizeof v);
}

START_TEST(only_an_equal_key_answers) {
  struct sr_memo *m = calloc(1, sizeof *m);
  int v = 0;
  ck_assert(!lookup(m, "custom-domain management", "volume", &v));
  remember(m, "custom-domain management", "volume", 7);
  ck_assert(lookup(m, "custom-domain management", "volume", &v));
  ck_assert_int_eq(v, 7);
  ck_assert(!lookup(m, "custom-domain management", "volumes", &v));
  ck_assert(!lookup(m, "custom-domain managemenT", "volume", &v));
  /* Field boundaries and NULL are part of the key. */
  ck_assert(!lookup(m, "custom-domain managementv", "olume", &v));
  remember(m, "", "x", 1);
  ck_assert(!lookup(m, NULL, "x", &v));
  ck_assert(lookup(m, "", "x", &v));
  ck_assert_int_eq(v, 1);
  free(m);
}
END_TEST

START_TEST(a_key_too_long_is_not_remembered) {
  struct sr_memo *m = calloc(1, sizeof *m);
  char big[SR_MEMO_KEY_MAX];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  struct sr_memo_key k;
  key_of(&k, big, "x");
  bool hit;
  int v = 0;
  ck_assert_ptr_null(sr_memo_find(m, &k, &v, sizeof v, &hit));
  ck_assert(!hit);
  ck_assert_ptr_null(sr_memo_find(NULL, &k, &v, sizeof v, &hit));
  free(m);
}
END_TEST

/* Two keys whose first choice is the same slot, used in turn: both stay. */
START_TEST(colliding_keys_do_not_evict_each_other) {
  struct sr_memo *m = calloc(1, sizeof *m);
  char a[16], b[16];
  uint64_t ha = 0;
  int found = 0;
  snprintf(a, sizeof a, "key0");
  {
    struct sr_memo_key k;
    key_of(&k, a, "s");
    ha = XXH3_64bits(k.b, k.n);
  }
  for (int i = 1; i < 10000 && !found; i++) {
    snprintf(b, sizeof b, "key%d", i);
    struct sr_memo_key k;
    key_of(&k, b, "s");
    uint64_t hb = XXH3_64bits(k.b, k.n);
    found = (ha & (SR_MEMO_SLOTS - 1)) == (hb & (SR_MEMO_SLOTS - 1)) &&
            ((ha >> 32) & (SR_MEMO_SLOTS - 1)) !=
                ((hb >> 32) & (SR_MEMO_SLOTS - 1));
  }
  ck_assert(found);
  remember(m, a, "s", 1);
  remember(m, b, "s", 2);
  int v = 0;
  for (int round = 0; round < 3; round++) {
    ck_assert(lookup(m, a, "s", &v));
    ck_assert_int_eq(v, 1);
    ck_assert(lookup(m, b, "s", &v));
    ck_assert_int_eq(v, 2);
  }
  free(m);
}
END_TEST

/* Every byte of a field is in its key, whatever its length (fields are
 * copied in overlapping pieces of 16, 8, 4 or single bytes): a key that
 * differs in one byte, at any position of a field of 1 to 40 bytes, is
 * not answered by the other's entry. */
START_TEST(every_byte_of_every_length_is_in_the_key) {
  struct sr_memo *m = calloc(1, sizeof *m);
  char a[48], b[48];
  for (size_t len = 1; len <= 40; len++) {
    for (size_t pos = 0; pos < len; pos++) {
      memset(a, 'a', len);
      a[len] = '\0';
      memcpy(b, a, len + 1);
      b[pos] = 'b';
      memset(m, 0, sizeof *m);
      remember(m, a, "s", 1);
      int v = 0;
      ck_assert_msg(!lookup(m, b, "s", &v), "len %zu pos %zu", len, pos);
      ck_assert(lookup(m, a, "s", &v));
      ck_assert_int_eq(v, 1);
    }
  }
  free(m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("memo");
  TCase *tc = tcase_create("memo");
  tcase_add_test(tc, only_an_equal_key_answers);
  tcase_add_test(tc, a_key_too_long_is_not_remembered);
  tcase_add_test(tc, colliding_keys_do_not_evict_each_other);
  tcase_add_test(tc, every_byte_of_every_length_is_in_the_key);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
