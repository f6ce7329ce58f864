/*
 * Tests of aggregator/store.c on a real SQLite file: the state blob round
 * trip, checkpoints that hold session rows and input offsets together, a
 * reopened store resuming where it stopped, eviction and reload giving the
 * same decisions as an aggregator that never forgot anything, retention,
 * and the audit and timeline rows the query side reads.
 *
 * The event stream is every realistic session of tests/data/sessions,
 * interleaved line by line, decoded by the real decoder.
 */
#include <check.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "aggregator/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/kafka.h"
#include "ingest/decode.h"
#include "query/reader.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

static struct sr_detectors *dets; /* built once in main, inherited */
static struct sr_policy *policy;

/* ------------------------------------------------------------ the stream */

struct stream {
  char *lines[4096];
  size_t n;
};

/* Every session file but the malformed one, interleaved round-robin. */
static void stream_load(struct stream *s) {
  glob_t g;
  ck_assert_int_eq(glob(SR_TEST_DATA "/sessions/*.jsonl", 0, NULL, &g), 0);
  char *files[64][256];
  size_t counts[64] = {0}, nf = 0;
  for (size_t i = 0; i < g.gl_pathc && nf < 64; i++) {
    if (strstr(g.gl_pathv[i], "malformed")) continue;
    FILE *f = fopen(g.gl_pathv[i], "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0 && counts[nf] < 256) {
      while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
      if (!n) continue;
      line[n] = '\0';
      files[nf][counts[nf]++] = strdup(line);
    }
    free(line);
    fclose(f);
    nf++;
  }
  globfree(&g);
  s->n = 0;
  for (size_t row = 0;; row++) {
    bool any = false;
    for (size_t f = 0; f < nf; f++) {
      if (row >= counts[f]) continue;
      any = true;
      s->lines[s->n++] = files[f][row];
    }
    if (!any) break;
  }
  ck_assert_uint_gt(s->n, 100);
}

static void stream_free(struct stream *s) {
  for (size_t i = 0; i < s->n; i++) free(s->lines[i]);
}

/* ------------------------------------------------------------- fixture */

struct fx {
  char path[128];
  struct sr_store *st;
  struct sr_aggregator *agg;
  struct sr_arena *arena;
  struct sr_command cmd;
  int64_t next_offset;
  struct sr_producer *producer; /* commands' producer, or NULL (borrowed) */
};

static void rm_db(const char *path) {
  static const char *const sfx[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    char p[160];
    snprintf(p, sizeof p, "%s%s", path, sfx[i]);
    unlink(p);
  }
}

static struct sr_store *open_store(const char *path, int64_t idle_ms,
                                   int64_t retention_ms,
                                   struct sr_producer *producer) {
  char err[512];
  struct sr_store_opts o = {.path = path,
                            .idle_ms = idle_ms,
                            .retention_ms = retention_ms,
                            .audit_retention_ms = retention_ms,
                            .timeline_max = 5};
  struct sr_store *st = sr_store_open(&o, dets, 1, err, sizeof err);
  ck_assert_msg(st, "open: %s", err);
  ck_assert_int_eq(sr_store_start(st, producer, err, sizeof err), 0);
  return st;
}

static void fx_open(struct fx *f, const char *name, int64_t idle_ms,
                    int64_t retention_ms, bool fresh) {
  char err[512];
  snprintf(f->path, sizeof f->path, "test-store-%s-%d.db", name, (int)getpid());
  if (fresh) rm_db(f->path);
  f->st = open_store(f->path, idle_ms, retention_ms, f->producer);
  f->agg = sr_aggregator_create(dets, policy, err, sizeof err);
  ck_assert_ptr_nonnull(f->agg);
  sr_shard_attach(sr_store_shard(f->st, 0), f->agg);
  if (!f->arena) f->arena = sr_arena_create(1 << 20);
  int64_t off = sr_store_offset(f->st, "events", 0);
  f->next_offset = off < 0 ? 0 : off;
}

static void fx_close(struct fx *f) {
  sr_aggregator_destroy(f->agg);
  sr_store_close(f->st);
  f->agg = NULL;
  f->st = NULL;
}

/* Decodes and processes one line as offset f->next_offset of "events" [0];
 * returns 1 with f->cmd when a command was issued. */
static int feed(struct sr_aggregator *agg, struct sr_shard *sh,
                struct sr_arena *arena, const char *line, int64_t offset,
                struct sr_command *cmd) {
  char err[256];
  struct sr_event ev;
  struct sr_decode_opts o = {0, 1};
  sr_arena_reset(arena);
  ck_assert_msg(sr_decode_json(line, strlen(line), &o, arena, &ev, err,
                               sizeof err) == 0,
                "%s: %s", line, err);
  ev.partition = 0;
  ev.offset = offset;
  int rc = sr_aggregator_process(agg, &ev, cmd);
  ck_assert_int_ge(rc, 0);
  if (sh && rc != SR_AGG_REDELIVERED)
    sr_shard_note(sh, &ev, rc == 1 ? cmd : NULL, "events");
  return rc;
}

static int fx_feed(struct fx *f, const char *line) {
  return feed(f->agg, sr_store_shard(f->st, 0), f->arena, line,
              f->next_offset++, &f->cmd);
}

/* A whole checkpoint as the consumer and worker would run it. */
static void checkpoint(struct sr_store *st, struct sr_shard *sh,
                       int64_t next) {
  struct sr_store_offset o = {"events", 0, next};
  struct sr_checkpoint *ck = sr_store_begin(st, &o, 1);
  ck_assert_ptr_nonnull(ck);
  sr_shard_seal(sh, ck);
  long long deadline = time(NULL) + 20;
  while (!sr_store_durable(st, ck) && time(NULL) < deadline) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  ck_assert_msg(sr_store_durable(st, ck), "checkpoint not durable in 20 s");
}

static void fx_checkpoint(struct fx *f) {
  checkpoint(f->st, sr_store_shard(f->st, 0), f->next_offset);
}

/* sql prepared on a new read-only (reader's) connection to path: finalize
 * it, then close *db. */
static sqlite3_stmt *reader_query(const char *path, const char *sql,
                                  sqlite3 **db) {
  sqlite3_stmt *q;
  ck_assert_int_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  ck_assert_msg(sqlite3_prepare_v2(*db, sql, -1, &q, NULL) == SQLITE_OK,
                "%s: %s", sql, sqlite3_errmsg(*db));
  return q;
}

/* One integer from a query on a separate (reader's) connection. */
static long long q_int(const char *path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *q = reader_query(path, sql, &db);
  long long v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return v;
}

static double q_double(const char *path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *q = reader_query(path, sql, &db);
  double v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_double(q, 0) : -1;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return v;
}

/* --------------------------------------------------------------- tests */

START_TEST(blob_round_trip_is_exact) {
  struct stream s;
  stream_load(&s);
  char err[256];
  struct sr_aggregator *a = sr_aggregator_create(dets, policy, err, sizeof err);
  struct sr_arena *arena = sr_arena_create(1 << 20);
  struct sr_command cmd;
  for (size_t i = 0; i < s.n; i++) feed(a, NULL, arena, s.lines[i], i, &cmd);
  const struct sr_session *orig =
      sr_aggregator_session(a, SR_STR_LIT("sess-pocketos-1"));
  ck_assert_ptr_nonnull(orig);
  ck_assert_uint_ge(orig->depth, 3);
  size_t max = sr_store_blob_max(dets);
  uint8_t *b1 = malloc(max), *b2 = malloc(max);
  int n1 = sr_store_encode(dets, orig, b1, max);
  ck_assert_int_gt(n1, 0);

  struct sr_session_table *t = sr_session_table_create(
      sr_detectors_count(dets), sr_detectors_session_size(dets));
  struct sr_session *copy =
      sr_session_table_get(t, SR_STR_LIT("sess-pocketos-1"), true);
  ck_assert_int_eq(sr_store_decode(dets, b1, (size_t)n1, copy, err, sizeof err),
                   0);
  ck_assert_int_eq(sr_store_encode(dets, copy, b2, max), n1);
  ck_assert_int_eq(memcmp(b1, b2, (size_t)n1), 0);
  ck_assert_double_eq(copy->risk, orig->risk);
  ck_assert_uint_eq(copy->depth, orig->depth);
  ck_assert_uint_eq(copy->events, orig->events);
  ck_assert_str_eq(copy->task, orig->task);
  ck_assert_str_eq(copy->info.environment, orig->info.environment);
  ck_assert_int_eq(copy->info.mode, orig->info.mode);
  for (size_t i = 0; i < sr_detectors_count(dets); i++) {
    ck_assert_float_eq(copy->dims[i].score, orig->dims[i].score);
    /* an unscored dimension is not stored: its time means nothing */
    if (orig->dims[i].score != 0.0f)
      ck_assert_int_eq(copy->dims[i].ts_ms, orig->dims[i].ts_ms);
    ck_assert_str_eq(copy->dims[i].reason, orig->dims[i].reason);
  }
  ck_assert_int_eq(memcmp(copy->scratch, orig->scratch,
                          sr_detectors_session_size(dets)),
                   0);
  /* A cut blob is an error that names the session, never a half state. */
  ck_assert_int_eq(sr_store_decode(dets, b1, (size_t)n1 / 2, copy, err,
                                   sizeof err),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "sess-pocketos-1"), "%s", err);
  sr_session_table_destroy(t);
  free(b1);
  free(b2);
  sr_arena_destroy(arena);
  sr_aggregator_destroy(a);
  stream_free(&s);
}
END_TEST

/* The scratch part of the blob as store.h's format has it, one byte at a
 * time: a u16 run of zeros (at most 65535), a u16 run of literal bytes
 * that ends where eight zeros, only zeros, or 65535 bytes follow, the
 * literal bytes; repeated. Databases written before keep decoding only if
 * the encoder never departs from this. */
static size_t ref_scratch(const uint8_t *p, size_t n, uint8_t *out) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t z = 0;
    while (i + z < n && z < 65535 && p[i + z] == 0) z++;
    size_t j = i + z, e = j;
    while (e < n) {
      if (p[e]) {
        if (e - j == 65535) break;
        e++;
        continue;
      }
      size_t k = 0;
      while (e + k < n && k < 8 && p[e + k] == 0) k++;
      if (k == 8 || e + k == n || e - j + k > 65535) break;
      e += k;
    }
    size_t l = e - j;
    out[o++] = (uint8_t)(z & 0xff);
    out[o++] = (uint8_t)(z >> 8);
    out[o++] = (uint8_t)(l & 0xff);
    out[o++] = (uint8_t)(l >> 8);
    memcpy(out + o, p + j, l);
    o += l;
    i = e;
  }
  return o;
}

START_TEST(calls_awaiting_a_decision_survive_the_blob) {
  /* An escalated call stays approvable after its session is evicted and
   * reloaded, or the processor restarts, and the session keeps when it
   * began; a blob written before either (it ended at the scratch) loads
   * with none awaiting and its last event's time as its first. */
  struct sr_session_table *t = sr_session_table_create(
      sr_detectors_count(dets), sr_detectors_session_size(dets));
  struct sr_session *s = sr_session_table_get(t, SR_STR_LIT("sess-a"), true);
  struct sr_session *copy = sr_session_table_get(t, SR_STR_LIT("sess-b"), true);
  size_t max = sr_store_blob_max(dets);
  uint8_t *blob = malloc(max);
  char err[256];
  s->first_ts_ms = 1790000000123;
  s->last_ts_ms = 1790000009000;
  s->n_awaiting = SR_AWAITING_MAX;
  for (int i = 0; i < SR_AWAITING_MAX; i++)
    s->awaiting[i] = 0x0123456789abcdefULL * (uint64_t)(i + 1);
  int n = sr_store_encode(dets, s, blob, max);
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(
      sr_store_decode(dets, blob, (size_t)n, copy, err, sizeof err), 0);
  ck_assert_uint_eq(copy->n_awaiting, SR_AWAITING_MAX);
  ck_assert_int_eq(memcmp(copy->awaiting, s->awaiting, sizeof s->awaiting), 0);
  ck_assert_int_eq(copy->first_ts_ms, 1790000000123);

  s->n_awaiting = 0;
  n = sr_store_encode(dets, s, blob, max);
  /* without the count, the first event's time and the (empty) ring of
   * events seen after them */
  ck_assert_int_eq(
      sr_store_decode(dets, blob, (size_t)n - 11, copy, err, sizeof err), 0);
  ck_assert_uint_eq(copy->n_awaiting, 0);
  ck_assert_int_eq(copy->first_ts_ms, 1790000009000);
  free(blob);
  sr_session_table_destroy(t);
}
END_TEST

START_TEST(events_seen_survive_the_blob) {
  /* A redelivery is recognised after its session was evicted and
   * reloaded, or the processor restarted, as without either: decisions
   * do not depend on eviction. A blob from before the ring (it ended at
   * the first event's time) loads with none seen. */
  struct sr_session_table *t = sr_session_table_create(
      sr_detectors_count(dets), sr_detectors_session_size(dets));
  struct sr_session *s = sr_session_table_get(t, SR_STR_LIT("sess-a"), true);
  struct sr_session *copy = sr_session_table_get(t, SR_STR_LIT("sess-b"), true);
  size_t max = sr_store_blob_max(dets);
  uint8_t *blob = malloc(max);
  char err[256];
  for (int full = 0; full < 2; full++) {
    s->n_seen = full ? SR_SEEN_MAX : 5;
    s->seen_next = full ? 7 : 5;
    for (int i = 0; i < s->n_seen; i++)
      s->seen[i] = 0xfedcba9876543210ULL * (uint64_t)(i + 3);
    int n = sr_store_encode(dets, s, blob, max);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(
        sr_store_decode(dets, blob, (size_t)n, copy, err, sizeof err), 0);
    ck_assert_uint_eq(copy->n_seen, s->n_seen);
    ck_assert_uint_eq(copy->seen_next, s->seen_next);
    ck_assert_int_eq(memcmp(copy->seen, s->seen, s->n_seen * sizeof s->seen[0]),
                     0);
  }
  s->n_seen = s->seen_next = 0;
  int n = sr_store_encode(dets, s, blob, max);
  copy->n_seen = 3;
  ck_assert_int_eq(
      sr_store_decode(dets, blob, (size_t)n - 2, copy, err, sizeof err), 0);
  ck_assert_uint_eq(copy->n_seen, 0);
  free(blob);
  sr_session_table_destroy(t);
}
END_TEST

START_TEST(scratch_encoding_keeps_its_format) {
  size_t size = sr_detectors_session_size(dets);
  ck_assert_uint_gt(size, 64);
  struct sr_session_table *t =
      sr_session_table_create(sr_detectors_count(dets), size);
  struct sr_session *s = sr_session_table_get(t, SR_STR_LIT("sess-x"), true);
  size_t max = sr_store_blob_max(dets);
  uint8_t *blob = malloc(max), *want = malloc(2 * size + 64);
  uint64_t x = 7;
  /* All zeros, then sparser and denser random bytes with zero gaps of
   * every length around 8 and around word boundaries, ending on zeros or
   * on a literal. */
  for (int pattern = 0; pattern < 400; pattern++) {
    memset(s->scratch, 0, size);
    for (size_t i = 0; pattern && i < size; i++) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      unsigned r = (unsigned)(x >> 33) % 1000;
      if (r < (unsigned)(pattern % 20) * 25) ((uint8_t *)s->scratch)[i] =
          (uint8_t)(1 + (x >> 50) % 255);
    }
    if (pattern % 3 == 1) ((uint8_t *)s->scratch)[size - 1] = 9;
    if (pattern % 3 == 2) ((uint8_t *)s->scratch)[0] = 0xff;
    int n = sr_store_encode(dets, s, blob, max);
    ck_assert_int_gt(n, 0);
    size_t w = ref_scratch(s->scratch, size, want + 8);
    for (int b = 0; b < 8; b++) want[b] = (uint8_t)((uint64_t)size >> (8 * b));
    /* The scratch comes last but for the calls awaiting a decision (a
     * count of zero here), the first event's time (8 bytes) and the ring
     * of events seen (none: 2 bytes). */
    ck_assert_uint_ge((size_t)n, w + 19);
    ck_assert_uint_eq(blob[n - 11], 0);
    ck_assert_msg(memcmp(blob + (size_t)n - 11 - (w + 8), want, w + 8) == 0,
                  "pattern %d: the scratch runs differ from the format",
                  pattern);
  }
  free(blob);
  free(want);
  sr_session_table_destroy(t);
}
END_TEST

START_TEST(checkpoint_stores_rows_and_offsets_and_resumes) {
  struct stream s;
  stream_load(&s);
  struct fx f = {0};
  fx_open(&f, "resume", 0, 0, true);
  size_t half = s.n / 2;
  for (size_t i = 0; i < half; i++) fx_feed(&f, s.lines[i]);
  /* Nothing is visible before the checkpoint is durable. */
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions"), 0);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM input_offsets"), 0);
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT next_offset FROM input_offsets "
                                 "WHERE topic='events' AND partition=0"),
                   (long long)half);
  ck_assert_int_gt(q_int(f.path, "SELECT count(*) FROM sessions"), 10);
  fx_close(&f);

  /* Reopened: resumes at the stored offset with the stored sessions, and
   * the rest of the stream gives the commands an uninterrupted run gives. */
  fx_open(&f, "resume", 0, 0, false);
  ck_assert_int_eq(f.next_offset, (int64_t)half);
  char err[256];
  struct sr_aggregator *ref = sr_aggregator_create(dets, policy, err, sizeof err);
  struct sr_command rc;
  size_t commands = 0;
  for (size_t i = 0; i < s.n; i++) {
    int r1 = feed(ref, NULL, f.arena, s.lines[i], i, &rc);
    if (i < half) continue;
    int r2 = fx_feed(&f, s.lines[i]);
    ck_assert_int_eq(r1, r2);
    if (r1 == 1) {
      ck_assert_str_eq(rc.command_id, f.cmd.command_id);
      ck_assert_double_eq(rc.risk, f.cmd.risk);
      commands++;
    }
  }
  ck_assert_uint_gt(commands, 5);
  fx_checkpoint(&f);
  /* The query tables agree with the aggregator. */
  const struct sr_session *p =
      sr_aggregator_session(ref, SR_STR_LIT("sess-pocketos-1"));
  ck_assert_double_eq_tol(
      q_double(f.path, "SELECT risk FROM sessions WHERE "
                       "session_id='sess-pocketos-1'"),
      p->risk, 1e-9);
  ck_assert_int_eq(q_int(f.path, "SELECT depth FROM sessions WHERE "
                                 "session_id='sess-pocketos-1'"),
                   p->depth);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_dimensions "
                                 "WHERE session_id='sess-pocketos-1' AND "
                                 "elevated=1"),
                   p->depth);
  ck_assert_int_eq(q_int(f.path, "SELECT events FROM sessions WHERE "
                                 "session_id='sess-pocketos-1'"),
                   (long long)p->events);
  sr_aggregator_destroy(ref);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
  stream_free(&s);
}
END_TEST

START_TEST(audit_and_timeline_rows) {
  struct stream s;
  stream_load(&s);
  struct fx f = {0};
  fx_open(&f, "audit", 0, 0, true);
  size_t issued = 0;
  for (size_t i = 0; i < s.n; i++) issued += fx_feed(&f, s.lines[i]) == 1;
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM commands"),
                   (long long)issued);
  /* The blocked volumeDelete, with where its event was read. */
  ck_assert_int_eq(
      q_int(f.path, "SELECT count(*) FROM commands WHERE session_id="
                    "'sess-pocketos-1' AND action IN ('BLOCK','KILL') AND "
                    "topic='events' AND partition=0 AND offset >= 0 AND "
                    "event_id IS NOT NULL AND dimensions LIKE "
                    "'%\"name\":\"destructive\"%'"),
      1);
  /* The timeline is bounded (timeline_max 5) and never holds arguments:
   * one chunk per session (one checkpoint), holding its last 5 events. */
  ck_assert_int_eq(q_int(f.path, "SELECT max(n) FROM (SELECT count(*) n FROM "
                                 "session_timeline GROUP BY session_id)"),
                   1);
  ck_assert_int_eq(q_int(f.path, "SELECT max(json_array_length(entries)) "
                                 "FROM session_timeline"),
                   5);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_timeline, "
                                 "json_each(entries) WHERE value ->> 6 LIKE "
                                 "'%volumeId%' OR value ->> 6 LIKE "
                                 "'%mutation%'"),
                   0);
  ck_assert_int_gt(q_int(f.path, "SELECT count(*) FROM session_timeline, "
                                 "json_each(entries) WHERE value ->> 6 LIKE "
                                 "'%volumeDelete%'"),
                   0);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
  stream_free(&s);
}
END_TEST

START_TEST(eviction_and_reload_give_identical_decisions) {
  struct stream s;
  stream_load(&s);
  struct fx f = {0};
  /* Evict anything idle for 1 ms of event time: every session leaves
   * memory at nearly every checkpoint and is reloaded on its next event. */
  fx_open(&f, "evict", 1, 0, true);
  char err[256];
  struct sr_aggregator *ref = sr_aggregator_create(dets, policy, err, sizeof err);
  struct sr_command rc;
  size_t commands = 0;
  for (size_t i = 0; i < s.n; i++) {
    int r1 = feed(ref, NULL, f.arena, s.lines[i], i, &rc);
    int r2 = fx_feed(&f, s.lines[i]);
    ck_assert_int_eq(r1, r2);
    if (r1 == 1) {
      ck_assert_str_eq(rc.command_id, f.cmd.command_id);
      ck_assert_int_eq(rc.action, f.cmd.action);
      ck_assert_double_eq(rc.risk, f.cmd.risk);
      commands++;
    }
    fx_checkpoint(&f);
  }
  ck_assert_uint_gt(commands, 5);
  uint64_t evicted = sr_shard_evicted(sr_store_shard(f.st, 0));
  ck_assert_msg(evicted > s.n / 4, "only %llu evictions",
                (unsigned long long)evicted);
  ck_assert_uint_lt(sr_session_table_count(sr_aggregator_sessions(f.agg)),
                    sr_session_table_count(sr_aggregator_sessions(ref)));
  sr_aggregator_destroy(ref);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
  stream_free(&s);
}
END_TEST

static const char *line_at(char *buf, size_t cap, const char *sid, long long ts,
                           const char *call) {
  snprintf(buf, cap,
           "{\"type\":\"tool_call\",\"session_id\":\"%s\",\"ts_ms\":%lld,"
           "\"phase\":\"requested\",\"call_id\":\"%s\",\"tool\":\"Bash\","
           "\"arguments\":{\"command\":\"rm -rf /srv/data\"},"
           "\"environment\":\"production\",\"want_verdict\":true}",
           sid, ts, call);
  return buf;
}

/* What a person reads back: each audit row's dimensions carry the
 * command's scores as "%.4f", a timeline summary names the tool, cut at a
 * NUL inside its name (it is text), and a file read's counts the
 * credentials found. */
START_TEST(audit_scores_and_summaries_read_back_as_written) {
  struct fx f = {0};
  fx_open(&f, "readback", 0, 0, true);
  char line[512];
  ck_assert_int_eq(
      fx_feed(&f, line_at(line, sizeof line, "s1", 1790000000000LL, "c1")), 1);
  struct sr_command cmd = f.cmd;
  ck_assert_uint_gt(cmd.n_dims, 0);
  snprintf(line, sizeof line,
           "{\"type\":\"tool_call\",\"session_id\":\"s2\",\"ts_ms\":"
           "1790000000000,\"phase\":\"completed\",\"call_id\":\"c2\","
           "\"tool\":\"frob\\u0001nicate\"}");
  fx_feed(&f, line);
  /* A file read's summary counts the credentials found in it. */
  snprintf(line, sizeof line,
           "{\"type\":\"file_access\",\"session_id\":\"s3\",\"ts_ms\":"
           "1790000000000,\"path\":\".env\",\"op\":\"read\","
           "\"credentials_found\":[\"k1\",\"k2\",\"k3\",\"k4\",\"k5\","
           "\"k6\",\"k7\",\"k8\",\"k9\",\"k10\",\"k11\",\"k12\"]}");
  fx_feed(&f, line);
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_timeline "
                                 "WHERE session_id='s3' AND instr(entries, "
                                 "'\"file read .env (12 credentials "
                                 "found)\"') > 0"),
                   1);
  for (uint32_t i = 0; i < cmd.n_dims; i++) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM commands WHERE command_id='%s' AND "
             "instr(dimensions, '{\"name\":\"%s\",\"score\":%.4f,')",
             cmd.command_id, cmd.dims[i].name, cmd.dims[i].score);
    ck_assert_msg(q_int(f.path, sql) == 1, "%s", sql);
  }
  /* The chunk's raw JSON, the tool then the summary: a control character
   * is written escaped. (A NUL never gets this far: decoders refuse it.) */
  ck_assert_int_eq(q_int(f.path,
                         "SELECT count(*) FROM session_timeline "
                         "WHERE session_id='s2' AND instr(entries, "
                         "'\"frob\\u0001nicate\",\"frob\\u0001nicate\",') > 0"),
                   1);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

/* Replaces every `from` in line with `to` into out[cap]. */
static void replace_all(char *out, size_t cap, const char *line,
                        const char *from, const char *to) {
  struct sr_buf b = sr_buf_init(out, cap);
  for (const char *p = line, *hit; *p; p = hit + strlen(from)) {
    hit = strstr(p, from);
    if (!hit) {
      sr_buf_puts(&b, p);
      break;
    }
    sr_buf_append(&b, p, (size_t)(hit - p));
    sr_buf_puts(&b, to);
  }
  ck_assert(!b.overflow);
}

/* An audit row's dimensions are the command's, as JSON: a credential id
 * with a quote, a backslash, a control byte and UTF-8 in it reaches a
 * reason, and is escaped there as in every other JSON text we write. */
START_TEST(audit_dimensions_are_the_commands_as_json) {
  struct stream s;
  stream_load(&s);
  struct fx f = {0};
  fx_open(&f, "audit-dims", 0, 0, true);
  static char want[512][2048];
  char ids[512][SR_COMMAND_ID_LEN + 1], line[8192];
  size_t n = 0, escaped = 0;
  for (size_t i = 0; i < 2 * s.n && n < 512; i++) {
    const char *l = s.lines[i % s.n];
    if (i >= s.n) {
      if (!strstr(l, "sess-pocketos-1")) continue;
      char tmp[8192];
      replace_all(tmp, sizeof tmp, l, "sess-pocketos-1", "sess-odd-1");
      replace_all(line, sizeof line, tmp, "railway-domains-token",
                  "rail\\\"way\\\\tok\\u0001\\u00e9n");
      l = line;
    }
    if (fx_feed(&f, l) != 1) continue;
    struct sr_buf w = sr_buf_init(want[n], sizeof want[n]);
    sr_buf_puts(&w, "[");
    for (uint32_t d = 0; d < f.cmd.n_dims; d++) {
      sr_buf_puts(&w, d ? ",{\"name\":" : "{\"name\":");
      sr_buf_json_string(&w, sr_str_from(f.cmd.dims[d].name));
      sr_buf_puts(&w, ",\"score\":");
      sr_buf_fixed(&w, f.cmd.dims[d].score, 4);
      sr_buf_puts(&w, ",\"reason\":");
      sr_buf_json_string(&w, sr_str_from(f.cmd.dims[d].reason));
      sr_buf_puts(&w, "}");
    }
    sr_buf_puts(&w, "]");
    ck_assert(!w.overflow);
    escaped += strstr(want[n], "rail\\\"way\\\\tok\\u0001\xc3\xa9n") != NULL;
    memcpy(ids[n++], f.cmd.command_id, sizeof ids[0]);
  }
  ck_assert_uint_gt(escaped, 0);
  fx_checkpoint(&f);
  sqlite3 *db;
  sqlite3_stmt *q = reader_query(
      f.path, "SELECT dimensions FROM commands WHERE command_id = ?", &db);
  for (size_t i = 0; i < n; i++) {
    sqlite3_bind_text(q, 1, ids[i], -1, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), want[i]);
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
  stream_free(&s);
}
END_TEST

START_TEST(retention_expires_sessions_and_rows) {
  struct fx f = {0};
  const long long hour = 3600 * 1000LL, t0 = 1790000000000LL;
  fx_open(&f, "retention", 0, hour, true);
  char line[512];
  ck_assert_int_eq(fx_feed(&f, line_at(line, sizeof line, "old", t0, "c1")), 1);
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions WHERE "
                                 "session_id='old'"),
                   1);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_timeline "
                                 "WHERE session_id='old'"),
                   1);
  /* 90 minutes later "old" is past the retention but within the grace
   * for late events (a second retention): its row stays. */
  fx_feed(&f, line_at(line, sizeof line, "new", t0 + 90 * 60 * 1000LL, "c2"));
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions WHERE "
                                 "session_id='old'"),
                   1);
  /* Three hours later another session moves event time on: "old" and its
   * rows are deleted, its command too (audit retention is also 1 h). */
  fx_feed(&f, line_at(line, sizeof line, "new", t0 + 3 * hour, "c4"));
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions WHERE "
                                 "session_id='old'"),
                   0);
  static const char *const tables[] = {"session_dimensions",
                                       "session_timeline", "commands"};
  for (size_t i = 0; i < 3; i++) {
    char sql[128];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s WHERE session_id='old'", tables[i]);
    ck_assert_msg(q_int(f.path, sql) == 0, "%s keeps 'old'", tables[i]);
  }
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions"), 1);
  /* In memory the same rule holds: "old" comes back as a new session. */
  fx_feed(&f, line_at(line, sizeof line, "old", t0 + 4 * hour, "c3"));
  ck_assert_uint_eq(
      sr_aggregator_session(f.agg, SR_STR_LIT("old"))->events, 1);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

/* The audit log's seq is a reader's cursor: rows stored later have larger
 * seqs, and once the newest row expired its seq is not handed out again
 * (a reader who saw it would skip the row that reused it). */
START_TEST(audit_seqs_rise_and_are_never_reused) {
  const long long retention = 3600 * 1000LL, t0 = 1790000000000LL;
  struct fx f = {0};
  fx_open(&f, "seq", 0, retention, true);
  char line[512], call[8];
  for (int i = 1; i <= 2; i++) {
    snprintf(call, sizeof call, "c%d", i);
    ck_assert_int_eq(fx_feed(&f, line_at(line, sizeof line, "a", t0, call)), 1);
  }
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path,
                         "SELECT seq FROM commands WHERE call_id = "
                         "'c2'"),
                   2);
  /* Three hours on, an event that decides nothing: both rows expire. */
  snprintf(line, sizeof line,
           "{\"type\":\"agent_message\",\"session_id\":\"b\",\"ts_ms\":%lld,"
           "\"role\":\"assistant\"}",
           t0 + 3 * retention);
  ck_assert_int_eq(fx_feed(&f, line), 0);
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM commands"), 0);
  ck_assert_int_eq(
      fx_feed(&f, line_at(line, sizeof line, "b", t0 + 3 * retention, "c3")),
      1);
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path,
                         "SELECT seq FROM commands WHERE call_id = "
                         "'c3'"),
                   3);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

START_TEST(a_token_in_the_task_never_reaches_the_database) {
  struct fx f = {0};
  fx_open(&f, "secret", 0, 0, true);
  fx_feed(&f, "{\"type\":\"session_start\",\"session_id\":\"sec-1\","
              "\"ts_ms\":1790000000000,\"task\":\"deploy with token "
              "ghp_4fK9xQ2mZ7tR1vB8nL3pW6yH0cJ5dS in the env\","
              "\"mode\":\"plan\",\"environment\":\"staging\"}");
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions WHERE task = "
                                 "'deploy with token [redacted] in the env' "
                                 "AND mode = 'plan'"),
                   1);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions WHERE "
                                 "instr(CAST(state AS TEXT), 'ghp_') > 0 OR "
                                 "task LIKE '%ghp_%'"),
                   0);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

START_TEST(bad_database_is_a_clear_error) {
  char path[64], err[512];
  snprintf(path, sizeof path, "test-store-bad-%d.db", (int)getpid());
  FILE *fp = fopen(path, "w");
  fputs("this is not a database, it is a text file of some length....", fp);
  fclose(fp);
  struct sr_store_opts o = {.path = path};
  ck_assert_ptr_null(sr_store_open(&o, dets, 1, err, sizeof err));
  ck_assert_msg(strstr(err, path), "error does not name the file: %s", err);
  unlink(path);
  o.path = "/nonexistent-dir/x.db";
  ck_assert_ptr_null(sr_store_open(&o, dets, 1, err, sizeof err));
  ck_assert_msg(strstr(err, "/nonexistent-dir/x.db"), "%s", err);
}
END_TEST

/* ------------------------------------------------ the timeline in chunks */

/* The session document the query API serves for sid (heap JSON). */
static char *session_doc(const char *path, const char *sid) {
  char err[512], *json = NULL;
  struct sr_reader *r = sr_reader_open(path, err, sizeof err);
  ck_assert_msg(r, "%s", err);
  ck_assert_msg(sr_reader_session(r, sid, &json, err, sizeof err) == 0, "%s",
                err);
  sr_reader_close(r);
  return json;
}

/* The served timeline of sid is exactly events first..last, in order
 * (call ids "<sid>-<seq>"); none when first > last. */
static void assert_timeline(const char *path, const char *sid, long first,
                            long last) {
  char *json = session_doc(path, sid);
  json_t *doc = json_loads(json, 0, NULL);
  ck_assert_ptr_nonnull(doc);
  json_t *tl = json_object_get(doc, "timeline");
  ck_assert_msg(json_array_size(tl) == (size_t)(last - first + 1),
                "%s: %zu entries, want %ld..%ld", sid, json_array_size(tl),
                first, last);
  for (long seq = first; seq <= last; seq++) {
    json_t *e = json_array_get(tl, (size_t)(seq - first));
    char call[64];
    snprintf(call, sizeof call, "%s-%ld", sid, seq);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")), seq);
    ck_assert_str_eq(json_string_value(json_object_get(e, "call_id")), call);
    ck_assert_str_eq(json_string_value(json_object_get(e, "type")),
                     "tool_call");
    ck_assert(json_is_real(json_object_get(e, "risk")));
  }
  json_decref(doc);
  free(json);
}

/* Event seq of sid at t0 + seq seconds (+ shift). */
static void feed_seq(struct fx *f, const char *sid, long seq, long long shift) {
  char line[512], call[64];
  snprintf(call, sizeof call, "%s-%ld", sid, seq);
  fx_feed(f, line_at(line, sizeof line, sid,
                     1790000000000LL + seq * 1000 + shift, call));
}

/* What the query side reads of a database: every session's document
 * (without updated_at_ms, wall-clock time) and every command, as one heap
 * string. */
static char *read_back(const char *path) {
  char err[256], *out = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&out, &len);
  struct sr_reader *r = sr_reader_open(path, err, sizeof err);
  ck_assert_msg(r, "%s", err);
  sqlite3 *db;
  sqlite3_stmt *q = reader_query(
      path, "SELECT session_id FROM sessions ORDER BY session_id", &db);
  while (sqlite3_step(q) == SQLITE_ROW) {
    char *json;
    ck_assert_int_eq(sr_reader_session(r, (const char *)sqlite3_column_text(
                                              q, 0),
                                       &json, err, sizeof err),
                     0);
    json_t *doc = json_loads(json, JSON_ALLOW_NUL, NULL);
    ck_assert_ptr_nonnull(doc);
    json_object_del(doc, "updated_at_ms");
    json_dumpf(doc, m, JSON_SORT_KEYS | JSON_COMPACT);
    fputc('\n', m);
    json_decref(doc);
    free(json);
  }
  sqlite3_finalize(q);
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT * FROM commands ORDER BY "
                                      "command_id",
                                      -1, &q, NULL),
                   SQLITE_OK);
  while (sqlite3_step(q) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(q); i++)
      fprintf(m, "%s|", (const char *)sqlite3_column_text(q, i));
    fputc('\n', m);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  sr_reader_close(r);
  fclose(m);
  return out;
}

/* A checkpoint writes its rows ROWS to a statement (and the rest one by
 * one): the whole stream in one checkpoint (28 sessions, more commands and
 * dimension rows than a statement holds) reads back exactly as a
 * checkpoint after every event, where every statement holds one row. */
START_TEST(rows_written_together_read_back_as_written_one_by_one) {
  struct stream s;
  stream_load(&s);
  struct fx one = {0}, all = {0};
  fx_open(&one, "rows-one", 0, 0, true);
  fx_open(&all, "rows-all", 0, 0, true);
  for (size_t i = 0; i < s.n; i++) {
    fx_feed(&one, s.lines[i]);
    fx_checkpoint(&one);
    fx_feed(&all, s.lines[i]);
  }
  fx_checkpoint(&all);
  ck_assert_int_ge(q_int(all.path, "SELECT count(*) FROM sessions"), 17);
  ck_assert_int_ge(q_int(all.path, "SELECT count(*) FROM commands"), 17);
  ck_assert_int_ge(q_int(all.path, "SELECT count(*) FROM session_dimensions"),
                   17);
  char *a = read_back(one.path), *b = read_back(all.path);
  ck_assert_uint_gt(strlen(a), 1000);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  fx_close(&one);
  fx_close(&all);
  rm_db(one.path);
  rm_db(all.path);
  sr_arena_destroy(one.arena);
  sr_arena_destroy(all.arena);
  stream_free(&s);
}
END_TEST

/* Round round of 300 sessions "<prefix>N" with 50 gated calls each: the
 * megabytes of a busy checkpoint. Returns the commands issued. */
static long long feed_busy_round(struct fx *f, const char *prefix, long round) {
  long long issued = 0;
  for (long seq = round * 50 + 1; seq <= round * 50 + 50; seq++) {
    for (int i = 0; i < 300; i++) {
      char sid[16], line[512], call[64];
      snprintf(sid, sizeof sid, "%s%d", prefix, i);
      snprintf(call, sizeof call, "%s-%ld", sid, seq);
      issued += fx_feed(f, line_at(line, sizeof line, sid,
                                   1790000000000LL + seq * 1000, call)) == 1;
    }
  }
  return issued;
}

/* A busy interval's batch grows to megabytes (its arrays move to mappings
 * of their own past 1 MiB, see grow in store.c): three checkpoints of
 * 15,000 events, each one command, which fill both of the shard's batches
 * and then the first again, keep every row. */
START_TEST(checkpoints_of_megabytes_keep_every_row) {
  struct fx f = {0};
  fx_open(&f, "megabytes", 0, 0, true);
  long long issued = 0;
  for (long round = 0; round < 3; round++) {
    issued += feed_busy_round(&f, "mb", round);
    fx_checkpoint(&f);
    ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM commands"), issued);
    ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM sessions"), 300);
    assert_timeline(f.path, "mb0", round * 50 + 46, round * 50 + 50);
    assert_timeline(f.path, "mb150", round * 50 + 46, round * 50 + 50);
    assert_timeline(f.path, "mb299", round * 50 + 46, round * 50 + 50);
  }
  ck_assert_int_eq(issued, 45000);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

static long long file_size(const char *path, const char *suffix) {
  char p[200];
  struct stat sb;
  snprintf(p, sizeof p, "%s%s", path, suffix);
  return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* The store turns SQLite's autocheckpoint off and copies the WAL into the
 * database file itself, after each checkpoint it makes durable: the rows
 * reach the file, and the WAL is reused rather than grown by each
 * checkpoint's megabytes. */
START_TEST(the_wal_is_copied_into_the_database_file) {
  struct fx f = {0};
  fx_open(&f, "walcopy", 0, 0, true);
  long long wal_max = 0;
  for (long round = 0; round < 4; round++) {
    feed_busy_round(&f, "wc", round);
    fx_checkpoint(&f);
    long long wal = file_size(f.path, "-wal");
    if (wal > wal_max) wal_max = wal;
  }
  /* The last copy runs after the last checkpoint was reported durable. */
  long long deadline = time(NULL) + 20;
  while (file_size(f.path, "") <= wal_max && time(NULL) < deadline) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  long long db = file_size(f.path, "");
  ck_assert_msg(wal_max > 1 << 20, "a checkpoint wrote only %lld bytes",
                wal_max);
  /* Uncopied, the WAL would hold all four and the file its schema alone
   * (44 MB against 4 KiB); copied, the file holds them all and the WAL at
   * most one (36 MB against 13 MB). */
  ck_assert_msg(db > wal_max,
                "4 checkpoints of up to %lld WAL bytes each left only %lld "
                "bytes in the database file",
                wal_max, db);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM commands"), 60000);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

/* A checkpoint's offsets must not become durable before the commands of
 * its events reach the broker: a crash would then resume after events
 * whose commands were never delivered. The broker is down while the
 * checkpoint is written: it stays uncommitted until the broker is back. */
START_TEST(a_checkpoint_waits_for_its_commands_to_be_delivered) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ck_assert_msg(mock_rk, "%s", err);
  rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(mock_rk, 1);
  ck_assert_ptr_nonnull(mock);
  ck_assert_int_eq(rd_kafka_mock_topic_create(mock, "ctl", 1, 1), 0);
  struct sr_kafka_props props = {0};
  struct sr_producer *producer = sr_producer_create(
      rd_kafka_mock_cluster_bootstraps(mock), &props, 0, err, sizeof err);
  ck_assert_msg(producer, "%s", err);
  const char *topics[] = {"ctl"};
  sr_producer_know_topics(producer, topics, 1, 5000, NULL);

  struct fx f = {.producer = producer};
  fx_open(&f, "await", 0, 0, true);

  ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), 0);
  char line[512];
  ck_assert_int_eq(
      fx_feed(&f, line_at(line, sizeof line, "aw1", 1790000000000LL, "call-1")),
      1);
  ck_assert_int_eq(
      sr_producer_send(producer, "ctl", -1, "aw1", 3, "cmd", 3, NULL, 0),
      SR_OK);
  struct sr_store_offset off = {"events", 0, f.next_offset};
  struct sr_checkpoint *ck = sr_store_begin(f.st, &off, 1);
  ck_assert_ptr_nonnull(ck);
  sr_shard_seal(sr_store_shard(f.st, 0), ck);
  struct timespec second = {1, 0};
  nanosleep(&second, NULL);
  ck_assert_msg(!sr_store_durable(f.st, ck),
                "durable while its command was undelivered");
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM input_offsets"), 0);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM commands"), 0);

  ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 1), 0);
  long long deadline = time(NULL) + 30;
  while (!sr_store_durable(f.st, ck) && time(NULL) < deadline) {
    sr_producer_poll(producer, 10);
  }
  ck_assert_msg(sr_store_durable(f.st, ck),
                "not durable 30 s after the broker came back");
  ck_assert_int_eq(sr_producer_failed(producer), 0);
  ck_assert_int_eq(q_int(f.path, "SELECT next_offset FROM input_offsets"),
                   f.next_offset);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM commands"), 1);

  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
  sr_producer_destroy(producer, 1000);
  rd_kafka_mock_cluster_destroy(mock);
  rd_kafka_destroy(mock_rk);
}
END_TEST

START_TEST(chunks_serve_exactly_the_newest_entries) {
  struct fx f = {0};
  fx_open(&f, "chunks", 0, 0, true);
  /* 3 x timeline_max (5) events over checkpoints of 1 to 7 events, with
   * another session's events in between. */
  static const int sizes[] = {1, 2, 7, 1, 3, 1};
  long seq = 0, other = 0;
  for (size_t c = 0; c < SR_ARRAY_LEN(sizes); c++) {
    for (int i = 0; i < sizes[c]; i++) {
      feed_seq(&f, "tl", ++seq, 0);
      if (i % 2 == 0) feed_seq(&f, "ot", ++other, 0);
    }
    fx_checkpoint(&f);
    long first = seq > 5 ? seq - 4 : 1;
    assert_timeline(f.path, "tl", first, seq);
    assert_timeline(f.path, "ot", other > 5 ? other - 4 : 1, other);
    /* One trim per checkpoint: no chunk lies wholly before the newest 5. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM session_timeline WHERE session_id='tl' "
             "AND last_seq < %ld",
             first);
    ck_assert_int_eq(q_int(f.path, sql), 0);
  }
  ck_assert_int_eq(seq, 15);
  /* The 7-event checkpoint stored only what could still be served. */
  ck_assert_int_le(q_int(f.path,
                         "SELECT max(json_array_length(entries)) "
                         "FROM session_timeline"),
                   5);
  ck_assert_int_le(q_int(f.path,
                         "SELECT count(*) FROM session_timeline "
                         "WHERE session_id='tl'"),
                   5);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

START_TEST(a_restarted_session_gets_a_new_timeline) {
  struct fx f = {0};
  const long long hour = 3600 * 1000LL;
  fx_open(&f, "restart", 0, hour, true);
  for (long seq = 1; seq <= 8; seq++) feed_seq(&f, "re", seq, 0);
  fx_checkpoint(&f);
  assert_timeline(f.path, "re", 4, 8);
  /* Past the retention the session starts afresh at event 1: the old
   * session's entries are not part of it, even those newer in seq. */
  feed_seq(&f, "re", 1, 2 * hour);
  fx_checkpoint(&f);
  assert_timeline(f.path, "re", 1, 1);
  ck_assert_int_eq(q_int(f.path,
                         "SELECT count(*) FROM session_timeline "
                         "WHERE session_id='re'"),
                   1);
  /* The same within one checkpoint. */
  feed_seq(&f, "re", 2, 2 * hour);
  feed_seq(&f, "re", 1, 4 * hour);
  feed_seq(&f, "re", 2, 4 * hour);
  fx_checkpoint(&f);
  assert_timeline(f.path, "re", 1, 2);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

START_TEST(dimension_rows_follow_the_session) {
  struct fx f = {0};
  const long long hour = 3600 * 1000LL;
  fx_open(&f, "dims", 0, hour, true);
  for (long seq = 1; seq <= 3; seq++) feed_seq(&f, "rd", seq, 0);
  fx_checkpoint(&f);
  long long scored = q_int(f.path, "SELECT count(*) FROM session_dimensions "
                                   "WHERE session_id='rd'");
  ck_assert_int_gt(scored, 0);
  /* Upserted each checkpoint: the rows follow the scores. */
  feed_seq(&f, "rd", 4, 0);
  fx_checkpoint(&f);
  scored = q_int(f.path, "SELECT count(*) FROM session_dimensions WHERE "
                         "session_id='rd'");
  ck_assert_int_gt(scored, 0);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_dimensions d "
                                 "JOIN sessions s USING (session_id) WHERE "
                                 "session_id='rd' AND d.ts_ms = s.last_ts_ms"),
                   scored);
  /* Afresh after the retention, with an event that scores nothing: the
   * old session's dimensions are not the new one's. */
  char line[256];
  snprintf(line, sizeof line,
           "{\"type\":\"agent_message\",\"session_id\":\"rd\",\"ts_ms\":%lld,"
           "\"role\":\"assistant\"}",
           1790000000000LL + 2 * hour);
  fx_feed(&f, line);
  fx_checkpoint(&f);
  ck_assert_int_eq(q_int(f.path, "SELECT events FROM sessions WHERE "
                                 "session_id='rd'"),
                   1);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_dimensions "
                                 "WHERE session_id='rd'"),
                   0);
  fx_close(&f);
  /* A detector no longer built leaves no rows behind once reopened. */
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(f.path, &db), SQLITE_OK);
  ck_assert_int_eq(
      sqlite3_exec(db,
                   "INSERT INTO session_dimensions VALUES ('rd', "
                   "'retired_detector', 0.5, 1, 'old', 1790000000000)",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  fx_open(&f, "dims", 0, hour, false);
  ck_assert_int_eq(q_int(f.path, "SELECT count(*) FROM session_dimensions "
                                 "WHERE dimension='retired_detector'"),
                   0);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

/* The tables schemas/state.sql had in versions 1 and 2 besides the
 * timeline. */
#define V1_V2_TABLES                                                        \
  "CREATE TABLE IF NOT EXISTS input_offsets (\n"                            \
  "  topic TEXT NOT NULL,\n"                                                \
  "  partition INTEGER NOT NULL,\n"                                         \
  "  next_offset INTEGER NOT NULL,\n"                                       \
  "  PRIMARY KEY (topic, partition)\n"                                      \
  ") WITHOUT ROWID;\n"                                                      \
  "CREATE TABLE IF NOT EXISTS sessions (\n"                                 \
  "  session_id TEXT PRIMARY KEY,\n"                                        \
  "  risk REAL NOT NULL,\n"                                                 \
  "  depth INTEGER NOT NULL,\n"                                             \
  "  last_action TEXT,\n"                                                   \
  "  killed INTEGER NOT NULL,\n"                                            \
  "  events INTEGER NOT NULL,\n"                                            \
  "  mode TEXT,\n"                                                          \
  "  environment TEXT,\n"                                                   \
  "  task TEXT,\n"                                                          \
  "  first_ts_ms INTEGER NOT NULL,\n"                                       \
  "  last_ts_ms INTEGER NOT NULL,\n"                                        \
  "  updated_at_ms INTEGER NOT NULL,\n"                                     \
  "  state BLOB NOT NULL\n"                                                 \
  ");\n"                                                                    \
  "CREATE INDEX IF NOT EXISTS sessions_by_risk ON sessions (risk DESC);\n"  \
  "CREATE INDEX IF NOT EXISTS sessions_by_last ON sessions (last_ts_ms);\n" \
  "CREATE TABLE IF NOT EXISTS session_dimensions (\n"                       \
  "  session_id TEXT NOT NULL,\n"                                           \
  "  dimension TEXT NOT NULL,\n"                                            \
  "  score REAL NOT NULL,\n"                                                \
  "  elevated INTEGER NOT NULL,\n"                                          \
  "  reason TEXT NOT NULL,\n"                                               \
  "  ts_ms INTEGER NOT NULL,\n"                                             \
  "  PRIMARY KEY (session_id, dimension)\n"                                 \
  ") WITHOUT ROWID;\n"                                                      \
  "CREATE TABLE IF NOT EXISTS commands (\n"                                 \
  "  command_id TEXT PRIMARY KEY,\n"                                        \
  "  session_id TEXT NOT NULL,\n"                                           \
  "  call_id TEXT,\n"                                                       \
  "  action TEXT NOT NULL,\n"                                               \
  "  risk REAL NOT NULL,\n"                                                 \
  "  depth INTEGER NOT NULL,\n"                                             \
  "  dimensions TEXT NOT NULL,\n"                                           \
  "  rule TEXT NOT NULL,\n"                                                 \
  "  event_id TEXT,\n"                                                      \
  "  topic TEXT,\n"                                                         \
  "  partition INTEGER,\n"                                                  \
  "  offset INTEGER,\n"                                                     \
  "  issued_at_ms INTEGER NOT NULL,\n"                                      \
  "  expires_at_ms INTEGER NOT NULL\n"                                      \
  ");\n"                                                                    \
  "CREATE INDEX IF NOT EXISTS commands_by_session\n"                        \
  "  ON commands (session_id, issued_at_ms);\n"                             \
  "CREATE INDEX IF NOT EXISTS commands_by_time ON commands (issued_at_ms);\n"

/* schemas/state.sql as of version 1, with a timeline row per event. */
static const char v1_schema[] = "PRAGMA user_version = 1;\n" V1_V2_TABLES
                                "CREATE TABLE IF NOT EXISTS session_events (\n"
                                "  session_id TEXT NOT NULL,\n"
                                "  seq INTEGER NOT NULL,\n"
                                "  ts_ms INTEGER NOT NULL,\n"
                                "  type TEXT NOT NULL,\n"
                                "  phase TEXT,\n"
                                "  call_id TEXT,\n"
                                "  tool TEXT,\n"
                                "  summary TEXT NOT NULL,\n"
                                "  risk REAL NOT NULL,\n"
                                "  PRIMARY KEY (session_id, seq)\n"
                                ") WITHOUT ROWID;\n";

/* schemas/state.sql as of version 2: the timeline in chunks, the default
 * mode named "normal". */
static const char v2_schema[] =
    "PRAGMA user_version = 2;\n" V1_V2_TABLES
    "CREATE TABLE IF NOT EXISTS session_timeline (\n"
    "  session_id TEXT NOT NULL,\n"
    "  first_seq INTEGER NOT NULL,\n"
    "  last_seq INTEGER NOT NULL,\n"
    "  keep_from INTEGER NOT NULL,\n"
    "  entries TEXT NOT NULL,\n"
    "  PRIMARY KEY (session_id, first_seq)\n"
    ") WITHOUT ROWID;\n";

/* Opens the version-1 database at path (which migrates it) and checks that
 * session sid's timeline is the one chunk want. */
static void assert_migrated_timeline(const char *path, const char *sid,
                                     const char *want) {
  char err[512];
  struct sr_store_opts o = {.path = path};
  struct sr_store *st = sr_store_open(&o, dets, 1, err, sizeof err);
  ck_assert_msg(st, "%s", err);
  sr_store_close(st);
  sqlite3 *db;
  sqlite3_stmt *q = reader_query(
      path, "SELECT entries FROM session_timeline WHERE session_id = ?", &db);
  sqlite3_bind_text(q, 1, sid, -1, SQLITE_STATIC);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), want);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

static const char v1_rows[] =
    "INSERT INTO sessions VALUES ('m1', 2.5, 1, 'ESCALATE', 0, 7, 'normal', "
    "'staging', NULL, 1790000000000, 1790000007000, 1790000009000, X'00');\n"
    "INSERT INTO sessions VALUES ('m2', 0.0, 0, NULL, 0, 1, NULL, NULL, NULL, "
    "1790000000000, 1790000000000, 1790000009000, X'00');\n"
    "INSERT INTO session_events VALUES\n"
    " ('m1', 3, 1790000003000, 'tool_call', 'requested', 'c3', 'Bash', 'Bash "
    "rm -rf on production', 0.89999998),\n"
    " ('m1', 4, 1790000004000, 'tool_call', NULL, NULL, NULL, 'say \"hi\" \\ ' "
    "|| char(7), 1.0),\n"
    " ('m1', 7, 1790000007000, 'file_access', 'completed', 'c7', 'Read', "
    "CAST(X'66696C652072656164202F6574632FE282' AS TEXT), 2.5),\n"
    " ('m2', 1, 1790000000000, 'session_start', NULL, NULL, NULL, 'session "
    "started, mode unset, environment ', 0.0);\n";

/* Writes a database of an older schema holding rows to path, then opens
 * the store on it, which migrates it. */
static void migrate_old(const char *path, const char *schema,
                        const char *rows) {
  char err[512];
  rm_db(path);
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  struct sr_store_opts o = {.path = path};
  struct sr_store *st = sr_store_open(&o, dets, 1, err, sizeof err);
  ck_assert_msg(st, "%s", err);
  sr_store_close(st);
}

START_TEST(a_version_1_database_is_migrated_on_open) {
  char path[64], err[512];
  snprintf(path, sizeof path, "test-store-v1-%d.db", (int)getpid());
  migrate_old(path, v1_schema, v1_rows);
  ck_assert_int_eq(q_int(path, "PRAGMA user_version"), 3);
  ck_assert_int_eq(q_int(path,
                         "SELECT count(*) FROM sqlite_master WHERE "
                         "name = 'session_events'"),
                   0);
  ck_assert_int_eq(q_int(path, "SELECT count(*) FROM session_timeline"), 2);
  /* The documents a version 1 build served from this file, byte for
   * byte (but for the default mode's name, version 3's): nulls, escapes,
   * broken UTF-8 replaced, six-digit risks. */
  char *m1 = session_doc(path, "m1"), *m2 = session_doc(path, "m2");
  ck_assert_str_eq(
      m1,
      "{\"session_id\":\"m1\",\"risk\":2.5,\"depth\":1,\"last_action\":"
      "\"ESCALATE\","
      "\"killed\":false,\"events\":7,\"mode\":\"default\",\"environment\":"
      "\"staging\","
      "\"task\":null,\"first_ts_ms\":1790000000000,\"last_ts_ms\":"
      "1790000007000,"
      "\"updated_at_ms\":1790000009000,\"dimensions\":[],\"commands\":[],"
      "\"timeline\":[{\"seq\":3,\"ts_ms\":1790000003000,\"type\":\"tool_call\","
      "\"phase\":\"requested\",\"call_id\":\"c3\",\"tool\":\"Bash\","
      "\"summary\":\"Bash rm -rf on production\",\"risk\":0.9},{\"seq\":4,"
      "\"ts_ms\":1790000004000,\"type\":\"tool_call\",\"phase\":null,"
      "\"call_id\":null,\"tool\":null,\"summary\":\"say \\\"hi\\\" \\\\ "
      "\\u0007\","
      "\"risk\":1.0},{\"seq\":7,\"ts_ms\":1790000007000,\"type\":\"file_"
      "access\","
      "\"phase\":\"completed\",\"call_id\":\"c7\",\"tool\":\"Read\","
      "\"summary\":\"file read /etc/\xEF\xBF\xBD"
      "\xEF\xBF\xBD"
      "\","
      "\"risk\":2.5}]}");
  ck_assert_str_eq(
      m2,
      "{\"session_id\":\"m2\",\"risk\":0.0,\"depth\":0,\"last_action\":null,"
      "\"killed\":false,\"events\":1,\"mode\":null,\"environment\":null,"
      "\"task\":null,\"first_ts_ms\":1790000000000,\"last_ts_ms\":"
      "1790000000000,"
      "\"updated_at_ms\":1790000009000,\"dimensions\":[],\"commands\":[],"
      "\"timeline\":[{\"seq\":1,\"ts_ms\":1790000000000,\"type\":\"session_"
      "start\","
      "\"phase\":null,\"call_id\":null,\"tool\":null,\"summary\":\"session "
      "started,"
      " mode unset, environment \",\"risk\":0.0}]}");
  free(m1);
  free(m2);
  /* Opened again: nothing more to migrate. */
  struct sr_store_opts o = {.path = path};
  struct sr_store *st = sr_store_open(&o, dets, 1, err, sizeof err);
  ck_assert_msg(st, "%s", err);
  sr_store_close(st);
  ck_assert_int_eq(q_int(path, "SELECT count(*) FROM session_timeline"), 2);
  rm_db(path);
}
END_TEST

static const char v2_rows[] =
    "INSERT INTO sessions VALUES\n"
    " ('d', 2.5, 1, 'ESCALATE', 0, 7, 'normal', 'staging', NULL, "
    "1790000000000, 1790000007000, 1790000009000, X'00'),\n"
    " ('p', 0.0, 0, 'ALLOW', 0, 2, 'plan', NULL, NULL, 1790000000000, "
    "1790000001000, 1790000009000, X'00'),\n"
    " ('u', 0.0, 0, NULL, 0, 1, NULL, NULL, NULL, 1790000000000, "
    "1790000000000, 1790000009000, X'00');\n"
    /* stored in this order, issued in another */
    "INSERT INTO commands VALUES\n"
    " ('k1', 'd', 'c1', 'ALLOW', 0.0, 0, '[]', 'allow', 'e1', 'events', 0, "
    "1, 1790000003000, 1790000303000),\n"
    " ('k2', 'd', 'c2', 'ESCALATE', 2.5, 1, '[]', 'tier.escalate', 'e2', "
    "'events', 0, 2, 1790000001000, 1790000301000),\n"
    " ('k3', 'p', NULL, 'ALLOW', 0.0, 0, '[]', 'allow', NULL, NULL, NULL, "
    "NULL, 1790000002000, 1790000302000);\n";

/* A version 2 database called the default mode "normal"; once the store
 * opened it, the database and the API say "default", as events do, and
 * the other modes are as they were. Its audit rows get seqs in the order
 * they were stored, and new ones follow them; its risk index gains the
 * last action. */
START_TEST(a_version_2_database_is_migrated_on_open) {
  char path[64];
  snprintf(path, sizeof path, "test-store-v2-%d.db", (int)getpid());
  migrate_old(path, v2_schema, v2_rows);
  ck_assert_int_eq(q_int(path, "PRAGMA user_version"), 3);
  ck_assert_int_eq(q_int(path,
                         "SELECT count(*) FROM sessions WHERE (session_id, "
                         "coalesce(mode, '')) IN (VALUES ('d', 'default'), "
                         "('p', 'plan'), ('u', ''))"),
                   3);
  char *doc = session_doc(path, "d");
  ck_assert_msg(strstr(doc, "\"mode\":\"default\""), "%s", doc);
  free(doc);
  ck_assert_int_eq(q_int(path,
                         "SELECT count(*) FROM commands WHERE (seq, "
                         "command_id, issued_at_ms, coalesce(offset, -1)) IN "
                         "(VALUES (1, 'k1', 1790000003000, 1), (2, 'k2', "
                         "1790000001000, 2), (3, 'k3', 1790000002000, -1))"),
                   3);
  ck_assert_int_eq(q_int(path,
                         "SELECT seq FROM sqlite_sequence WHERE name = "
                         "'commands'"),
                   3);
  ck_assert_int_eq(q_int(path,
                         "SELECT count(*) FROM sqlite_master WHERE "
                         "name = 'commands_v2'"),
                   0);
  /* The risk index covers the API's filters. */
  ck_assert_int_eq(q_int(path,
                         "SELECT count(*) FROM pragma_index_info("
                         "'sessions_by_risk') WHERE name = 'last_action'"),
                   1);
  rm_db(path);
}
END_TEST

/* Timeline entries' numbers are written two digits at a time: every
 * length of number, and negative times, must read back as printf writes
 * them. The migration writes whatever the old rows hold. */
START_TEST(timeline_numbers_are_printfs_digits) {
  static const long long seqs[] = {1, 9, 10, 99, 100, 101, 12345678901LL,
                                   9223372036854775807LL};
  static const long long times[] = {0, 5, -7, 1790000000000LL,
                                    -1790000000000LL, 9223372036854775807LL,
                                    -9223372036854775807LL - 1, 10};
  char path[64], sql[4096], want[4096];
  snprintf(path, sizeof path, "test-store-nums-%d.db", (int)getpid());
  rm_db(path);
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
  size_t n = 0, w = 0;
  w += (size_t)snprintf(want + w, sizeof want - w, "[");
  for (size_t i = 0; i < SR_ARRAY_LEN(seqs); i++) {
    n += (size_t)snprintf(sql + n, sizeof sql - n,
                          "INSERT INTO session_events VALUES ('n', %lld, "
                          "%lld, 'tool_call', NULL, NULL, NULL, 's', 0.5);",
                          seqs[i], times[i]);
    w += (size_t)snprintf(want + w, sizeof want - w,
                          "%s[%lld,%lld,\"tool_call\",null,null,null,\"s\","
                          "0.5]",
                          i ? "," : "", seqs[i], times[i]);
  }
  snprintf(want + w, sizeof want - w, "]");
  ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_migrated_timeline(path, "n", want);
  rm_db(path);
}
END_TEST

/* Timeline texts that need nothing are copied as they are; any other is
 * escaped and UTF-8 checked. Each byte that needs care, at every position
 * of texts of every length around the sixteen-byte blocks, must come out
 * as the full escaper writes it. */
START_TEST(timeline_texts_are_escaped_wherever_the_byte_is) {
  static const char *const odd[] = {"\"", "\\", "\x01", "\x7f", "\xc3\xa9",
                                    "\xff", "\xe2\x82"};
  char path[64];
  snprintf(path, sizeof path, "test-store-esc-%d.db", (int)getpid());
  rm_db(path);
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_stmt *ins;
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "INSERT INTO session_events VALUES "
                                      "('e', ?, 1, 'tool_call', NULL, ?, "
                                      "NULL, 's', 0.5)",
                                      -1, &ins, NULL),
                   SQLITE_OK);
  size_t cap = 1 << 20;
  char *want = malloc(cap);
  ck_assert_ptr_nonnull(want);
  struct sr_buf w = sr_buf_init(want, cap);
  sr_buf_puts(&w, "[");
  long seq = 0;
  for (size_t len = 1; len <= 40; len++) {
    for (size_t at = 0; at <= len; at++) {
      for (size_t k = 0; k < SR_ARRAY_LEN(odd); k++) {
        if (at == len && k) break; /* at == len: a plain text, once */
        char text[64];
        memset(text, 'a' + (int)(len % 26), len);
        size_t n = len;
        if (at < len) {
          size_t m = strlen(odd[k]);
          memcpy(text + at, odd[k], m);
          n = SR_MAX(len, at + m);
        }
        sqlite3_bind_int64(ins, 1, ++seq);
        sqlite3_bind_text(ins, 2, text, (int)n, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
        sr_buf_printf(&w, "%s[%ld,1,\"tool_call\",null,", seq > 1 ? "," : "",
                      seq);
        sr_buf_json_text(&w, (sr_str){text, n});
        sr_buf_puts(&w, ",null,\"s\",0.5]");
      }
    }
  }
  sr_buf_puts(&w, "]");
  ck_assert(!w.overflow);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  assert_migrated_timeline(path, "e", want);
  free(want);
  rm_db(path);
}
END_TEST

/* The same for the timeline the processor writes: texts are checked
 * sixteen bytes at a time where they lie in the worker's batch, whatever
 * follows them there. */
START_TEST(live_timeline_texts_are_escaped_wherever_the_byte_is) {
  static const char *const odd[] = {"\"", "\\", "\x01", "\x7f", "\xc3\xa9",
                                    "\xff", "\xe2\x82"};
  struct fx f = {0};
  fx_open(&f, "esc-live", 0, 0, true);
  char (*want)[160] = calloc(40 * 41 * SR_ARRAY_LEN(odd), sizeof *want);
  ck_assert_ptr_nonnull(want);
  size_t n_sessions = 0;
  for (size_t len = 1; len <= 40; len++) {
    for (size_t at = 0; at <= len; at++) {
      for (size_t k = 0; k < SR_ARRAY_LEN(odd); k++) {
        if (at == len && k) break; /* at == len: a plain text, once */
        char text[64], esc[400], line[1024];
        memset(text, 'a' + (int)(len % 26), len);
        size_t n = len;
        if (at < len) {
          size_t m = strlen(odd[k]);
          memcpy(text + at, odd[k], m);
          n = SR_MAX(len, at + m);
        }
        struct sr_buf e = sr_buf_init(esc, sizeof esc);
        sr_buf_json_string(&e, (sr_str){text, n});
        snprintf(line, sizeof line,
                 "{\"type\":\"tool_call\",\"session_id\":\"e%zu\",\"ts_ms\":"
                 "1790000000000,\"phase\":\"requested\",\"call_id\":%s,"
                 "\"tool\":\"Bash\",\"arguments\":{\"command\":\"ls\"}}",
                 n_sessions, esc);
        fx_feed(&f, line);
        struct sr_buf w = sr_buf_init(want[n_sessions], sizeof want[0]);
        sr_buf_puts(&w, "\"requested\",");
        sr_buf_json_text(&w, (sr_str){text, n});
        sr_buf_puts(&w, ",\"Bash\",");
        ck_assert(!w.overflow);
        n_sessions++;
      }
    }
  }
  fx_checkpoint(&f);
  sqlite3 *db;
  sqlite3_stmt *q = reader_query(
      f.path, "SELECT entries FROM session_timeline WHERE session_id = ?", &db);
  for (size_t i = 0; i < n_sessions; i++) {
    char sid[32];
    snprintf(sid, sizeof sid, "e%zu", i);
    sqlite3_bind_text(q, 1, sid, -1, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    const char *entries = (const char *)sqlite3_column_text(q, 0);
    ck_assert_msg(strstr(entries, want[i]), "%s: %s lacks %s", sid, entries,
                  want[i]);
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  free(want);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
}
END_TEST

/* The query side reads the columns, a reload reads the blob: after every
 * realistic session went through two checkpoints, each row's columns and
 * dimension rows are what its own state blob decodes to. */
START_TEST(session_columns_agree_with_the_state_blob) {
  struct stream str;
  stream_load(&str);
  struct fx f = {0};
  fx_open(&f, "cols", 0, 0, true);
  for (size_t i = 0; i < str.n; i++) {
    fx_feed(&f, str.lines[i]);
    if (i == str.n / 2) fx_checkpoint(&f);
  }
  fx_checkpoint(&f);
  char err[256];
  struct sr_session_table *t = sr_session_table_create(
      sr_detectors_count(dets), sr_detectors_session_size(dets));
  sqlite3 *db;
  sqlite3_stmt *q, *dq;
  ck_assert_int_eq(sqlite3_open(f.path, &db), SQLITE_OK);
  ck_assert_int_eq(
      sqlite3_prepare_v2(db,
                         "SELECT session_id, risk, depth, last_action, killed, "
                         "events, mode, environment, task, first_ts_ms, "
                         "last_ts_ms, state FROM sessions",
                         -1, &q, NULL),
      SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT dimension, score, reason, ts_ms "
                                      "FROM session_dimensions WHERE "
                                      "session_id = ? ORDER BY dimension",
                                      -1, &dq, NULL),
                   SQLITE_OK);
  size_t rows = 0, dims = 0, defaults = 0;
  while (sqlite3_step(q) == SQLITE_ROW) {
    const char *sid = (const char *)sqlite3_column_text(q, 0);
    struct sr_session *s = sr_session_table_get(t, sr_str_from(sid), true);
    ck_assert_int_eq(sr_store_decode(dets, sqlite3_column_blob(q, 11),
                                     (size_t)sqlite3_column_bytes(q, 11), s,
                                     err, sizeof err),
                     0);
    ck_assert_double_eq(sqlite3_column_double(q, 1), s->risk);
    ck_assert_int_eq(sqlite3_column_int(q, 2), (int)s->depth);
    const char *action = (const char *)sqlite3_column_text(q, 3);
    if (s->last_action)
      ck_assert_str_eq(action, sr_action_name(s->last_action));
    else
      ck_assert_ptr_null(action);
    ck_assert_int_eq(sqlite3_column_int(q, 4), s->killed);
    ck_assert_int_eq(sqlite3_column_int64(q, 5), (long long)s->events);
    /* The modes as events name them (docs/events.md); unset is NULL. */
    static const char *const modes[] = {
        [SR_MODE_DEFAULT] = "default",
        [SR_MODE_PLAN] = "plan",
        [SR_MODE_READ_ONLY] = "read_only",
    };
    const char *mode = (const char *)sqlite3_column_text(q, 6);
    if (modes[s->info.mode])
      ck_assert_str_eq(mode, modes[s->info.mode]);
    else
      ck_assert_ptr_null(mode);
    defaults += s->info.mode == SR_MODE_DEFAULT;
    const char *env = (const char *)sqlite3_column_text(q, 7);
    ck_assert_str_eq(env ? env : "", s->info.environment);
    const char *task = (const char *)sqlite3_column_text(q, 8);
    ck_assert_str_eq(task ? task : "", s->task);
    int64_t first = s->info.started ? s->info.started_ms : s->first_ts_ms;
    ck_assert_int_eq(sqlite3_column_int64(q, 9), first);
    ck_assert_int_eq(sqlite3_column_int64(q, 10), s->last_ts_ms);
    /* Every dimension that scored, in the detectors' names' order. */
    sqlite3_bind_text(dq, 1, sid, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(dq) == SQLITE_ROW) {
      int at = sr_detectors_find(dets, (const char *)sqlite3_column_text(dq, 0));
      ck_assert_int_ge(at, 0);
      const struct sr_dim_state *d = &s->dims[at];
      ck_assert_double_eq(sqlite3_column_double(dq, 1), d->score);
      ck_assert_str_eq((const char *)sqlite3_column_text(dq, 2), d->reason);
      ck_assert_int_eq(sqlite3_column_int64(dq, 3), d->ts_ms);
      dims++;
    }
    sqlite3_reset(dq);
    size_t scored = 0;
    for (size_t i = 0; i < sr_detectors_count(dets); i++)
      scored += s->dims[i].score > 0.0f || s->dims[i].reason[0];
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM session_dimensions WHERE session_id='%s'",
             sid);
    ck_assert_int_eq(q_int(f.path, sql), (long long)scored);
    rows++;
  }
  ck_assert_uint_gt(rows, 5);
  ck_assert_uint_gt(dims, 5);
  ck_assert_uint_gt(defaults, 0);
  sqlite3_finalize(q);
  sqlite3_finalize(dq);
  sqlite3_close(db);
  sr_session_table_destroy(t);
  fx_close(&f);
  rm_db(f.path);
  sr_arena_destroy(f.arena);
  stream_free(&str);
}
END_TEST

START_TEST(a_newer_database_is_refused_with_both_versions) {
  char path[64], err[512];
  snprintf(path, sizeof path, "test-store-v4-%d.db", (int)getpid());
  rm_db(path);
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db,
                                "CREATE TABLE future (x); PRAGMA "
                                "user_version = 4",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  struct sr_store_opts o = {.path = path};
  ck_assert_ptr_null(sr_store_open(&o, dets, 1, err, sizeof err));
  ck_assert_msg(
      strstr(err, path) && strstr(err, "version 4") && strstr(err, "(3)"), "%s",
      err);
  ck_assert_int_eq(q_int(path, "SELECT count(*) FROM sqlite_master"), 1);
  rm_db(path);
}
END_TEST

int main(void) {
  char err[512];
  dets = sr_detectors_create(NULL, err, sizeof err);
  policy = dets ? sr_policy_create(NULL, dets, err, sizeof err) : NULL;
  if (!policy) {
    fprintf(stderr, "setup: %s\n", err);
    return EXIT_FAILURE;
  }
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, blob_round_trip_is_exact);
  tcase_add_test(tc, events_seen_survive_the_blob);
  tcase_add_test(tc, scratch_encoding_keeps_its_format);
  tcase_add_test(tc, calls_awaiting_a_decision_survive_the_blob);
  tcase_add_test(tc, checkpoint_stores_rows_and_offsets_and_resumes);
  tcase_add_test(tc, audit_and_timeline_rows);
  tcase_add_test(tc, audit_scores_and_summaries_read_back_as_written);
  tcase_add_test(tc, audit_dimensions_are_the_commands_as_json);
  tcase_add_test(tc, eviction_and_reload_give_identical_decisions);
  tcase_add_test(tc, retention_expires_sessions_and_rows);
  tcase_add_test(tc, a_token_in_the_task_never_reaches_the_database);
  tcase_add_test(tc, bad_database_is_a_clear_error);
  tcase_add_test(tc, chunks_serve_exactly_the_newest_entries);
  tcase_add_test(tc, checkpoints_of_megabytes_keep_every_row);
  tcase_add_test(tc, the_wal_is_copied_into_the_database_file);
  tcase_add_test(tc, a_checkpoint_waits_for_its_commands_to_be_delivered);
  tcase_add_test(tc, rows_written_together_read_back_as_written_one_by_one);
  tcase_add_test(tc, a_restarted_session_gets_a_new_timeline);
  tcase_add_test(tc, dimension_rows_follow_the_session);
  tcase_add_test(tc, a_version_1_database_is_migrated_on_open);
  tcase_add_test(tc, a_version_2_database_is_migrated_on_open);
  tcase_add_test(tc, audit_seqs_rise_and_are_never_reused);
  tcase_add_test(tc, a_newer_database_is_refused_with_both_versions);
  tcase_add_test(tc, timeline_numbers_are_printfs_digits);
  tcase_add_test(tc, timeline_texts_are_escaped_wherever_the_byte_is);
  tcase_add_test(tc, live_timeline_texts_are_escaped_wherever_the_byte_is);
  tcase_add_test(tc, session_columns_agree_with_the_state_blob);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  sr_policy_destroy(policy);
  sr_detectors_destroy(dets);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
