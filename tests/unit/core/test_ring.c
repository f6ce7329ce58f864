/*
 * Tests of core/ring.h, the single-producer single-consumer ring between the
 * Kafka consumer thread and a worker. What the pipeline relies on: every
 * pushed pair comes out exactly once, in push order, with both pointers
 * intact; a full ring refuses a push instead of overwriting; an empty ring
 * refuses a pop; and this holds with the two sides on two threads, through
 * many wrap-arounds and many full/empty transitions.
 */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ring.h"

static struct sr_ring_item item(uintptr_t a, uintptr_t b) {
  return (struct sr_ring_item){(void *)a, (void *)b};
}

/* Pushes until the ring refuses; returns how many went in. */
static size_t fill(struct sr_ring *r) {
  size_t n = 0;
  while (sr_ring_push(r, item(n + 1, n + 1000))) {
    n++;
    ck_assert_uint_lt(n, 1u << 20); /* a ring that never fills is a bug */
  }
  return n;
}

START_TEST(capacity_rounds_up_to_power_of_two) {
  static const size_t asked[] = {0, 1, 2, 3, 5, 8, 9, 1000};
  static const size_t holds[] = {2, 2, 2, 4, 8, 8, 16, 1024};
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    struct sr_ring *r = sr_ring_create(asked[i]);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(sr_ring_size(r), 0);
    ck_assert_msg(fill(r) == holds[i], "capacity %zu should hold %zu", asked[i],
                  holds[i]);
    ck_assert_uint_eq(sr_ring_size(r), holds[i]);
    sr_ring_destroy(r);
  }
  sr_ring_destroy(NULL);
}
END_TEST

START_TEST(fifo_order_and_both_pointers) {
  struct sr_ring *r = sr_ring_create(8);
  struct sr_ring_item out;
  ck_assert(!sr_ring_pop(r, &out));
  for (uintptr_t i = 1; i <= 5; i++) ck_assert(sr_ring_push(r, item(i, i * 7)));
  ck_assert_uint_eq(sr_ring_size(r), 5);
  for (uintptr_t i = 1; i <= 5; i++) {
    ck_assert(sr_ring_pop(r, &out));
    ck_assert_ptr_eq(out.a, (void *)i);
    ck_assert_ptr_eq(out.b, (void *)(i * 7));
  }
  ck_assert_uint_eq(sr_ring_size(r), 0);
  ck_assert(!sr_ring_pop(r, &out));
  sr_ring_destroy(r);
}
END_TEST

/* The worker prefetches from items ahead of the one it handles: a peek
 * shows them in order, across the wrap, and pops nothing. It reports only
 * what the popper has already seen pushed. */
START_TEST(peek_shows_items_ahead_without_popping) {
  struct sr_ring *r = sr_ring_create(4);
  struct sr_ring_item out;
  ck_assert(!sr_ring_peek(r, 0, &out));
  for (uintptr_t i = 1; i <= 3; i++) ck_assert(sr_ring_push(r, item(i, i)));
  ck_assert(!sr_ring_peek(r, 0, &out)); /* not seen by the popper yet */
  ck_assert(sr_ring_pop(r, &out));
  ck_assert_ptr_eq(out.a, (void *)1);
  ck_assert(sr_ring_push(r, item(4, 4)));
  ck_assert(sr_ring_push(r, item(5, 5))); /* wraps into slot 0 */
  /* The pop saw up to item 3: 2 and 3 are there to peek at, 4 not yet. */
  ck_assert(sr_ring_peek(r, 0, &out));
  ck_assert_ptr_eq(out.a, (void *)2);
  ck_assert(sr_ring_peek(r, 1, &out));
  ck_assert_ptr_eq(out.a, (void *)3);
  ck_assert(!sr_ring_peek(r, 2, &out));
  ck_assert_uint_eq(sr_ring_size(r), 4);
  for (uintptr_t want = 2; want <= 3; want++) {
    ck_assert(sr_ring_pop(r, &out));
    ck_assert_ptr_eq(out.a, (void *)want);
  }
  ck_assert(sr_ring_pop(r, &out)); /* looks again: sees 4 and 5 */
  ck_assert_ptr_eq(out.a, (void *)4);
  ck_assert(sr_ring_peek(r, 0, &out));
  ck_assert_ptr_eq(out.a, (void *)5);
  ck_assert_ptr_eq(out.b, (void *)5);
  ck_assert(!sr_ring_peek(r, 1, &out));
  ck_assert(sr_ring_pop(r, &out));
  ck_assert_ptr_eq(out.a, (void *)5);
  ck_assert(!sr_ring_peek(r, 0, &out));
  sr_ring_destroy(r);
}
END_TEST

START_TEST(full_ring_refuses_without_overwriting) {
  struct sr_ring *r = sr_ring_create(4);
  ck_assert_uint_eq(fill(r), 4);
  ck_assert(!sr_ring_push(r, item(99, 99)));
  ck_assert_uint_eq(sr_ring_size(r), 4);
  struct sr_ring_item out;
  /* The oldest item is still the first one, not the refused one. */
  ck_assert(sr_ring_pop(r, &out));
  ck_assert_ptr_eq(out.a, (void *)1);
  /* One slot free again: exactly one push fits. */
  ck_assert(sr_ring_push(r, item(5, 1004)));
  ck_assert(!sr_ring_push(r, item(6, 1005)));
  for (uintptr_t want = 2; want <= 5; want++) {
    ck_assert(sr_ring_pop(r, &out));
    ck_assert_ptr_eq(out.a, (void *)want);
    ck_assert_ptr_eq(out.b, (void *)(want + 999));
  }
  ck_assert(!sr_ring_pop(r, &out));
  sr_ring_destroy(r);
}
END_TEST

START_TEST(wraps_around_many_times) {
  /* Indices run far past the slot count; order and count must survive. */
  struct sr_ring *r = sr_ring_create(4);
  uintptr_t next_in = 1, next_out = 1;
  struct sr_ring_item out;
  for (int round = 0; round < 10000; round++) {
    int k = 1 + round % 4; /* 1..4 items, so the fill level moves around */
    for (int j = 0; j < k; j++) {
      ck_assert(sr_ring_push(r, item(next_in, ~next_in)));
      next_in++;
    }
    for (int j = 0; j < k; j++) {
      ck_assert(sr_ring_pop(r, &out));
      ck_assert_ptr_eq(out.a, (void *)next_out);
      ck_assert_ptr_eq(out.b, (void *)~next_out);
      next_out++;
    }
    ck_assert_uint_eq(sr_ring_size(r), 0);
  }
  ck_assert_uint_eq(next_in, next_out);
  sr_ring_destroy(r);
}
END_TEST

/* ------------------------------------------------------ two threads */

#define N_ITEMS 1000000u

struct run {
  struct sr_ring *r;
  size_t received;
  size_t out_of_order; /* first mismatch index + 1, 0 = none */
  size_t full_waits;   /* how often the producer met a full ring */
};

static void *producer(void *arg) {
  struct run *run = arg;
  for (uintptr_t i = 1; i <= N_ITEMS; i++) {
    /* b carries a checksum of a, so a torn slot (a from one item, b from
     * another) is caught too. */
    while (!sr_ring_push(run->r, item(i, i * 2654435761u))) {
      run->full_waits++;
      sched_yield();
    }
  }
  return NULL;
}

static void *consumer(void *arg) {
  struct run *run = arg;
  struct sr_ring_item out;
  uintptr_t want = 1;
  while (want <= N_ITEMS) {
    if (!sr_ring_pop(run->r, &out)) {
      sched_yield();
      continue;
    }
    if (!run->out_of_order &&
        (out.a != (void *)want || out.b != (void *)(want * 2654435761u)))
      run->out_of_order = want;
    want++;
    run->received++;
  }
  return NULL;
}

START_TEST(two_threads_million_items_in_order_no_loss) {
  /* A small ring so both full and empty are hit constantly. */
  struct run run = {.r = sr_ring_create(64)};
  ck_assert_ptr_nonnull(run.r);
  pthread_t p, c;
  ck_assert_int_eq(pthread_create(&c, NULL, consumer, &run), 0);
  ck_assert_int_eq(pthread_create(&p, NULL, producer, &run), 0);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  ck_assert_msg(run.out_of_order == 0, "item %zu out of order or torn",
                run.out_of_order);
  ck_assert_uint_eq(run.received, N_ITEMS);
  ck_assert_uint_eq(sr_ring_size(run.r), 0);
  struct sr_ring_item out;
  ck_assert(!sr_ring_pop(run.r, &out)); /* nothing extra appeared */
  sr_ring_destroy(run.r);
}
END_TEST

/* ------------------------------------------------- blocking waits */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct waiter {
  struct sr_ring *r;
  bool room; /* wait for room (pusher) rather than an item (popper) */
  bool woken;
  double waited_s;
};

static void *wait_once(void *arg) {
  struct waiter *w = arg;
  double t0 = now_s();
  w->woken = w->room ? sr_ring_wait_room(w->r, 10000)
                     : sr_ring_wait_nonempty(w->r, 10000);
  w->waited_s = now_s() - t0;
  return NULL;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

START_TEST(a_push_wakes_the_waiting_popper_at_once) {
  struct sr_ring *r = sr_ring_create(8);
  struct waiter w = {.r = r};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, wait_once, &w), 0);
  pause_ms(50); /* let it block */
  ck_assert(sr_ring_push(r, item(1, 2)));
  pthread_join(t, NULL);
  /* Woken by the push, long before its 10 s timeout. */
  ck_assert(w.woken);
  ck_assert_msg(w.waited_s < 2.0, "waited %.3f s", w.waited_s);
  sr_ring_destroy(r);
}
END_TEST

START_TEST(a_pop_wakes_the_waiting_pusher_at_once) {
  /* Capacity 2: half of it, one free slot, ends the pusher's wait. */
  struct sr_ring *r = sr_ring_create(2);
  fill(r);
  struct waiter w = {.r = r, .room = true};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, wait_once, &w), 0);
  pause_ms(50);
  struct sr_ring_item out;
  ck_assert(sr_ring_pop(r, &out));
  pthread_join(t, NULL);
  ck_assert(w.woken);
  ck_assert_msg(w.waited_s < 2.0, "waited %.3f s", w.waited_s);
  sr_ring_destroy(r);
}
END_TEST

/* A full ring is waited out in batches: the pusher's wait ends only once
 * half the ring is free, not at the first free slot (a pusher woken per
 * slot costs a context switch per item). */
START_TEST(a_pusher_waits_for_half_the_ring_to_be_free) {
  enum { CAP = 256, ROOM = CAP / 2 };
  ck_assert_uint_eq(sr_ring_wake_room(CAP), ROOM);
  struct sr_ring *r = sr_ring_create(CAP);
  ck_assert_uint_eq(fill(r), CAP);
  struct sr_ring_item out;
  ck_assert(sr_ring_pop(r, &out));
  ck_assert_msg(!sr_ring_wait_room(r, 20), "woken with one slot free");
  for (int i = 1; i < ROOM - 1; i++) ck_assert(sr_ring_pop(r, &out));
  ck_assert_msg(!sr_ring_wait_room(r, 20), "woken with %d slots free",
                ROOM - 1);
  ck_assert(sr_ring_pop(r, &out));
  double t0 = now_s();
  ck_assert(sr_ring_wait_room(r, 10000));
  ck_assert_msg(now_s() - t0 < 2.0, "not woken with %d slots free", ROOM);
  /* The items are intact and in order around the batch. */
  ck_assert_ptr_eq(out.a, (void *)(uintptr_t)ROOM);
  for (uintptr_t i = 0; i < ROOM; i++)
    ck_assert(sr_ring_push(r, item(1000 + i, i)));
  ck_assert(!sr_ring_push(r, item(9, 9)));
  ck_assert(sr_ring_pop(r, &out));
  ck_assert_ptr_eq(out.a, (void *)(uintptr_t)(ROOM + 1));
  sr_ring_destroy(r);
}
END_TEST

START_TEST(a_kick_wakes_a_waiter_even_one_not_yet_waiting) {
  struct sr_ring *r = sr_ring_create(8);
  struct waiter w = {.r = r};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, wait_once, &w), 0);
  pause_ms(50);
  sr_ring_kick(r); /* as sr_worker_stop does, on an empty ring */
  pthread_join(t, NULL);
  ck_assert(w.woken);
  ck_assert_msg(w.waited_s < 2.0, "waited %.3f s", w.waited_s);
  /* A kick before the wait begins is not lost: the wait returns at once. */
  sr_ring_kick(r);
  double t0 = now_s();
  ck_assert(sr_ring_wait_nonempty(r, 10000));
  ck_assert_msg(now_s() - t0 < 2.0, "a kick before the wait was lost");
  sr_ring_destroy(r);
}
END_TEST

START_TEST(a_wait_with_nothing_to_do_times_out) {
  struct sr_ring *r = sr_ring_create(8);
  double t0 = now_s();
  ck_assert(!sr_ring_wait_nonempty(r, 30));
  ck_assert(now_s() - t0 >= 0.025);
  /* Nothing to wait for: an item is there already. */
  ck_assert(sr_ring_push(r, item(1, 1)));
  ck_assert(sr_ring_wait_nonempty(r, 10000));
  sr_ring_destroy(r);
}
END_TEST

/* Both sides block instead of yielding: a lost wake-up would show as a
 * wait that ran into its timeout. */
struct blocking_run {
  struct sr_ring *r;
  size_t received, out_of_order, timeouts;
};

static void *blocking_producer(void *arg) {
  struct blocking_run *run = arg;
  for (uintptr_t i = 1; i <= N_ITEMS; i++) {
    while (!sr_ring_push(run->r, item(i, i * 2654435761u)))
      if (!sr_ring_wait_room(run->r, 5000)) run->timeouts++;
  }
  return NULL;
}

static void *blocking_consumer(void *arg) {
  struct blocking_run *run = arg;
  struct sr_ring_item out;
  uintptr_t want = 1;
  while (want <= N_ITEMS) {
    if (!sr_ring_pop(run->r, &out)) {
      if (!sr_ring_wait_nonempty(run->r, 5000)) run->timeouts++;
      continue;
    }
    if (!run->out_of_order &&
        (out.a != (void *)want || out.b != (void *)(want * 2654435761u)))
      run->out_of_order = want;
    want++;
    run->received++;
  }
  return NULL;
}

START_TEST(blocking_sides_lose_no_item_and_no_wake_up) {
  struct blocking_run run = {.r = sr_ring_create(64)};
  pthread_t p, c;
  ck_assert_int_eq(pthread_create(&c, NULL, blocking_consumer, &run), 0);
  ck_assert_int_eq(pthread_create(&p, NULL, blocking_producer, &run), 0);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  ck_assert_msg(run.out_of_order == 0, "item %zu out of order or torn",
                run.out_of_order);
  ck_assert_uint_eq(run.received, N_ITEMS);
  ck_assert_uint_eq(run.timeouts, 0);
  sr_ring_destroy(run.r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ring");
  TCase *tc = tcase_create("single_thread");
  tcase_add_test(tc, capacity_rounds_up_to_power_of_two);
  tcase_add_test(tc, fifo_order_and_both_pointers);
  tcase_add_test(tc, full_ring_refuses_without_overwriting);
  tcase_add_test(tc, peek_shows_items_ahead_without_popping);
  tcase_add_test(tc, wraps_around_many_times);
  suite_add_tcase(s, tc);
  tc = tcase_create("two_threads");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, two_threads_million_items_in_order_no_loss);
  tcase_add_test(tc, a_push_wakes_the_waiting_popper_at_once);
  tcase_add_test(tc, a_pop_wakes_the_waiting_pusher_at_once);
  tcase_add_test(tc, a_pusher_waits_for_half_the_ring_to_be_free);
  tcase_add_test(tc, a_kick_wakes_a_waiter_even_one_not_yet_waiting);
  tcase_add_test(tc, a_wait_with_nothing_to_do_times_out);
  tcase_add_test(tc, blocking_sides_lose_no_item_and_no_wake_up);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
