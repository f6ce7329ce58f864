/*
 * Per-session state and the table that holds it. Each worker thread owns one
 * table, and the consumer routes every event of a session to the same worker
 * (hash of the session id), so nothing here is locked.
 *
 * A session is one block of memory: the fixed part, one sr_dim_state per
 * dimension, then the detectors' per-session scratch. It is taken from the
 * table's chunks when a session's first event arrives (or it is reloaded
 * from the state store), not per event, and given back to the table when
 * evicted (session.c says how).
 *
 * @locality the owning worker thread.
 */
#ifndef SR_SESSION_H
#define SR_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregator/command.h"
#include "detectors/detector.h"
#include "ingest/event.h"

struct sr_dim_state {
  float score;     /* decayed-max score as of ts_ms */
  int64_t ts_ms;   /* event time the score refers to */
  char reason[SR_REASON_MAX]; /* reason of the score that set the maximum */
};

#define SR_TASK_MAX 160 /* bytes of the declared task kept, NUL included */
/* Escalated calls a session keeps awaiting a person's decision; past this,
 * the oldest can no longer be approved (its gate gave up long since). */
#define SR_AWAITING_MAX 16
#define SR_SEEN_MAX 32

/* Persistence bookkeeping (aggregator/store.c), owning worker only; kept
 * when a session is cleared (sr_session_clear), since what the store has
 * noted for it is still to be written. */
struct sr_session_persist {
  bool dirty;          /* changed since it was last sealed */
  bool stored;         /* the database may hold rows of it */
  bool restarted;      /* its event 1 was noted since it was last sealed,
                          while the database may hold an older one's rows */
  uint64_t saved_ckpt; /* checkpoint that last saved it, 0 = none */
  /* Its newest timeline entry in the shard's open batch: index + 1 (a
   * list through the entries, newest first), 0 when none. */
  uint32_t tl_last;
};

_Static_assert(SR_SESSION_ID_MAX <= 255, "sr_session.id_len is one byte");

/* Laid out for the cache: sessions start on a 64-byte line (the table
 * aligns them), the fields every event reads or writes come first, then the
 * id (a short one shares the first line; lookup compares it), then the
 * declared facts, whose first line holds what most detectors read. The
 * rest of the block (dimensions, scratch) is touched where it is used. */
struct sr_session {
  int64_t last_ts_ms;        /* latest event time seen (stream time) */
  uint64_t events;
  double risk;               /* stacked risk after the last event */
  struct sr_dim_state *dims; /* n_dims entries, inside this allocation */
  void *scratch;             /* detectors' per-session scratch, ditto */
  uint32_t depth;            /* elevated dimensions after the last event */
  /* Bit d set when dims[d].score may be non-zero: the dimensions an event
   * with no score of its own has to decay. A superset: whoever fills dims
   * other than the aggregator (the state store's loader) leaves it to the
   * aggregator to recompute. */
  uint32_t held;
  enum sr_action last_action;
  bool killed;             /* a KILL was issued: every later call is killed */
  uint8_t id_len;          /* strlen(id), compared before the bytes on lookup */
  char id[SR_SESSION_ID_MAX + 1];
  uint64_t hash;           /* sr_session_hash(id) */
  struct sr_session_info info;
  char task[SR_TASK_MAX];  /* declared task, bounded, long tokens redacted */
  int64_t first_ts_ms;     /* event time of its first event */
  /* The calls escalated to a person and not decided yet, as
   * sr_session_hash of their call ids, oldest first: an approval decides
   * these and nothing else. */
  uint8_t n_awaiting;
  uint64_t awaiting[SR_AWAITING_MAX];
  /* The ids of its last SR_SEEN_MAX events, as sr_session_hash of their
   * event_id, in a ring (the next goes to seen[seen_next]): event_id is an
   * idempotency key, so an event whose id is among them is a redelivery
   * (a producer's retry, an exporter resending a batch) and changes
   * nothing. */
  uint8_t n_seen, seen_next;
  uint64_t seen[SR_SEEN_MAX];
  struct sr_session_persist persist;
};

struct sr_session_table;

struct sr_session_table *sr_session_table_create(size_t n_dims,
                                                 size_t scratch_size);
/* Frees every session; accepts NULL. */
void sr_session_table_destroy(struct sr_session_table *t);

/* The session with this id; created when absent and create is true (as
 * sr_session_clear leaves it). NULL when absent and !create, for an id longer than SR_SESSION_ID_MAX, or
 * on allocation failure. */
struct sr_session *sr_session_table_get(struct sr_session_table *t, sr_str id,
                                        bool create);
/* A hint, no effect on the table: starts loading into cache the lines
 * that every event touches of the session whose id (id_len bytes) hashes
 * to h (sr_session_hash), and returns where its detectors' scratch lies
 * (for sr_detectors_prefetch), NULL when absent. Reads only the table's
 * slots: under a hash collision the address may be another session's,
 * which is harmless for a prefetch and must not be used for anything
 * else. */
const void *sr_session_table_prefetch(const struct sr_session_table *t,
                                      uint64_t h, size_t id_len);
/* sr_session_table_get for a caller that has hashed the id already:
 * h == sr_session_hash(id). */
struct sr_session *sr_session_table_find(struct sr_session_table *t, sr_str id,
                                         uint64_t h, bool create);
size_t sr_session_table_count(const struct sr_session_table *t);
/* Forgets everything about s but its id and its persistence bookkeeping:
 * a fresh session (retention, or a state that did not load). */
void sr_session_clear(const struct sr_session_table *t, struct sr_session *s);
/* Frees every session for which evict(s, arg) is true; returns how many.
 * Pointers to evicted sessions are invalid afterwards. */
size_t sr_session_table_evict(struct sr_session_table *t,
                              bool (*evict)(const struct sr_session *, void *),
                              void *arg);
/* Bytes of one session's allocation (id, info, dimensions, scratch). */
size_t sr_session_table_session_bytes(const struct sr_session_table *t);
/* Calls fn for every session, in no particular order. */
void sr_session_table_foreach(const struct sr_session_table *t,
                              void (*fn)(const struct sr_session *, void *),
                              void *arg);

uint64_t sr_session_hash(sr_str id);

#endif
