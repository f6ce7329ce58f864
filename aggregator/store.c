/*
 * The state store (see store.h): SQLite in WAL mode, checkpoints that hold
 * session state and input offsets in one transaction.
 *
 * Why a single store thread fed by the workers, not per-worker writes. A
 * partition's events are spread over every worker (routing is by session),
 * so its offset can only be recorded once every worker's rows up to it are
 * in: with per-worker transactions no single transaction could hold both,
 * and SQLite serialises writers anyway (N writers would queue on the WAL
 * lock, each paying its own fsync). One writer does one fsync per
 * checkpoint whatever the number of workers, and the workers never wait on
 * the disk: they only copy their dirty sessions into a buffer.
 *
 * The checkpoint protocol. The consumer thread is the only one that hands
 * messages to workers, through FIFO rings. To checkpoint, it notes per
 * partition the offset after the last message it dispatched, calls
 * sr_store_begin, and pushes a barrier into every worker's ring. A worker
 * meeting the barrier has processed exactly the messages dispatched to it
 * before it, so the union of what the workers seal at their barrier is the
 * state after every event below the noted offsets, and nothing after: state
 * and offsets agree by construction, with no lock and no pause of the
 * workers. Commands are published by the workers as they are decided
 * (verdicts cannot wait for a disk write); a command's event is below the
 * barrier, so the command was handed to the producer before the worker
 * sealed. The store thread writes the checkpoint only once every shard has
 * sealed AND every record the producer took before the seals is
 * acknowledged (a delivery epoch closed after the seals, see kafka.h;
 * records sent meanwhile for later events are not waited for, so
 * checkpoints keep up under a saturating load), so a recorded offset
 * never covers an undelivered command: after a crash
 * the events past the stored offsets are replayed onto the stored state,
 * which regenerates their commands with the same ids (commands at least
 * once, state exactly once). The Kafka consumer offsets are committed only
 * after the database, and resumption reads the database's. One checkpoint
 * is in flight at a time.
 *
 * Eviction and retention run on event time, so what they do is a function
 * of the input. Eviction is lossless (a session is evicted only when clean
 * and durable, and reloads byte for byte), so decisions never depend on it;
 * event time keeps memory bounded even while a backlog is replayed at full
 * speed, where wall time would keep every session of the backlog. The
 * retention does change decisions (a session idle longer starts afresh), so
 * it is decided per session from its own events (sr_aggregator_set_
 * retention); the database then deletes rows idle for two retentions
 * relative to the newest event time committed (see expire()). Audit rows
 * have their own, longer retention on issued_at_ms.
 *
 * The timeline in chunks. A row per event (and a trim per event once a
 * session had timeline_max) cost the store thread as much CPU as a worker
 * at full rate, almost all of it in SQLite. A checkpoint now writes one
 * session_timeline row per session that had events, holding all of them
 * as JSON entries (built here, on the store thread, from the records the
 * worker listed per session), and trims once per session: chunks wholly
 * before the newest timeline_max entries are deleted, and the reader skips
 * the older entries of a chunk that lies partly before them. The worker
 * keeps its per-event work to copying a few strings.
 *
 * Rows go to SQLite ROWS at a time (multi-row INSERTs, rows_insert): a
 * statement's own cost (cursors, halt, reset) was a third of an audit
 * row's. The batches' arrays grow by mremap past 64 KiB (grow), so a
 * busy interval's megabytes are never copied.
 */
#include "aggregator/store.h"

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xxhash.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "core/buf.h"
#include "core/bytes16.h"
#include "core/fixed.h"
#include "core/log.h"
#include "schemas/state_sql.h"

#define BLOB_MAGIC "SRST"
#define BLOB_VERSION 1
#define OFFSETS_MAX 1024
#define SCHEMA_VERSION 3         /* PRAGMA user_version of schemas/state.sql */
#define WRITER_CACHE_KIB "65536" /* the store thread's page cache, at most */
#define WAL_COPY_FRAMES 1000 /* SQLite's autocheckpoint threshold, in pages */

/* The audit row's columns but its seq, which SQLite assigns. */
#define COMMAND_COLUMNS                                                \
  "command_id, session_id, call_id, action, risk, depth, dimensions, " \
  "rule, event_id, topic, partition, offset, issued_at_ms, expires_at_ms"

#define TIMELINE_HEAD                                                      \
  "INSERT OR REPLACE INTO session_timeline (session_id, first_seq, "       \
  "last_seq, keep_from, entries)"
#define TIMELINE_INSERT TIMELINE_HEAD " VALUES (?, ?, ?, ?, ?)"
#define TIMELINE_TRIM                                                      \
  "DELETE FROM session_timeline WHERE session_id = ?1 AND (last_seq < ?2 " \
  "OR ?3)"

/* A view into a batch's bytes. */
struct span {
  size_t off, len;
};

/* One event of a session's timeline, as it will be stored; strings in the
 * batch's bytes. A session's entries form a list, newest first (prev), so
 * the store thread writes them as one chunk without searching the batch,
 * and visits only those it keeps: each is a cache miss (a session's
 * entries lie megabytes apart in a busy interval). */
struct timeline_rec {
  uint64_t seq;
  int64_t ts_ms;
  enum sr_event_type type;
  enum sr_phase phase;
  double risk;
  uint32_t prev; /* index + 1 of the session's previous entry, 0 = first */
  struct span call_id, tool, summary;
};

/* A command as the audit row needs it: fixed fields inline, the long
 * optional ones (call and event ids, topic, dimensions as JSON) in the
 * batch's bytes, so a command costs what it holds, not sr_command's
 * worst case. */
struct audit_rec {
  char command_id[SR_COMMAND_ID_LEN + 1];
  char session_id[SR_SESSION_ID_MAX + 1];
  enum sr_action action;
  double risk;
  uint32_t depth;
  char rule[SR_RULE_MAX];
  int64_t issued_at_ms, expires_at_ms;
  int32_t partition;
  int64_t offset;
  struct span call_id, event_id, topic, dims;
};

/* A dimension row of a sealed session: what the session_dimensions row
 * holds. */
struct dim_rec {
  uint32_t index; /* the detector's */
  uint32_t blob;  /* its session's blob_rec in the batch */
  float score;
  int64_t ts_ms;
  struct span reason;
};

/* A sealed session: its blob, and its row's columns as the worker had
 * them, so the store thread need not decode the blob. */
struct blob_rec {
  char sid[SR_SESSION_ID_MAX + 1];
  struct span blob;
  uint32_t tl_newest; /* index + 1 of its newest timeline entry, 0 = none */
  uint64_t tl_last;    /* seq of its newest timeline entry */
  bool restarted;    /* older rows of it are another session's: delete */
  bool killed;
  enum sr_action last_action;
  enum sr_mode mode;
  double risk;
  uint32_t depth;
  uint64_t events;
  int64_t first_ts_ms, last_ts_ms;
  struct span task, environment;
};

/* What one shard contributes to one checkpoint. Growable arrays: they grow
 * to the busiest interval's size and are reused, not freed, afterwards. */
struct batch {
  uint8_t *bytes;
  size_t n_bytes, cap_bytes;
  struct blob_rec *blobs;
  size_t n_blobs, cap_blobs;
  struct dim_rec *dims;
  size_t n_dims, cap_dims;
  struct timeline_rec *tl;
  size_t n_tl, cap_tl;
  struct audit_rec *au;
  size_t n_au, cap_au;
};

/* Rows per multi-row INSERT of a checkpoint. A statement's own cost
 * (opening its cursors, halting, resetting: about 7,000 instructions of
 * the 24,000 an audit row costs, callgrind) is paid once per ROWS rows;
 * the few rows left over go one statement each. */
#define ROWS 16

/* An INSERT prepared for one row and for ROWS rows (rows_prepare). */
struct rows {
  sqlite3_stmt *one, *many;
  int cols; /* parameters per row */
};

struct sr_checkpoint {
  uint64_t seq;
  struct sr_store_offset *offs;
  size_t n_offs;
  struct batch **batches; /* one per shard, set when it seals */
  _Atomic size_t sealed;
  atomic_bool durable;
};

struct sr_shard {
  struct sr_store *st;
  size_t index;
  sqlite3 *db; /* read-only, the worker thread's */
  sqlite3_stmt *get;
  struct sr_aggregator *agg;
  struct sr_session **dirty;
  size_t n_dirty, cap_dirty;
  struct batch open;   /* filling: timeline and audit rows */
  struct batch sealed; /* handed to the store thread until durable */
  uint8_t *blob;       /* encode buffer, sr_store_blob_max bytes */
  int64_t stream_ms;   /* newest event time seen by this worker */
  uint64_t evicted;
};

struct sr_store {
  struct sr_store_opts opts;
  const struct sr_detectors *dets;
  uint64_t layout; /* layout_hash(dets), computed once */
  sqlite3 *db; /* the store thread's */
  struct rows ins_session, ins_dim, ins_tl, ins_cmd;
  sqlite3_stmt *st_dim_del, *st_tl_trim, *st_off;
  /* Chunks' entries being built (heap, grow): one per row of a timeline
   * INSERT, all bound until it is stepped. chunk[0] also serves the
   * migration. */
  struct sr_buf chunk[ROWS];
  uint32_t *with_tl; /* blobs of a batch that have timeline entries */
  size_t cap_with_tl;
  uint32_t *kept; /* a chunk's entries, newest first: timeline_max */
  struct sr_shard *shards;
  size_t n_shards;
  struct sr_producer *producer;
  int64_t stream_ms; /* newest last_ts_ms committed */
  unsigned long crash_commit, crash_publish;
  uint64_t commits;
  int wal_frames; /* pages in the WAL after the last commit (wal_committed) */
  _Atomic unsigned long published; /* commands, all shards (crash_at) */

  pthread_t thread;
  bool running;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;                  /* under mu */
  struct sr_checkpoint ck;    /* the one checkpoint; in flight when busy */
  bool busy;                  /* under mu: begun and not yet durable */
  uint64_t next_seq;          /* consumer thread */
  _Atomic uint64_t committed; /* seq of the last durable checkpoint */

  /* Stored offsets, for the consumer's (re)assignments; under mu. */
  struct sr_store_offset offsets[OFFSETS_MAX];
  size_t n_offsets;
};

/* Growable arrays -----------------------------------------------------------*/

/* Capacity doubles. Past GROW_MAP bytes an array has a mapping of its
 * own, which mremap grows without copying: a shard's batches grow to
 * megabytes in a pipeline's first busy intervals, and realloc copied them
 * at every doubling, faulting in each new copy (a fifth of sr_shard_note's
 * instructions in callgrind of bench_pipeline, whose rounds each start a
 * pipeline). Free with grow_free. */
#if defined(__linux__)
#define GROW_MAP ((size_t)1 << 16)
#endif

static void *grow_to(void *p, size_t *cap, size_t need, size_t size) {
  size_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *q;
#if defined(GROW_MAP)
  size_t was = *cap * size, now = c * size;
  if (now >= GROW_MAP) {
    if (was >= GROW_MAP) {
      q = mremap(p, was, now, MREMAP_MAYMOVE);
    } else {
      q = mmap(NULL, now, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
      if (q != MAP_FAILED && was) memcpy(q, p, was);
      if (q != MAP_FAILED) free(p);
    }
    if (q == MAP_FAILED) q = NULL;
  } else
#endif
  {
    q = realloc(p, c * size);
  }
  if (!q) abort(); /* the batch holds durable state: nothing sane to drop */
  *cap = c;
  return q;
}

/* p, with room for at least need elements of size; cap is updated.
 * @locality inlined: called per event */
static inline void *grow(void *p, size_t *cap, size_t need, size_t size) {
  return need <= *cap ? p : grow_to(p, cap, need, size);
}

/* Frees what grow allocated for a capacity of cap elements of size. */
static void grow_free(void *p, size_t cap, size_t size) {
#if defined(GROW_MAP)
  if (cap * size >= GROW_MAP) {
    munmap(p, cap * size);
    return;
  }
#endif
  free(p);
}

/* Bytes readable past the end of any span of a batch's bytes: the store
 * thread checks timeline texts sixteen bytes at a time (plain_span). */
#define BYTES_SLACK 16

/* Makes room for n more bytes, and the slack, in b's bytes. */
static inline void reserve_bytes(struct batch *b, size_t n) {
  if (b->n_bytes + n + BYTES_SLACK > b->cap_bytes)
    b->bytes = grow(b->bytes, &b->cap_bytes, b->n_bytes + n + BYTES_SLACK, 1);
}

/* Appends n bytes to b's bytes; returns where they are. */
static struct span put_bytes(struct batch *b, const void *p, size_t n) {
  reserve_bytes(b, n);
  if (n) memcpy(b->bytes + b->n_bytes, p, n);
  struct span sp = {b->n_bytes, n};
  b->n_bytes += n;
  return sp;
}

static void batch_reset(struct batch *b) {
  b->n_bytes = b->n_blobs = b->n_dims = b->n_tl = b->n_au = 0;
}

static void batch_free(struct batch *b) {
  grow_free(b->bytes, b->cap_bytes, 1);
  grow_free(b->blobs, b->cap_blobs, sizeof *b->blobs);
  grow_free(b->dims, b->cap_dims, sizeof *b->dims);
  grow_free(b->tl, b->cap_tl, sizeof *b->tl);
  grow_free(b->au, b->cap_au, sizeof *b->au);
}

/* State blob --------------------------------------------------------------*/

struct wr {
  uint8_t *p;
  size_t n, cap;
  bool overflow;
};

static void put(struct wr *w, const void *v, size_t n) {
  if (w->n + n > w->cap) {
    w->overflow = true;
    return;
  }
  memcpy(w->p + w->n, v, n);
  w->n += n;
}
/* Fixed-width integers little-endian, so a database moves between hosts. */
static void put_u64(struct wr *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, 8);
}
static void put_u8(struct wr *w, uint8_t v) { put(w, &v, 1); }
static void put_f64(struct wr *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  put_u64(w, u);
}
static void put_str(struct wr *w, const char *s) {
  size_t n = strlen(s);
  assert(n < 65536);
  put_u8(w, (uint8_t)(n & 0xff));
  put_u8(w, (uint8_t)(n >> 8));
  put(w, s, n);
}

struct rd {
  const uint8_t *p;
  size_t n, at;
  bool bad;
};

static const uint8_t *take(struct rd *r, size_t n) {
  if (r->bad || r->n - r->at < n) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *p = r->p + r->at;
  r->at += n;
  return p;
}
static uint64_t get_u64(struct rd *r) {
  const uint8_t *b = take(r, 8);
  uint64_t v = 0;
  for (int i = 0; b && i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
  return v;
}
static uint8_t get_u8(struct rd *r) {
  const uint8_t *b = take(r, 1);
  return b ? *b : 0;
}
/* A list length, at most max (SR_MIN would read twice). */
static uint8_t get_count(struct rd *r, uint8_t max) {
  uint8_t n = get_u8(r);
  return n < max ? n : max;
}
static double get_f64(struct rd *r) {
  uint64_t u = get_u64(r);
  double v;
  memcpy(&v, &u, 8);
  return v;
}
/* Copies a string into dst[cap], truncating; the blob is ours, so a length
 * over cap only happens with a smaller build limit. */
static void get_str(struct rd *r, char *dst, size_t cap) {
  size_t n = get_u8(r);
  n |= (size_t)get_u8(r) << 8;
  const uint8_t *p = take(r, n);
  if (!p) {
    dst[0] = '\0';
    return;
  }
  sr_str_copy(dst, cap, (sr_str){(const char *)p, n});
}

static bool scored_dim(const struct sr_dim_state *d) {
  return d->score != 0.0f || d->reason[0];
}

/* Zero bytes at p, at most max: eight at a time while whole words are
 * zero (a session's scratch is kilobytes of mostly zeros, sealed at every
 * checkpoint it changed in). */
static size_t zero_run(const uint8_t *p, size_t max) {
  size_t k = 0;
  for (uint64_t word; k + 8 <= max; k += 8) {
    memcpy(&word, p + k, 8);
    if (word) break;
  }
  while (k < max && p[k] == 0) k++;
  return k;
}

/* Detectors' scratch is mostly zeros (fixed tables, little used): runs of
 * zeros and literal bytes alternate, each run preceded by its u16 length. */
static void put_scratch(struct wr *w, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t z = zero_run(p + i, SR_MIN(n - i, (size_t)65535));
    /* The literal run ends where 8 zeros (or only zeros) follow. */
    size_t j = i + z, e = j;
    while (e < n) {
      if (p[e]) {
        if (e - j == 65535) break;
        e++;
        continue;
      }
      size_t k = zero_run(p + e, SR_MIN(n - e, (size_t)8));
      if (k == 8 || e + k == n || e - j + k > 65535) break;
      e += k;
    }
    size_t l = e - j;
    put_u8(w, (uint8_t)(z & 0xff));
    put_u8(w, (uint8_t)(z >> 8));
    put_u8(w, (uint8_t)(l & 0xff));
    put_u8(w, (uint8_t)(l >> 8));
    put(w, p + j, l);
    i = e;
  }
}

/* Reads n scratch bytes into dst (already zeroed), or skips them when dst
 * is NULL (another detector set's layout). */
static void get_scratch(struct rd *r, uint8_t *dst, size_t n) {
  for (size_t i = 0; i < n && !r->bad;) {
    size_t z = get_u8(r);
    z |= (size_t)get_u8(r) << 8;
    size_t l = get_u8(r);
    l |= (size_t)get_u8(r) << 8;
    const uint8_t *lit = take(r, l);
    if (r->bad || z + l == 0 || i + z + l > n) {
      r->bad = true;
      return;
    }
    if (dst) memcpy(dst + i + z, lit, l);
    i += z + l;
  }
}

/* Names and scratch size of the detector set: scratch bytes are only
 * meaningful to the same set. */
static uint64_t layout_hash(const struct sr_detectors *dets) {
  XXH3_state_t *h = XXH3_createState();
  if (!h) abort();
  XXH3_64bits_reset(h);
  for (size_t i = 0; i < sr_detectors_count(dets); i++) {
    const char *name = sr_detectors_name(dets, i);
    XXH3_64bits_update(h, name, strlen(name) + 1);
  }
  uint64_t size = sr_detectors_session_size(dets);
  XXH3_64bits_update(h, &size, sizeof size);
  uint64_t v = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  return v;
}

size_t sr_store_blob_max(const struct sr_detectors *dets) {
  size_t str = 2 + 1024; /* any string we store is shorter */
  return 64 + SR_TASK_MAX + sizeof(struct sr_session_info) * 2 + 16 * str +
         sr_detectors_count(dets) * (str + 8 + 8 + 2 + SR_REASON_MAX) +
         sr_detectors_session_size(dets) + 1 + 8 * SR_AWAITING_MAX + 8 + 2 +
         8 * SR_SEEN_MAX;
}

/* sr_store_encode with the detector set's layout hash given (the store
 * computes it once: it costs as much as the rest of a small session). */
static int encode(const struct sr_detectors *dets, uint64_t layout,
                  const struct sr_session *s, uint8_t *buf, size_t cap) {
  struct wr w = {buf, 0, cap, false};
  const struct sr_session_info *in = &s->info;
  put(&w, BLOB_MAGIC, 4);
  put_u8(&w, BLOB_VERSION);
  put_u64(&w, layout);
  put_u64(&w, (uint64_t)s->last_ts_ms);
  put_u64(&w, s->events);
  put_f64(&w, s->risk);
  put_u64(&w, s->depth);
  put_u8(&w, s->killed);
  put_u8(&w, (uint8_t)s->last_action);
  put_str(&w, s->task);
  put_u8(&w, in->started);
  put_u8(&w, (uint8_t)in->mode);
  put_u64(&w, (uint64_t)in->started_ms);
  put_str(&w, in->environment);
  put_u8(&w, in->n_scope_environments);
  for (size_t i = 0; i < in->n_scope_environments; i++)
    put_str(&w, in->scope_environments[i]);
  put_u8(&w, in->n_scope_domains);
  for (size_t i = 0; i < in->n_scope_domains; i++)
    put_str(&w, in->scope_domains[i]);
  put_u8(&w, in->n_scope_resources);
  for (size_t i = 0; i < in->n_scope_resources; i++)
    put_str(&w, in->scope_resources[i]);
  put_u64(&w, (uint64_t)in->estimate.steps);
  put_u64(&w, (uint64_t)in->estimate.seconds);
  put_f64(&w, in->estimate.cost_usd);
  put_u8(&w, in->estimate.present);
  /* Only dimensions that scored: an unscored one decodes as zero, and a
   * zero score ignores its time. */
  size_t n_dims = sr_detectors_count(dets), scored = 0;
  for (size_t i = 0; i < n_dims; i++) scored += scored_dim(&s->dims[i]);
  put_u8(&w, (uint8_t)scored);
  for (size_t i = 0; i < n_dims; i++) {
    const struct sr_dim_state *d = &s->dims[i];
    if (!scored_dim(d)) continue;
    put_str(&w, sr_detectors_name(dets, i));
    put_f64(&w, d->score);
    put_u64(&w, (uint64_t)d->ts_ms);
    put_str(&w, d->reason);
  }
  uint64_t scratch = sr_detectors_session_size(dets);
  put_u64(&w, scratch);
  put_scratch(&w, s->scratch, scratch);
  /* Last, so that a blob from before them (ending at the scratch) decodes:
   * with no call awaiting a decision, and the first event's time taken to
   * be the last's, as the session row had it. */
  put_u8(&w, s->n_awaiting);
  for (size_t i = 0; i < s->n_awaiting; i++) put_u64(&w, s->awaiting[i]);
  put_u64(&w, (uint64_t)s->first_ts_ms);
  /* The ring of its last events' ids, as it is: membership ignores order.
   * A blob from before it decodes with none seen. */
  put_u8(&w, s->n_seen);
  put_u8(&w, s->seen_next);
  for (size_t i = 0; i < s->n_seen; i++) put_u64(&w, s->seen[i]);
  return w.overflow ? SR_EBOUND : (int)w.n;
}

int sr_store_encode(const struct sr_detectors *dets,
                    const struct sr_session *s, uint8_t *buf, size_t cap) {
  return encode(dets, layout_hash(dets), s, buf, cap);
}

/* sr_store_decode with the detector set's layout hash given. */
static int decode(const struct sr_detectors *dets, uint64_t layout,
                  const void *blob, size_t len, struct sr_session *s,
                  char *err, size_t errlen) {
  struct rd r = {blob, len, 0, false};
  const uint8_t *magic = take(&r, 4);
  if (!magic || memcmp(magic, BLOB_MAGIC, 4) != 0) {
    snprintf(err, errlen, "session %s: not a stackrisk state blob", s->id);
    return SR_EINVAL;
  }
  uint8_t version = get_u8(&r);
  if (version != BLOB_VERSION) {
    snprintf(err, errlen,
             "session %s: state blob version %u, this build reads %u",
             s->id, version, BLOB_VERSION);
    return SR_EINVAL;
  }
  bool same_layout = get_u64(&r) == layout;
  struct sr_session_info *in = &s->info;
  memset(in, 0, sizeof *in);
  s->last_ts_ms = (int64_t)get_u64(&r);
  s->events = get_u64(&r);
  s->risk = get_f64(&r);
  s->depth = (uint32_t)get_u64(&r);
  s->killed = get_u8(&r);
  s->last_action = (enum sr_action)get_u8(&r);
  get_str(&r, s->task, sizeof s->task);
  in->started = get_u8(&r);
  in->mode = (enum sr_mode)get_u8(&r);
  in->started_ms = (int64_t)get_u64(&r);
  get_str(&r, in->environment, sizeof in->environment);
  in->n_scope_environments = get_count(&r, SR_SCOPE_ENV_MAX);
  for (size_t i = 0; i < in->n_scope_environments; i++)
    get_str(&r, in->scope_environments[i], sizeof in->scope_environments[i]);
  in->n_scope_domains = get_count(&r, SR_SCOPE_DOMAIN_MAX);
  for (size_t i = 0; i < in->n_scope_domains; i++)
    get_str(&r, in->scope_domains[i], sizeof in->scope_domains[i]);
  in->n_scope_resources = get_count(&r, SR_SCOPE_RESOURCE_MAX);
  for (size_t i = 0; i < in->n_scope_resources; i++)
    get_str(&r, in->scope_resources[i], sizeof in->scope_resources[i]);
  in->estimate.steps = (int64_t)get_u64(&r);
  in->estimate.seconds = (int64_t)get_u64(&r);
  in->estimate.cost_usd = get_f64(&r);
  in->estimate.present = get_u8(&r);
  size_t n_dims = sr_detectors_count(dets);
  memset(s->dims, 0, n_dims * sizeof *s->dims);
  size_t stored = get_u8(&r);
  for (size_t i = 0; i < stored && !r.bad; i++) {
    char name[64];
    struct sr_dim_state d;
    get_str(&r, name, sizeof name);
    d.score = (float)get_f64(&r);
    d.ts_ms = (int64_t)get_u64(&r);
    get_str(&r, d.reason, sizeof d.reason);
    int at = sr_detectors_find(dets, name);
    if (at >= 0) s->dims[at] = d; /* a dimension no longer built: dropped */
  }
  uint64_t scratch = get_u64(&r);
  size_t want = sr_detectors_session_size(dets);
  memset(s->scratch, 0, want);
  get_scratch(&r, same_layout && scratch == want ? s->scratch : NULL,
              (size_t)scratch);
  s->n_awaiting = 0;
  s->first_ts_ms = s->last_ts_ms;
  s->n_seen = s->seen_next = 0;
  if (!r.bad && r.at < r.n) {
    s->n_awaiting = get_count(&r, SR_AWAITING_MAX);
    for (size_t i = 0; i < s->n_awaiting; i++) s->awaiting[i] = get_u64(&r);
    if (!r.bad && r.n - r.at >= 8) s->first_ts_ms = (int64_t)get_u64(&r);
  }
  if (!r.bad && r.at < r.n) {
    s->n_seen = get_count(&r, SR_SEEN_MAX);
    s->seen_next = get_count(&r, SR_SEEN_MAX - 1);
    for (size_t i = 0; i < s->n_seen; i++) s->seen[i] = get_u64(&r);
    /* a ring not yet full fills from its start */
    if (s->n_seen < SR_SEEN_MAX) s->seen_next = s->n_seen;
  }
  if (r.bad) {
    snprintf(err, errlen, "session %s: state blob truncated at byte %zu",
             s->id, r.at);
    return SR_EINVAL;
  }
  return SR_OK;
}

int sr_store_decode(const struct sr_detectors *dets, const void *blob,
                    size_t len, struct sr_session *s, char *err,
                    size_t errlen) {
  return decode(dets, layout_hash(dets), blob, len, s, err, errlen);
}

/* Timeline chunks --------------------------------------------------------*/

static int step(sqlite3_stmt *q) {
  int rc = sqlite3_step(q);
  sqlite3_reset(q);
  sqlite3_clear_bindings(q);
  return rc == SQLITE_DONE ? SR_OK : SR_EIO;
}

/* Makes room for n more bytes (and the NUL) in the chunk buffer. */
static void chunk_reserve(struct sr_buf *c, size_t n) {
  if (c->len + n + 1 <= c->cap) return;
  size_t cap = c->cap ? c->cap : 4096;
  while (cap < c->len + n + 1) cap *= 2;
  char *p = realloc(c->p, cap);
  if (!p) abort(); /* the chunk holds durable state: nothing sane to drop */
  c->p = p;
  c->cap = cap;
}

/* Appends n bytes to a chunk that has room for them (chunk_reserve): the
 * separators and numbers of every timeline entry, without the bounded
 * appends' calls and checks. */
static inline void raw(struct sr_buf *c, const char *s, size_t n) {
  memcpy(c->p + c->len, s, n);
  c->len += n;
}

/* v in decimal, two digits at a time (an entry holds a 13-digit time). */
static void raw_u64(struct sr_buf *c, uint64_t v) {
  char d[20], *s = sr_decimal(d + sizeof d, v);
  raw(c, s, (size_t)(d + sizeof d - s));
}

static void raw_i64(struct sr_buf *c, int64_t v) {
  if (v < 0) raw(c, "-", 1);
  raw_u64(c, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* sr_buf_json_plain(s, false) for a text of a batch's bytes, which may be read
 * BYTES_SLACK bytes past its end: one load for the short texts most are
 * (a call id, a tool name), no byte loop. */
static bool plain_span(sr_str s) {
#if defined(__SSE2__)
  const unsigned char *p = (const unsigned char *)s.p;
  for (size_t i = 0; i < s.n; i += 16) {
    unsigned m = sr_bytes16_json_special(p + i) | sr_bytes16_high(p + i);
    if (s.n - i < 16) m &= (1u << (s.n - i)) - 1;
    if (m) return false;
  }
  return true;
#else
  return sr_buf_json_plain(s, false);
#endif
}

/* A text of a timeline entry, and what is known of it. */
struct text {
  sr_str s;
  enum {
    TEXT_ANY,   /* from elsewhere (a migrated row): check it all */
    TEXT_SLACK, /* in a batch's bytes: BYTES_SLACK bytes readable past it */
    TEXT_PLAIN, /* a name of ours (event type, phase): needs nothing */
  } kind;
};

/* t as a JSON string into a chunk with room for its escaped form. */
static void put_text(struct sr_buf *c, struct text t) {
  bool plain = t.kind == TEXT_PLAIN ||
               (t.kind == TEXT_SLACK ? plain_span(t.s)
                                     : sr_buf_json_plain(t.s, false));
  if (!plain) {
    sr_buf_json_text(c, t.s);
    return;
  }
  raw(c, "\"", 1);
  if (t.s.n) raw(c, t.s.p, t.s.n);
  raw(c, "\"", 1);
}

static void put_text_or_null(struct sr_buf *c, struct text t) {
  if (t.s.n)
    put_text(c, t);
  else
    raw(c, "null", 4);
}

/* Appends one entry, [seq, ts_ms, type, phase, call_id, tool, summary,
 * risk] (schemas/state.sql), to the chunk; empty texts are null, as they
 * were as columns (type and summary are never null). */
static void put_entry(struct sr_buf *c, uint64_t seq, int64_t ts_ms,
                      struct text type, struct text phase,
                      struct text call_id, struct text tool,
                      struct text summary, double risk) {
  chunk_reserve(c, 128 + 6 * (type.s.n + phase.s.n + call_id.s.n +
                              tool.s.n + summary.s.n));
  raw(c, c->len > 1 ? ",[" : "[", c->len > 1 ? 2 : 1);
  raw_u64(c, seq);
  raw(c, ",", 1);
  raw_i64(c, ts_ms);
  raw(c, ",", 1);
  put_text(c, type);
  raw(c, ",", 1);
  put_text_or_null(c, phase);
  raw(c, ",", 1);
  put_text_or_null(c, call_id);
  raw(c, ",", 1);
  put_text_or_null(c, tool);
  raw(c, ",", 1);
  put_text(c, summary);
  raw(c, ",", 1);
  sr_buf_real6(c, risk);
  raw(c, "]", 1);
  c->p[c->len] = '\0';
  assert(!c->overflow && c->len < c->cap);
}

static void chunk_begin(struct sr_buf *c) {
  chunk_reserve(c, 1);
  c->len = 0;
  c->overflow = false;
  sr_buf_append(c, "[", 1);
}

static void chunk_end(struct sr_buf *c) {
  chunk_reserve(c, 1);
  sr_buf_append(c, "]", 1);
}

/* Deletes the chunks of a session that lie wholly before keep_from, or all
 * of them when restarted (the retention or a state that did not load
 * restarted it at event 1: its stored timeline is another session's). A
 * new session has nothing to delete and costs no statement. */
static int trim_chunks(sqlite3_stmt *trim, const char *sid, int64_t keep_from,
                       bool restarted) {
  if (keep_from <= 1 && !restarted) return SR_OK;
  sqlite3_bind_text(trim, 1, sid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(trim, 2, keep_from);
  sqlite3_bind_int(trim, 3, restarted);
  return step(trim);
}

/* Binds a chunk row (TIMELINE_INSERT's columns) from parameter at on. */
static void bind_chunk(sqlite3_stmt *ins, int at, const char *sid,
                       int64_t first, int64_t last, int64_t keep_from,
                       const struct sr_buf *c) {
  sqlite3_bind_text(ins, at, sid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(ins, at + 1, first);
  sqlite3_bind_int64(ins, at + 2, last);
  sqlite3_bind_int64(ins, at + 3, keep_from);
  sqlite3_bind_text(ins, at + 4, c->p, (int)c->len, SQLITE_STATIC);
}

/* Trims the session's chunks (trim_chunks), then inserts the one built in
 * st->chunk[0]: the migration's way, a session at a time. */
static int store_chunk(struct sr_store *st, sqlite3_stmt *ins,
                       sqlite3_stmt *trim, const char *sid, int64_t first,
                       int64_t last, int64_t keep_from, bool restarted) {
  chunk_end(&st->chunk[0]);
  if (trim_chunks(trim, sid, keep_from, restarted)) return SR_EIO;
  bind_chunk(ins, 1, sid, first, last, keep_from, &st->chunk[0]);
  return step(ins);
}

static const char *phase_name(enum sr_phase p) {
  static const char *const phases[] = {NULL, "requested", "completed",
                                       "failed"};
  return p <= SR_PHASE_FAILED ? phases[p] : NULL;
}

/* Setup -------------------------------------------------------------------*/

static int db_error(sqlite3 *db, const char *path, const char *what,
                    char *err, size_t errlen) {
  snprintf(err, errlen, "%s: %s: %s", path, what,
           db ? sqlite3_errmsg(db) : "out of memory");
  return SR_EIO;
}

static int prepare(sqlite3 *db, const char *path, const char *sql,
                   sqlite3_stmt **out, char *err, size_t errlen) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) !=
      SQLITE_OK)
    return db_error(db, path, "preparing a statement", err, errlen);
  return SR_OK;
}

/* Version 1 kept one session_events row per event; each session's rows
 * become one chunk (all of them kept: they were within the bound when
 * written), then the table goes. Runs inside open_schema's transaction,
 * after the version 2 tables were created. */
static int migrate_v1(struct sr_store *st, char *err, size_t errlen) {
  const char *path = st->opts.path;
  sqlite3_stmt *q = NULL, *ins = NULL, *trim = NULL;
  char *sid = NULL; /* the session being gathered (heap) */
  int64_t first = 0, last = 0;
  size_t rows = 0;
  int rc = SR_EIO, step_rc;
  if (prepare(st->db, path,
              "SELECT session_id, seq, ts_ms, type, phase, call_id, tool, "
              "summary, risk FROM session_events ORDER BY session_id, seq",
              &q, err, errlen) ||
      prepare(st->db, path, TIMELINE_INSERT, &ins, err, errlen) ||
      prepare(st->db, path, TIMELINE_TRIM, &trim, err, errlen))
    goto done;
  while ((step_rc = sqlite3_step(q)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(q, 0);
    if (!id) id = "";
    if (rows && strcmp(id, sid)) {
      if (store_chunk(st, ins, trim, sid, first, last, first, false)) break;
      rows = 0;
    }
    if (!rows) {
      free(sid);
      sid = strdup(id);
      if (!sid) abort(); /* one session id */
      first = sqlite3_column_int64(q, 1);
      chunk_begin(&st->chunk[0]);
    }
    last = sqlite3_column_int64(q, 1);
    struct text text[5]; /* type, phase, call_id, tool, summary */
    for (int i = 0; i < 5; i++) {
      text[i].s.p = (const char *)sqlite3_column_text(q, 3 + i);
      text[i].s.n = text[i].s.p ? (size_t)sqlite3_column_bytes(q, 3 + i) : 0;
      text[i].kind = TEXT_ANY;
    }
    put_entry(&st->chunk[0], (uint64_t)last, sqlite3_column_int64(q, 2),
              text[0], text[1], text[2], text[3], text[4],
              sqlite3_column_double(q, 8));
    rows++;
  }
  if (step_rc != SQLITE_DONE ||
      (rows && store_chunk(st, ins, trim, sid, first, last, first, false)) ||
      sqlite3_exec(st->db, "DROP TABLE session_events", NULL, NULL, NULL) !=
          SQLITE_OK) {
    db_error(st->db, path, "migrating the timeline from schema version 1",
             err, errlen);
    goto done;
  }
  rc = SR_OK;
done:
  free(sid);
  sqlite3_finalize(q);
  sqlite3_finalize(ins);
  sqlite3_finalize(trim);
  return rc;
}

/* Runs the statements of a step of the migration to version 3 (inside
 * open_schema's transaction). */
static int migrate_step(struct sr_store *st, const char *sql, char *err,
                        size_t errlen) {
  if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK) return SR_OK;
  return db_error(st->db, st->opts.path, "migrating to schema version 3", err,
                  errlen);
}

/* The audit log of versions 1 and 2 had no seq; its rowid could not serve
 * as one (VACUUM may renumber rowids, and the newest row's is reused once
 * that row expired). Before the version 3 tables are created, the old
 * table and its indexes step aside; migrate_v2 copies its rows into the
 * new one. The risk index lacked last_action: it goes, to be created
 * anew. */
static int set_aside_v2(struct sr_store *st, char *err, size_t errlen) {
  return migrate_step(st,
                      "ALTER TABLE commands RENAME TO commands_v2;"
                      "DROP INDEX commands_by_session;"
                      "DROP INDEX commands_by_time;"
                      "DROP INDEX sessions_by_risk;",
                      err, errlen);
}

/* The audit rows set aside get seqs in the order they were stored (their
 * rowids). Version 2 named the default mode "normal"; the event contract
 * (docs/events.md), which the API follows, says "default". */
static int migrate_v2(struct sr_store *st, char *err, size_t errlen) {
  return migrate_step(st,
                      "INSERT INTO commands (seq, " COMMAND_COLUMNS
                      ") SELECT rowid, " COMMAND_COLUMNS
                      " FROM commands_v2 ORDER BY rowid;"
                      "DROP TABLE commands_v2;"
                      "UPDATE sessions SET mode = 'default' WHERE mode = "
                      "'normal';",
                      err, errlen);
}

/* Brings a database of version 1 or 2 up to SCHEMA_VERSION, one version
 * at a time, once the current tables exist. */
static int migrate(struct sr_store *st, int version, char *err, size_t errlen) {
  int rc = version == 1 ? migrate_v1(st, err, errlen) : SR_OK;
  return rc ? rc : migrate_v2(st, err, errlen);
}

/* Deletes the dimension rows of detectors this build no longer has: the
 * checkpoints upsert only the dimensions they know (write_session). */
static int drop_gone_dimensions(struct sr_store *st, char *err,
                                size_t errlen) {
  sqlite3_str *q = sqlite3_str_new(st->db);
  sqlite3_str_appendall(q, "DELETE FROM session_dimensions WHERE dimension "
                           "NOT IN (''");
  for (size_t i = 0; i < sr_detectors_count(st->dets); i++)
    sqlite3_str_appendf(q, ", %Q", sr_detectors_name(st->dets, i));
  sqlite3_str_appendall(q, ")");
  char *sql = sqlite3_str_finish(q);
  int rc = sql && sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? SR_OK
               : db_error(st->db, st->opts.path,
                          "dropping dimensions no longer built", err, errlen);
  sqlite3_free(sql);
  return rc;
}

/* The database's schema version, or SR_EINVAL with err when this build
 * cannot use it (not a database, or a newer version). */
static int schema_version(struct sr_store *st, int *version, char *err,
                          size_t errlen) {
  sqlite3_stmt *v = NULL;
  *version = -1;
  if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &v, NULL) ==
          SQLITE_OK &&
      sqlite3_step(v) == SQLITE_ROW)
    *version = sqlite3_column_int(v, 0);
  sqlite3_finalize(v);
  if (*version < 0)
    return db_error(st->db, st->opts.path, "not an SQLite database", err,
                    errlen);
  if (*version > SCHEMA_VERSION) {
    snprintf(err, errlen,
             "%s: state schema version %d is newer than this build's (%d); "
             "use a newer stackrisk or another --state file",
             st->opts.path, *version, SCHEMA_VERSION);
    return SR_EINVAL;
  }
  return SR_OK;
}

/* Creates the tables (the embedded schemas/state.sql), migrating a
 * database of an older version, in one transaction; a database of a newer
 * schema version is refused untouched. */
static int open_schema(struct sr_store *st, char *err, size_t errlen) {
  const char *path = st->opts.path;
  sqlite3 *db = NULL;
  /* NOMUTEX: each connection is used by one thread (STYLE.md). */
  if (sqlite3_open_v2(path, &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    db_error(db, path, "cannot open the state database", err, errlen);
    sqlite3_close(db);
    return SR_EIO;
  }
  st->db = db;
  sqlite3_busy_timeout(db, 10000);
  int version;
  if (schema_version(st, &version, err, errlen)) return SR_EINVAL;
  char *msg = NULL;
  /* The writer's page cache: SQLite's default (2 MB) holds a fraction of
   * the pages a checkpoint touches (every active session's row, chunks and
   * dimensions), so each checkpoint read them back from the kernel, a
   * third of the store thread's time at full rate. The cache grows only as
   * pages are used. */
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                       "PRAGMA cache_size=-" WRITER_CACHE_KIB ";",
                   NULL, NULL, &msg) != SQLITE_OK ||
      sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(err, errlen, "%s: creating the state tables: %s", path,
             msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return SR_EIO;
  }
  /* Again under the write lock: another process may have migrated it. */
  int rc = schema_version(st, &version, err, errlen);
  bool older = version >= 1 && version < SCHEMA_VERSION;
  if (!rc && older) rc = set_aside_v2(st, err, errlen);
  if (!rc && sqlite3_exec(db, sr_state_sql, NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(err, errlen, "%s: creating the state tables: %s", path,
             msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    rc = SR_EIO;
  }
  if (!rc) rc = drop_gone_dimensions(st, err, errlen);
  if (!rc && older) rc = migrate(st, version, err, errlen);
  if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = db_error(db, path, "creating the state tables", err, errlen);
  if (rc)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  else if (older)
    SR_INFO("%s: migrated the state database from schema version %d to %d",
            path, version, SCHEMA_VERSION);
  return rc;
}

static int load_offsets(struct sr_store *st, char *err, size_t errlen) {
  sqlite3_stmt *q = NULL;
  if (prepare(st->db, st->opts.path,
              "SELECT topic, partition, next_offset FROM input_offsets", &q,
              err, errlen))
    return SR_EIO;
  while (sqlite3_step(q) == SQLITE_ROW && st->n_offsets < OFFSETS_MAX) {
    struct sr_store_offset *o = &st->offsets[st->n_offsets++];
    snprintf(o->topic, sizeof o->topic, "%s",
             (const char *)sqlite3_column_text(q, 0));
    o->partition = sqlite3_column_int(q, 1);
    o->next = sqlite3_column_int64(q, 2);
  }
  sqlite3_finalize(q);
  if (sqlite3_prepare_v2(st->db, "SELECT max(last_ts_ms) FROM sessions", -1,
                         &q, NULL) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW)
    st->stream_ms = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  return SR_OK;
}

/* r for `head VALUES (?, ...) tail`: one row of cols parameters, and
 * ROWS rows. */
static int rows_prepare(sqlite3 *db, const char *path, const char *head,
                        int cols, const char *tail, struct rows *r, char *err,
                        size_t errlen) {
  r->cols = cols;
  for (int k = 1; k <= ROWS; k += ROWS - 1) {
    sqlite3_str *q = sqlite3_str_new(db);
    sqlite3_str_appendall(q, head);
    sqlite3_str_appendall(q, " VALUES ");
    for (int i = 0; i < k; i++) {
      sqlite3_str_appendall(q, i ? ",(?" : "(?");
      for (int c = 1; c < cols; c++) sqlite3_str_appendall(q, ",?");
      sqlite3_str_appendall(q, ")");
    }
    sqlite3_str_appendf(q, " %s", tail);
    char *sql = sqlite3_str_finish(q);
    int rc = sql ? prepare(db, path, sql, k == 1 ? &r->one : &r->many, err,
                           errlen)
                 : db_error(db, path, "preparing a statement", err, errlen);
    sqlite3_free(sql);
    if (rc) return rc;
  }
  return SR_OK;
}

static void rows_finalize(struct rows *r) {
  sqlite3_finalize(r->one);
  sqlite3_finalize(r->many);
}

/* Binds row i of something (ctx) to q from parameter at on; slot is the
 * row's place in the statement (0 .. ROWS-1). */
typedef void (*bind_row_fn)(sqlite3_stmt *q, int at, size_t slot,
                            const void *ctx, size_t i);

/* Inserts rows 0..n of ctx: ROWS at a time while there are that many, the
 * rest one by one. */
static int rows_insert(struct rows *r, size_t n, bind_row_fn bind,
                       const void *ctx) {
  for (size_t i = 0; i < n;) {
    size_t k = n - i >= ROWS ? ROWS : 1;
    sqlite3_stmt *q = k == ROWS ? r->many : r->one;
    for (size_t j = 0; j < k; j++) bind(q, 1 + (int)j * r->cols, j, ctx, i + j);
    /* Every parameter is bound for every row: no sqlite3_clear_bindings
     * (a loop over ROWS x cols of them). */
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return SR_EIO;
    i += k;
  }
  return SR_OK;
}

static int prepare_writes(struct sr_store *st, char *err, size_t errlen) {
  const char *p = st->opts.path;
  sqlite3 *db = st->db;
  if (rows_prepare(db, p,
                   "INSERT INTO sessions (session_id, risk, depth, "
                   "last_action, killed, events, mode, environment, task, "
                   "first_ts_ms, last_ts_ms, updated_at_ms, state)",
                   13,
                   "ON CONFLICT (session_id) DO UPDATE SET risk = "
                   "excluded.risk, depth = excluded.depth, last_action = "
                   "excluded.last_action, killed = excluded.killed, events = "
                   "excluded.events, mode = excluded.mode, environment = "
                   "excluded.environment, task = excluded.task, last_ts_ms = "
                   "excluded.last_ts_ms, updated_at_ms = "
                   "excluded.updated_at_ms, state = excluded.state",
                   &st->ins_session, err, errlen) ||
      prepare(db, p, "DELETE FROM session_dimensions WHERE session_id = ?",
              &st->st_dim_del, err, errlen) ||
      rows_prepare(db, p,
                   "INSERT INTO session_dimensions (session_id, dimension, "
                   "score, elevated, reason, ts_ms)",
                   6,
                   "ON CONFLICT (session_id, dimension) DO UPDATE SET score = "
                   "excluded.score, elevated = excluded.elevated, reason = "
                   "excluded.reason, ts_ms = excluded.ts_ms",
                   &st->ins_dim, err, errlen) ||
      rows_prepare(db, p, TIMELINE_HEAD, 5, "", &st->ins_tl, err, errlen) ||
      prepare(db, p, TIMELINE_TRIM, &st->st_tl_trim, err, errlen) ||
      rows_prepare(db, p,
                   "INSERT OR IGNORE INTO commands (" COMMAND_COLUMNS ")", 14,
                   "", &st->ins_cmd, err, errlen) ||
      prepare(db, p,
              "INSERT OR REPLACE INTO input_offsets (topic, partition, "
              "next_offset) VALUES (?, ?, ?)",
              &st->st_off, err, errlen))
    return SR_EIO;
  return SR_OK;
}

static int shard_open(struct sr_store *st, struct sr_shard *sh, size_t i,
                      char *err, size_t errlen) {
  sh->st = st;
  sh->index = i;
  sh->stream_ms = INT64_MIN;
  sh->blob = malloc(sr_store_blob_max(st->dets));
  if (!sh->blob) {
    snprintf(err, errlen, "out of memory");
    return SR_ENOMEM;
  }
  if (sqlite3_open_v2(st->opts.path, &sh->db,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK)
    return db_error(sh->db, st->opts.path, "opening a reader", err, errlen);
  sqlite3_busy_timeout(sh->db, 10000);
  return prepare(sh->db, st->opts.path,
                 "SELECT state FROM sessions WHERE session_id = ?", &sh->get,
                 err, errlen);
}

static void shard_close(struct sr_shard *sh) {
  sqlite3_finalize(sh->get);
  sqlite3_close(sh->db);
  batch_free(&sh->open);
  batch_free(&sh->sealed);
  grow_free(sh->dirty, sh->cap_dirty, sizeof *sh->dirty);
  free(sh->blob);
}

/* "commit:N" / "publish:N" */
static int parse_crash(struct sr_store *st, const char *spec, char *err,
                       size_t errlen) {
  if (!spec || !*spec) return SR_OK;
  char *end;
  const char *colon = strchr(spec, ':');
  unsigned long n = colon ? strtoul(colon + 1, &end, 10) : 0;
  if (!colon || *end || n == 0) goto bad;
  if (!strncmp(spec, "commit:", 7)) {
    st->crash_commit = n;
  } else if (!strncmp(spec, "publish:", 8)) {
    st->crash_publish = n;
  } else {
    goto bad;
  }
  return SR_OK;
bad:
  snprintf(err, errlen,
           "STACKRISK_CRASH_AT: expected commit:N or publish:N, got '%s'",
           spec);
  return SR_EINVAL;
}

/* SQLite's WAL hook, in place of its autocheckpoint (setting a hook
 * turns that off): notes the WAL's size after each commit for copy_wal. */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int frames) {
  (void)db;
  (void)name;
  ((struct sr_store *)arg)->wal_frames = frames;
  return SQLITE_OK;
}

struct sr_store *sr_store_open(const struct sr_store_opts *opts,
                               const struct sr_detectors *dets,
                               size_t n_shards, char *err, size_t errlen) {
  assert(opts->path && *opts->path && n_shards > 0);
  struct sr_store *st = calloc(1, sizeof *st);
  if (!st) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  st->opts = *opts;
  if (!st->opts.timeline_max) st->opts.timeline_max = SR_STORE_TIMELINE_DEFAULT;
  st->dets = dets;
  st->layout = layout_hash(dets);
  st->stream_ms = INT64_MIN;
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->cv, NULL);
  atomic_init(&st->committed, 0);
  st->next_seq = 1;
  if (parse_crash(st, opts->crash_at, err, errlen) ||
      open_schema(st, err, errlen) || load_offsets(st, err, errlen) ||
      prepare_writes(st, err, errlen))
    goto fail;
  st->shards = calloc(n_shards, sizeof *st->shards);
  st->ck.batches = calloc(n_shards, sizeof *st->ck.batches);
  st->kept = malloc(st->opts.timeline_max * sizeof *st->kept);
  if (!st->shards || !st->ck.batches || !st->kept) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n_shards; i++) {
    st->n_shards = i + 1;
    if (shard_open(st, &st->shards[i], i, err, errlen)) goto fail;
  }
  sqlite3_wal_hook(st->db, wal_committed, st);
  return st;
fail:
  sr_store_close(st);
  return NULL;
}

struct sr_shard *sr_store_shard(struct sr_store *st, size_t i) {
  assert(i < st->n_shards);
  return &st->shards[i];
}

int64_t sr_store_offset(const struct sr_store *st, const char *topic,
                        int32_t partition) {
  struct sr_store *m = (struct sr_store *)st; /* the mutex only */
  int64_t next = -1;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < st->n_offsets; i++)
    if (st->offsets[i].partition == partition &&
        !strcmp(st->offsets[i].topic, topic))
      next = st->offsets[i].next;
  pthread_mutex_unlock(&m->mu);
  return next;
}

/* Writing a checkpoint (store thread) --------------------------------------*/

static const char *mode_name(enum sr_mode m) {
  switch (m) {
    case SR_MODE_DEFAULT:
      return "default";
    case SR_MODE_PLAN:
      return "plan";
    case SR_MODE_READ_ONLY:
      return "read_only";
    default:
      return NULL;
  }
}

static void bind_text(sqlite3_stmt *q, int i, const char *s) {
  if (s && *s)
    sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(q, i);
}

/* Binds a span of b's bytes as text, NULL when empty. */
static void bind_span(sqlite3_stmt *q, int i, const struct batch *b,
                      struct span sp) {
  if (sp.len)
    sqlite3_bind_text(q, i, (const char *)b->bytes + sp.off, (int)sp.len,
                      SQLITE_STATIC);
  else
    sqlite3_bind_null(q, i);
}

/* What the rows of one shard's batch are bound from. */
struct batch_rows {
  struct sr_store *st;
  const struct batch *b;
  int64_t now;
};

static void bind_session(sqlite3_stmt *q, int at, size_t slot,
                         const void *ctx, size_t i) {
  (void)slot;
  const struct batch_rows *w = ctx;
  const struct batch *b = w->b;
  const struct blob_rec *r = &b->blobs[i];
  sqlite3_bind_text(q, at, r->sid, -1, SQLITE_STATIC);
  sqlite3_bind_double(q, at + 1, r->risk);
  sqlite3_bind_int(q, at + 2, (int)r->depth);
  bind_text(q, at + 3,
            r->last_action ? sr_action_name(r->last_action) : NULL);
  sqlite3_bind_int(q, at + 4, r->killed);
  sqlite3_bind_int64(q, at + 5, (sqlite3_int64)r->events);
  bind_text(q, at + 6, mode_name(r->mode));
  bind_span(q, at + 7, b, r->environment);
  bind_span(q, at + 8, b, r->task);
  sqlite3_bind_int64(q, at + 9, r->first_ts_ms);
  sqlite3_bind_int64(q, at + 10, r->last_ts_ms);
  sqlite3_bind_int64(q, at + 11, w->now);
  sqlite3_bind_blob(q, at + 12, b->bytes + r->blob.off, (int)r->blob.len,
                    SQLITE_STATIC);
}

static void bind_dimension(sqlite3_stmt *q, int at, size_t slot,
                           const void *ctx, size_t i) {
  (void)slot;
  const struct batch_rows *w = ctx;
  const struct dim_rec *d = &w->b->dims[i];
  const struct sr_dim_params *p = sr_detectors_params(w->st->dets, d->index);
  sqlite3_bind_text(q, at, w->b->blobs[d->blob].sid, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, at + 1, sr_detectors_name(w->st->dets, d->index), -1,
                    SQLITE_STATIC);
  sqlite3_bind_double(q, at + 2, d->score);
  sqlite3_bind_int(q, at + 3,
                   p->enabled && d->score > 0.0f && d->score >= p->threshold);
  sqlite3_bind_text(q, at + 4, (const char *)w->b->bytes + d->reason.off,
                    (int)d->reason.len, SQLITE_STATIC);
  sqlite3_bind_int64(q, at + 5, d->ts_ms);
}

/* The session rows, and one upsert per scored dimension: a dimension once
 * scored stays scored (it keeps its reason) until the session starts
 * afresh, so its old rows are deleted only then (r->restarted, before any
 * upsert), and those of detectors no longer built at open
 * (drop_gone_dimensions). */
static int write_sessions(struct batch_rows *w) {
  struct sr_store *st = w->st;
  const struct batch *b = w->b;
  if (rows_insert(&st->ins_session, b->n_blobs, bind_session, w))
    return SR_EIO;
  for (size_t i = 0; i < b->n_blobs; i++) {
    const struct blob_rec *r = &b->blobs[i];
    if (r->last_ts_ms > st->stream_ms) st->stream_ms = r->last_ts_ms;
    if (!r->restarted) continue;
    sqlite3_bind_text(st->st_dim_del, 1, r->sid, -1, SQLITE_STATIC);
    if (step(st->st_dim_del)) return SR_EIO;
  }
  return rows_insert(&st->ins_dim, b->n_dims, bind_dimension, w);
}

/* The first seq of a timeline whose newest entry is last. */
static uint64_t keep_from(const struct sr_store *st, uint64_t last) {
  uint64_t max = st->opts.timeline_max;
  return last > max ? last - max + 1 : 1;
}

/* Builds blob i's chunk (its entries from keep_from on) in the chunk
 * buffer of its slot, which stays bound until the INSERT is stepped. */
static void bind_timeline(sqlite3_stmt *q, int at, size_t slot,
                          const void *ctx, size_t i) {
  const struct batch_rows *w = ctx;
  const struct batch *b = w->b;
  const struct blob_rec *r = &b->blobs[w->st->with_tl[i]];
  struct sr_buf *c = &w->st->chunk[slot];
  uint64_t keep = keep_from(w->st, r->tl_last);
  uint32_t *kept = w->st->kept, n = 0;
  for (uint32_t k = r->tl_newest; k && b->tl[k - 1].seq >= keep;
       k = b->tl[k - 1].prev) {
    assert(n < w->st->opts.timeline_max); /* seqs rise along the list */
    kept[n++] = k - 1;
  }
  assert(n > 0);
  uint64_t first = b->tl[kept[n - 1]].seq;
  const char *p = (const char *)b->bytes;
  chunk_begin(c);
  while (n--) {
    const struct timeline_rec *t = &b->tl[kept[n]];
    const char *phase = phase_name(t->phase);
    put_entry(c, t->seq, t->ts_ms,
              (struct text){sr_str_from(sr_event_type_name(t->type)),
                            TEXT_PLAIN},
              (struct text){phase ? sr_str_from(phase) : (sr_str){NULL, 0},
                            TEXT_PLAIN},
              (struct text){{p + t->call_id.off, t->call_id.len}, TEXT_SLACK},
              (struct text){{p + t->tool.off, t->tool.len}, TEXT_SLACK},
              (struct text){{p + t->summary.off, t->summary.len}, TEXT_SLACK},
              t->risk);
  }
  chunk_end(c);
  bind_chunk(q, at, r->sid, (int64_t)first, (int64_t)r->tl_last,
             (int64_t)keep, c);
}

/* Each session's timeline entries of this checkpoint as one chunk, after
 * the trim of its older chunks: at most one trim per session and one
 * INSERT per ROWS sessions, not two statements per event. */
static int write_timelines(struct batch_rows *w) {
  struct sr_store *st = w->st;
  const struct batch *b = w->b;
  size_t n = 0;
  for (size_t i = 0; i < b->n_blobs; i++) {
    const struct blob_rec *r = &b->blobs[i];
    if (!r->tl_newest) continue;
    if (trim_chunks(st->st_tl_trim, r->sid,
                    (int64_t)keep_from(st, r->tl_last), r->restarted))
      return SR_EIO;
    st->with_tl = grow(st->with_tl, &st->cap_with_tl, n + 1,
                       sizeof *st->with_tl);
    st->with_tl[n++] = (uint32_t)i;
  }
  return rows_insert(&st->ins_tl, n, bind_timeline, w);
}

static void bind_command(sqlite3_stmt *q, int at, size_t slot,
                         const void *ctx, size_t i) {
  (void)slot;
  const struct batch *b = ((const struct batch_rows *)ctx)->b;
  const struct audit_rec *a = &b->au[i];
  sqlite3_bind_text(q, at, a->command_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, at + 1, a->session_id, -1, SQLITE_STATIC);
  bind_span(q, at + 2, b, a->call_id);
  sqlite3_bind_text(q, at + 3, sr_action_name(a->action), -1, SQLITE_STATIC);
  sqlite3_bind_double(q, at + 4, a->risk);
  sqlite3_bind_int(q, at + 5, (int)a->depth);
  bind_span(q, at + 6, b, a->dims);
  sqlite3_bind_text(q, at + 7, a->rule, -1, SQLITE_STATIC);
  bind_span(q, at + 8, b, a->event_id);
  bind_span(q, at + 9, b, a->topic);
  if (a->topic.len) {
    sqlite3_bind_int(q, at + 10, a->partition);
    sqlite3_bind_int64(q, at + 11, a->offset);
  } else {
    sqlite3_bind_null(q, at + 10);
    sqlite3_bind_null(q, at + 11);
  }
  sqlite3_bind_int64(q, at + 12, a->issued_at_ms);
  sqlite3_bind_int64(q, at + 13, a->expires_at_ms);
}

static int write_offsets(struct sr_store *st, const struct sr_checkpoint *ck) {
  for (size_t i = 0; i < ck->n_offs; i++) {
    const struct sr_store_offset *o = &ck->offs[i];
    sqlite3_bind_text(st->st_off, 1, o->topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st->st_off, 2, o->partition);
    sqlite3_bind_int64(st->st_off, 3, o->next);
    if (step(st->st_off)) return SR_EIO;
  }
  return SR_OK;
}

/* Deletes sessions (and their rows) whose last event is two retentions
 * behind the newest committed event time, and commands past the audit
 * retention. One retention is the rule (sr_aggregator_set_retention: such
 * a session restarts on its next event whether or not its row is still
 * here); the second is the grace for late events, so a row is not deleted
 * while an event within the retention of it may still arrive. */
static int expire(struct sr_store *st) {
  char sql[1024];
  int rc = SQLITE_OK;
  int64_t keep = st->opts.retention_ms;
  if (keep > 0 && (uint64_t)st->stream_ms - (uint64_t)INT64_MIN > 2 * (uint64_t)keep) {
    long long cut = (long long)(st->stream_ms - 2 * keep);
    snprintf(sql, sizeof sql,
             "DELETE FROM session_dimensions WHERE session_id IN (SELECT "
             "session_id FROM sessions WHERE last_ts_ms < %lld);"
             "DELETE FROM session_timeline WHERE session_id IN (SELECT "
             "session_id FROM sessions WHERE last_ts_ms < %lld);"
             "DELETE FROM sessions WHERE last_ts_ms < %lld;",
             cut, cut, cut);
    rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
  }
  keep = st->opts.audit_retention_ms;
  if (rc == SQLITE_OK && keep > 0 &&
      (uint64_t)st->stream_ms - (uint64_t)INT64_MIN > (uint64_t)keep) {
    snprintf(sql, sizeof sql, "DELETE FROM commands WHERE issued_at_ms < %lld",
             (long long)(st->stream_ms - keep));
    rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
  }
  return rc == SQLITE_OK ? SR_OK : SR_EIO;
}

/* Returns once every command of delivery epochs up to epoch has reached
 * the broker. Past a second (the broker leading the control topic is
 * unreachable, or slow), says once why the input offsets stop advancing. */
static void await_commands(struct sr_store *st, uint64_t epoch, uint64_t seq) {
  if (!st->producer) return;
  int64_t since = sr_clock_ms(CLOCK_MONOTONIC);
  bool said = false;
  while (!sr_producer_epoch_delivered(st->producer, epoch)) {
    if (!said && sr_clock_ms(CLOCK_MONOTONIC) - since >= 1000) {
      SR_WARN(
          "%s: checkpoint %llu waits for its commands to reach Kafka; "
          "input offsets are held back until they do",
          st->opts.path, (unsigned long long)seq);
      said = true;
    }
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (said)
    SR_INFO("%s: checkpoint %llu: its commands reached Kafka after %lld ms",
            st->opts.path, (unsigned long long)seq,
            (long long)(sr_clock_ms(CLOCK_MONOTONIC) - since));
}

/* One transaction: every shard's batch, the offsets, the expiry. It
 * commits once the commands of its events (delivery epochs up to epoch)
 * are delivered: durable offsets past an undelivered command would lose
 * it in a crash, as a restart resumes after them. The rows are written
 * while the producer still delivers (at full rate its backlog took as
 * long as a third of the writing), uncommitted until then. */
static int write_checkpoint(struct sr_store *st, struct sr_checkpoint *ck,
                            uint64_t epoch) {
  int64_t now = sr_clock_ms(CLOCK_REALTIME);
  if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return SR_EIO;
  int rc = SR_OK;
  for (size_t i = 0; i < st->n_shards && !rc; i++) {
    struct batch_rows w = {st, ck->batches[i], now};
    rc = write_sessions(&w);
    if (!rc) rc = write_timelines(&w);
    if (!rc) rc = rows_insert(&st->ins_cmd, w.b->n_au, bind_command, &w);
  }
  if (!rc) rc = write_offsets(st, ck);
  if (!rc) rc = expire(st);
  if (!rc) await_commands(st, epoch, ck->seq);
  if (!rc && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = SR_EIO;
  if (rc) {
    SR_ERROR("%s: writing checkpoint %llu: %s; retrying", st->opts.path,
             (unsigned long long)ck->seq, sqlite3_errmsg(st->db));
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  size_t n[3] = {0, 0, 0};
  for (size_t i = 0; i < st->n_shards; i++) {
    n[0] += ck->batches[i]->n_blobs;
    n[1] += ck->batches[i]->n_tl;
    n[2] += ck->batches[i]->n_au;
  }
  SR_DEBUG(
      "checkpoint %llu: %zu sessions, %zu events, %zu commands in %lld "
      "ms",
      (unsigned long long)ck->seq, n[0], n[1], n[2],
      (long long)(sr_clock_ms(CLOCK_REALTIME) - now));
  return SR_OK;
}

/* Copies the WAL into the database file once it holds WAL_COPY_FRAMES
 * pages, as the autocheckpoint would inside COMMIT, but once the checkpoint
 * is reported durable: the copy and its two fsyncs (a third of a
 * checkpoint's time at full rate) then overlap the workers' next seal
 * instead of delaying the durability of this one. A reader's snapshot can
 * hold back part of it; a later copy takes the rest. */
static void copy_wal(struct sr_store *st) {
  if (st->wal_frames < WAL_COPY_FRAMES) return;
  int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                     NULL, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    SR_WARN("%s: copying the WAL into the database: %s", st->opts.path,
            sqlite3_errmsg(st->db));
  st->wal_frames = 0;
}

static void *store_main(void *arg) {
  struct sr_store *st = arg;
  pthread_setname_np(pthread_self(), "sr-store");
  pthread_mutex_lock(&st->mu);
  for (;;) {
    while (!st->stop && !(st->busy && atomic_load_explicit(
                                          &st->ck.sealed,
                                          memory_order_acquire) ==
                                          st->n_shards))
      pthread_cond_wait(&st->cv, &st->mu);
    if (st->stop) break;
    pthread_mutex_unlock(&st->mu);
    struct sr_checkpoint *ck = &st->ck;
    /* Commands of the sealed events were handed over before the seals,
     * so they belong to the epoch closed now; commands of later events
     * (workers go on) to the next, which is not waited for. */
    uint64_t epoch = st->producer ? sr_producer_epoch_next(st->producer) : 0;
    int rc = write_checkpoint(st, ck, epoch);
    if (rc) {
      struct timespec ts = {1, 0};
      nanosleep(&ts, NULL);
      pthread_mutex_lock(&st->mu);
      continue;
    }
    st->commits++;
    if (st->crash_commit && st->commits == st->crash_commit) {
      SR_WARN("STACKRISK_CRASH_AT=commit:%lu: killing the process",
              st->crash_commit);
      raise(SIGKILL);
    }
    for (size_t i = 0; i < st->n_shards; i++) batch_reset(ck->batches[i]);
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < ck->n_offs; i++) {
      const struct sr_store_offset *o = &ck->offs[i];
      size_t j = 0;
      while (j < st->n_offsets && (st->offsets[j].partition != o->partition ||
                                   strcmp(st->offsets[j].topic, o->topic)))
        j++;
      if (j == st->n_offsets) {
        if (j == OFFSETS_MAX) continue;
        st->n_offsets++;
      }
      st->offsets[j] = *o;
    }
    st->busy = false;
    atomic_store_explicit(&st->committed, ck->seq, memory_order_release);
    atomic_store_explicit(&ck->durable, true, memory_order_release);
    pthread_mutex_unlock(&st->mu);
    copy_wal(st);
    pthread_mutex_lock(&st->mu);
  }
  pthread_mutex_unlock(&st->mu);
  return NULL;
}

int sr_store_start(struct sr_store *st, struct sr_producer *producer,
                   char *err, size_t errlen) {
  st->producer = producer;
  int e = pthread_create(&st->thread, NULL, store_main, st);
  if (e) {
    snprintf(err, errlen, "cannot start the store thread: %s", strerror(e));
    return SR_EINVAL;
  }
  st->running = true;
  return SR_OK;
}

void sr_store_close(struct sr_store *st) {
  if (!st) return;
  if (st->running) {
    pthread_mutex_lock(&st->mu);
    st->stop = true;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->thread, NULL);
  }
  for (size_t i = 0; i < st->n_shards; i++) shard_close(&st->shards[i]);
  free(st->shards);
  free(st->ck.batches);
  free(st->ck.offs);
  struct rows *rows[] = {&st->ins_session, &st->ins_dim, &st->ins_tl,
                         &st->ins_cmd};
  for (size_t i = 0; i < SR_ARRAY_LEN(rows); i++) rows_finalize(rows[i]);
  sqlite3_stmt *stmts[] = {st->st_dim_del, st->st_tl_trim, st->st_off};
  for (size_t i = 0; i < SR_ARRAY_LEN(stmts); i++) sqlite3_finalize(stmts[i]);
  sqlite3_close(st->db);
  for (size_t i = 0; i < ROWS; i++) free(st->chunk[i].p);
  grow_free(st->with_tl, st->cap_with_tl, sizeof *st->with_tl);
  free(st->kept);
  pthread_cond_destroy(&st->cv);
  pthread_mutex_destroy(&st->mu);
  free(st);
}

/* Consumer side -----------------------------------------------------------*/

struct sr_checkpoint *sr_store_begin(struct sr_store *st,
                                     const struct sr_store_offset *offs,
                                     size_t n) {
  struct sr_checkpoint *ck = &st->ck;
  pthread_mutex_lock(&st->mu);
  if (st->busy) {
    pthread_mutex_unlock(&st->mu);
    return NULL;
  }
  struct sr_store_offset *copy = realloc(ck->offs, (n ? n : 1) * sizeof *copy);
  if (!copy) abort(); /* a few KiB per checkpoint */
  memcpy(copy, offs, n * sizeof *copy);
  ck->offs = copy;
  ck->n_offs = n;
  ck->seq = st->next_seq++;
  atomic_store(&ck->sealed, 0);
  atomic_store(&ck->durable, false);
  st->busy = true;
  pthread_mutex_unlock(&st->mu);
  return ck;
}

bool sr_store_durable(struct sr_store *st, const struct sr_checkpoint *ck) {
  (void)st;
  return atomic_load_explicit(&ck->durable, memory_order_acquire);
}

const struct sr_store_offset *sr_checkpoint_offsets(
    const struct sr_checkpoint *ck, size_t *n) {
  *n = ck->n_offs;
  return ck->offs;
}

/* Worker side -------------------------------------------------------------*/

static int load(void *ctx, struct sr_session *s) {
  struct sr_shard *sh = ctx;
  char err[256];
  sqlite3_bind_text(sh->get, 1, s->id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(sh->get);
  int out = 0;
  /* Unless the row is known absent, rows of it may be there. */
  s->persist.stored = rc != SQLITE_DONE;
  if (rc == SQLITE_ROW) {
    out = decode(sh->st->dets, sh->st->layout, sqlite3_column_blob(sh->get, 0),
                 (size_t)sqlite3_column_bytes(sh->get, 0), s, err, sizeof err)
              ? SR_EINVAL
              : 1;
    if (out < 0) SR_ERROR("%s: %s; the session starts afresh",
                          sh->st->opts.path, err);
  } else if (rc != SQLITE_DONE) {
    SR_ERROR("%s: reading session %s: %s; the session starts afresh",
             sh->st->opts.path, s->id, sqlite3_errmsg(sh->db));
    out = SR_EIO;
  }
  sqlite3_reset(sh->get);
  return out;
}

void sr_shard_attach(struct sr_shard *sh, struct sr_aggregator *agg) {
  sh->agg = agg;
  sr_aggregator_set_loader(agg, load, sh);
  sr_aggregator_set_retention(agg, sh->st->opts.retention_ms);
}

/* Appends at most max bytes of v, stopping at a NUL as "%.*s" would. */
static inline void put_view(struct sr_buf *b, sr_str v, size_t max) {
  size_t n = SR_MIN(v.n, max);
  if (n) sr_buf_append(b, v.p, strnlen(v.p, n));
}

#define PUT_LIT(b, s) sr_buf_append((b), (s), sizeof(s) - 1)

/* Room for a timeline summary, its NUL included. */
#define SUMMARY_MAX 192

/* "Bash rm -rf on production", "graphql.volumeDelete vol-1 on production":
 * catalogue names, the verb, the target and environment, never arguments.
 * Plain appends, not printf: this runs for every event. Returns the length
 * written to out (at most cap - 1).
 * @locality worker thread */
static size_t summarise(char *out, size_t cap, const struct sr_event *ev,
                        const struct sr_detection *det) {
  static const sr_str verbs[] = {SR_STR_LIT(""), SR_STR_LIT("read"),
                                 SR_STR_LIT("write"), SR_STR_LIT("delete")};
  struct sr_buf b = sr_buf_init(out, cap);
  switch (ev->type) {
    case SR_EV_TOOL_CALL: {
      const struct sr_op *op = &det->op;
      if (op->rule) {
        sr_buf_puts(&b, op->rule);
      } else {
        size_t n = SR_MIN(ev->tool.n, (size_t)64);
        const char *nul = n ? memchr(ev->tool.p, '\0', n) : NULL;
        /* A NUL inside the tool name ends the summary, as it always did
         * (the summary was a C string). */
        if (n)
          sr_buf_append(&b, ev->tool.p, nul ? (size_t)(nul - ev->tool.p) : n);
        if (nul) return b.len;
      }
      if (op->verb != SR_VERB_NONE) {
        PUT_LIT(&b, " (");
        sr_buf_append(&b, verbs[op->verb].p, verbs[op->verb].n);
        PUT_LIT(&b, ")");
      }
      if (op->target_id.n) {
        PUT_LIT(&b, " ");
        put_view(&b, op->target_id, 64);
      }
      if (op->environment.n) {
        PUT_LIT(&b, " on ");
        put_view(&b, op->environment, 32);
      }
      if (op->credential.id.n) {
        PUT_LIT(&b, " with credential ");
        put_view(&b, op->credential.id, 48);
      }
      break;
    }
    case SR_EV_SESSION_START:
      PUT_LIT(&b, "session started, mode ");
      sr_buf_puts(&b, mode_name(ev->mode) ? mode_name(ev->mode) : "unset");
      PUT_LIT(&b, ", environment ");
      put_view(&b, ev->environment, 32);
      break;
    case SR_EV_AGENT_MESSAGE:
      PUT_LIT(&b, "message from ");
      put_view(&b, ev->role, 32);
      break;
    case SR_EV_FILE_ACCESS:
      PUT_LIT(&b, "file ");
      put_view(&b, ev->op, 16);
      PUT_LIT(&b, " ");
      put_view(&b, ev->path, 96);
      if (ev->credentials_found.n) {
        char d[20], *n = sr_decimal(d + sizeof d, ev->credentials_found.n);
        PUT_LIT(&b, " (");
        sr_buf_append(&b, n, (size_t)(d + sizeof d - n));
        PUT_LIT(&b, " credentials found)");
      }
      break;
    case SR_EV_APPROVAL:
      put_view(&b, ev->decision, 16);
      PUT_LIT(&b, " by ");
      put_view(&b, ev->approver, 64);
      break;
    default:
      sr_buf_puts(&b, sr_event_type_name(ev->type));
  }
  return b.len;
}

/* cmd's dimensions as the audit row's JSON array of {"name", "score" (4
 * decimals), "reason"}, written in place at the end of b's bytes, with one
 * reservation for the longest it can be. @locality worker thread */
static struct span put_dims(struct batch *b, const struct sr_command *cmd) {
  /* Per dimension: the keys, quotes and punctuation (33 bytes), a score
   * (at most 31), and both texts with every byte escaped (6 bytes each). */
  size_t name_n[SR_DIM_MAX], reason_n[SR_DIM_MAX], max = 3;
  assert(cmd->n_dims <= SR_DIM_MAX);
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    name_n[i] = strlen(cmd->dims[i].name);
    reason_n[i] = strlen(cmd->dims[i].reason);
    max += 64 + 6 * (name_n[i] + reason_n[i]);
  }
  reserve_bytes(b, max);
  struct sr_buf c = sr_buf_init((char *)b->bytes + b->n_bytes, max + 1);
  raw(&c, "[", 1);
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    const struct sr_command_dim *d = &cmd->dims[i];
    raw(&c, i ? ",{\"name\":" : "{\"name\":", i ? 9 : 8);
    sr_buf_json_string(&c, (sr_str){d->name, name_n[i]});
    raw(&c, ",\"score\":", 9);
    c.len += sr_fixed_format(c.p + c.len, 32, d->score, 4);
    raw(&c, ",\"reason\":", 10);
    sr_buf_json_string(&c, (sr_str){d->reason, reason_n[i]});
    raw(&c, "}", 1);
  }
  raw(&c, "]", 1);
  assert(!c.overflow && c.len <= max);
  struct span sp = {b->n_bytes, c.len};
  b->n_bytes += c.len;
  return sp;
}

void sr_shard_note(struct sr_shard *sh, const struct sr_event *ev,
                   const struct sr_command *cmd, const char *topic) {
  struct sr_session *s = sr_aggregator_last_session(sh->agg);
  assert(s);
  if (s->last_ts_ms > sh->stream_ms) sh->stream_ms = s->last_ts_ms;
  struct sr_session_persist *ps = &s->persist;
  if (!ps->dirty) {
    sh->dirty = grow(sh->dirty, &sh->cap_dirty, sh->n_dirty + 1,
                     sizeof *sh->dirty);
    sh->dirty[sh->n_dirty++] = s;
    ps->dirty = true;
    ps->restarted = false;
    ps->tl_last = 0;
  }
  if (s->events == 1 && ps->stored) ps->restarted = true;
  struct batch *b = &sh->open;
  assert(b->n_tl < UINT32_MAX);
  b->tl = grow(b->tl, &b->cap_tl, b->n_tl + 1, sizeof *b->tl);
  struct timeline_rec *t = &b->tl[b->n_tl++];
  /* Seqs rise along the list unless the retention restarted the session
   * in this interval: then only the entries from its new event 1 on are
   * its, and the list starts again there. */
  t->prev = ps->tl_last && b->tl[ps->tl_last - 1].seq < s->events
                ? ps->tl_last
                : 0;
  ps->tl_last = (uint32_t)b->n_tl;
  t->seq = s->events;
  t->ts_ms = s->last_ts_ms;
  t->type = ev->type;
  t->phase = ev->phase;
  t->risk = s->risk;
  /* One reservation for the three strings; the summary is written in
   * place (at most SUMMARY_MAX - 1 bytes, as a buffer of SUMMARY_MAX with
   * its NUL would hold). */
  size_t tool_n = SR_MIN(ev->tool.n, (size_t)64);
  reserve_bytes(b, ev->call_id.n + tool_n + SUMMARY_MAX);
  t->call_id = put_bytes(b, ev->call_id.p, ev->call_id.n);
  t->tool = put_bytes(b, ev->tool.p, tool_n);
  size_t len = summarise((char *)b->bytes + b->n_bytes, SUMMARY_MAX, ev,
                         sr_aggregator_last_detection(sh->agg));
  t->summary = (struct span){b->n_bytes, len};
  b->n_bytes += len;
  if (!cmd) return;
  b->au = grow(b->au, &b->cap_au, b->n_au + 1, sizeof *b->au);
  struct audit_rec *a = &b->au[b->n_au++];
  memcpy(a->command_id, cmd->command_id, sizeof a->command_id);
  memcpy(a->session_id, cmd->session_id, sizeof a->session_id);
  a->action = cmd->action;
  a->risk = cmd->risk;
  a->depth = cmd->depth;
  memcpy(a->rule, cmd->rule, sizeof a->rule);
  a->issued_at_ms = cmd->issued_at_ms;
  a->expires_at_ms = cmd->expires_at_ms;
  a->partition = ev->partition;
  a->offset = ev->offset;
  a->call_id = put_bytes(b, cmd->call_id, strlen(cmd->call_id));
  a->event_id = put_bytes(b, cmd->event_id, strlen(cmd->event_id));
  a->topic = put_bytes(b, topic, topic ? strlen(topic) : 0);
  a->dims = put_dims(b, cmd);
}

static bool evictable(const struct sr_session *s, void *arg) {
  const struct sr_shard *sh = arg;
  uint64_t committed =
      atomic_load_explicit(&sh->st->committed, memory_order_acquire);
  if (s->persist.dirty || s->persist.saved_ckpt > committed) return false;
  return sh->stream_ms > s->last_ts_ms &&
         (uint64_t)sh->stream_ms - (uint64_t)s->last_ts_ms >=
             (uint64_t)sh->st->opts.idle_ms;
}

/* The session's row and dimension rows as the store thread will write
 * them: each dimension that ever scored (it keeps its reason) until the
 * session starts afresh. @locality worker thread */
static void seal_columns(const struct sr_store *st, struct batch *b,
                         struct blob_rec *r, const struct sr_session *s) {
  r->risk = s->risk;
  r->depth = s->depth;
  r->last_action = s->last_action;
  r->killed = s->killed;
  r->events = s->events;
  r->mode = s->info.mode;
  r->first_ts_ms = s->info.started ? s->info.started_ms : s->first_ts_ms;
  r->last_ts_ms = s->last_ts_ms;
  r->task = put_bytes(b, s->task, strlen(s->task));
  r->environment =
      put_bytes(b, s->info.environment, strlen(s->info.environment));
  for (size_t i = 0; i < sr_detectors_count(st->dets); i++) {
    const struct sr_dim_state *d = &s->dims[i];
    if (d->score <= 0.0f && !d->reason[0]) continue; /* never scored */
    b->dims = grow(b->dims, &b->cap_dims, b->n_dims + 1, sizeof *b->dims);
    struct dim_rec *dr = &b->dims[b->n_dims++];
    dr->index = (uint32_t)i;
    dr->blob = (uint32_t)(r - b->blobs);
    dr->score = d->score;
    dr->ts_ms = d->ts_ms;
    dr->reason = put_bytes(b, d->reason, strlen(d->reason));
  }
}

void sr_shard_seal(struct sr_shard *sh, struct sr_checkpoint *ck) {
  struct batch *b = &sh->open;
  size_t max = sr_store_blob_max(sh->st->dets);
  for (size_t i = 0; i < sh->n_dirty; i++) {
    struct sr_session *s = sh->dirty[i];
    int n = encode(sh->st->dets, sh->st->layout, s, sh->blob, max);
    assert(n > 0); /* sr_store_blob_max bounds every session */
    b->blobs = grow(b->blobs, &b->cap_blobs, b->n_blobs + 1, sizeof *b->blobs);
    struct blob_rec *r = &b->blobs[b->n_blobs++];
    memcpy(r->sid, s->id, sizeof r->sid);
    r->blob = put_bytes(b, sh->blob, (size_t)n);
    r->tl_newest = s->persist.tl_last;
    r->tl_last = r->tl_newest ? b->tl[r->tl_newest - 1].seq : 0;
    r->restarted = s->persist.restarted;
    seal_columns(sh->st, b, r, s);
    s->persist.stored = true;
    s->persist.dirty = false;
    s->persist.saved_ckpt = ck->seq;
  }
  sh->n_dirty = 0;
  /* The sealed batch was emptied when the previous checkpoint became
   * durable; the open one becomes it and the emptied one fills next. */
  struct batch t = sh->sealed;
  sh->sealed = sh->open;
  sh->open = t;
  assert(sh->open.n_blobs == 0 && sh->open.n_tl == 0 && sh->open.n_au == 0);
  struct sr_store *st = sh->st;
  st->ck.batches[sh->index] = &sh->sealed;
  if (st->opts.idle_ms > 0)
    sh->evicted += sr_aggregator_evict(sh->agg, evictable, sh);
  pthread_mutex_lock(&st->mu);
  atomic_fetch_add_explicit(&ck->sealed, 1, memory_order_release);
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

void sr_shard_published(struct sr_shard *sh) {
  if (!sh->st->crash_publish) return;
  if (atomic_fetch_add(&sh->st->published, 1) + 1 == sh->st->crash_publish) {
    SR_WARN("STACKRISK_CRASH_AT=publish:%lu: killing the process",
            sh->st->crash_publish);
    raise(SIGKILL);
  }
}

uint64_t sr_shard_evicted(const struct sr_shard *sh) { return sh->evicted; }
