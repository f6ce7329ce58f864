/*
 * Tests of aggregator/session.c, the per-worker session table. What the
 * aggregator relies on: a session id always finds the same session (and
 * only that one), a pointer handed out stays valid while the table grows,
 * a new session starts zeroed with its dimension states and detector scratch
 * inside its own allocation, 16-byte aligned, and foreach visits every
 * session exactly once.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/session.h"

#define N_DIMS 6
#define SCRATCH 200

static bool all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

START_TEST(create_get_and_absent) {
  struct sr_session_table *t = sr_session_table_create(N_DIMS, SCRATCH);
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(sr_session_table_count(t), 0);
  ck_assert_ptr_null(sr_session_table_get(t, SR_STR_LIT("sess-1"), false));
  ck_assert_uint_eq(sr_session_table_count(t), 0); /* lookup creates nothing */

  struct sr_session *s = sr_session_table_get(t, SR_STR_LIT("sess-1"), true);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s->id, "sess-1");
  ck_assert_uint_eq(s->hash, sr_session_hash(SR_STR_LIT("sess-1")));
  ck_assert_uint_eq(sr_session_table_count(t), 1);
  ck_assert_ptr_eq(sr_session_table_get(t, SR_STR_LIT("sess-1"), false), s);
  ck_assert_ptr_eq(sr_session_table_get(t, SR_STR_LIT("sess-1"), true), s);
  ck_assert_uint_eq(sr_session_table_count(t), 1);

  /* Ids are views, not C strings: "sess-12345" cut to 6 bytes is "sess-1". */
  sr_str view = {"sess-12345", 6};
  ck_assert_ptr_eq(sr_session_table_get(t, view, false), s);
  /* A prefix or extension of an id is another session. */
  ck_assert_ptr_null(sr_session_table_get(t, SR_STR_LIT("sess-"), false));
  ck_assert_ptr_null(sr_session_table_get(t, SR_STR_LIT("sess-10"), false));
  struct sr_session *s2 = sr_session_table_get(t, SR_STR_LIT("sess-10"), true);
  ck_assert_ptr_nonnull(s2);
  ck_assert_ptr_ne(s2, s);
  ck_assert_str_eq(s2->id, "sess-10");
  ck_assert_uint_eq(sr_session_table_count(t), 2);
  ck_assert_ptr_eq(sr_session_table_get(t, SR_STR_LIT("sess-1"), false), s);

  /* Case matters: ids are opaque bytes. */
  ck_assert_ptr_null(sr_session_table_get(t, SR_STR_LIT("SESS-1"), false));

  /* The longest id a decoder lets through is kept whole. */
  char longid[SR_SESSION_ID_MAX];
  memset(longid, 'x', sizeof longid);
  sr_str lv = {longid, sizeof longid};
  struct sr_session *s3 = sr_session_table_get(t, lv, true);
  ck_assert_ptr_nonnull(s3);
  ck_assert_uint_eq(strlen(s3->id), SR_SESSION_ID_MAX);
  ck_assert_ptr_eq(sr_session_table_get(t, lv, false), s3);
  /* One byte longer is no session at all: not found, not created (queries
   * pass ids from outside; decoders already refuse such events). */
  char over[SR_SESSION_ID_MAX + 1];
  memset(over, 'x', sizeof over);
  sr_str ov = {over, sizeof over};
  size_t before = sr_session_table_count(t);
  ck_assert_ptr_null(sr_session_table_get(t, ov, false));
  ck_assert_ptr_null(sr_session_table_get(t, ov, true));
  ck_assert_uint_eq(sr_session_table_count(t), before);
  sr_session_table_destroy(t);
  sr_session_table_destroy(NULL);
}
END_TEST

START_TEST(new_session_is_zeroed_aligned_and_self_contained) {
  struct sr_session_table *t = sr_session_table_create(N_DIMS, SCRATCH);
  struct sr_session *a = sr_session_table_get(t, SR_STR_LIT("a"), true);
  struct sr_session *b = sr_session_table_get(t, SR_STR_LIT("b"), true);
  struct sr_session *ss[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    struct sr_session *s = ss[k];
    ck_assert_ptr_nonnull(s->dims);
    ck_assert_ptr_nonnull(s->scratch);
    /* On cache lines: the layout of struct sr_session says which fields
     * share one, and detectors' prefetched scratch lines count from it. */
    ck_assert_uint_eq((uintptr_t)s % 64, 0);
    ck_assert_uint_eq((uintptr_t)s->dims % 64, 0);
    ck_assert_uint_eq((uintptr_t)s->scratch % 64, 0);
    /* What is read before it is written is zero: a dimension's score,
     * time and reason (as a string), and the detectors' scratch. */
    for (size_t i = 0; i < N_DIMS; i++) {
      ck_assert(s->dims[i].score == 0.0f);
      ck_assert_int_eq(s->dims[i].ts_ms, 0);
      ck_assert_str_eq(s->dims[i].reason, "");
    }
    ck_assert_uint_eq(s->held, 0);
    ck_assert(all_zero(s->scratch, SCRATCH));
    ck_assert(!s->info.started);
    ck_assert_int_eq(s->info.mode, SR_MODE_UNSET);
    ck_assert_uint_eq(s->events, 0);
    ck_assert(s->risk == 0.0);
    ck_assert_uint_eq(s->depth, 0);
    ck_assert(!s->killed);
    ck_assert_int_eq(s->last_action, SR_ACTION_NONE);
    /* Layout: fixed part, then dims, then scratch, without overlap. */
    ck_assert((char *)s->dims >= (char *)(s + 1));
    ck_assert((char *)s->scratch >= (char *)(s->dims + N_DIMS));
  }
  /* Each session's dims and scratch are its own: fill all of a's and b's
   * stays zero (under ASan a write past the allocation also fails). */
  struct sr_dim_state b_dims[N_DIMS];
  memcpy(b_dims, b->dims, sizeof b_dims);
  memset(a->dims, 0xff, N_DIMS * sizeof *a->dims);
  memset(a->scratch, 0xff, SCRATCH);
  ck_assert(memcmp(b_dims, b->dims, sizeof b_dims) == 0);
  ck_assert(all_zero(b->scratch, SCRATCH));
  ck_assert_str_eq(a->id, "a");
  ck_assert_str_eq(b->id, "b");
  sr_session_table_destroy(t);
}
END_TEST

START_TEST(no_dims_no_scratch) {
  struct sr_session_table *t = sr_session_table_create(0, 0);
  struct sr_session *s = sr_session_table_get(t, SR_STR_LIT("s"), true);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s->id, "s");
  ck_assert_ptr_eq(sr_session_table_get(t, SR_STR_LIT("s"), false), s);
  sr_session_table_destroy(t);
}
END_TEST

/* ------------------------------------------------------------ many */

#define MANY 100000

static void id_at(size_t i, char *buf, size_t cap) {
  snprintf(buf, cap, "session-%zu", i);
}

struct visit {
  unsigned *seen;
  size_t bad;
};

static void count_visit(const struct sr_session *s, void *arg) {
  struct visit *v = arg;
  size_t idx;
  memcpy(&idx, s->scratch, sizeof idx);
  if (idx >= MANY) {
    v->bad++;
    return;
  }
  char want[32];
  id_at(idx, want, sizeof want);
  if (strcmp(want, s->id) != 0) v->bad++;
  v->seen[idx]++;
}

START_TEST(many_sessions_grow_with_stable_pointers) {
  struct sr_session_table *t = sr_session_table_create(N_DIMS, SCRATCH);
  struct sr_session **ptrs = calloc(MANY, sizeof *ptrs);
  char id[32];
  for (size_t i = 0; i < MANY; i++) {
    id_at(i, id, sizeof id);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(id), true);
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(all_zero(s->scratch, SCRATCH), "session %zu not zeroed", i);
    /* Remember who this is inside the session itself. */
    memcpy(s->scratch, &i, sizeof i);
    s->dims[N_DIMS - 1].score = (float)i;
    ptrs[i] = s;
    ck_assert_uint_eq(sr_session_table_count(t), i + 1);
  }
  /* After many doublings every id still finds the very same session. */
  for (size_t i = 0; i < MANY; i++) {
    id_at(i, id, sizeof id);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(id), false);
    ck_assert_msg(s == ptrs[i], "session %zu moved or was lost", i);
    ck_assert_str_eq(s->id, id);
    size_t idx;
    memcpy(&idx, s->scratch, sizeof idx);
    ck_assert_uint_eq(idx, i);
    ck_assert(s->dims[N_DIMS - 1].score == (float)i);
    /* Asking with create=true does not duplicate it. */
    ck_assert_ptr_eq(sr_session_table_get(t, sr_str_from(id), true), s);
    /* The prefetch hint points at this session's scratch, the lines the
     * detectors will read. */
    uint64_t h = sr_session_hash(sr_str_from(id));
    ck_assert_ptr_eq(sr_session_table_prefetch(t, h, strlen(id)), s->scratch);
    ck_assert_ptr_eq(sr_session_table_find(t, sr_str_from(id), h, false), s);
  }
  ck_assert_ptr_null(sr_session_table_prefetch(
      t, sr_session_hash(SR_STR_LIT("session-100000")), 14));
  ck_assert_uint_eq(sr_session_table_count(t), MANY);
  ck_assert_ptr_null(
      sr_session_table_get(t, SR_STR_LIT("session-100000"), false));

  struct visit v = {calloc(MANY, sizeof(unsigned)), 0};
  sr_session_table_foreach(t, count_visit, &v);
  ck_assert_uint_eq(v.bad, 0);
  for (size_t i = 0; i < MANY; i++)
    ck_assert_msg(v.seen[i] == 1, "session %zu visited %u times", i, v.seen[i]);
  free(v.seen);
  free(ptrs);
  sr_session_table_destroy(t);
}
END_TEST

static void count_all(const struct sr_session *s, void *arg) {
  (void)s;
  (*(size_t *)arg)++;
}

START_TEST(foreach_on_empty_and_small) {
  struct sr_session_table *t = sr_session_table_create(1, 0);
  size_t n = 0;
  sr_session_table_foreach(t, count_all, &n);
  ck_assert_uint_eq(n, 0);
  sr_session_table_get(t, SR_STR_LIT("x"), true);
  sr_session_table_get(t, SR_STR_LIT("y"), true);
  sr_session_table_get(t, SR_STR_LIT("x"), true);
  sr_session_table_foreach(t, count_all, &n);
  ck_assert_uint_eq(n, 2);
  sr_session_table_destroy(t);
}
END_TEST

/* Evicts the sessions whose index (kept in their scratch) is odd. */
static bool odd(const struct sr_session *s, void *arg) {
  size_t idx;
  memcpy(&idx, s->scratch, sizeof idx);
  (*(size_t *)arg)++;
  return idx % 2 == 1;
}

static bool odd_tag(const struct sr_session *s, void *arg) {
  (void)arg;
  return ((const unsigned char *)s->scratch)[0] & 1;
}

/* Big sessions in numbers: the table's larger chunks are mapped on their
 * own (2 MiB pages where the kernel gives them). Every session there is
 * as good as one from the heap: zeroed, line-aligned, its own memory to
 * the last byte, and reusable after eviction. */
START_TEST(big_sessions_from_mapped_chunks) {
  enum { BIG = 4096, N = 1500 };
  struct sr_session_table *t = sr_session_table_create(N_DIMS, BIG);
  ck_assert_uint_ge(sr_session_table_session_bytes(t) * 256, 1u << 20);
  struct sr_session **ptrs = calloc(N, sizeof *ptrs);
  char id[32];
  for (size_t i = 0; i < N; i++) {
    snprintf(id, sizeof id, "big-%zu", i);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(id), true);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq((uintptr_t)s % 64, 0);
    ck_assert_msg(all_zero(s->scratch, BIG), "session %zu not zeroed", i);
    memset(s->scratch, (int)(i & 0xff), BIG);
    memset(s->dims, (int)(i & 0xff), N_DIMS * sizeof *s->dims);
    ptrs[i] = s;
  }
  for (size_t i = 0; i < N; i++) {
    const unsigned char *b = ptrs[i]->scratch;
    ck_assert_msg(b[0] == (i & 0xff) && b[BIG - 1] == (i & 0xff),
                  "session %zu overwritten", i);
    snprintf(id, sizeof id, "big-%zu", i);
    ck_assert_str_eq(ptrs[i]->id, id);
  }
  size_t evicted = sr_session_table_evict(t, odd_tag, NULL);
  ck_assert_uint_eq(evicted, N / 2);
  for (size_t i = 0; i < N / 2; i++) {
    snprintf(id, sizeof id, "again-%zu", i);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(id), true);
    ck_assert_ptr_nonnull(s);
    ck_assert(all_zero(s->scratch, BIG));
  }
  ck_assert_uint_eq(sr_session_table_count(t), N);
  free(ptrs);
  sr_session_table_destroy(t);
}
END_TEST

static bool all(const struct sr_session *s, void *arg) {
  (void)s;
  (void)arg;
  return true;
}

START_TEST(eviction_keeps_every_other_session_reachable) {
  struct sr_session_table *t = sr_session_table_create(N_DIMS, SCRATCH);
  char id[32];
  for (size_t i = 0; i < MANY; i++) {
    id_at(i, id, sizeof id);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(id), true);
    memcpy(s->scratch, &i, sizeof i);
  }
  size_t asked = 0;
  ck_assert_uint_eq(sr_session_table_evict(t, odd, &asked), MANY / 2);
  ck_assert_uint_ge(asked, MANY);
  ck_assert_uint_eq(sr_session_table_count(t), MANY - MANY / 2);
  /* Backward shifting kept every probe chain intact: each survivor is
   * found, each evicted one is gone and comes back fresh on demand. */
  for (size_t i = 0; i < MANY; i++) {
    id_at(i, id, sizeof id);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(id), false);
    if (i % 2) {
      ck_assert_msg(s == NULL, "session %zu survived its eviction", i);
      continue;
    }
    ck_assert_msg(s != NULL, "session %zu lost by the eviction", i);
    size_t idx;
    memcpy(&idx, s->scratch, sizeof idx);
    ck_assert_uint_eq(idx, i);
  }
  id_at(1, id, sizeof id);
  struct sr_session *back = sr_session_table_get(t, sr_str_from(id), true);
  ck_assert(all_zero(back->scratch, SCRATCH));
  ck_assert_uint_eq(sr_session_table_evict(t, all, NULL),
                    MANY - MANY / 2 + 1);
  ck_assert_uint_eq(sr_session_table_count(t), 0);
  sr_session_table_destroy(t);
}
END_TEST

/* Sessions come and go for as long as a worker runs: one created after
 * others were evicted starts as clean as the first (its id, zero state,
 * zero scratch, its own memory), however its memory was used before. */
START_TEST(new_after_eviction_is_clean_and_apart) {
  struct sr_session_table *t = sr_session_table_create(N_DIMS, SCRATCH);
  char id[32];
  for (int round = 0; round < 3; round++) {
    struct sr_session *live[40];
    for (size_t i = 0; i < 40; i++) {
      snprintf(id, sizeof id, "r%d-%zu", round, i);
      struct sr_session *s = sr_session_table_get(t, sr_str_from(id), true);
      ck_assert_ptr_nonnull(s);
      ck_assert_str_eq(s->id, id);
      ck_assert_uint_eq(s->events, 0);
      ck_assert_uint_eq(s->held, 0);
      ck_assert(!s->persist.dirty && !s->persist.stored);
      for (size_t d = 0; d < N_DIMS; d++) {
        ck_assert(s->dims[d].score == 0.0f);
        ck_assert_str_eq(s->dims[d].reason, "");
      }
      ck_assert(all_zero(s->scratch, SCRATCH));
      ck_assert_uint_eq((uintptr_t)s->dims % 64, 0);
      ck_assert_uint_eq((uintptr_t)s->scratch % 64, 0);
      /* Use all of it, as a long session would. */
      s->events = 99;
      s->held = 0x3f;
      s->persist.dirty = s->persist.stored = true;
      memset(s->dims, 0x41, N_DIMS * sizeof *s->dims);
      memset(s->scratch, 0xab, SCRATCH);
      live[i] = s;
    }
    /* Forty live sessions, each its own memory. */
    for (size_t i = 0; i < 40; i++)
      for (size_t j = i + 1; j < 40; j++)
        ck_assert((char *)live[i]->scratch + SCRATCH <= (char *)live[j] ||
                  (char *)live[j]->scratch + SCRATCH <= (char *)live[i]);
    /* Each holds what was written into it, not a neighbour's bytes. */
    for (size_t i = 0; i < 40; i++) {
      ck_assert_uint_eq(live[i]->events, 99);
      memset(live[i]->scratch, (int)i, SCRATCH);
    }
    for (size_t i = 0; i < 40; i++) {
      snprintf(id, sizeof id, "r%d-%zu", round, i);
      ck_assert_str_eq(live[i]->id, id);
      ck_assert_uint_eq(((unsigned char *)live[i]->scratch)[SCRATCH - 1], i);
    }
    ck_assert_uint_eq(sr_session_table_evict(t, all, NULL), 40);
  }
  sr_session_table_destroy(t);
}
END_TEST

START_TEST(clear_forgets_all_but_the_id) {
  struct sr_session_table *t = sr_session_table_create(N_DIMS, SCRATCH);
  struct sr_session *s = sr_session_table_get(t, SR_STR_LIT("keep"), true);
  s->events = 7;
  s->risk = 2.5;
  s->held = 1;
  /* Every byte of every dimension set, as after a long session. */
  memset(s->dims, 0x41, N_DIMS * sizeof *s->dims);
  memset(s->scratch, 0xab, SCRATCH);
  sr_session_clear(t, s);
  ck_assert_str_eq(s->id, "keep");
  ck_assert_uint_eq(s->events, 0);
  ck_assert(s->risk == 0.0);
  ck_assert_uint_eq(s->held, 0);
  for (size_t i = 0; i < N_DIMS; i++) {
    ck_assert(s->dims[i].score == 0.0f);
    ck_assert_int_eq(s->dims[i].ts_ms, 0);
    ck_assert_str_eq(s->dims[i].reason, "");
  }
  ck_assert(all_zero(s->scratch, SCRATCH));
  ck_assert_ptr_eq(sr_session_table_get(t, SR_STR_LIT("keep"), false), s);
  sr_session_table_destroy(t);
}
END_TEST

START_TEST(hash_is_stable_and_sensitive) {
  /* The hash routes sessions to workers too: it must be a pure function of
   * the id bytes. */
  ck_assert_uint_eq(sr_session_hash(SR_STR_LIT("abc")),
                    sr_session_hash((sr_str){"abcdef", 3}));
  ck_assert_uint_ne(sr_session_hash(SR_STR_LIT("abc")),
                    sr_session_hash(SR_STR_LIT("abd")));
  ck_assert_uint_ne(sr_session_hash(SR_STR_LIT("abc")),
                    sr_session_hash(SR_STR_LIT("abc ")));
}
END_TEST

int main(void) {
  Suite *s = suite_create("session");
  TCase *tc = tcase_create("table");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, create_get_and_absent);
  tcase_add_test(tc, new_session_is_zeroed_aligned_and_self_contained);
  tcase_add_test(tc, no_dims_no_scratch);
  tcase_add_test(tc, many_sessions_grow_with_stable_pointers);
  tcase_add_test(tc, foreach_on_empty_and_small);
  tcase_add_test(tc, hash_is_stable_and_sensitive);
  tcase_add_test(tc, eviction_keeps_every_other_session_reachable);
  tcase_add_test(tc, clear_forgets_all_but_the_id);
  tcase_add_test(tc, new_after_eviction_is_clean_and_apart);
  tcase_add_test(tc, big_sessions_from_mapped_chunks);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
