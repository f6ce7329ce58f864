/*
 * Session table: open addressing with linear probing over an array of
 * pointers, keyed by a 64-bit XXH3 of the id (the full id is compared on a
 * hash match). It doubles at 70% load; sessions themselves never move, so a
 * pointer handed out stays valid until the table is destroyed.
 */
#include "aggregator/session.h"

#include <stdlib.h>
#include <xxhash.h>

struct sr_session_table {
  struct sr_session **slots;
  size_t cap; /* power of two */
  size_t count;
  size_t n_dims;
  size_t scratch_size;
};

uint64_t sr_session_hash(sr_str id) { return XXH3_64bits(id.p, id.n); }

struct sr_session_table *sr_session_table_create(size_t n_dims,
                                                 size_t scratch_size) {
  struct sr_session_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->cap = 1024;
  t->slots = calloc(t->cap, sizeof *t->slots);
  if (!t->slots) {
    free(t);
    return NULL;
  }
  t->n_dims = n_dims;
  t->scratch_size = scratch_size;
  return t;
}

void sr_session_table_destroy(struct sr_session_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->cap; i++) free(t->slots[i]);
  free(t->slots);
  free(t);
}

static bool grow(struct sr_session_table *t) {
  size_t cap = t->cap * 2;
  struct sr_session **slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < t->cap; i++) {
    struct sr_session *s = t->slots[i];
    if (!s) continue;
    size_t j = s->hash & (cap - 1);
    while (slots[j]) j = (j + 1) & (cap - 1);
    slots[j] = s;
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return true;
}

static struct sr_session *session_new(const struct sr_session_table *t,
                                      sr_str id, uint64_t h) {
  size_t dims_off = (sizeof(struct sr_session) + 15) & ~(size_t)15;
  size_t scratch_off =
      (dims_off + t->n_dims * sizeof(struct sr_dim_state) + 15) & ~(size_t)15;
  struct sr_session *s = calloc(1, scratch_off + t->scratch_size);
  if (!s) return NULL;
  s->hash = h;
  sr_str_copy(s->id, sizeof s->id, id);
  s->dims = (struct sr_dim_state *)((char *)s + dims_off);
  s->scratch = (char *)s + scratch_off;
  s->last_ts_ms = INT64_MIN;
  return s;
}

struct sr_session *sr_session_table_get(struct sr_session_table *t, sr_str id,
                                        bool create) {
  if (id.n > SR_SESSION_ID_MAX) return NULL; /* decoders bound ids; queries may not */
  uint64_t h = sr_session_hash(id);
  size_t i = h & (t->cap - 1);
  for (struct sr_session *s; (s = t->slots[i]); i = (i + 1) & (t->cap - 1)) {
    if (s->hash == h && strlen(s->id) == id.n && memcmp(s->id, id.p, id.n) == 0)
      return s;
  }
  if (!create) return NULL;
  if ((t->count + 1) * 10 > t->cap * 7) {
    if (!grow(t)) return NULL;
    i = h & (t->cap - 1);
    while (t->slots[i]) i = (i + 1) & (t->cap - 1);
  }
  struct sr_session *s = session_new(t, id, h);
  if (!s) return NULL;
  t->slots[i] = s;
  t->count++;
  return s;
}

size_t sr_session_table_count(const struct sr_session_table *t) {
  return t->count;
}

void sr_session_table_foreach(const struct sr_session_table *t,
                              void (*fn)(const struct sr_session *, void *),
                              void *arg) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i]) fn(t->slots[i], arg);
}
