/*
 * A detector's per-thread memo of a pure computation it repeats on the same
 * inputs call after call (a credential's purpose fit, its scopes' breadth):
 * agents use the same credential for the same kind of call all session
 * long, and the answer depends only on a few short strings.
 *
 * The key is every input byte the answer depends on, each field length-
 * prefixed (a NULL string and an empty one differ), so a changed input can
 * never be answered from an old entry: a slot is reused only when its whole
 * key is equal. Inputs too long for a key are not remembered. SR_MEMO_SLOTS
 * slots; a key may live in either of two chosen by its hash (two-way, so a
 * few keys whose first choice collides do not evict each other on every
 * call), and a new answer replaces the less recently used of the two.
 *
 * @locality one worker thread (thread scratch); header-only, no allocation
 * after the memo itself.
 */
#ifndef SR_DETECTOR_MEMO_H
#define SR_DETECTOR_MEMO_H

#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include <xxhash.h>

#define SR_MEMO_SLOTS 8 /* power of two */
#define SR_MEMO_KEY_MAX 240
#define SR_MEMO_VALUE_MAX 24

/* A key being built. Invariant: n <= SR_MEMO_KEY_MAX; !ok once a field did
 * not fit (the key is then unusable). */
struct sr_memo_key {
  size_t n;
  bool ok;
  char b[SR_MEMO_KEY_MAX];
};

/* One remembered answer. Invariant: n == 0 (empty) or key[0..n) is the key
 * of the inputs whose answer is value. */
struct sr_memo_slot {
  uint32_t used; /* sr_memo.clock when last found or stored */
  uint16_t n;
  unsigned char value[SR_MEMO_VALUE_MAX];
  char key[SR_MEMO_KEY_MAX];
};

struct sr_memo {
  uint32_t clock;
  struct sr_memo_slot slot[SR_MEMO_SLOTS];
};

static inline void sr_memo_key_start(struct sr_memo_key *k) {
  k->n = 0;
  k->ok = true;
}

/* Copies len bytes from p to d: fields are short (names, scopes,
 * purposes), so two overlapping fixed-size copies of the largest size that
 * fits, or whole 16s then the last 16, inline rather than a call to
 * memcpy per field. Reads and writes only p[0, len) and d[0, len). */
static inline void sr_memo_copy(char *d, const char *p, size_t len) {
  if (len >= 16) {
    for (size_t i = 0; i + 16 < len; i += 16) memcpy(d + i, p + i, 16);
    memcpy(d + len - 16, p + len - 16, 16);
  } else if (len >= 8) {
    memcpy(d, p, 8);
    memcpy(d + len - 8, p + len - 8, 8);
  } else if (len >= 4) {
    memcpy(d, p, 4);
    memcpy(d + len - 4, p + len - 4, 4);
  } else if (len) {
    d[0] = p[0];
    d[len / 2] = p[len / 2];
    d[len - 1] = p[len - 1];
  }
}

/* Appends one field: len bytes at p, or a NULL string when null. */
static inline void sr_memo_key_add(struct sr_memo_key *k, const char *p,
                                   size_t len, bool null) {
  size_t n = k->n;
  if (!k->ok || n + 2 + len > SR_MEMO_KEY_MAX) {
    k->ok = false;
    return;
  }
  k->b[n] = (char)(null ? 0xff : len & 0x7f);
  k->b[n + 1] = (char)(null ? 0xff : len >> 7);
  sr_memo_copy(k->b + n + 2, p, len);
  k->n = n + 2 + len;
}

/* A C string field; NULL allowed. */
static inline void sr_memo_key_cstr(struct sr_memo_key *k, const char *s) {
  sr_memo_key_add(k, s, s ? strlen(s) : 0, !s);
}

/* The slot for a finished key, and whether it holds the key's answer
 * (then copied to value). NULL when the key did not fit: compute. */
static inline struct sr_memo_slot *sr_memo_find(struct sr_memo *m,
                                                const struct sr_memo_key *k,
                                                void *value, size_t len,
                                                bool *hit) {
  assert(len <= SR_MEMO_VALUE_MAX);
  *hit = false;
  if (!m || !k->ok || k->n == 0) return NULL;
  uint64_t h = XXH3_64bits(k->b, k->n);
  struct sr_memo_slot *way[2] = {&m->slot[h & (SR_MEMO_SLOTS - 1)],
                                 &m->slot[(h >> 32) & (SR_MEMO_SLOTS - 1)]};
  for (int i = 0; i < 2; i++) {
    struct sr_memo_slot *s = way[i];
    if (s->n == k->n && memcmp(s->key, k->b, k->n) == 0) {
      memcpy(value, s->value, len);
      s->used = ++m->clock;
      *hit = true;
      return s;
    }
  }
  return way[0]->used <= way[1]->used ? way[0] : way[1];
}

/* Remembers value as the answer for key in slot s of m (from
 * sr_memo_find). */
static inline void sr_memo_store(struct sr_memo *m, struct sr_memo_slot *s,
                                 const struct sr_memo_key *k,
                                 const void *value, size_t len) {
  _Static_assert(SR_MEMO_KEY_MAX < 65536, "slot lengths are 16-bit");
  assert(len <= SR_MEMO_VALUE_MAX);
  memcpy(s->key, k->b, k->n);
  s->n = (uint16_t)k->n;
  s->used = ++m->clock;
  memcpy(s->value, value, len);
}

#endif
