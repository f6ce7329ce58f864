/*
 * A real state database for the query tests: a SQLite file in WAL mode made
 * from the committed contract (schemas/state.sql) and filled with the rows
 * the processor stores for the PocketOS session and two others
 * (tests/data/query/pocketos.sql).
 */
#ifndef SR_TEST_STATE_FIXTURE_H
#define SR_TEST_STATE_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef SR_SOURCE_DIR
#define SR_SOURCE_DIR "."
#endif
#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

static inline char *fx_slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* Runs a SQL file on db; 0 or prints the error. */
static inline int fx_exec_file(sqlite3 *db, const char *path) {
  char *sql = fx_slurp(path), *err = NULL;
  if (!sql) {
    fprintf(stderr, "cannot read %s\n", path);
    return -1;
  }
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", path, err);
  sqlite3_free(err);
  free(sql);
  return rc == SQLITE_OK ? 0 : -1;
}

/* Creates the state database at path (replacing it) with the fixture rows;
 * `extra` is more SQL to run, or NULL. Returns an open read-write
 * connection for the test to add rows with, or NULL. */
static inline sqlite3 *fx_state_open(const char *path) {
  unlink(path);
  char wal[512];
  snprintf(wal, sizeof wal, "%s-wal", path);
  unlink(wal);
  snprintf(wal, sizeof wal, "%s-shm", path);
  unlink(wal);
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
      fx_exec_file(db, SR_SOURCE_DIR "/schemas/state.sql") ||
      fx_exec_file(db, SR_TEST_DATA "/query/pocketos.sql")) {
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

/* Same, closed again: the file as a stopped processor leaves it. */
static inline int fx_state_make(const char *path) {
  sqlite3 *db = fx_state_open(path);
  if (!db) return -1;
  sqlite3_close(db);
  return 0;
}

#endif
