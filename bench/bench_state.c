/*
 * bench_state: what durable state costs, with a million sessions seen.
 *
 * A fixed-seed stream of --size sessions, each a session_start, a gated
 * tool call and its completion (the call is drawn from a short list of
 * real shapes, some destructive, some in plan mode), sessions following one
 * another 10 ms of event time apart. It goes through decode + aggregator:
 *   (a) baseline: no store, nothing evicted (every session stays in memory);
 *   (b) the real store: a shard notes every event, a checkpoint is sealed
 *       and committed by the store thread every --checkpoint events, and
 *       sessions idle for --idle-s of event time are evicted.
 * Printed, one line per case: events/s (median of --rounds) and the ratio
 * (b)/(a); bytes per session in memory (jemalloc's allocated bytes with
 * every session resident, over the session count); the most sessions and
 * bytes resident in (b); bytes per session on disk (database file after a
 * WAL checkpoint, over the sessions rows); and a hash of every command id,
 * which must be the same in (a) and (b).
 */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "aggregator/store.h"
#include "core/arena.h"
#include "core/log.h"
#include "ingest/decode.h"

static const char *const calls[][2] = {
    {"Bash", "{\\\"command\\\":\\\"ls -la src/\\\"}"},
    {"Bash", "{\\\"command\\\":\\\"rm -rf /srv/postgres/data\\\"}"},
    {"Bash", "{\\\"command\\\":\\\"git push --force origin main\\\"}"},
    {"Read", "{\\\"file_path\\\":\\\"/repo/README.md\\\"}"},
    {"Bash", "{\\\"command\\\":\\\"kubectl delete namespace payments\\\"}"},
    {"Edit", "{\\\"file_path\\\":\\\"/repo/src/app.ts\\\"}"},
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t allocated(void) {
  uint64_t epoch = 1;
  size_t sz = sizeof epoch, v = 0, vsz = sizeof v;
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  mallctl("stats.allocated", &v, &vsz, NULL, 0);
  return v;
}

/* Event e (0..2) of session i, into buf. */
static size_t event(char *buf, size_t cap, size_t i, int e, uint64_t seed) {
  long long ts = 1790000000000LL + (long long)i * 10 + e * 3;
  uint64_t h = XXH3_64bits_withSeed(&i, sizeof i, seed);
  const char *mode = h % 4 == 0 ? "plan" : "default";
  const char *env = h % 3 == 0 ? "production" : "staging";
  size_t c = (h >> 8) % SR_ARRAY_LEN(calls);
  if (e == 0)
    return (size_t)snprintf(
        buf, cap,
        "{\"type\":\"session_start\",\"session_id\":\"bench-%zu\",\"ts_ms\":%lld,"
        "\"task\":\"fix the flaky deploy of service %zu\",\"mode\":\"%s\","
        "\"environment\":\"%s\",\"scope\":{\"environments\":[\"%s\"]}}",
        i, ts, i % 97, mode, env, env);
  return (size_t)snprintf(
      buf, cap,
      "{\"type\":\"tool_call\",\"session_id\":\"bench-%zu\",\"ts_ms\":%lld,"
      "\"phase\":\"%s\",\"call_id\":\"c-%zu\",\"tool\":\"%s\",\"arguments\":"
      "\"%s\",\"environment\":\"%s\",\"want_verdict\":%s}",
      i, ts, e == 1 ? "requested" : "completed", i, calls[c][0], calls[c][1],
      env, e == 1 ? "true" : "false");
}

struct result {
  double eps;
  uint64_t hash;
  size_t peak_sessions, peak_bytes, commands, evicted;
};

static void run(const struct sr_detectors *dets, const struct sr_policy *pol,
                size_t size, uint64_t seed, const char *db, size_t every,
                int64_t idle_ms, struct result *r) {
  char err[512], line[1024];
  memset(r, 0, sizeof *r);
  struct sr_aggregator *agg = sr_aggregator_create(dets, pol, err, sizeof err);
  struct sr_arena *arena = sr_arena_create(1 << 20);
  struct sr_store *st = NULL;
  struct sr_shard *sh = NULL;
  if (db) {
    struct sr_store_opts o = {.path = db, .idle_ms = idle_ms};
    st = sr_store_open(&o, dets, 1, err, sizeof err);
    if (!st || sr_store_start(st, NULL, err, sizeof err)) {
      fprintf(stderr, "bench_state: %s\n", err);
      exit(1);
    }
    sh = sr_store_shard(st, 0);
    sr_shard_attach(sh, agg);
  }
  size_t base = allocated();
  struct sr_command cmd;
  struct sr_decode_opts dopts = {0, 1};
  struct sr_checkpoint *ck = NULL;
  int64_t offset = 0;
  double t0 = now_s();
  XXH64_state_t *hs = XXH64_createState();
  XXH64_reset(hs, 0);
  for (size_t i = 0; i < size; i++) {
    for (int e = 0; e < 3; e++) {
      size_t n = event(line, sizeof line, i, e, seed);
      struct sr_event ev;
      sr_arena_reset(arena);
      if (sr_decode_json(line, n, &dopts, arena, &ev, err, sizeof err)) {
        fprintf(stderr, "bench_state: %s: %s\n", line, err);
        exit(1);
      }
      ev.partition = 0;
      ev.offset = offset++;
      int rc = sr_aggregator_process(agg, &ev, &cmd);
      if (sh && rc != SR_AGG_REDELIVERED)
        sr_shard_note(sh, &ev, rc == 1 ? &cmd : NULL, "bench");
      if (rc == 1) {
        XXH64_update(hs, cmd.command_id, SR_COMMAND_ID_LEN);
        r->commands++;
      }
    }
    if (sh && (i + 1) % every == 0) {
      /* The previous checkpoint must be durable before the next begins,
       * as in the pipeline; the store thread writes it meanwhile. */
      while (ck && !sr_store_durable(st, ck)) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
      }
      struct sr_store_offset o = {"bench", 0, offset};
      ck = sr_store_begin(st, &o, 1);
      sr_shard_seal(sh, ck);
    }
    if ((i + 1) % 10000 == 0) {
      size_t resident = sr_session_table_count(sr_aggregator_sessions(agg));
      size_t bytes = allocated() - base;
      if (resident > r->peak_sessions) r->peak_sessions = resident;
      if (bytes > r->peak_bytes) r->peak_bytes = bytes;
    }
  }
  while (ck && !sr_store_durable(st, ck)) {
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  r->eps = (double)offset / (now_s() - t0);
  r->hash = XXH64_digest(hs);
  XXH64_freeState(hs);
  if (sh) r->evicted = sr_shard_evicted(sh);
  sr_aggregator_destroy(agg);
  sr_store_close(st);
  sr_arena_destroy(arena);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void rm_db(const char *path) {
  char p[300];
  static const char *const sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", path, sfx[i]);
    unlink(p);
  }
}

int main(int argc, char **argv) {
  size_t size = 1000000, every = 10000;
  int rounds = 1;
  long long idle_s = 60;
  uint64_t seed = 42;
  const char *db = "bench-state.db";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) size = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--checkpoint") && i + 1 < argc) every = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--idle-s") && i + 1 < argc) idle_s = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
    else {
      fprintf(stderr, "usage: bench_state [--size SESSIONS] [--rounds R] "
                      "[--checkpoint SESSIONS] [--idle-s S] [--seed X] "
                      "[--db PATH]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > 99 || size < 1 || every < 1) return 2;
  sr_log_set_level(SR_LOG_WARN);
  char err[1024];
  struct sr_detectors *dets = sr_detectors_create(NULL, err, sizeof err);
  struct sr_policy *pol = dets ? sr_policy_create(NULL, dets, err, sizeof err) : NULL;
  if (!pol) {
    fprintf(stderr, "bench_state: %s\n", err);
    return 1;
  }
  printf("stream: %zu sessions x 3 events, seed %llu; checkpoint every %zu "
         "sessions, evict after %lld s idle (event time)\n",
         size, (unsigned long long)seed, every, idle_s);
  double a[99], b[99];
  struct result ra, rb;
  for (int k = 0; k < rounds; k++) {
    run(dets, pol, size, seed, NULL, every, 0, &ra);
    a[k] = ra.eps;
    rm_db(db);
    run(dets, pol, size, seed, db, every, idle_s * 1000, &rb);
    b[k] = rb.eps;
  }
  qsort(a, (size_t)rounds, sizeof *a, cmp);
  qsort(b, (size_t)rounds, sizeof *b, cmp);
  double ma = a[rounds / 2], mb = b[rounds / 2];
  printf("(a) no store, all in memory: %.0f events/s (median of %d)\n", ma,
         rounds);
  printf("(b) store + checkpoints + eviction: %.0f events/s; ratio (b)/(a) "
         "%.2f\n", mb, mb / ma);
  printf("memory (a): %.0f bytes/session (%zu sessions resident, %.1f MiB)\n",
         (double)ra.peak_bytes / (double)ra.peak_sessions, ra.peak_sessions,
         ra.peak_bytes / 1048576.0);
  printf("memory (b): at most %zu sessions resident, %.1f MiB; %zu evicted\n",
         rb.peak_sessions, rb.peak_bytes / 1048576.0, rb.evicted);

  sqlite3 *h;
  sqlite3_stmt *q;
  long long rows = 0;
  if (sqlite3_open(db, &h) == SQLITE_OK) {
    sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM sessions", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
      rows = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
  }
  sqlite3_close(h);
  struct stat sb;
  if (stat(db, &sb) == 0 && rows > 0)
    printf("disk: %.0f bytes/session (%lld sessions, %.1f MiB, with their "
           "dimensions, timeline and %zu audit rows)\n",
           (double)sb.st_size / (double)rows, rows, sb.st_size / 1048576.0,
           rb.commands);
  printf("commands %zu; hash (a) %016llx (b) %016llx%s\n", ra.commands,
         (unsigned long long)ra.hash, (unsigned long long)rb.hash,
         ra.hash == rb.hash ? "" : "  MISMATCH");
  rm_db(db);
  sr_policy_destroy(pol);
  sr_detectors_destroy(dets);
  return ra.hash == rb.hash ? 0 : 1;
}
