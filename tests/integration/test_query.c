/*
 * The query API over real sockets: the real `stackrisk serve` binary on a
 * real SQLite state database (schemas/state.sql + the PocketOS rows), with a
 * bearer token; every endpoint and every error; the CLI printing the same
 * documents; and `stackrisk run --http` serving /metrics while it processes
 * the PocketOS session from the embedded broker.
 *
 * The serve tests share one server process (CK_NOFORK), started once.
 */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/kafka.h"
#include "harness.h"
#include "tests/http_client.h"
#include "tests/state_fixture.h"

#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define TOKEN "s3cr3t-token-for-tests"
#define AUTH "Authorization: Bearer " TOKEN

static char db_path[128], log_path[128], token_path[128];
static pid_t server;
static int port;

static void start_server(void) {
  snprintf(db_path, sizeof db_path, "query-it-%d.db", (int)getpid());
  snprintf(log_path, sizeof log_path, "query-it-%d.log", (int)getpid());
  snprintf(token_path, sizeof token_path, "query-it-%d.token", (int)getpid());
  unlink(log_path);
  ck_assert_int_eq(fx_state_make(db_path), 0);
  FILE *f = fopen(token_path, "w");
  fputs(TOKEN "\n", f);
  fclose(f);
  char *argv[] = {SR_BINARY, "serve", "--state", db_path, "--http",
                  "127.0.0.1:0", "--http-token-file", token_path, NULL};
  server = h_spawn(argv, log_path);
  port = h_wait_http_port(log_path, 20000);
  ck_assert_msg(port > 0, "serve printed no address (log %s)", log_path);
}

static void stop_server(void) {
  if (server > 0) {
    kill(server, SIGTERM);
    h_wait_exit(server, 10000);
  }
  unlink(token_path);
}

/* GET with the token; parses the body as JSON (NULL if it is not). */
static json_t *get_json(const char *path, int want_status) {
  struct hc_response r = hc_get(port, path, AUTH);
  ck_assert_msg(r.status == want_status, "GET %s: status %d, want %d: %s",
                path, r.status, want_status, r.body ? r.body : "");
  char ctype[128];
  ck_assert_str_eq(hc_header(&r, "Content-Type", ctype, sizeof ctype),
                   "application/json");
  json_error_t e;
  json_t *j = json_loadb(r.body, r.body_len, 0, &e);
  ck_assert_msg(j, "GET %s: body is not JSON (%s): %s", path, e.text, r.body);
  hc_free(&r);
  return j;
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

START_TEST(sessions_riskiest_first_with_elevated_dimensions) {
  json_t *doc = get_json("/v1/sessions", 200);
  json_t *list = json_object_get(doc, "sessions");
  ck_assert_int_eq(json_array_size(list), 3);
  ck_assert_str_eq(str(json_array_get(list, 0), "session_id"), "sess-pocketos-1");
  ck_assert_str_eq(str(json_array_get(list, 1), "session_id"), "sess-escalated-2");
  ck_assert_str_eq(str(json_array_get(list, 2), "session_id"), "sess-pocketos-twin");
  json_t *top = json_array_get(list, 0);
  ck_assert_double_eq_tol(json_real_value(json_object_get(top, "risk")), 53.908, 1e-6);
  ck_assert_int_eq(json_integer_value(json_object_get(top, "depth")), 6);
  ck_assert_str_eq(str(top, "last_action"), "KILL");
  json_t *elevated = json_object_get(top, "elevated");
  ck_assert_int_eq(json_array_size(elevated), 6); /* loop (0.12) is not */
  const char *want[] = {"destructive", "credential_misuse", "scope_inflation",
                        "mode_violation", "blast_radius", "boundary"};
  for (size_t i = 0; i < 6; i++) {
    bool found = false;
    for (size_t k = 0; k < json_array_size(elevated); k++)
      found |= !strcmp(str(json_array_get(elevated, k), "name"), want[i]);
    ck_assert_msg(found, "%s not elevated", want[i]);
  }
  json_decref(doc);
}
END_TEST

START_TEST(sessions_filters_and_limit) {
  json_t *doc = get_json("/v1/sessions?min_risk=2", 200);
  ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 1);
  json_decref(doc);
  doc = get_json("/v1/sessions?action=escalate,allow", 200);
  json_t *list = json_object_get(doc, "sessions");
  ck_assert_int_eq(json_array_size(list), 2);
  ck_assert_str_eq(str(json_array_get(list, 0), "session_id"), "sess-escalated-2");
  json_decref(doc);
  doc = get_json("/v1/sessions?limit=1&action=KILL", 200);
  ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 1);
  json_decref(doc);
  /* total: what matches, past the limit. */
  doc = get_json("/v1/sessions?limit=1&action=allow,escalate,kill", 200);
  ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(doc, "total")), 3);
  json_decref(doc);
}
END_TEST

START_TEST(session_document_has_dimensions_commands_and_timeline) {
  json_t *s = get_json("/v1/sessions/sess-pocketos-1", 200);
  ck_assert_str_eq(str(s, "mode"), "plan");
  ck_assert(json_is_true(json_object_get(s, "killed")));
  json_t *dims = json_object_get(s, "dimensions");
  ck_assert_int_eq(json_array_size(dims), 7);
  json_t *last = json_array_get(dims, 6);
  ck_assert_str_eq(str(last, "name"), "loop");
  ck_assert(json_is_false(json_object_get(last, "elevated")));
  ck_assert_ptr_nonnull(strstr(str(json_array_get(dims, 0), "reason"), "plan mode"));
  json_t *cmds = json_object_get(s, "commands");
  ck_assert_int_eq(json_array_size(cmds), 4);
  const char *actions[] = {"ALLOW", "ALLOW", "BLOCK", "KILL"};
  for (size_t i = 0; i < 4; i++)
    ck_assert_str_eq(str(json_array_get(cmds, i), "action"), actions[i]);
  json_t *kill = json_array_get(cmds, 3);
  ck_assert_int_eq(json_array_size(json_object_get(kill, "dimensions")), 6);
  ck_assert_str_eq(str(kill, "rule"), "tier.kill");
  json_t *timeline = json_object_get(s, "timeline");
  ck_assert_int_eq(json_array_size(timeline), 5);
  ck_assert_str_eq(str(json_array_get(timeline, 4), "summary"),
                   "graphql.volumeDelete on production");
  json_decref(s);
}
END_TEST

START_TEST(commands_since_and_session) {
  json_t *doc = get_json("/v1/commands", 200);
  ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 5);
  json_decref(doc);
  doc = get_json("/v1/commands?session=sess-pocketos-1&since=1776465690000", 200);
  json_t *cmds = json_object_get(doc, "commands");
  ck_assert_int_eq(json_array_size(cmds), 2);
  ck_assert_str_eq(str(json_array_get(cmds, 0), "action"), "BLOCK");
  ck_assert_str_eq(str(json_array_get(cmds, 1), "action"), "KILL");
  json_decref(doc);
  /* The latest two, oldest first. */
  doc = get_json("/v1/commands?limit=2", 200);
  cmds = json_object_get(doc, "commands");
  ck_assert_str_eq(str(json_array_get(cmds, 1), "action"), "KILL");
  json_decref(doc);
}
END_TEST

START_TEST(hostile_text_is_escaped_and_broken_utf8_replaced) {
  json_t *s = get_json("/v1/sessions/sess-escalated-2", 200);
  ck_assert_str_eq(str(s, "task"), "say \"hi\" \\ <script>alert(1)</script>\a");
  const char *summary = str(json_array_get(json_object_get(s, "timeline"), 0), "summary");
  ck_assert_ptr_nonnull(strstr(summary, "\xEF\xBF\xBD"));
  /* A dimensions column that is not JSON is null, not a broken document. */
  ck_assert(json_is_null(json_object_get(
      json_array_get(json_object_get(s, "commands"), 0), "dimensions")));
  json_decref(s);
}
END_TEST

/* Asserts a JSON error document with the status and a message containing
 * `needle`. */
static void expect_error(struct hc_response *r, int status, const char *needle) {
  ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status,
                status, r->raw ? r->raw : "");
  json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
  ck_assert_msg(j, "error body is not JSON: %s", r->body);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), status);
  ck_assert_msg(strstr(str(j, "error"), needle), "error '%s' lacks '%s'",
                str(j, "error"), needle);
  json_decref(j);
  hc_free(r);
}

START_TEST(bad_requests_get_clear_json_errors) {
  struct hc_response r = hc_get(port, "/v1/sessions?limit=10abc", AUTH);
  expect_error(&r, 400, "'limit'");
  r = hc_get(port, "/v1/sessions?limit=0", AUTH);
  expect_error(&r, 400, "1 to 1000");
  r = hc_get(port, "/v1/sessions?min_risk=nan", AUTH);
  expect_error(&r, 400, "min_risk");
  r = hc_get(port, "/v1/sessions?action=NUKE", AUTH);
  expect_error(&r, 400, "ALLOW, ESCALATE");
  r = hc_get(port, "/v1/sessions?colour=red", AUTH);
  expect_error(&r, 400, "unknown parameter 'colour'");
  r = hc_get(port, "/v1/sessions?limit=1&limit=2", AUTH);
  expect_error(&r, 400, "twice");
  r = hc_get(port, "/v1/commands?since=yesterday", AUTH);
  expect_error(&r, 400, "'since'");
  r = hc_get(port, "/v1/sessions/no-such-session", AUTH);
  expect_error(&r, 404, "no session 'no-such-session'");
  r = hc_get(port, "/v2/things", AUTH);
  expect_error(&r, 404, "no such endpoint");
  const char post[] = "POST /v1/sessions HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer " TOKEN "\r\nContent-Length: 2\r\n\r\n{}";
  r = hc_raw(port, post, sizeof post - 1);
  char allow[64];
  ck_assert_str_eq(hc_header(&r, "Allow", allow, sizeof allow), "GET, HEAD");
  expect_error(&r, 405, "read-only");
  const char body[] = "GET /v1/sessions HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer " TOKEN "\r\nContent-Length: 5\r\n\r\nhello";
  r = hc_raw(port, body, sizeof body - 1);
  expect_error(&r, 413, "bodies");
}
END_TEST

/* DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its
 * own name as Host; a loopback server refuses it, even with the token. */
START_TEST(foreign_host_is_refused_on_loopback) {
  static const char *const hosts[] = {"evil.example", "evil.example:80",
                                      "127.0.0.1.evil.example", "[::2]"};
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    char req[256];
    int n = snprintf(req, sizeof req, "GET /v1/sessions HTTP/1.1\r\nHost: %s\r\n"
                     AUTH "\r\nConnection: close\r\n\r\n", hosts[i]);
    struct hc_response r = hc_raw(port, req, (size_t)n);
    expect_error(&r, 403, "loopback only");
  }
  static const char *const ok[] = {"localhost:8080", "127.0.0.1", "127.1.2.3:1",
                                   "[::1]:99", "LOCALHOST"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char req[256];
    int n = snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: %s\r\n"
                     "Connection: close\r\n\r\n", ok[i]);
    struct hc_response r = hc_raw(port, req, (size_t)n);
    ck_assert_msg(r.status == 200, "Host %s: %d", ok[i], r.status);
    hc_free(&r);
  }
}
END_TEST

START_TEST(oversized_request_is_refused_and_server_lives_on) {
  size_t n = 64 * 1024;
  char *path = malloc(n + 1);
  memset(path, 'a', n);
  path[0] = '/';
  path[n] = '\0';
  struct hc_response r = hc_get(port, path, AUTH);
  free(path);
  ck_assert_msg(r.status == 414 || r.status == 431 || r.status == 0,
                "status %d for a 64 KiB request line", r.status);
  hc_free(&r);
  json_t *doc = get_json("/v1/sessions?limit=1", 200);
  json_decref(doc);
}
END_TEST

START_TEST(token_is_required_for_data_but_not_for_page_and_health) {
  struct hc_response r = hc_get(port, "/v1/sessions", NULL);
  char www[64];
  ck_assert_str_eq(hc_header(&r, "WWW-Authenticate", www, sizeof www),
                   "Bearer realm=\"stackrisk\"");
  expect_error(&r, 401, "bearer token");
  r = hc_get(port, "/v1/sessions/sess-pocketos-1", "Authorization: Bearer wrong");
  expect_error(&r, 401, "bearer token");
  r = hc_get(port, "/v1/commands", "Authorization: Bearer " TOKEN "x");
  expect_error(&r, 401, "bearer token");
  r = hc_get(port, "/healthz", NULL);
  ck_assert_int_eq(r.status, 200);
  ck_assert_ptr_nonnull(strstr(r.body, "\"ok\""));
  hc_free(&r);
  /* serve runs no pipeline: /metrics says where metrics live. */
  r = hc_get(port, "/metrics", AUTH);
  expect_error(&r, 404, "stackrisk run");
  /* The token never reaches the log. */
  char *log = h_read_file(log_path, NULL);
  ck_assert_ptr_null(strstr(log ? log : "", TOKEN));
  free(log);
}
END_TEST

START_TEST(dashboard_is_self_contained) {
  struct hc_response r = hc_get(port, "/", NULL);
  ck_assert_int_eq(r.status, 200);
  char v[512];
  ck_assert_str_eq(hc_header(&r, "Content-Type", v, sizeof v),
                   "text/html; charset=utf-8");
  ck_assert_ptr_nonnull(strstr(hc_header(&r, "Content-Security-Policy", v, sizeof v),
                               "default-src 'none'"));
  ck_assert_ptr_nonnull(strstr(r.body, "/v1/sessions"));
  ck_assert_ptr_null(strstr(r.body, "src=\"http"));
  ck_assert_ptr_null(strstr(r.body, "href=\"http"));
  ck_assert_ptr_null(strstr(r.body, "@import"));
  hc_free(&r);
}
END_TEST

/* Runs `stackrisk ARGS...` to completion; its output (stdout and stderr)
 * into *out, exit code returned. */
static int run_cli(char *const argv[], char **out) {
  char path[128];
  snprintf(path, sizeof path, "query-cli-%d.out", (int)getpid());
  unlink(path);
  pid_t pid = h_spawn(argv, path);
  int rc = h_wait_exit(pid, 20000);
  *out = h_read_file(path, NULL);
  unlink(path);
  return rc;
}

/* The CLI run with argv prints what GET path answers, byte for byte, and
 * a newline. */
static void assert_cli_prints(char *const argv[], const char *path) {
  char *out;
  ck_assert_int_eq(run_cli(argv, &out), 0);
  struct hc_response r = hc_get(port, path, AUTH);
  ck_assert_int_eq(r.status, 200);
  ck_assert_uint_eq(strlen(out), r.body_len + 1);
  ck_assert_int_eq(memcmp(out, r.body, r.body_len), 0);
  hc_free(&r);
  free(out);
}

START_TEST(cli_prints_the_api_documents) {
  char *out;
  char *argv[] = {SR_BINARY,    "sessions", "--state", db_path,
                  "--min-risk", "1",        NULL};
  assert_cli_prints(argv, "/v1/sessions?min_risk=1");

  char *argv2[] = {SR_BINARY, "session", "--state", db_path, "sess-pocketos-1", NULL};
  assert_cli_prints(argv2, "/v1/sessions/sess-pocketos-1");

  char *argv3[] = {SR_BINARY, "session", "--state", db_path, "nope", NULL};
  ck_assert_int_eq(run_cli(argv3, &out), 1);
  ck_assert_ptr_nonnull(strstr(out, "no session 'nope'"));
  free(out);

  char *argv4[] = {SR_BINARY, "sessions", "--state", db_path, "--limit", "5000", NULL};
  ck_assert_int_eq(run_cli(argv4, &out), 2);
  ck_assert_ptr_nonnull(strstr(out, "1 to 1000"));
  free(out);

  char *argv6[] = {SR_BINARY, "session", "--state", db_path, "--limit", "5", "x", NULL};
  ck_assert_int_eq(run_cli(argv6, &out), 2);
  ck_assert_ptr_nonnull(strstr(out, "option '--limit' does not apply here"));
  free(out);

  char *argv5[] = {SR_BINARY, "sessions", "--state", "/nonexistent/state.db", NULL};
  ck_assert_int_eq(run_cli(argv5, &out), 1);
  ck_assert_ptr_nonnull(strstr(out, "cannot open state database /nonexistent/state.db"));
  free(out);
}
END_TEST

/* Stores commands "<sid>-<from>" .. "<sid>-<from + n - 1>" of session sid,
 * all issued in the one millisecond ts_ms, in one transaction, as a
 * checkpoint of the processor would while the server runs. */
static void store_commands(const char *sid, int from, int n, long long ts_ms) {
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
  for (int i = from; i < from + n; i++) {
    char *sql = sqlite3_mprintf(
        "INSERT INTO commands (command_id, session_id, call_id, action, risk, "
        "depth, dimensions, rule, issued_at_ms, expires_at_ms) VALUES "
        "('%q-%d', %Q, 'call-%d', 'ALLOW', 0, 0, '[]', 'allow', %lld, %lld)",
        sid, i, sid, i, ts_ms, ts_ms + 300000);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
  }
  ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

/* Follows the audit log from *after with pages of `limit`, as a poller
 * would, until a page comes back empty: appends the command ids to ids
 * (" a b ": each followed by a space, each once or the test fails; ids
 * starts as " "), checks seqs rise, and
 * leaves *after at the largest seq seen. Returns the commands read. */
static int follow_commands(long long *after, int limit, char *ids, size_t cap) {
  int read = 0;
  for (;;) {
    char path[96];
    snprintf(path, sizeof path, "/v1/commands?after=%lld&limit=%d", *after,
             limit);
    json_t *doc = get_json(path, 200);
    json_t *cmds = json_object_get(doc, "commands"), *c;
    size_t i, n = json_array_size(cmds);
    ck_assert_int_le(n, limit);
    json_array_foreach(cmds, i, c) {
      long long seq = json_integer_value(json_object_get(c, "seq"));
      ck_assert_msg(seq > *after, "seq %lld after %lld", seq, *after);
      *after = seq;
      char id[96];
      snprintf(id, sizeof id, " %s ", str(c, "command_id"));
      ck_assert_msg(!strstr(ids, id), "%s came twice", id);
      size_t len = strlen(ids);
      snprintf(ids + len, cap - len, "%s", id + 1);
      read++;
    }
    json_decref(doc);
    if (n == 0) return read;
  }
}

/* A poller following /v1/commands?after= with pages of 3: a burst of
 * commands issued in one millisecond, split over page boundaries, comes
 * each once and none is skipped; commands stored later, in that same
 * millisecond, come on the next poll. */
START_TEST(commands_after_pages_without_repeats_or_gaps) {
  store_commands("sess-burst", 0, 7, 1776465700000LL);
  char ids[4096] = " ";
  long long after = 0;
  ck_assert_int_eq(follow_commands(&after, 3, ids, sizeof ids), 5 + 7);
  for (int i = 0; i < 7; i++) {
    char id[32];
    snprintf(id, sizeof id, " sess-burst-%d ", i);
    ck_assert_msg(strstr(ids, id), "%s missing from %s", id, ids);
  }
  ck_assert_ptr_nonnull(strstr(ids, " f3cc29b85da1288e566f40182eb2520b "));
  store_commands("sess-burst", 7, 2, 1776465700000LL);
  strcpy(ids, " ");
  ck_assert_int_eq(follow_commands(&after, 3, ids, sizeof ids), 2);
  ck_assert_str_eq(ids, " sess-burst-7 sess-burst-8 ");
  /* since stays what it was: inclusive, by issue time. */
  json_t *doc = get_json("/v1/commands?since=1776465700000", 200);
  ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 9);
  json_decref(doc);
  /* The CLI pages the same way. */
  char *argv[] = {SR_BINARY, "commands", "--state", db_path, "--after",
                  "3",       "--limit",  "4",       NULL};
  assert_cli_prints(argv, "/v1/commands?after=3&limit=4");
  struct hc_response r = hc_get(port, "/v1/commands?after=3&since=1", AUTH);
  expect_error(&r, 400, "exclude each other");
}
END_TEST

/* `stackrisk run --http`: /metrics counts what the pipeline does. */
START_TEST(run_serves_live_metrics) {
  char err[512];
  const char *topics[] = {"stackrisk.events", "stackrisk.control",
                          "stackrisk.dlq", "otlp_spans",
                          "stackrisk.repartition"};
  struct sr_broker *broker = sr_broker_create(1, topics, 5, 2, err, sizeof err);
  ck_assert_msg(broker, "broker: %s", err);
  const char *brokers = sr_broker_bootstraps(broker);
  char rlog[128], group[64];
  snprintf(rlog, sizeof rlog, "query-run-%d.log", (int)getpid());
  snprintf(group, sizeof group, "query-%d", (int)getpid());
  unlink(rlog);
  char *argv[] = {SR_BINARY, "run", "--brokers", (char *)brokers, "--group", group,
                  "--config", SR_TEST_DATA "/integration/stackrisk.yaml",
                  "--http", ":0", "--state", db_path, NULL};
  pid_t run = h_spawn(argv, rlog);
  int mport = h_wait_http_port(rlog, 20000);
  ck_assert_msg(mport > 0, "run printed no HTTP address (log %s)", rlog);
  rd_kafka_t *p = h_producer(brokers);
  ck_assert_int_gt(h_produce_file(p, "stackrisk.events",
                                  SR_TEST_DATA "/sessions/pocketos.jsonl"), 10);
  const char bad[] = "{not json";
  h_produce(p, "stackrisk.events", "bad", bad, sizeof bad - 1);
  rd_kafka_flush(p, 5000);
  long long deadline = h_now_ms() + 60000;
  bool done = false;
  struct hc_response r = {0};
  while (!done && h_now_ms() < deadline) {
    hc_free(&r);
    r = hc_get(mport, "/metrics", NULL);
    done =
        r.status == 200 &&
        strstr(r.body, "stackrisk_commands_total{action=\"KILL\"} 1\n") &&
        strstr(r.body, "stackrisk_decode_errors_total{stage=\"worker\"} 1\n") &&
        /* lag is reported every commit interval once fetched, for the
         * partition the session went to and for the empty one */
        strstr(r.body,
               "stackrisk_consumer_lag{topic=\"stackrisk.events\","
               "partition=\"0\"} ") &&
        strstr(r.body,
               "stackrisk_consumer_lag{topic=\"stackrisk.events\","
               "partition=\"1\"} ") &&
        /* and the OTLP stage's, of its empty topic */
        strstr(r.body,
               "stackrisk_consumer_lag{topic=\"otlp_spans\",partition=\"1\"} "
               "0\n") &&
        strstr(r.body,
               "stackrisk_kafka_brokers_up{client=\"events-consumer\"} 1\n");
    if (!done) {
      struct timespec ts = {0, 100 * 1000000};
      nanosleep(&ts, NULL);
    }
  }
  ck_assert_msg(done,
                "metrics never showed the KILL, the decode error, "
                "the lag of both partitions and the connected consumer:\n%s",
                r.body ? r.body : "(no response)");
  ck_assert_ptr_nonnull(strstr(r.body, "stackrisk_events_total{kind=\"tool_call\"} "));
  ck_assert_ptr_nonnull(strstr(r.body, "stackrisk_events_total{kind=\"session_start\"} 1\n"));
  ck_assert_ptr_nonnull(
      strstr(r.body, "stackrisk_dead_letters_total{stage=\"worker\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(r.body, "stackrisk_sessions_in_memory 1\n"));
  char *rl = h_read_file(rlog, NULL); /* the bad line, logged at WARN */
  ck_assert_msg(rl && strstr(rl, "WARN dead letter stackrisk.events ["), "%s",
                rl);
  free(rl);
  ck_assert_ptr_nonnull(strstr(r.body, "stackrisk_processing_seconds_bucket{le=\"+Inf\"} "));
  char ctype[128];
  ck_assert_str_eq(hc_header(&r, "Content-Type", ctype, sizeof ctype),
                   "text/plain; version=0.0.4; charset=utf-8");
  hc_free(&r);
  /* The same server answers the API from the state database. */
  r = hc_get(mport, "/v1/sessions/sess-pocketos-1", NULL);
  ck_assert_int_eq(r.status, 200);
  hc_free(&r);
  rd_kafka_destroy(p);
  kill(run, SIGTERM);
  ck_assert_int_eq(h_wait_exit(run, 30000), 0);
  sr_broker_destroy(broker);
}
END_TEST

int main(void) {
  Suite *s = suite_create("query");
  TCase *tc = tcase_create("serve");
  tcase_add_unchecked_fixture(tc, start_server, stop_server);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, sessions_riskiest_first_with_elevated_dimensions);
  tcase_add_test(tc, sessions_filters_and_limit);
  tcase_add_test(tc, session_document_has_dimensions_commands_and_timeline);
  tcase_add_test(tc, commands_since_and_session);
  tcase_add_test(tc, hostile_text_is_escaped_and_broken_utf8_replaced);
  tcase_add_test(tc, bad_requests_get_clear_json_errors);
  tcase_add_test(tc, foreign_host_is_refused_on_loopback);
  tcase_add_test(tc, oversized_request_is_refused_and_server_lives_on);
  tcase_add_test(tc, token_is_required_for_data_but_not_for_page_and_health);
  tcase_add_test(tc, dashboard_is_self_contained);
  tcase_add_test(tc, cli_prints_the_api_documents);
  tcase_add_test(tc, commands_after_pages_without_repeats_or_gaps);
  tcase_add_test(tc, run_serves_live_metrics);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
