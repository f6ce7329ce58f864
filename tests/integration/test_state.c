/*
 * Durability end to end: the real `stackrisk run` binary killed with
 * SIGKILL at several points and restarted on its state database, against a
 * `stackrisk broker` process that outlives every kill.
 *
 * The stream is every realistic session of tests/data/sessions, copied
 * under sixteen session-id suffixes (about 3,300 events, a tenth of them
 * answered by a command). The crashed run goes through four incarnations,
 * each in a new consumer group, so only the state database can tell it
 * where to resume:
 *   1. STACKRISK_CRASH_AT=commit:2 : killed right after its second state
 *      commit, before anything else (Kafka offsets, later commands);
 *   2. STACKRISK_CRASH_AT=publish:25 : killed right after handing its 25th
 *      command to the producer, before the state covering it is committed;
 *   3. killed by the test as soon as a checkpoint lands while more events
 *      are being produced, and consumed: mid-batch;
 *   4. runs to the end and stops with SIGTERM.
 * An uninterrupted run over the same topic then gives the reference: the
 * sessions table (risk, depth, killed, events, last action), every
 * dimension score and the set of command ids on the control topic and in
 * the audit table must be equal. Commands may repeat; none may be missing.
 *
 * Finally the reference database is restarted on the unchanged topic (new
 * group again): it processes nothing and re-emits no command; one new
 * event gets exactly one new command.
 */
#include <check.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "aggregator/command.h"
#include "harness.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif
#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define COPIES 16
#define EVENTS "stackrisk.events"

static pid_t broker;
static char addr[256];
static char tag[32]; /* pid, to keep files of parallel runs apart */
static rd_kafka_t *producer;
static long long produced;

/* ----------------------------------------------------------- the stream */

static char *lines[512];
static size_t n_lines;

static void load_sessions(void) {
  glob_t g;
  ck_assert_int_eq(glob(SR_TEST_DATA "/sessions/*.jsonl", 0, NULL, &g), 0);
  for (size_t i = 0; i < g.gl_pathc; i++) {
    if (strstr(g.gl_pathv[i], "malformed")) continue;
    char *data = h_read_file(g.gl_pathv[i], NULL);
    ck_assert_ptr_nonnull(data);
    for (char *l = strtok(data, "\n"); l; l = strtok(NULL, "\n"))
      if (*l && n_lines < SR_ARRAY_LEN(lines)) lines[n_lines++] = strdup(l);
    free(data);
  }
  globfree(&g);
}

/* Copy c of every session: the session id gets the suffix "-cN". */
static void produce_copy(int c) {
  for (size_t i = 0; i < n_lines; i++) {
    char sid[256], out[16384];
    h_json_session(lines[i], sid, sizeof sid);
    char needle[300];
    snprintf(needle, sizeof needle, "\"session_id\":\"%s\"", sid);
    const char *at = strstr(lines[i], needle);
    ck_assert_ptr_nonnull(at);
    char nsid[300];
    snprintf(nsid, sizeof nsid, "%s-c%d", sid, c);
    int n = snprintf(out, sizeof out, "%.*s\"session_id\":\"%s\"%s",
                     (int)(at - lines[i]), lines[i], nsid,
                     at + strlen(needle));
    ck_assert_int_lt(n, (int)sizeof out);
    ck_assert_int_eq(h_produce(producer, EVENTS, nsid, out, (size_t)n), 0);
    produced++;
  }
  rd_kafka_flush(producer, 10000);
}

/* --------------------------------------------------------- the process */

static void path_of(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "state-%s-%s", tag, name);
}

static pid_t last_run; /* the run started last, for teardown */

static pid_t start_run_with(const char *config, const char *group,
                            const char *db, const char *control,
                            const char *crash_at, const char *log) {
  char *argv[] = {SR_BINARY,   "run",
                  "--brokers", addr,
                  "--config",  (char *)config,
                  "--group",   (char *)group,
                  "--state",   (char *)db,
                  "--control-topic", (char *)control,
                  NULL};
  if (crash_at) setenv("STACKRISK_CRASH_AT", crash_at, 1);
  pid_t pid = h_spawn(argv, log);
  unsetenv("STACKRISK_CRASH_AT");
  ck_assert_int_gt(pid, 0);
  last_run = pid;
  return pid;
}

static pid_t start_run(const char *group, const char *db, const char *control,
                       const char *crash_at, const char *log) {
  return start_run_with(SR_TEST_DATA "/integration/state.yaml", group, db,
                        control, crash_at, log);
}

/* Events reflected in the database: the sum of its stored next offsets
 * (each partition of the fresh topic starts at 0). */
static long long progress(const char *db) {
  sqlite3 *h;
  sqlite3_stmt *q;
  long long v = 0;
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    sqlite3_close(h);
    return 0;
  }
  sqlite3_busy_timeout(h, 2000);
  if (sqlite3_prepare_v2(h, "SELECT coalesce(sum(next_offset), 0) FROM "
                            "input_offsets", -1, &q, NULL) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW)
    v = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(h);
  return v;
}

/* Waits until the database reflects `want` events; false on timeout. */
static bool wait_progress(const char *db, long long want, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (h_now_ms() < deadline) {
    if (progress(db) >= want) return true;
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

/* Stops a run with SIGTERM once it is up (its signal handler installed,
 * which is before it logs "consuming"). */
static void stop_run(pid_t pid, const char *log) {
  long long deadline = h_now_ms() + 30000;
  for (;;) {
    char *text = h_read_file(log, NULL);
    bool up = text && strstr(text, "consuming");
    free(text);
    if (up || h_now_ms() > deadline) break;
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGTERM);
  int rc = h_wait_exit(pid, 60000);
  ck_assert_msg(rc == 0, "stackrisk run exited %d (log %s)", rc, log);
}

/* One query's rows as text, "a|b|c\n" per row. A run may have the
 * database open meanwhile, or open it: SQLite answers SQLITE_BUSY while
 * another connection rebuilds the WAL index (the first to open the file
 * after a SIGKILL or after the last one closed) or checkpoints and removes
 * the WAL (the last to close it). Those locks last milliseconds; this
 * waits for them as long as the store's own connections do. */
static char *dump(const char *db, const char *sql) {
  sqlite3 *h;
  sqlite3_stmt *q;
  ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  sqlite3_busy_timeout(h, 10000);
  ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK, "%s",
                sqlite3_errmsg(h));
  size_t cap = 1 << 20, len = 0;
  char *out = malloc(cap);
  out[0] = '\0';
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(q); i++) {
      const char *v = (const char *)sqlite3_column_text(q, i);
      size_t n = strlen(v ? v : "") + 2;
      if (len + n + 1 > cap) out = realloc(out, cap *= 2);
      len += (size_t)snprintf(out + len, cap - len, "%s%c", v ? v : "",
                              i + 1 < sqlite3_column_count(q) ? '|' : '\n');
    }
  }
  /* Rows cut short would read as a difference, or as a count of 0. */
  ck_assert_msg(rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(h));
  sqlite3_finalize(q);
  sqlite3_close(h);
  return out;
}

/* Asserts a == b, showing the first line that differs. */
static void same_rows(const char *what, const char *a, const char *b) {
  if (!strcmp(a, b)) return;
  size_t i = 0, line = 0;
  while (a[i] && a[i] == b[i]) line += a[i++] == '\n';
  while (i > 0 && a[i - 1] != '\n') i--;
  ck_abort_msg("%s differ at row %zu: crashed '%.120s' vs reference '%.120s'",
               what, line + 1, a + i, b + i);
}

/* Every command id on the control topic, read up to its end. */
static size_t read_ids(const char *topic, char (*ids)[SR_COMMAND_ID_LEN + 1],
                       size_t cap, size_t *records) {
  rd_kafka_t *rk = h_reader(addr, topic);
  ck_assert_ptr_nonnull(rk);
  int64_t hwm[16] = {0}, pos[16];
  for (int p = 0; p < 16; p++) {
    int64_t lo;
    pos[p] = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hwm[p], 5000))
      hwm[p] = 0;
  }
  size_t n = 0;
  *records = 0;
  long long deadline = h_now_ms() + 60000;
  for (;;) {
    bool done = true;
    for (int p = 0; p < 16; p++) done &= pos[p] >= hwm[p];
    if (done || h_now_ms() > deadline) break;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err && m->partition < 16) {
      pos[m->partition] = m->offset + 1;
      struct sr_command c;
      char err[128];
      ck_assert_int_eq(sr_command_decode(m->payload, m->len, &c, err,
                                         sizeof err), 0);
      (*records)++;
      size_t j = 0;
      while (j < n && strcmp(ids[j], c.command_id)) j++;
      if (j == n && n < cap) memcpy(ids[n++], c.command_id, sizeof ids[0]);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy(rk);
  return n;
}

/* Starts `stackrisk broker` (new topics, a new address) and a producer
 * to it. */
static void start_broker(const char *name) {
  char log[128];
  path_of(log, sizeof log, name);
  unlink(log);
  char *argv[] = {SR_BINARY,   "broker",      "--partitions",
                  "4",         "-t",          "ctl-ref",
                  "-t",        "ctl-crash",   "-t",
                  "ctl-quiet", "-t",          "ctl-recreated",
                  "-t",        "ctl-restore", NULL};
  broker = h_spawn(argv, log);
  ck_assert_msg(h_wait_address(log, addr, sizeof addr, 20000),
                "the broker printed no address (log %s)", log);
  producer = h_producer(addr);
  ck_assert_ptr_nonnull(producer);
}

static void stop_broker(void) {
  rd_kafka_destroy(producer);
  kill(broker, SIGTERM);
  h_wait_exit(broker, 10000);
}

static void setup(void) {
  snprintf(tag, sizeof tag, "%d", (int)getpid());
  start_broker("broker.log");
  produced = 0;
  n_lines = 0;
  load_sessions();
  ck_assert_uint_gt(n_lines, 150);
}

static char crash_db[128], ref_db[128];

static void teardown(void) {
  /* A failed assertion leaves the run it waited for running (0: it is
   * still a child of ours, not yet reaped). */
  if (last_run > 0 && waitpid(last_run, NULL, WNOHANG) == 0) {
    kill(last_run, SIGKILL);
    waitpid(last_run, NULL, 0);
  }
  last_run = 0;
  stop_broker();
  for (size_t i = 0; i < n_lines; i++) free(lines[i]);
  /* The databases are large; the logs stay for a failure's post-mortem. */
  static const char *const sfx[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    char p[160];
    snprintf(p, sizeof p, "%s%s", crash_db, sfx[i]);
    unlink(p);
    snprintf(p, sizeof p, "%s%s", ref_db, sfx[i]);
    unlink(p);
  }
}

START_TEST(kill_9_at_any_point_loses_nothing) {
  char log[128];
  path_of(crash_db, sizeof crash_db, "crash.db");
  path_of(ref_db, sizeof ref_db, "ref.db");
  unlink(crash_db), unlink(ref_db);
  produce_copy(0);
  path_of(log, sizeof log, "crash-1.log");
  unlink(log);

  /* 1: killed right after the second checkpoint commits. A checkpoint
   * needs new input, so the second one comes after copy 1 arrives. */
  pid_t p = start_run("crash-1", crash_db, "ctl-crash", "commit:2", log);
  ck_assert_msg(wait_progress(crash_db, 1, 60000), "no first checkpoint");
  produce_copy(1);
  ck_assert_msg(h_wait_exit(p, 90000) == 128 + SIGKILL,
                "incarnation 1 was not killed at commit:2 (log %s)", log);
  for (int c = 2; c < 4; c++) produce_copy(c);
  long long after1 = progress(crash_db);
  ck_assert_msg(after1 > 0 && after1 < produced,
                "commit:2 should land mid-stream: %lld of %lld", after1,
                produced);

  /* 2: killed after handing its 25th command to the producer. */
  for (int c = 4; c < 8; c++) produce_copy(c);
  path_of(log, sizeof log, "crash-2.log");
  unlink(log);
  p = start_run("crash-2", crash_db, "ctl-crash", "publish:25", log);
  ck_assert_msg(h_wait_exit(p, 90000) == 128 + SIGKILL,
                "incarnation 2 was not killed at publish:25 (log %s)", log);
  long long after2 = progress(crash_db);
  ck_assert_msg(after2 < produced, "publish:25 should land mid-stream");

  /* 3: SIGKILL from outside as soon as a checkpoint lands while more
   * events arrive. */
  path_of(log, sizeof log, "crash-3.log");
  unlink(log);
  p = start_run("crash-3", crash_db, "ctl-crash", NULL, log);
  ck_assert_msg(wait_progress(crash_db, after2 + 1, 90000),
                "incarnation 3 made no progress (log %s)", log);
  /* Killed while the next copies stream in, after a first checkpoint of
   * them: some are checkpointed, some processed only, some not read. */
  long long mid = progress(crash_db);
  int c = 8;
  while (c < COPIES) {
    produce_copy(c++);
    if (progress(crash_db) > mid) break;
  }
  kill(p, SIGKILL);
  h_wait_exit(p, 10000);
  long long after3 = progress(crash_db);
  while (c < COPIES) produce_copy(c++);

  /* 4: to the end. */
  path_of(log, sizeof log, "crash-4.log");
  unlink(log);
  p = start_run("crash-4", crash_db, "ctl-crash", NULL, log);
  ck_assert_msg(wait_progress(crash_db, produced, 120000),
                "crashed run stuck at %lld of %lld events (log %s)",
                progress(crash_db), produced, log);
  stop_run(p, log);
  fprintf(stderr,
          "test_state: %lld events; checkpointed after kill 1: %lld, "
          "kill 2: %lld, kill 3: %lld\n",
          produced, after1, after2, after3);

  /* The reference: one uninterrupted run. */
  path_of(log, sizeof log, "ref.log");
  unlink(log);
  p = start_run("ref", ref_db, "ctl-ref", NULL, log);
  ck_assert_msg(wait_progress(ref_db, produced, 120000),
                "reference run stuck (log %s)", log);
  stop_run(p, log);

  static const char *const sessions =
      "SELECT session_id, printf('%.12f', risk), depth, killed, events, "
      "coalesce(last_action, ''), mode, environment FROM sessions ORDER BY 1";
  static const char *const dims =
      "SELECT session_id, dimension, printf('%.9f', score), elevated, reason "
      "FROM session_dimensions ORDER BY 1, 2";
  static const char *const audit =
      "SELECT command_id, action, printf('%.12f', risk), depth, rule "
      "FROM commands ORDER BY 1";
  const char *const queries[][2] = {
      {"sessions", sessions}, {"dimensions", dims}, {"audit rows", audit}};
  for (size_t i = 0; i < 3; i++) {
    char *a = dump(crash_db, queries[i][1]), *b = dump(ref_db, queries[i][1]);
    ck_assert_msg(strlen(b) > 1000, "reference %s nearly empty", queries[i][0]);
    same_rows(queries[i][0], a, b);
    free(a);
    free(b);
  }
  char *killed = dump(ref_db, "SELECT count(*) FROM sessions WHERE killed=1");
  ck_assert_msg(atoi(killed) >= COPIES, "too few killed sessions: %s", killed);
  free(killed);

  /* The control topics: the same set of ids; repeats allowed. */
  static char ref_ids[4096][SR_COMMAND_ID_LEN + 1];
  static char crash_ids[4096][SR_COMMAND_ID_LEN + 1];
  size_t ref_records, crash_records;
  size_t nr = read_ids("ctl-ref", ref_ids, 4096, &ref_records);
  size_t nc = read_ids("ctl-crash", crash_ids, 4096, &crash_records);
  ck_assert_uint_gt(nr, 100);
  ck_assert_uint_eq(ref_records, nr); /* uninterrupted: no repeats */
  for (size_t i = 0; i < nr; i++) {
    size_t j = 0;
    while (j < nc && strcmp(ref_ids[i], crash_ids[j])) j++;
    ck_assert_msg(j < nc, "command %s missing after the crashes", ref_ids[i]);
  }
  ck_assert_uint_eq(nc, nr);
  fprintf(stderr, "test_state: %zu command ids, %zu records after crashes\n",
          nr, crash_records);
}
END_TEST

START_TEST(restart_on_unchanged_topic_emits_nothing_new) {
  char log[128];
  path_of(log, sizeof log, "restart.log");
  unlink(log);
  size_t before_records, after_records;
  static char ids[4096][SR_COMMAND_ID_LEN + 1];
  size_t before = read_ids("ctl-ref", ids, 4096, &before_records);
  ck_assert_uint_gt(before, 100);
  pid_t p = start_run("restart", ref_db, "ctl-ref", NULL, log);
  /* One new gated call: its verdict is the only command due. */
  const char *line =
      "{\"type\":\"tool_call\",\"session_id\":\"restart-1\",\"ts_ms\":"
      "1790000000000,\"phase\":\"requested\",\"call_id\":\"after-restart\","
      "\"tool\":\"Read\",\"arguments\":{\"file_path\":\"README.md\"},"
      "\"want_verdict\":true}";
  ck_assert_int_eq(h_produce(producer, EVENTS, "restart-1", line, strlen(line)),
                   0);
  rd_kafka_flush(producer, 5000);
  produced++;
  ck_assert_msg(wait_progress(ref_db, produced, 60000),
                "the new event was not processed (log %s)", log);
  stop_run(p, log);
  size_t after = read_ids("ctl-ref", ids, 4096, &after_records);
  ck_assert_uint_eq(after, before + 1);
  ck_assert_uint_eq(after_records, before_records + 1);
  char *text = h_read_file(log, NULL);
  ck_assert_msg(text && strstr(text, "resuming at offset") &&
                    strstr(text, "stopped: 1 events"),
                "the restart reprocessed events: %s", text ? text : "");
  free(text);
}
END_TEST

/* A pause in the input makes the state durable at once: with a checkpoint
 * interval of a minute, the whole topic's state is in the database within
 * seconds of the last event. */
START_TEST(a_quiet_input_is_made_durable_at_once) {
  char log[128], db[128];
  path_of(log, sizeof log, "quiet.log");
  path_of(db, sizeof db, "quiet.db");
  unlink(log);
  unlink(db);
  long long t0 = h_now_ms();
  pid_t p = start_run_with(SR_TEST_DATA "/integration/state_minute.yaml",
                           "quiet", db, "ctl-quiet", NULL, log);
  ck_assert_msg(wait_progress(db, produced, 20000),
                "%lld of %lld events durable after 20 s (log %s)",
                progress(db), produced, log);
  ck_assert_int_lt(h_now_ms() - t0, 60000);
  stop_run(p, log);
  static const char *const sfx[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    char path[160];
    snprintf(path, sizeof path, "%s%s", db, sfx[i]);
    unlink(path);
  }
}
END_TEST

/* One row's first column as a number (0 when there is none). */
static long long scalar(const char *db, const char *sql) {
  char *v = dump(db, sql);
  long long n = atoll(v);
  free(v);
  return n;
}

/* Occurrences of needle in text. */
static int count(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* Waits until the query's first column is `want`; false on timeout. */
static bool wait_scalar(const char *db, const char *sql, long long want,
                        int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (h_now_ms() < deadline) {
    if (scalar(db, sql) == want) return true;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

/* The walkthrough: a database whose offsets come from one cluster meets
 * the topics recreated empty (a new `stackrisk broker`, as a deleted and
 * recreated topic, or retention past the stored offset, on a real one).
 * The run must say so, and keep storing state, commands and offsets from
 * the new positions. It is killed right after publishing the first verdict
 * there, before any state covers it: the restart must resume from the new
 * position (not the old offset, which on a refilled topic would skip
 * events), replay the call and store it. */
START_TEST(a_recreated_topic_is_stored_from_its_new_start) {
  char db[128], log[128], sql[256];
  path_of(db, sizeof db, "recreated.db");
  h_remove_db(db);
  produce_copy(0);
  path_of(log, sizeof log, "recreated-1.log");
  unlink(log);
  pid_t p = start_run("recreated-1", db, "ctl-recreated", NULL, log);
  ck_assert_msg(wait_progress(db, produced, 60000),
                "the first cluster's events were not stored (log %s)", log);
  stop_run(p, log);
  long long stored[4];
  for (int i = 0; i < 4; i++) {
    snprintf(sql, sizeof sql,
             "SELECT next_offset FROM input_offsets WHERE topic = '" EVENTS
             "' AND partition = %d",
             i);
    stored[i] = scalar(db, sql);
    ck_assert_msg(stored[i] > 1, "partition %d stored only %lld", i, stored[i]);
  }
  long long sessions = scalar(db, "SELECT count(*) FROM sessions");
  long long commands = scalar(db, "SELECT count(*) FROM commands");
  ck_assert_int_gt(commands, 10);

  stop_broker();
  start_broker("broker-recreated.log");

  /* Killed right after handing the verdict to the producer. With a
   * checkpoint interval of a minute the partitions that receive nothing
   * are not looked at (check_ends) before the kill: the call's partition
   * is found out by its first message alone. */
  path_of(log, sizeof log, "recreated-2.log");
  unlink(log);
  p = start_run_with(SR_TEST_DATA "/integration/state_minute.yaml",
                     "recreated-2", db, "ctl-recreated", "publish:1", log);
  const char *line =
      "{\"type\":\"tool_call\",\"session_id\":\"recreated-1\",\"ts_ms\":"
      "1790000000000,\"phase\":\"requested\",\"call_id\":\"after-recreate\","
      "\"tool\":\"Bash\",\"arguments\":{\"command\":\"rm -rf ~/\"},"
      "\"want_verdict\":true}";
  ck_assert_int_eq(
      h_produce(producer, EVENTS, "recreated-1", line, strlen(line)), 0);
  rd_kafka_flush(producer, 5000);
  ck_assert_msg(h_wait_exit(p, 60000) == 128 + SIGKILL,
                "the run on the new cluster issued no command (log %s)", log);
  char *warned = h_read_file(log, NULL);
  ck_assert_ptr_nonnull(warned);

  /* The restart replays the call and stores it with its offset. */
  path_of(log, sizeof log, "recreated-3.log");
  unlink(log);
  p = start_run("recreated-3", db, "ctl-recreated", NULL, log);
  static const char *const call_offset =
      "SELECT i.next_offset FROM input_offsets i JOIN commands c ON "
      "c.topic = i.topic AND c.partition = i.partition WHERE c.session_id "
      "= 'recreated-1'";
  ck_assert_msg(wait_scalar(db, call_offset, 1, 30000),
                "the call on the recreated topic is not stored (log %s)", log);
  /* The partitions that received nothing move to their new start too: no
   * offset of the old cluster is left. */
  static const char *const offsets_sum =
      "SELECT sum(next_offset) FROM input_offsets WHERE topic = '" EVENTS "'";
  ck_assert_msg(wait_scalar(db, offsets_sum, 1, 30000),
                "stored offsets add up to %lld, not 1 (log %s)",
                scalar(db, offsets_sum), log);
  stop_run(p, log);
  int part = (int)scalar(db,
                         "SELECT partition FROM commands WHERE "
                         "session_id = 'recreated-1' AND offset = 0");
  ck_assert_int_eq(scalar(db,
                          "SELECT count(*) FROM commands WHERE "
                          "session_id = 'recreated-1'"),
                   1);
  ck_assert_int_eq(scalar(db, call_offset), 1);
  ck_assert_int_eq(scalar(db,
                          "SELECT count(*) FROM sessions WHERE "
                          "session_id = 'recreated-1'"),
                   1);
  /* Nothing stored before is lost. */
  ck_assert_int_eq(scalar(db, "SELECT count(*) FROM sessions"), sessions + 1);
  ck_assert_int_eq(scalar(db, "SELECT count(*) FROM commands"), commands + 1);

  /* The crashed run said which partition did not fit, where it was and
   * where it is now, and what that means. */
  char want[320];
  snprintf(want, sizeof want,
           EVENTS
           " [%d]: the stored offset %lld does not fit the partition, "
           "which is read from offset 0 now: the topic was recreated "
           "or its retention removed the stored offset; state "
           "continues from here",
           part, stored[part]);
  ck_assert_msg(strstr(warned, want), "no warning '%s' (log %s)", want,
                "recreated-2.log");
  ck_assert_int_eq(count(warned, "does not fit"), 1);
  free(warned);

  /* It had made the new position durable before it read the call: the
   * restart resumed there, read the call alone, and the verdict is on the
   * control topic. */
  snprintf(want, sizeof want, EVENTS " [%d]: resuming at offset 0 ", part);
  char *text = h_read_file(log, NULL);
  ck_assert_msg(text && strstr(text, want) && strstr(text, "stopped: 1 events"),
                "the restart did not resume at the new position (log %s)", log);
  /* The partitions that received nothing were found out from their log
   * ends, once each. */
  ck_assert_int_eq(count(text, "does not fit"), 3);
  free(text);
  static char ids[16][SR_COMMAND_ID_LEN + 1];
  size_t records;
  ck_assert_uint_eq(read_ids("ctl-recreated", ids, 16, &records), 1);
  char *id = dump(db,
                  "SELECT command_id FROM commands WHERE "
                  "session_id = 'recreated-1'");
  ck_assert_msg(strncmp(id, ids[0], SR_COMMAND_ID_LEN) == 0,
                "the control topic has %s, the audit log %s", ids[0], id);
  free(id);
  h_remove_db(db);
}
END_TEST

/* Lines [from, to) of a session file, to the events topic, in order. */
static void produce_lines(const char *path, int from, int to) {
  char *data = h_read_file(path, NULL);
  ck_assert_ptr_nonnull(data);
  int i = 0;
  for (char *l = strtok(data, "\n"); l; l = strtok(NULL, "\n"), i++) {
    if (i < from || i >= to) continue;
    char sid[256];
    h_json_session(l, sid, sizeof sid);
    ck_assert_int_eq(h_produce(producer, EVENTS, sid, l, strlen(l)), 0);
  }
  free(data);
  rd_kafka_flush(producer, 10000);
}

/* The command ids `stackrisk replay` prints for a file, sorted. */
static size_t replay_ids(const char *path, char (*ids)[SR_COMMAND_ID_LEN + 1],
                         size_t cap) {
  char cmd[512], line[8192];
  snprintf(cmd, sizeof cmd, "%s replay %s", SR_BINARY, path);
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  size_t n = 0;
  while (fgets(line, sizeof line, f) && n < cap) {
    const char *at = strstr(line, "\"command_id\":\"");
    if (at) snprintf(ids[n++], sizeof ids[0], "%.32s", at + 14);
  }
  ck_assert_int_eq(pclose(f), 0);
  return n;
}

static bool has_id(char (*ids)[SR_COMMAND_ID_LEN + 1], size_t n,
                   const char *id) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(ids[i], id)) return true;
  return false;
}

/* Lines [from, to) of the session to the events topic, then a run of
 * group "restore" on db until its database holds them, then stopped; its
 * log (named `name`) must say `says`. */
static void run_part(const char *session, int from, int to, const char *db,
                     const char *name, const char *says) {
  char log[128];
  produce_lines(session, from, to);
  path_of(log, sizeof log, name);
  unlink(log);
  pid_t p = start_run("restore", db, "ctl-restore", NULL, log);
  ck_assert_msg(wait_progress(db, to, 60000),
                "events up to %d not stored "
                "(log %s)",
                to, log);
  stop_run(p, log);
  char *text = h_read_file(log, NULL);
  ck_assert_msg(text && strstr(text, says), "log %s lacks '%s'", log, says);
  free(text);
}

/*
 * Instances that hold no state, or stale state, for a partition the group
 * read before rebuild it from the topic and publish only past the group's
 * offset. The PocketOS session in three parts, each to another instance
 * of one group: A (database 1) reads events 1-10; B, with a new database
 * (a new machine), reads 11-16; A again, its database 6 events behind,
 * reads the volume delete. Together they publish exactly the commands one
 * uninterrupted replay prints, the KILL included, each once: B did not
 * judge 11-16 without the plan mode and token of 1-10, and neither B nor
 * A republished what the other had answered.
 */
START_TEST(instances_without_the_state_restore_it_from_the_topic) {
  const char *session = SR_TEST_DATA "/sessions/pocketos.jsonl";
  static char want[16][SR_COMMAND_ID_LEN + 1], got[64][SR_COMMAND_ID_LEN + 1];
  size_t n_want = replay_ids(session, want, 16);
  ck_assert_uint_eq(n_want, 3);
  char db1[128], db2[128];
  path_of(db1, sizeof db1, "restore-1.db");
  path_of(db2, sizeof db2, "restore-2.db");
  h_remove_db(db1);
  h_remove_db(db2);

  run_part(session, 0, 10, db1, "restore-a.log", "consuming");
  run_part(session, 10, 16, db2, "restore-b.log",
           "no state here for its sessions; restoring it from the 10 "
           "events since");
  run_part(session, 16, 17, db1, "restore-a2.log",
           "this state database up to 10: reading the 6 events between "
           "again");

  size_t records, n = read_ids("ctl-restore", got, 64, &records);
  ck_assert_uint_eq(n, n_want);
  ck_assert_uint_eq(records, n_want);
  for (size_t i = 0; i < n_want; i++)
    ck_assert_msg(has_id(got, n, want[i]),
                  "command %s of the replay is not "
                  "on the control topic",
                  want[i]);
}
END_TEST

int main(void) {
  Suite *s = suite_create("state");
  TCase *tc = tcase_create("durability");
  tcase_set_timeout(tc, 280);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, kill_9_at_any_point_loses_nothing);
  tcase_add_test(tc, restart_on_unchanged_topic_emits_nothing_new);
  tcase_add_test(tc, a_quiet_input_is_made_durable_at_once);
  suite_add_tcase(s, tc);
  tc = tcase_create("recreated");
  tcase_set_timeout(tc, 200);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, a_recreated_topic_is_stored_from_its_new_start);
  suite_add_tcase(s, tc);
  tc = tcase_create("restore");
  tcase_set_timeout(tc, 200);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, instances_without_the_state_restore_it_from_the_topic);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
