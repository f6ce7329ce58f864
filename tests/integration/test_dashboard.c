/*
 * The dashboard in a real headless browser (Debian's chromium): the real
 * `stackrisk serve` on a real state database holding the PocketOS session,
 * the page loaded with the bearer token in its address, the rendered DOM
 * dumped after the page's scripts ran. Asserts what a person looking at the
 * page relies on: the riskiest session listed first with its stacked risk
 * and elevated dimensions, the session's dimensions with reasons, and its
 * timeline of events and commands; and that hostile text from an agent is
 * shown as text, never run as markup. The layout (session ids readable at
 * a given window size) is measured in a live page driven over Chromium's
 * DevTools pipe (tests/browser.h).
 *
 * Then live: the real `stackrisk run` on its embedded broker, a fresh state
 * database and `--http :0`, fed the PocketOS session and its benign twin
 * through Kafka; once the state store has checkpointed both (polled through
 * the API), the page shows PocketOS first with its risk, KILL and elevated
 * dimensions, and the twin allowed, without them.
 */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "tests/browser.h"
#include "tests/http_client.h"
#include "tests/state_fixture.h"

#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define TOKEN "dashboard-test-token"

static char db_path[128], log_path[128], token_path[128], profile[128];
static char brokers[256]; /* the live run's embedded broker */
static pid_t server;
static int port;
static struct browser page; /* a test's live page, killed if it failed */

static const char *chromium(void) {
  static const char *const paths[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (access(paths[i], X_OK) == 0) return paths[i];
  return NULL;
}

/* Names this process's files (prefix "dash-it" or "dash-live") and writes
 * the token file. */
static void name_files(const char *prefix) {
  snprintf(db_path, sizeof db_path, "%s-%d.db", prefix, (int)getpid());
  snprintf(log_path, sizeof log_path, "%s-%d.log", prefix, (int)getpid());
  snprintf(token_path, sizeof token_path, "%s-%d.token", prefix, (int)getpid());
  snprintf(profile, sizeof profile, "%s-%d.profile", prefix, (int)getpid());
  unlink(log_path);
  FILE *f = fopen(token_path, "w");
  fputs(TOKEN "\n", f);
  fclose(f);
}

/* Session ids as harnesses make them: a UUID, and an OTLP conversation id
 * twice as long. */
#define UUID_ID "3f2b8c1e-9d4a-4e7b-8f60-5a1c2d3e4f70"
#define LONG_ID \
  "conv-7f9c2d4e8a1b4c3d9e6f0a2b5c8d1e4f-0123456789abcdef0123456789abcdef"

/* Beside the fixture's three: the two ids above, and enough idle sessions
 * (risk 0, each older than the fixture's) to fill more than the page's 50,
 * 1,234 in all. */
static const char more_sessions[] =
    "INSERT INTO sessions VALUES ('" UUID_ID
    "', 3.1, 1, 'BLOCK', 0, 4, "
    "'default', 'production', 'uuid', 1776465000000, 1776465600000, "
    "1790000000000, X'00'), ('" LONG_ID
    "', 2.9, 1, 'ESCALATE', 0, 4, "
    "'plan', 'staging', 'otlp', 1776465000000, 1776465600000, 1790000000000, "
    "X'00');"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
    "i < 1229) INSERT INTO sessions SELECT printf('sess-idle-%04d', i), 0.0, "
    "0, 'ALLOW', 0, 1, 'default', 'staging', 'idle', 1776465000000, "
    "1776465000000 + i, 1790000000000, X'00' FROM n";

static void start_server(void) {
  name_files("dash-it");
  sqlite3 *db = fx_state_open(db_path);
  ck_assert_ptr_nonnull(db);
  ck_assert_int_eq(sqlite3_exec(db, more_sessions, NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  char *argv[] = {SR_BINARY, "serve", "--state", db_path, "--http", ":0",
                  "--http-token-file", token_path, NULL};
  server = h_spawn(argv, log_path);
  port = h_wait_http_port(log_path, 20000);
  ck_assert_msg(port > 0, "serve printed no address (log %s)", log_path);
}

/* The real `stackrisk run` on its embedded broker, a fresh state database
 * and the HTTP API on an ephemeral port: the instance a person watches. */
static void start_live(void) {
  name_files("dash-live");
  h_remove_db(db_path);
  char *argv[] = {SR_BINARY, "run", "--config",
                  SR_TEST_DATA "/integration/stackrisk.yaml", "--state",
                  db_path, "--http", ":0", "--http-token-file", token_path,
                  NULL};
  server = h_spawn(argv, log_path);
  ck_assert_msg(h_wait_address(log_path, brokers, sizeof brokers, 20000),
                "run printed no broker address (log %s)", log_path);
  port = h_wait_http_port(log_path, 20000);
  ck_assert_msg(port > 0, "run printed no HTTP address (log %s)", log_path);
}

static void stop_server(void) {
  if (page.pid > 0) {
    kill(page.pid, SIGKILL);
    h_wait_exit(page.pid, 10000);
  }
  if (server > 0) {
    kill(server, SIGTERM);
    h_wait_exit(server, 10000);
  }
  /* The browser profile is tens of megabytes; the logs stay for a look. */
  unlink(token_path);
  char cmd[192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", profile);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", profile);
}

/* Loads URL in headless chromium and returns the DOM after its scripts ran
 * (heap), or NULL. stdout (the DOM) and stderr go to separate files. */
static char *dump_dom(const char *url) {
  const char *bin = chromium();
  ck_assert_msg(bin, "chromium is not installed (./dev installs it)");
  char out[128], err[128], dir[160];
  snprintf(out, sizeof out, "dash-it-%d.dom", (int)getpid());
  snprintf(err, sizeof err, "dash-it-%d.chromium.log", (int)getpid());
  snprintf(dir, sizeof dir, "--user-data-dir=%s", profile);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    /* Far from UTC (and not whole hours off it), so that a time shown in
     * the browser's zone is told from UTC. */
    setenv("TZ", "Asia/Kolkata", 1);
    execl(bin, bin, "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
          dir, "--virtual-time-budget=7000", "--dump-dom", url, (char *)NULL);
    _exit(127);
  }
  int rc = h_wait_exit(pid, 120000);
  ck_assert_msg(rc == 0, "chromium exited %d (see %s)", rc, err);
  return h_read_file(out, NULL);
}

/* The element whose start tag contains `attr` (e.g. a data-session), up to
 * its closing tag `end`, as a copy. */
static char *element(const char *dom, const char *attr, const char *end) {
  const char *p = strstr(dom, attr);
  if (!p) return NULL;
  while (p > dom && *p != '<') p--;
  const char *q = strstr(p, end);
  if (!q) return NULL;
  return strndup(p, (size_t)(q - p));
}

START_TEST(riskiest_session_appears_with_its_dimensions) {
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/#token=%s", port, TOKEN);
  char *dom = dump_dom(url);
  ck_assert_ptr_nonnull(dom);
  /* The list: PocketOS first, with risk, depth, action and six chips. */
  const char *first = strstr(dom, "data-session=\"");
  ck_assert_msg(first, "no session rows rendered:\n%.2000s", dom);
  ck_assert_int_eq(strncmp(first, "data-session=\"sess-pocketos-1\"", 30), 0);
  char *row = element(dom, "data-session=\"sess-pocketos-1\"", "</tr>");
  ck_assert_ptr_nonnull(row);
  ck_assert_ptr_nonnull(strstr(row, "53.908"));
  ck_assert_ptr_nonnull(strstr(row, ">KILL<"));
  const char *dims[] = {"destructive", "scope_inflation", "credential_misuse",
                        "boundary", "mode_violation", "blast_radius"};
  for (size_t i = 0; i < 6; i++) {
    char attr[64];
    snprintf(attr, sizeof attr, "data-dimension=\"%s\"", dims[i]);
    ck_assert_msg(strstr(row, attr), "row lacks %s:\n%s", dims[i], row);
  }
  ck_assert_ptr_null(strstr(row, "data-dimension=\"loop\"")); /* not elevated */
  free(row);
  /* The detail of the selected (riskiest) session: reasons and timeline. */
  char *detail = element(dom, "id=\"session\"", "</section>");
  ck_assert_ptr_nonnull(detail);
  ck_assert_ptr_nonnull(strstr(detail, "data-session=\"sess-pocketos-1\""));
  ck_assert_ptr_nonnull(strstr(detail, "backups co-located: deleting it deletes them"));
  ck_assert_ptr_nonnull(strstr(detail, "graphql.volumeDelete on production"));
  ck_assert_ptr_nonnull(strstr(detail, "class=\"action KILL\""));
  ck_assert_ptr_nonnull(strstr(detail, "class=\"action BLOCK\""));
  free(detail);
  /* The header counts every session, not only the 50 listed. */
  ck_assert_msg(strstr(dom, ">50 of 1,234 sessions · updated "),
                "no session count in:\n%.600s", strstr(dom, "<header>"));
  /* Live: 7 s of the page's (virtual) time hold at least two more polls
   * after the first load, each re-rendered. */
  const char *n = strstr(dom, "data-refreshes=\"");
  ck_assert_msg(n, "the page never completed a refresh");
  ck_assert_int_ge(atoi(n + strlen("data-refreshes=\"")), 3);
  free(dom);
}
END_TEST

/* For each of the two ids, how the list's session cell shows it: lines,
 * the id's text takes, whether it stays inside its cell, whether the
 * full id is there on hover (a title); and whether the table fits its
 * panel. null until the page has rendered. */
static const char layout_probe[] =
    "(() => {"
    "  if (!document.body || !document.body.dataset.refreshes) return null;"
    "  const shown = id => {"
    "    const cell = document.querySelector(`tr[data-session='${id}'] td`);"
    "    if (!cell) return { listed: false };"
    "    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);"
    "    let text;"
    "    while ((text = walk.nextNode()) && text.data !== id);"
    "    if (!text) return { listed: true, whole: false };"
    "    const range = document.createRange();"
    "    range.selectNodeContents(text);"
    "    const box = range.getBoundingClientRect();"
    "    const c = cell.getBoundingClientRect();"
    "    return { listed: true, whole: true,"
    "             lines: range.getClientRects().length,"
    "             inside: box.left >= c.left && box.right <= c.right,"
    "             hover: [cell, ...cell.querySelectorAll('*')]"
    "                      .some(e => e.title === id) };"
    "  };"
    "  const table = document.getElementById('sessions').closest('table');"
    "  return { uuid: shown('" UUID_ID "'), long: shown('" LONG_ID
    "'),"
    "           fits: table.getBoundingClientRect().right <="
    "                 table.parentElement.getBoundingClientRect().right };"
    "})()";

/* The shown() object of layout_probe for one id, asserted readable: all
 * of it in its cell, on at most max_lines lines, whole on hover. */
static void assert_readable(json_t *shown, const char *id, int max_lines) {
  ck_assert_msg(json_is_true(json_object_get(shown, "listed")),
                "%s is not listed", id);
  ck_assert_msg(json_is_true(json_object_get(shown, "whole")),
                "%s is not shown as one text", id);
  json_int_t lines = json_integer_value(json_object_get(shown, "lines"));
  ck_assert_msg(lines >= 1 && lines <= max_lines,
                "%s takes %d lines, want at most %d", id, (int)lines,
                max_lines);
  ck_assert_msg(json_is_true(json_object_get(shown, "inside")),
                "%s spills out of its cell", id);
  ck_assert_msg(json_is_true(json_object_get(shown, "hover")),
                "%s has no title to show it whole on hover", id);
}

/* In a 1400-pixel window the session column is wide enough for a UUID on
 * one line, so that two sessions can be told apart at a glance; a longer
 * id wraps but is shown whole, and both are whole on hover. */
START_TEST(session_ids_are_readable_in_a_1400_pixel_window) {
  char url[256], log[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/#token=%s", port, TOKEN);
  snprintf(log, sizeof log, "dash-it-%d.chromium.log", (int)getpid());
  browser_open(&page, chromium(), profile, log, url, 1400, 900);
  json_t *layout = browser_eval(&page, layout_probe);
  browser_close(&page);
  assert_readable(json_object_get(layout, "uuid"), UUID_ID, 1);
  assert_readable(json_object_get(layout, "long"), LONG_ID, 3);
  ck_assert_msg(json_is_true(json_object_get(layout, "fits")),
                "the sessions table is wider than its panel");
  json_decref(layout);
}
END_TEST

/* The seconds between two "HH:MM:SS" times of day, across midnight. */
static int seconds_apart(const char *a, const char *b) {
  int ha, ma, sa, hb, mb, sb;
  if (sscanf(a, "%d:%d:%d", &ha, &ma, &sa) != 3 ||
      sscanf(b, "%d:%d:%d", &hb, &mb, &sb) != 3)
    return 86400;
  int d = abs((ha * 3600 + ma * 60 + sa) - (hb * 3600 + mb * 60 + sb));
  return d < 86400 - d ? d : 86400 - d;
}

/* The page's times are in one zone, UTC, and say so, whatever the
 * browser's zone (Asia/Kolkata here): the header's update time, the
 * session's first and last event, and the timeline under its heading. */
START_TEST(times_are_utc_and_say_so) {
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/#token=%s", port, TOKEN);
  time_t now = time(NULL);
  char *dom = dump_dom(url);
  ck_assert_ptr_nonnull(dom);
  const char *updated = strstr(dom, " · updated ");
  ck_assert_msg(updated, "no update time:\n%.2000s", dom);
  updated += strlen(" · updated ");
  char want[16];
  strftime(want, sizeof want, "%H:%M:%S", gmtime(&now));
  ck_assert_msg(strncmp(updated + 8, " UTC<", 5) == 0 &&
                    seconds_apart(updated, want) <= 60,
                "header says '%.16s', UTC is %s", updated, want);
  char *detail = element(dom, "id=\"session\"", "</section>");
  ck_assert_ptr_nonnull(detail);
  ck_assert_ptr_nonnull(strstr(detail, "<dd>2026-04-17 22:41:05.000 UTC</dd>"));
  ck_assert_ptr_nonnull(strstr(detail, "<dd>2026-04-17 22:41:37.170 UTC</dd>"));
  ck_assert_ptr_nonnull(strstr(detail, ">Timeline (UTC)</h2>"));
  ck_assert_ptr_nonnull(strstr(
      detail, "<time>2026-04-17 22:41:37.170</time>graphql.volumeDelete"));
  free(detail);
  free(dom);
}
END_TEST

START_TEST(agent_text_is_shown_as_text) {
  char url[256];
  snprintf(url, sizeof url,
           "http://127.0.0.1:%d/#token=%s&session=sess-escalated-2", port, TOKEN);
  char *dom = dump_dom(url);
  ck_assert_ptr_nonnull(dom);
  char *detail = element(dom, "id=\"session\"", "</section>");
  ck_assert_msg(detail, "no session detail:\n%.2000s", dom);
  ck_assert_ptr_nonnull(strstr(detail, "data-session=\"sess-escalated-2\""));
  ck_assert_ptr_nonnull(strstr(detail, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  ck_assert_ptr_null(strstr(dom, "<script>alert(1)"));
  free(detail);
  free(dom);
}
END_TEST

START_TEST(without_the_token_the_page_asks_for_it) {
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
  char *dom = dump_dom(url);
  ck_assert_ptr_nonnull(dom);
  ck_assert_ptr_nonnull(strstr(dom, "id=\"auth\" class=\"show\""));
  ck_assert_ptr_nonnull(strstr(dom, "missing or wrong bearer token"));
  ck_assert_ptr_null(strstr(dom, "data-session=\"sess-pocketos-1\""));
  free(dom);
}
END_TEST

/* The session `id` of a /v1/sessions document, or NULL. */
static json_t *listed(json_t *doc, const char *id) {
  json_t *list = json_object_get(doc, "sessions"), *s;
  size_t i;
  json_array_foreach(list, i, s) {
    if (!strcmp(json_string_value(json_object_get(s, "session_id")), id))
      return s;
  }
  return NULL;
}

static bool checkpointed(json_t *doc, const char *id, int events) {
  json_t *s = listed(doc, id);
  return s && json_integer_value(json_object_get(s, "events")) == events &&
         json_is_string(json_object_get(s, "last_action"));
}

/* Polls the live API until the state store has checkpointed both sessions
 * with every event produced; returns the /v1/sessions document. */
static json_t *wait_sessions(int risky_events, int twin_events) {
  long long deadline = h_now_ms() + 60000;
  json_t *doc = NULL;
  while (h_now_ms() < deadline) {
    struct hc_response r =
        hc_get(port, "/v1/sessions", "Authorization: Bearer " TOKEN);
    json_decref(doc);
    doc = r.status == 200 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
    hc_free(&r);
    if (doc && checkpointed(doc, "sess-pocketos-1", risky_events) &&
        checkpointed(doc, "sess-pocketos-twin-1", twin_events))
      return doc;
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
  char *text = doc ? json_dumps(doc, 0) : NULL;
  ck_abort_msg("the sessions were never checkpointed (log %s): %s", log_path,
               text ? text : "(no document)");
  return NULL;
}

START_TEST(live_run_shows_the_risky_session_and_not_its_twin) {
  rd_kafka_t *p = h_producer(brokers);
  ck_assert_ptr_nonnull(p);
  int risky = h_produce_file(p, "stackrisk.events",
                             SR_TEST_DATA "/sessions/pocketos.jsonl");
  int twin = h_produce_file(p, "stackrisk.events",
                            SR_TEST_DATA "/sessions/pocketos_benign_twin.jsonl");
  rd_kafka_destroy(p);
  ck_assert_int_gt(risky, 10);
  ck_assert_int_gt(twin, 5);
  json_t *doc = wait_sessions(risky, twin);
  json_t *api = listed(doc, "sess-pocketos-1");
  ck_assert_str_eq(json_string_value(json_object_get(api, "last_action")), "KILL");

  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/#token=%s", port, TOKEN);
  char *dom = dump_dom(url);
  ck_assert_ptr_nonnull(dom);
  /* PocketOS first, with the risk the API reports, KILL, and a chip for
   * every elevated dimension, among them the six the incident is about. */
  const char *first = strstr(dom, "data-session=\"");
  ck_assert_msg(first, "no session rows rendered:\n%.2000s", dom);
  ck_assert_int_eq(strncmp(first, "data-session=\"sess-pocketos-1\"", 30), 0);
  char *row = element(dom, "data-session=\"sess-pocketos-1\"", "</tr>");
  ck_assert_ptr_nonnull(row);
  char risk[32];
  snprintf(risk, sizeof risk, ">%.3f<",
           json_real_value(json_object_get(api, "risk")));
  ck_assert_msg(strstr(row, risk), "row lacks risk %s:\n%s", risk, row);
  ck_assert_ptr_nonnull(strstr(row, ">KILL<"));
  json_t *d;
  size_t i;
  json_array_foreach(json_object_get(api, "elevated"), i, d) {
    char attr[96];
    snprintf(attr, sizeof attr, "data-dimension=\"%s\"",
             json_string_value(json_object_get(d, "name")));
    ck_assert_msg(strstr(row, attr), "row lacks %s:\n%s", attr, row);
  }
  const char *dims[] = {"destructive", "scope_inflation", "credential_misuse",
                        "boundary", "mode_violation", "blast_radius"};
  for (i = 0; i < 6; i++) {
    char attr[64];
    snprintf(attr, sizeof attr, "data-dimension=\"%s\"", dims[i]);
    ck_assert_msg(strstr(row, attr), "row lacks %s:\n%s", dims[i], row);
  }
  free(row);
  /* The twin is listed, below it, allowed, with none of the dimensions
   * that make a call dangerous. */
  char *trow = element(dom, "data-session=\"sess-pocketos-twin-1\"", "</tr>");
  ck_assert_msg(trow, "the twin is not listed:\n%.2000s", dom);
  ck_assert(strstr(dom, "data-session=\"sess-pocketos-twin-1\"") > first);
  ck_assert_msg(strstr(trow, ">ALLOW<"), "twin not shown allowed:\n%s", trow);
  for (i = 0; i < 6; i++) {
    if (!strcmp(dims[i], "scope_inflation")) continue; /* its '*' token */
    char attr[64];
    snprintf(attr, sizeof attr, "data-dimension=\"%s\"", dims[i]);
    ck_assert_msg(!strstr(trow, attr), "twin shows %s:\n%s", dims[i], trow);
  }
  free(trow);
  /* The riskiest session is opened with its KILL in the timeline. */
  char *detail = element(dom, "id=\"session\"", "</section>");
  ck_assert_ptr_nonnull(detail);
  ck_assert_ptr_nonnull(strstr(detail, "data-session=\"sess-pocketos-1\""));
  ck_assert_ptr_nonnull(strstr(detail, "class=\"action KILL\""));
  free(detail);
  ck_assert_ptr_nonnull(strstr(dom, ">2 sessions · updated "));
  free(dom);
  json_decref(doc);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dashboard");
  TCase *tc = tcase_create("chromium");
  tcase_add_unchecked_fixture(tc, start_server, stop_server);
  tcase_set_timeout(tc, 280);
  tcase_add_test(tc, riskiest_session_appears_with_its_dimensions);
  tcase_add_test(tc, session_ids_are_readable_in_a_1400_pixel_window);
  tcase_add_test(tc, times_are_utc_and_say_so);
  tcase_add_test(tc, agent_text_is_shown_as_text);
  tcase_add_test(tc, without_the_token_the_page_asks_for_it);
  suite_add_tcase(s, tc);
  TCase *live = tcase_create("live");
  tcase_add_unchecked_fixture(live, start_live, stop_server);
  tcase_set_timeout(live, 280);
  tcase_add_test(live, live_run_shows_the_risky_session_and_not_its_twin);
  suite_add_tcase(s, live);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
