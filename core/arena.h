/*
 * A bump allocator for per-event and per-batch scratch on the hot path.
 * Decoders place unescaped strings and protobuf-c objects here; the owner
 * resets it after each event or batch. Capacity is fixed at creation, so a
 * hostile input cannot grow memory: allocation past the end fails.
 *
 * @locality one thread: an arena is never shared.
 */
#ifndef SR_ARENA_H
#define SR_ARENA_H

#include <stddef.h>

struct sr_arena;

/* Returns NULL on allocation failure. */
struct sr_arena *sr_arena_create(size_t capacity);
/* Accepts NULL. */
void sr_arena_destroy(struct sr_arena *a);
/* 16-byte aligned; NULL when the arena is exhausted. */
void *sr_arena_alloc(struct sr_arena *a, size_t n);
/* Forgets every allocation; memory stays reserved. */
void sr_arena_reset(struct sr_arena *a);
size_t sr_arena_used(const struct sr_arena *a);

#endif
