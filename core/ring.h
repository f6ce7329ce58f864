/*
 * A bounded single-producer single-consumer ring of pointer pairs: the
 * consumer thread hands (message, partition tracker) to one worker through
 * it. C11 acquire/release on two
 * indices, each written by one side only, so no locks and no CAS.
 *
 * @locks none; exactly one pushing thread and one popping thread.
 */
#ifndef SR_RING_H
#define SR_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

struct sr_ring {
  _Alignas(64) _Atomic size_t head; /* next slot to pop; popper writes */
  _Alignas(64) _Atomic size_t tail; /* next slot to push; pusher writes */
  _Alignas(64) size_t mask;
  struct sr_ring_item *slots;
};

struct sr_ring_item {
  void *a;
  void *b;
};

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
  r->mask = cap - 1;
  return r;
}

static inline void sr_ring_destroy(struct sr_ring *r) {
  if (!r) return;
  free(r->slots);
  free(r);
}

/* false when full. */
static inline bool sr_ring_push(struct sr_ring *r, struct sr_ring_item item) {
  size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
  size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
  if (t - h > r->mask) return false;
  r->slots[t & r->mask] = item;
  atomic_store_explicit(&r->tail, t + 1, memory_order_release);
  return true;
}

/* false when empty. */
static inline bool sr_ring_pop(struct sr_ring *r, struct sr_ring_item *out) {
  size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
  size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
  if (h == t) return false;
  *out = r->slots[h & r->mask];
  atomic_store_explicit(&r->head, h + 1, memory_order_release);
  return true;
}

static inline size_t sr_ring_size(struct sr_ring *r) {
  return atomic_load_explicit(&r->tail, memory_order_acquire) -
         atomic_load_explicit(&r->head, memory_order_acquire);
}

#endif
