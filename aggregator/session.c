/*
 * Session table: open addressing with linear probing over an array of
 * slots, keyed by a 64-bit XXH3 of the id (the full id is compared on a
 * hash match). A slot holds the hash beside the session pointer: a probe
 * that passes another session compares hashes in the slot array and never
 * touches that session, kilobytes away and rarely in cache (with the hash
 * read through the pointer, that miss was most of the lookup's time). It
 * doubles at 70% load; sessions themselves never move, so a
 * pointer handed out stays valid until the session is evicted or the table
 * destroyed. Eviction deletes with backward shifting (no tombstones), so
 * probe chains stay short however many sessions come and go.
 *
 * Sessions are carved from chunks the table allocates (8 sessions, then
 * twice as many each time, up to 256) and an evicted session's memory goes
 * on a free list that the next new session takes first: a session of
 * kilobytes cost the general allocator a few thousand instructions, its
 * first event's worth. Memory is thus held at the peak number of sessions
 * in memory (which eviction bounds) until the table is destroyed. Under
 * AddressSanitizer a free session is poisoned, so a use after eviction is
 * still caught. Sessions, their dimensions and their scratch start on a
 * cache line, so the layout of struct sr_session decides which lines an
 * event touches.
 *
 * A chunk of a megabyte or more is mapped on its own, on 2 MiB boundaries
 * and rounded up to them (the rounding holds more sessions), and offered
 * to the kernel for huge pages: sessions are read at random, one per
 * event, and with 4 KiB pages the prefetch of a session's first line
 * waited on a page walk (perf: ~40% of the time left in the lookup).
 */
#include "aggregator/session.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_FIRST 8
#define LINE 64 /* a cache line: sessions and their parts start on one */
#define HUGE_PAGE ((size_t)2 << 20)
#define CHUNK_MAX 256

/* Memory sessions are carved from: malloc'd, or mapped on its own. */
struct chunk {
  char *p;
  size_t bytes;
  bool mapped; /* munmap, not free */
};

/* A free session's first bytes: the next free one. */
struct free_session {
  struct free_session *next;
};

/* An empty slot has s == NULL. */
struct slot {
  uint64_t hash; /* s->hash */
  struct sr_session *s;
};

struct sr_session_table {
  struct slot *slots;
  size_t cap; /* power of two */
  size_t count;
  size_t n_dims;
  size_t scratch_size;
  size_t stride;               /* bytes per session in a chunk, LINE-aligned */
  struct chunk *chunks;        /* every chunk, freed on destroy */
  size_t n_chunks, cap_chunks;
  size_t next_chunk;           /* sessions in the next chunk */
  char *fresh;                 /* never-used sessions of the last chunk */
  size_t n_fresh;
  struct free_session *free;   /* evicted sessions, reused first */
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
  t->stride = (sr_session_table_session_bytes(t) + LINE - 1) & ~(size_t)(LINE - 1);
  t->next_chunk = CHUNK_FIRST;
  return t;
}

void sr_session_table_destroy(struct sr_session_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_chunks; i++) {
    struct chunk *c = &t->chunks[i];
    UNPOISON(c->p, c->bytes);
    if (c->mapped)
      munmap(c->p, c->bytes);
    else
      free(c->p);
  }
  free(t->chunks);
  free(t->slots);
  free(t);
}

/* bytes (a multiple of HUGE_PAGE) of zeroed memory aligned to HUGE_PAGE,
 * which the kernel may back with huge pages (transparent huge pages,
 * "always" or "madvise"); NULL when the mapping fails. */
static char *map_huge(size_t bytes) {
  size_t len = bytes + HUGE_PAGE;
  char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  char *p = (char *)(((uintptr_t)m + HUGE_PAGE - 1) &
                     ~(uintptr_t)(HUGE_PAGE - 1));
  if (p > m) munmap(m, (size_t)(p - m));
  if (m + len > p + bytes) munmap(p + bytes, (size_t)(m + len - (p + bytes)));
#if defined(MADV_HUGEPAGE)
  madvise(p, bytes, MADV_HUGEPAGE); /* a hint: refused, 4 KiB pages */
#endif
  return p;
}

/* Memory for one session: a freed one, else a fresh one, else from a new
 * chunk. NULL when out of memory. */
static struct sr_session *session_alloc(struct sr_session_table *t) {
  if (t->free) {
    struct free_session *f = t->free;
    UNPOISON(f, t->stride);
    t->free = f->next;
    return (struct sr_session *)f;
  }
  if (t->n_fresh == 0) {
    if (t->n_chunks == t->cap_chunks) {
      size_t cap = t->cap_chunks ? t->cap_chunks * 2 : 8;
      struct chunk *chunks = realloc(t->chunks, cap * sizeof *chunks);
      if (!chunks) return NULL;
      t->chunks = chunks;
      t->cap_chunks = cap;
    }
    struct chunk c = {NULL, t->next_chunk * t->stride, false};
    if (c.bytes >= HUGE_PAGE / 2) {
      c.bytes = (c.bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
      c.p = map_huge(c.bytes);
      c.mapped = c.p != NULL;
    }
    if (!c.p) {
      c.bytes = t->next_chunk * t->stride;
      c.p = aligned_alloc(LINE, c.bytes);
      if (!c.p) return NULL;
    }
    POISON(c.p, c.bytes);
    t->chunks[t->n_chunks++] = c;
    t->fresh = c.p;
    t->n_fresh = c.bytes / t->stride; /* a mapped chunk: rounded up */
    if (t->next_chunk < CHUNK_MAX) t->next_chunk *= 2;
  }
  struct sr_session *s = (struct sr_session *)t->fresh;
  UNPOISON(s, t->stride);
  t->fresh += t->stride;
  t->n_fresh--;
  return s;
}

static void session_free(struct sr_session_table *t, struct sr_session *s) {
  struct free_session *f = (struct free_session *)s;
  f->next = t->free;
  t->free = f;
  POISON((char *)s + sizeof *f, t->stride - sizeof *f);
}

static bool grow(struct sr_session_table *t) {
  size_t cap = t->cap * 2;
  struct slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->slots[i].s) continue;
    size_t j = t->slots[i].hash & (cap - 1);
    while (slots[j].s) j = (j + 1) & (cap - 1);
    slots[j] = t->slots[i];
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return true;
}

static size_t dims_offset(void) {
  return (sizeof(struct sr_session) + LINE - 1) & ~(size_t)(LINE - 1);
}

static size_t scratch_offset(const struct sr_session_table *t) {
  return (dims_offset() + t->n_dims * sizeof(struct sr_dim_state) + LINE -
          1) &
         ~(size_t)(LINE - 1);
}

size_t sr_session_table_session_bytes(const struct sr_session_table *t) {
  return scratch_offset(t) + t->scratch_size;
}

/* Clears what is read before it is written: the fixed part, each
 * dimension's score, time and the first byte of its reason (a reason is
 * only ever read as a string, and only for a dimension that scored, which
 * wrote it whole), and the detectors' scratch, which they are promised
 * zeroed and which the state store persists byte for byte. The reasons'
 * other bytes, most of a session, are left as they are. */
void sr_session_clear(const struct sr_session_table *t, struct sr_session *s) {
  uint64_t h = s->hash;
  uint8_t id_len = s->id_len;
  char id[sizeof s->id];
  memcpy(id, s->id, sizeof id);
  struct sr_session_persist keep = s->persist;
  memset(s, 0, sizeof *s);
  s->persist = keep;
  s->hash = h;
  s->id_len = id_len;
  memcpy(s->id, id, sizeof id);
  s->dims = (struct sr_dim_state *)((char *)s + dims_offset());
  for (size_t i = 0; i < t->n_dims; i++) {
    s->dims[i].score = 0.0f;
    s->dims[i].ts_ms = 0;
    s->dims[i].reason[0] = '\0';
  }
  s->scratch = (char *)s + scratch_offset(t);
  memset(s->scratch, 0, t->scratch_size);
  s->last_ts_ms = INT64_MIN;
}

static struct sr_session *session_new(struct sr_session_table *t, sr_str id,
                                      uint64_t h) {
  struct sr_session *s = session_alloc(t);
  if (!s) return NULL;
  s->hash = h;
  sr_str_copy(s->id, sizeof s->id, id);
  s->id_len = (uint8_t)strlen(s->id);
  s->persist = (struct sr_session_persist){0};
  sr_session_clear(t, s);
  return s;
}

struct sr_session *sr_session_table_get(struct sr_session_table *t, sr_str id,
                                        bool create) {
  if (id.n > SR_SESSION_ID_MAX) return NULL; /* decoders bound ids; queries may not */
  return sr_session_table_find(t, id, sr_session_hash(id), create);
}

struct sr_session *sr_session_table_find(struct sr_session_table *t, sr_str id,
                                         uint64_t h, bool create) {
  if (id.n > SR_SESSION_ID_MAX) return NULL;
  size_t mask = t->cap - 1, i = h & mask;
  for (; t->slots[i].s; i = (i + 1) & mask) {
    struct sr_session *s = t->slots[i].s;
    if (t->slots[i].hash == h && s->id_len == id.n &&
        sr_mem_eq(s->id, id.p, id.n))
      return s;
  }
  if (!create) return NULL;
  if ((t->count + 1) * 10 > t->cap * 7) {
    if (!grow(t)) return NULL;
    mask = t->cap - 1;
    i = h & mask;
    while (t->slots[i].s) i = (i + 1) & mask;
  }
  struct sr_session *s = session_new(t, id, h);
  if (!s) return NULL;
  t->slots[i] = (struct slot){h, s};
  t->count++;
  return s;
}

const void *sr_session_table_prefetch(const struct sr_session_table *t,
                                      uint64_t h, size_t id_len) {
  size_t mask = t->cap - 1, i = h & mask;
  for (; t->slots[i].s; i = (i + 1) & mask) {
    if (t->slots[i].hash != h) continue;
    const char *s = (const char *)t->slots[i].s;
    /* The first line (the hot fields and a short id), the rest of a long
     * id, and the first line of the declared facts. */
    __builtin_prefetch(s, 1);
    if (offsetof(struct sr_session, id) + id_len > LINE)
      __builtin_prefetch(s + LINE);
    __builtin_prefetch(s + offsetof(struct sr_session, info));
    return s + scratch_offset(t);
  }
  return NULL;
}

size_t sr_session_table_count(const struct sr_session_table *t) {
  return t->count;
}

void sr_session_table_foreach(const struct sr_session_table *t,
                              void (*fn)(const struct sr_session *, void *),
                              void *arg) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].s) fn(t->slots[i].s, arg);
}

/* Removes slot i and shifts later members of its probe chain back into the
 * hole, so every remaining session is still found from its home slot. */
static void remove_at(struct sr_session_table *t, size_t i) {
  size_t mask = t->cap - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; t->slots[j].s; j = (j + 1) & mask) {
    size_t home = t->slots[j].hash & mask;
    /* j may move to the hole unless its home lies cyclically in (hole, j]. */
    bool stays = hole <= j ? (hole < home && home <= j)
                           : (hole < home || home <= j);
    if (stays) continue;
    t->slots[hole] = t->slots[j];
    hole = j;
  }
  t->slots[hole] = (struct slot){0, NULL};
  t->count--;
}

size_t sr_session_table_evict(struct sr_session_table *t,
                              bool (*evict)(const struct sr_session *, void *),
                              void *arg) {
  size_t n = 0;
  /* A shift may move a session from the start of the array to the end; it
   * is then visited twice, which is harmless. Slot i is re-read after a
   * removal because a later session may have moved into it. */
  for (size_t i = 0; i < t->cap;) {
    struct sr_session *s = t->slots[i].s;
    if (s && evict(s, arg)) {
      remove_at(t, i);
      session_free(t, s);
      n++;
      continue;
    }
    i++;
  }
  return n;
}
