/*
 * Query documents from the state database.
 *
 * Every statement is prepared once per connection and reused. Documents are
 * built as jansson trees and dumped compactly with six significant digits
 * for reals, so a stored 0.89999998 prints as 0.9.
 *
 * Text comes from agents (tasks, tool names, summaries) and may hold broken
 * UTF-8, e.g. an excerpt cut in the middle of a character. JSON must be
 * valid UTF-8, so such bytes are replaced with U+FFFD rather than dropping
 * the row or failing the whole response.
 *
 * The audit log's `dimensions` column is JSON text written by the processor;
 * it is parsed and embedded as an array, or null if it does not parse.
 * The timeline is stored in chunks of JSON entries (schemas/state.sql):
 * the newest chunks are parsed until they hold enough entries, and each
 * entry becomes the object a row of the version 1 table made; a chunk that
 * does not parse is skipped.
 */
#include "query/reader.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_COLS                                                        \
  "seq, command_id, session_id, call_id, action, risk, depth, dimensions, " \
  "rule, event_id, topic, partition, offset, issued_at_ms, expires_at_ms"
#define SESSION_COLS                                                        \
  "session_id, risk, depth, last_action, killed, events, mode, "            \
  "environment, task, first_ts_ms, last_ts_ms, updated_at_ms"

/* The list's filters: risk at least ?1, and a last action among ?2 to ?5
 * unless ?2 is NULL (bind_filters). */
#define FILTERS "risk >= ?1 AND (?2 IS NULL OR last_action IN (?2, ?3, ?4, ?5))"

enum {
  Q_BEGIN,
  Q_COMMIT,
  Q_SESSIONS,
  Q_TOTAL_MATCHING,
  Q_TOTAL_ALL,
  Q_ELEVATED,
  Q_SESSION,
  Q_DIMS,
  Q_SESSION_COMMANDS,
  Q_TIMELINE,
  Q_COMMANDS_LATEST,
  Q_COMMANDS_SINCE,
  Q_COMMANDS_AFTER,
  Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_SESSIONS] = "SELECT " SESSION_COLS " FROM sessions WHERE " FILTERS
                   " ORDER BY risk DESC, last_ts_ms DESC, session_id LIMIT ?6",
    /* Reads the index sessions_by_risk only: it holds both columns. */
    [Q_TOTAL_MATCHING] = "SELECT count(*) FROM sessions WHERE " FILTERS,
    /* No filter: SQLite counts the entries of an index page by page. */
    [Q_TOTAL_ALL] = "SELECT count(*) FROM sessions",
    [Q_ELEVATED] =
        "SELECT dimension, score, reason FROM session_dimensions "
        "WHERE session_id = ?1 AND elevated = 1 ORDER BY score DESC, dimension",
    [Q_SESSION] = "SELECT " SESSION_COLS " FROM sessions WHERE session_id = ?1",
    [Q_DIMS] =
        "SELECT dimension, score, elevated, reason, ts_ms FROM "
        "session_dimensions WHERE session_id = ?1 "
        "ORDER BY elevated DESC, score DESC, dimension",
    [Q_SESSION_COMMANDS] =
        "SELECT * FROM (SELECT " COMMAND_COLS
        " FROM commands "
        "WHERE session_id = ?1 ORDER BY issued_at_ms DESC, command_id DESC "
        "LIMIT ?2) ORDER BY issued_at_ms, command_id",
    [Q_TIMELINE] =
        "SELECT first_seq, keep_from, entries FROM session_timeline "
        "WHERE session_id = ?1 ORDER BY first_seq DESC",
    [Q_COMMANDS_LATEST] =
        "SELECT * FROM (SELECT " COMMAND_COLS
        " FROM commands "
        "WHERE ?1 IS NULL OR session_id = ?1 "
        "ORDER BY issued_at_ms DESC, command_id DESC LIMIT ?2) "
        "ORDER BY issued_at_ms, command_id",
    [Q_COMMANDS_SINCE] =
        "SELECT " COMMAND_COLS
        " FROM commands WHERE issued_at_ms >= ?3 AND "
        "(?1 IS NULL OR session_id = ?1) ORDER BY issued_at_ms, command_id "
        "LIMIT ?2",
    [Q_COMMANDS_AFTER] =
        "SELECT " COMMAND_COLS
        " FROM commands WHERE seq > ?3 AND "
        "(?1 IS NULL OR session_id = ?1) ORDER BY seq LIMIT ?2",
};

struct sr_reader {
  sqlite3 *db;
  char path[512];
  sqlite3_stmt *st[Q_COUNT];
};

void sr_reader_close(struct sr_reader *r) {
  if (!r) return;
  for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(r->st[i]);
  sqlite3_close(r->db);
  free(r);
}

struct sr_reader *sr_reader_open(const char *path, char *err, size_t errlen) {
  struct sr_reader *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  snprintf(r->path, sizeof r->path, "%s", path);
  /* NOMUTEX: the connection never leaves its thread. */
  int rc = sqlite3_open_v2(path, &r->db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open state database %s: %s", path,
             r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
    goto fail;
  }
  /* Readers never block the WAL writer; they only wait out a checkpoint or
   * recovery. */
  sqlite3_busy_timeout(r->db, 2000);
  sqlite3_stmt *v = NULL;
  int version = -1;
  if (sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &v, NULL) ==
          SQLITE_OK &&
      sqlite3_step(v) == SQLITE_ROW)
    version = sqlite3_column_int(v, 0);
  sqlite3_finalize(v);
  if (version < 0) {
    snprintf(err, errlen, "cannot read state database %s: %s", path,
             sqlite3_errmsg(r->db));
    goto fail;
  }
  if (version >= 1 && version < SR_READER_SCHEMA_VERSION) {
    snprintf(err, errlen, "state database %s has schema version %d; this "
             "stackrisk reads version %d (the processor migrates it when "
             "`stackrisk run` next opens it)", path, version,
             SR_READER_SCHEMA_VERSION);
    goto fail;
  }
  if (version > SR_READER_SCHEMA_VERSION) {
    snprintf(err, errlen, "state database %s has schema version %d; this "
             "stackrisk reads version %d (upgrade stackrisk)", path, version,
             SR_READER_SCHEMA_VERSION);
    goto fail;
  }
  for (int i = 0; i < Q_COUNT; i++) {
    if (sqlite3_prepare_v3(r->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &r->st[i], NULL) != SQLITE_OK) {
      snprintf(err, errlen, "%s is not a stackrisk state database: %s", path,
               sqlite3_errmsg(r->db));
      goto fail;
    }
  }
  return r;
fail:
  sr_reader_close(r);
  return NULL;
}

/* A copy of s[0..n) with broken UTF-8 replaced by U+FFFD (heap, length
 * in *len), or NULL when s is valid UTF-8 (or out of memory). */
static char *utf8_fixed(const char *s, size_t n, size_t *len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, bad = 0;
  while (i < n) {
    size_t k = sr_utf8_seq(p + i, n - i);
    if (!k) bad++;
    i += k ? k : 1;
  }
  if (!bad) return NULL;
  char *fixed = malloc(n + 2 * bad + 1);
  if (!fixed) return NULL;
  size_t o = 0;
  for (i = 0; i < n;) {
    size_t k = sr_utf8_seq(p + i, n - i);
    if (k) {
      memcpy(fixed + o, s + i, k);
      o += k;
      i += k;
    } else {
      memcpy(fixed + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    }
  }
  *len = o;
  return fixed;
}

/* A JSON string of n bytes, broken UTF-8 replaced by U+FFFD. */
static json_t *jstr(const char *s, size_t n) {
  size_t len;
  char *fixed = utf8_fixed(s, n, &len);
  if (!fixed) return json_stringn_nocheck(s, n);
  json_t *j = json_stringn_nocheck(fixed, len);
  free(fixed);
  return j;
}

static json_t *col_text(sqlite3_stmt *s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return json_null();
  const char *t = (const char *)sqlite3_column_text(s, i);
  return jstr(t ? t : "", (size_t)sqlite3_column_bytes(s, i));
}

static json_t *col_int(sqlite3_stmt *s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return json_null();
  return json_integer((json_int_t)sqlite3_column_int64(s, i));
}

static json_t *col_real(sqlite3_stmt *s, int i) {
  return json_real(sqlite3_column_double(s, i));
}

static json_t *col_bool(sqlite3_stmt *s, int i) {
  return json_boolean(sqlite3_column_int(s, i) != 0);
}

/* Sets obj[key] from the column, choosing the JSON type by `kind`:
 * t text, i integer, r real, b boolean. */
static void set_cols(json_t *obj, sqlite3_stmt *s, const char *kinds,
                     const char *const *keys) {
  for (int i = 0; kinds[i]; i++) {
    json_t *v = kinds[i] == 't'   ? col_text(s, i)
                : kinds[i] == 'i' ? col_int(s, i)
                : kinds[i] == 'r' ? col_real(s, i)
                                  : col_bool(s, i);
    json_object_set_new(obj, keys[i], v);
  }
}

static const char *const session_keys[] = {
    "session_id", "risk",   "depth",       "last_action",
    "killed",     "events", "mode",        "environment",
    "task",       "first_ts_ms", "last_ts_ms", "updated_at_ms"};
static const char session_kinds[] = "tritbitttiii";

static const char *const command_keys[] = {
    "seq",   "command_id", "session_id", "call_id",      "action",
    "risk",  "depth",      "dimensions", "rule",         "event_id",
    "topic", "partition",  "offset",     "issued_at_ms", "expires_at_ms"};

static json_t *command_row(sqlite3_stmt *s) {
  json_t *c = json_object();
  set_cols(c, s, "ittttri", command_keys);
  json_t *dims = NULL;
  if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
    const char *t = (const char *)sqlite3_column_text(s, 7);
    dims = json_loadb(t, (size_t)sqlite3_column_bytes(s, 7), 0, NULL);
    if (dims && !json_is_array(dims)) {
      json_decref(dims);
      dims = NULL;
    }
  }
  json_object_set_new(c, "dimensions", dims ? dims : json_null());
  json_object_set_new(c, "rule", col_text(s, 8));
  json_object_set_new(c, "event_id", col_text(s, 9));
  json_object_set_new(c, "topic", col_text(s, 10));
  json_object_set_new(c, "partition", col_int(s, 11));
  json_object_set_new(c, "offset", col_int(s, 12));
  json_object_set_new(c, "issued_at_ms", col_int(s, 13));
  json_object_set_new(c, "expires_at_ms", col_int(s, 14));
  return c;
}

static int db_error(struct sr_reader *r, char *err, size_t errlen) {
  snprintf(err, errlen, "reading state database %s: %s", r->path,
           sqlite3_errmsg(r->db));
  return SR_EIO;
}

/* Steps a bound statement through all its rows, appending row(s) to arr. */
static int collect(struct sr_reader *r, sqlite3_stmt *s, json_t *arr,
                   json_t *(*row)(sqlite3_stmt *), char *err, size_t errlen) {
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, row(s));
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? SR_OK : db_error(r, err, errlen);
}

static json_t *session_row(sqlite3_stmt *s) {
  json_t *o = json_object();
  set_cols(o, s, session_kinds, session_keys);
  return o;
}

static json_t *elevated_row(sqlite3_stmt *s) {
  static const char *const keys[] = {"name", "score", "reason"};
  json_t *o = json_object();
  set_cols(o, s, "trt", keys);
  return o;
}

static json_t *dimension_row(sqlite3_stmt *s) {
  static const char *const keys[] = {"name", "score", "elevated", "reason",
                                     "ts_ms"};
  json_t *o = json_object();
  set_cols(o, s, "trbti", keys);
  return o;
}

/* A stored entry [seq, ts_ms, type, phase, call_id, tool, summary, risk]
 * as the API's object; NULL when it is not such an array. */
static json_t *event_object(json_t *e) {
  static const char *const keys[] = {"seq",     "ts_ms", "type",    "phase",
                                     "call_id", "tool",  "summary", "risk"};
  if (!json_is_array(e) || json_array_size(e) != SR_ARRAY_LEN(keys))
    return NULL;
  json_t *o = json_object();
  for (size_t i = 0; i < 7; i++) {
    json_t *v = json_array_get(e, i);
    bool ok = i < 2 ? json_is_integer(v) : json_is_string(v);
    json_object_set_new(o, keys[i], ok ? json_incref(v) : json_null());
  }
  /* A real, as the REAL column was: 0 prints as 0.0. */
  json_object_set_new(o, keys[7],
                      json_real(json_number_value(json_array_get(e, 7))));
  return o;
}

/* The newest `limit` entries of the session's timeline into arr, seq
 * ascending: the entries at or after keep_from of the newest chunk. Chunks
 * are read newest first and parsed only until enough entries are found. */
static int build_timeline(struct sr_reader *r, const char *id, size_t limit,
                          json_t *arr, char *err, size_t errlen) {
  sqlite3_stmt *q = r->st[Q_TIMELINE];
  sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
  json_t *chunks = json_array(); /* newest first, each seq ascending */
  json_int_t keep = 0;
  size_t total = 0;
  int rc = SQLITE_DONE;
  while (total < limit && (rc = sqlite3_step(q)) == SQLITE_ROW) {
    if (!json_array_size(chunks)) keep = sqlite3_column_int64(q, 1);
    /* The processor writes valid UTF-8; another writer may not. */
    const char *text = (const char *)sqlite3_column_text(q, 2);
    size_t n = text ? (size_t)sqlite3_column_bytes(q, 2) : 0;
    char *fixed = utf8_fixed(text, n, &n);
    json_t *entries = json_loadb(fixed ? fixed : text, n, JSON_ALLOW_NUL, NULL);
    free(fixed);
    json_t *objs = json_array();
    for (size_t i = 0; i < json_array_size(entries); i++) {
      json_t *o = event_object(json_array_get(entries, i));
      if (!o) continue;
      if (json_integer_value(json_object_get(o, "seq")) >= keep)
        json_array_append_new(objs, o);
      else
        json_decref(o);
    }
    json_decref(entries);
    total += json_array_size(objs);
    json_array_append_new(chunks, objs);
    if (sqlite3_column_int64(q, 0) <= keep) { /* older ones: trimmed */
      rc = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(q);
  size_t drop = total > limit ? total - limit : 0;
  for (size_t c = json_array_size(chunks); c-- > 0;) {
    json_t *objs = json_array_get(chunks, c);
    for (size_t i = 0; i < json_array_size(objs); i++) {
      if (drop) {
        drop--;
        continue;
      }
      json_array_append(arr, json_array_get(objs, i));
    }
  }
  json_decref(chunks);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SR_OK
                                               : db_error(r, err, errlen);
}

static void bind_text(sqlite3_stmt *s, int i, const char *t) {
  if (t && *t)
    sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(s, i);
}

/* Runs build() inside one read transaction and dumps the document. */
static int document(struct sr_reader *r,
                    int (*build)(struct sr_reader *, const void *, json_t *,
                                 char *, size_t),
                    const void *arg, char **json, char *err, size_t errlen) {
  *json = NULL;
  if (sqlite3_step(r->st[Q_BEGIN]) != SQLITE_DONE) {
    sqlite3_reset(r->st[Q_BEGIN]);
    return db_error(r, err, errlen);
  }
  sqlite3_reset(r->st[Q_BEGIN]);
  json_t *doc = json_object();
  int rc = build(r, arg, doc, err, errlen);
  sqlite3_step(r->st[Q_COMMIT]); /* a read transaction: nothing to lose */
  sqlite3_reset(r->st[Q_COMMIT]);
  if (rc == SR_OK) {
    *json = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (!*json) {
      snprintf(err, errlen, "out of memory");
      rc = SR_ENOMEM;
    }
  }
  json_decref(doc);
  return rc;
}

/* Binds FILTERS' parameters from p. */
static void bind_filters(sqlite3_stmt *s, const struct sr_sessions_params *p) {
  const char *names[SR_PARAMS_ACTIONS_MAX];
  size_t n = sr_params_action_names(p->actions, names);
  sqlite3_bind_double(s, 1, p->min_risk);
  for (size_t i = 0; i < SR_PARAMS_ACTIONS_MAX; i++)
    bind_text(s, 2 + (int)i, i < n ? names[i] : NULL);
}

/* The number of sessions p's filters match, whatever its limit. Without
 * a filter that is every row: risk is never below 0 (a product of
 * factors of at least 1, less 1). */
static int total_matching(struct sr_reader *r,
                          const struct sr_sessions_params *p, json_int_t *total,
                          char *err, size_t errlen) {
  bool filtered = p->min_risk > 0 || p->actions;
  sqlite3_stmt *s = r->st[filtered ? Q_TOTAL_MATCHING : Q_TOTAL_ALL];
  if (filtered) bind_filters(s, p);
  int rc = sqlite3_step(s);
  *total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_reset(s);
  return rc == SQLITE_ROW ? SR_OK : db_error(r, err, errlen);
}

static int build_sessions(struct sr_reader *r, const void *arg, json_t *doc,
                          char *err, size_t errlen) {
  const struct sr_sessions_params *p = arg;
  sqlite3_stmt *s = r->st[Q_SESSIONS], *e = r->st[Q_ELEVATED];
  bind_filters(s, p);
  sqlite3_bind_int(s, 6, p->limit);
  json_t *list = json_array();
  json_object_set_new(doc, "sessions", list);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    json_t *o = session_row(s);
    json_array_append_new(list, o);
    json_t *elevated = json_array();
    json_object_set_new(o, "elevated", elevated);
    sqlite3_bind_text(e, 1, (const char *)sqlite3_column_text(s, 0),
                      sqlite3_column_bytes(s, 0), SQLITE_TRANSIENT);
    if (collect(r, e, elevated, elevated_row, err, errlen)) {
      sqlite3_reset(s);
      return SR_EIO;
    }
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return db_error(r, err, errlen);
  json_int_t total;
  if (total_matching(r, p, &total, err, errlen)) return SR_EIO;
  json_object_set_new(doc, "count", json_integer((json_int_t)json_array_size(list)));
  json_object_set_new(doc, "total", json_integer(total));
  return SR_OK;
}

int sr_reader_sessions(struct sr_reader *r, const struct sr_sessions_params *p,
                       char **json, char *err, size_t errlen) {
  return document(r, build_sessions, p, json, err, errlen);
}

static int build_session(struct sr_reader *r, const void *arg, json_t *doc,
                         char *err, size_t errlen) {
  const char *id = arg;
  sqlite3_stmt *s = r->st[Q_SESSION];
  sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) set_cols(doc, s, session_kinds, session_keys);
  sqlite3_reset(s);
  if (rc == SQLITE_DONE) {
    snprintf(err, errlen, "no session '%.*s' in the state database",
             SR_SESSION_ID_MAX, id);
    return SR_ENOTFOUND;
  }
  if (rc != SQLITE_ROW) return db_error(r, err, errlen);
  static const struct {
    int q;
    const char *key;
    json_t *(*row)(sqlite3_stmt *);
    int limit;
  } parts[] = {
      {Q_DIMS, "dimensions", dimension_row, 0},
      {Q_SESSION_COMMANDS, "commands", command_row, SR_READER_RECENT_COMMANDS},
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(parts); i++) {
    sqlite3_stmt *q = r->st[parts[i].q];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
    if (parts[i].limit) sqlite3_bind_int(q, 2, parts[i].limit);
    json_t *arr = json_array();
    json_object_set_new(doc, parts[i].key, arr);
    if (collect(r, q, arr, parts[i].row, err, errlen)) return SR_EIO;
  }
  json_t *timeline = json_array();
  json_object_set_new(doc, "timeline", timeline);
  return build_timeline(r, id, SR_READER_TIMELINE, timeline, err, errlen);
}

int sr_reader_session(struct sr_reader *r, const char *session_id,
                      char **json, char *err, size_t errlen) {
  return document(r, build_session, session_id, json, err, errlen);
}

static int build_commands(struct sr_reader *r, const void *arg, json_t *doc,
                          char *err, size_t errlen) {
  const struct sr_commands_params *p = arg;
  sqlite3_stmt *s = r->st[p->has_after   ? Q_COMMANDS_AFTER
                          : p->has_since ? Q_COMMANDS_SINCE
                                         : Q_COMMANDS_LATEST];
  bind_text(s, 1, p->session);
  sqlite3_bind_int(s, 2, p->limit);
  if (p->has_after) sqlite3_bind_int64(s, 3, p->after_seq);
  if (p->has_since) sqlite3_bind_int64(s, 3, p->since_ms);
  json_t *arr = json_array();
  json_object_set_new(doc, "commands", arr);
  if (collect(r, s, arr, command_row, err, errlen)) return SR_EIO;
  json_object_set_new(doc, "count", json_integer((json_int_t)json_array_size(arr)));
  return SR_OK;
}

int sr_reader_commands(struct sr_reader *r, const struct sr_commands_params *p,
                       char **json, char *err, size_t errlen) {
  return document(r, build_commands, p, json, err, errlen);
}

char *sr_reader_error_json(int status, const char *message) {
  json_t *o = json_object();
  json_object_set_new(o, "error", jstr(message, strlen(message)));
  json_object_set_new(o, "status", json_integer(status));
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return s;
}
