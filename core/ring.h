/*
 * A bounded single-producer single-consumer ring of pointer pairs: the
 * consumer thread hands (message, partition tracker) to one worker through
 * it. Two indices, each written by one side only, so no locks and no CAS
 * while items flow.
 *
 * A side with nothing to do (the popper on an empty ring, the pusher on a
 * full one) blocks in sr_ring_wait_* and the other side wakes it at once,
 * rather than sleeping a guessed time: a timed sleep costs a tenth of a
 * millisecond or more on a VM whatever is asked, and a consumer and two
 * workers each sleeping so left most of the CPU idle while work waited.
 * Waking is cheap when nobody sleeps: one flag load per push or pop.
 * Each side reads the other's index only when the copy it saw last says
 * the ring is full (pusher) or empty (popper): indices only grow, so a
 * stale copy errs on the safe side, and the index lines stop moving
 * between the two cores at every item. The
 * waiting side raises its flag before its last look at the indices and the
 * moving side looks at the flag after moving its index, both sequentially
 * consistent, so one of them always sees the other (no lost wake-up); the
 * sleeper holds the mutex from that last look until it waits.
 *
 * @locks mu only on the waiting paths; exactly one pushing thread and one
 * popping thread.
 */
#ifndef SR_RING_H
#define SR_RING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

struct sr_ring {
  _Alignas(64) _Atomic size_t head; /* next slot to pop; popper writes */
  size_t tail_seen; /* popper only: tail when it last looked */
  _Alignas(64) _Atomic size_t tail; /* next slot to push; pusher writes */
  size_t head_seen; /* pusher only: head when it last looked */
  _Alignas(64) size_t mask;
  struct sr_ring_item *slots;
  _Alignas(64) _Atomic bool popper_waits; /* popper blocked: ring empty */
  _Atomic bool pusher_waits;              /* pusher blocked: ring full */
  bool kicked;                            /* sr_ring_kick since last wait */
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

struct sr_ring_item {
  void *a;
  void *b;
};

/* A pusher waiting on a full ring is woken once half of it is free, and
 * then refills that half in one go. Woken at 64 free slots of 4,096, the
 * consumer thread slept and was woken 3-5 times per 1,000 events at full rate,
 * each a futex round trip and a context switch on each side; at half, 0.4-
 * 0.5 times. The worker is not kept waiting: it still holds half a ring. */
static inline size_t sr_ring_wake_room(size_t capacity) {
  return capacity / 2;
}

/* capacity is rounded up to a power of two. NULL on allocation failure. */
static inline struct sr_ring *sr_ring_create(size_t capacity) {
  size_t cap = 2;
  while (cap < capacity) cap <<= 1;
  struct sr_ring *r = aligned_alloc(64, sizeof *r);
  if (!r) return NULL;
  r->slots = calloc(cap, sizeof *r->slots);
  if (!r->slots) {
    free(r);
    return NULL;
  }
  atomic_init(&r->head, 0);
  atomic_init(&r->tail, 0);
  r->tail_seen = r->head_seen = 0;
  atomic_init(&r->popper_waits, false);
  atomic_init(&r->pusher_waits, false);
  r->kicked = false;
  r->mask = cap - 1;
  pthread_mutex_init(&r->mu, NULL);
  /* Timeouts on the monotonic clock: a wall-clock step must not stretch
   * a wait. */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->cv, &ca);
  pthread_condattr_destroy(&ca);
  return r;
}

static inline void sr_ring_destroy(struct sr_ring *r) {
  if (!r) return;
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
  free(r->slots);
  free(r);
}

/* Wakes whichever side waits, and makes the popper's next wait return at
 * once even if it has not begun (for a stop flag set just before). */
static inline void sr_ring_kick(struct sr_ring *r) {
  pthread_mutex_lock(&r->mu);
  r->kicked = true;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* false when full. */
static inline bool sr_ring_push(struct sr_ring *r, struct sr_ring_item item) {
  size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
  if (t - r->head_seen > r->mask) {
    r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
    if (t - r->head_seen > r->mask) return false;
  }
  r->slots[t & r->mask] = item;
  atomic_store_explicit(&r->tail, t + 1, memory_order_seq_cst);
  /* The first push to find the popper waiting wakes it; later ones do not
   * take the mutex again. */
  if (atomic_load_explicit(&r->popper_waits, memory_order_seq_cst) &&
      atomic_exchange_explicit(&r->popper_waits, false, memory_order_seq_cst))
    sr_ring_kick(r);
  return true;
}

/* false when empty. */
static inline bool sr_ring_pop(struct sr_ring *r, struct sr_ring_item *out) {
  size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
  if (h == r->tail_seen) {
    r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (h == r->tail_seen) return false;
  }
  *out = r->slots[h & r->mask];
  atomic_store_explicit(&r->head, h + 1, memory_order_seq_cst);
  /* A waiting pusher is woken once half the ring is free: the popper
   * keeps popping until then (the ring holds more than that), so it is
   * woken exactly when its wait condition becomes true. A waiting pusher
   * pushes nothing, so the tail read here is its last. */
  if (atomic_load_explicit(&r->pusher_waits, memory_order_seq_cst)) {
    size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (r->mask + 1 - (t - (h + 1)) >= sr_ring_wake_room(r->mask + 1) &&
        atomic_exchange_explicit(&r->pusher_waits, false, memory_order_seq_cst))
      sr_ring_kick(r);
  }
  return true;
}

/* Popper: copies the item k places after the next one to pop (k = 0 is
 * that one) without popping it; false when the ring holds no such item as
 * far as the popper last looked (it does not look again: this is for
 * prefetching, where a miss costs nothing). */
static inline bool sr_ring_peek(const struct sr_ring *r, size_t k,
                                struct sr_ring_item *out) {
  size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
  if (r->tail_seen - h <= k) return false;
  *out = r->slots[(h + k) & r->mask];
  return true;
}

/* The common body of the two waits below: blocks until ready(r), a kick,
 * or timeout_ms, with *flag raised meanwhile. False when it timed out. */
static inline bool sr_ring_wait_(struct sr_ring *r, _Atomic bool *flag,
                                 bool (*ready)(struct sr_ring *),
                                 int timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  bool woken = true;
  pthread_mutex_lock(&r->mu);
  atomic_store_explicit(flag, true, memory_order_seq_cst);
  while (!ready(r) && !r->kicked) {
    if (pthread_cond_timedwait(&r->cv, &r->mu, &until)) {
      woken = ready(r) || r->kicked;
      break;
    }
  }
  r->kicked = false;
  atomic_store_explicit(flag, false, memory_order_relaxed);
  pthread_mutex_unlock(&r->mu);
  return woken;
}

static inline bool sr_ring_nonempty_(struct sr_ring *r) {
  return atomic_load_explicit(&r->tail, memory_order_seq_cst) !=
         atomic_load_explicit(&r->head, memory_order_relaxed);
}

static inline bool sr_ring_has_room_(struct sr_ring *r) {
  return r->mask + 1 -
             (atomic_load_explicit(&r->tail, memory_order_relaxed) -
              atomic_load_explicit(&r->head, memory_order_seq_cst)) >=
         sr_ring_wake_room(r->mask + 1);
}

/* Popper: blocks until an item is there or sr_ring_kick (true), or
 * timeout_ms passes (false). */
static inline bool sr_ring_wait_nonempty(struct sr_ring *r, int timeout_ms) {
  return sr_ring_wait_(r, &r->popper_waits, sr_ring_nonempty_, timeout_ms);
}

/* Pusher: blocks until half the ring is free (sr_ring_wake_room) or
 * sr_ring_kick (true), or timeout_ms passes (false). */
static inline bool sr_ring_wait_room(struct sr_ring *r, int timeout_ms) {
  return sr_ring_wait_(r, &r->pusher_waits, sr_ring_has_room_, timeout_ms);
}

static inline size_t sr_ring_size(struct sr_ring *r) {
  return atomic_load_explicit(&r->tail, memory_order_acquire) -
         atomic_load_explicit(&r->head, memory_order_acquire);
}

#endif
