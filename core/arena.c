/*
 * Bump allocator: one malloc at creation, pointer arithmetic afterwards.
 */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>

struct sr_arena {
  size_t cap;
  size_t used;
  unsigned char *base;
};

struct sr_arena *sr_arena_create(size_t capacity) {
  struct sr_arena *a = malloc(sizeof *a);
  if (!a) return NULL;
  a->base = malloc(capacity);
  if (!a->base) {
    free(a);
    return NULL;
  }
  a->cap = capacity;
  a->used = 0;
  return a;
}

void sr_arena_destroy(struct sr_arena *a) {
  if (!a) return;
  free(a->base);
  free(a);
}

void *sr_arena_alloc(struct sr_arena *a, size_t n) {
  size_t start = (a->used + 15u) & ~(size_t)15u;
  if (start > a->cap || n > a->cap - start) return NULL;
  a->used = start + n;
  return a->base + start;
}

void sr_arena_reset(struct sr_arena *a) { a->used = 0; }

size_t sr_arena_used(const struct sr_arena *a) { return a->used; }
