/*
 * Headless Chromium driven over its DevTools pipe, for the dashboard
 * tests: a dump of the DOM shows what the page says, this shows how it is
 * laid out (widths, lines) at a given window size.
 *
 * With --remote-debugging-pipe, Chromium reads DevTools commands on its
 * fd 3 and answers on its fd 4, each message JSON ended by a NUL. The
 * test opens one page, attaches to it and evaluates JavaScript in it.
 * Every wait has a deadline; a failure fails the Check test.
 */
#ifndef SR_TEST_BROWSER_H
#define SR_TEST_BROWSER_H

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

struct browser {
  pid_t pid;
  int to, from; /* our ends of its fd 3 (commands) and fd 4 (answers) */
  char *buf;    /* answers read and not yet parsed */
  size_t len, cap;
  int last_id;      /* of the last command sent */
  char session[64]; /* the page's DevTools session, once attached */
};

/* The result of command id (the test fails on an error), skipping the
 * events sent meanwhile. */
static inline json_t *browser_answer(struct browser *b, int id) {
  long long deadline = h_now_ms() + 60000;
  for (;;) {
    char *end;
    while ((end = memchr(b->buf, '\0', b->len))) {
      size_t used = (size_t)(end - b->buf) + 1;
      json_t *m = json_loadb(b->buf, used - 1, 0, NULL);
      memmove(b->buf, end + 1, b->len - used);
      b->len -= used;
      if (m && json_integer_value(json_object_get(m, "id")) == id) {
        json_t *r = json_incref(json_object_get(m, "result"));
        ck_assert_msg(r, "DevTools answered with an error: %s",
                      json_string_value(json_object_get(
                          json_object_get(m, "error"), "message")));
        json_decref(m);
        return r;
      }
      json_decref(m);
    }
    if (b->cap - b->len < 65536) {
      b->cap = 2 * b->cap + 65536;
      b->buf = realloc(b->buf, b->cap);
      ck_assert_ptr_nonnull(b->buf);
    }
    struct pollfd p = {b->from, POLLIN, 0};
    long long left = deadline - h_now_ms();
    ck_assert_msg(left > 0 && poll(&p, 1, (int)left) == 1,
                  "chromium did not answer in 60 s");
    ssize_t n = read(b->from, b->buf + b->len, b->cap - b->len);
    ck_assert_msg(n > 0, "chromium closed its DevTools pipe");
    b->len += (size_t)n;
  }
}

static inline void browser_send(struct browser *b, const char *method,
                                json_t *params) {
  json_t *m = json_pack("{s:i, s:s, s:o}", "id", ++b->last_id, "method", method,
                        "params", params);
  if (b->session[0])
    json_object_set_new(m, "sessionId", json_string(b->session));
  char *text = json_dumps(m, JSON_COMPACT);
  json_decref(m);
  size_t n = strlen(text) + 1; /* with the NUL that ends it */
  ck_assert_int_eq(write(b->to, text, n), (ssize_t)n);
  free(text);
}

/* Sends a DevTools command (params taken over) to the page once
 * attached, to the browser before; returns its result (the caller
 * decrefs it). */
static inline json_t *browser_call(struct browser *b, const char *method,
                                   json_t *params) {
  browser_send(b, method, params);
  return browser_answer(b, b->last_id);
}

/* Starts chromium (bin) with a window of width x height, its profile in
 * the folder `profile` and its own messages in `log`, opens url and
 * attaches to the page. */
static inline void browser_open(struct browser *b, const char *bin,
                                const char *profile, const char *log,
                                const char *url, int width, int height) {
  memset(b, 0, sizeof *b);
  signal(SIGPIPE, SIG_IGN); /* a dead browser fails the test, not the run */
  int to[2], from[2];
  ck_assert(pipe(to) == 0 && pipe(from) == 0);
  char size[48], dir[200];
  snprintf(size, sizeof size, "--window-size=%d,%d", width, height);
  snprintf(dir, sizeof dir, "--user-data-dir=%s", profile);
  b->pid = fork();
  if (b->pid == 0) {
    /* Above 4 first: a pipe end may itself be fd 3 or 4. */
    int in = fcntl(to[0], F_DUPFD, 10), out = fcntl(from[1], F_DUPFD, 10);
    int o = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(o, 2);
    dup2(in, 3);
    dup2(out, 4);
    execl(bin, bin, "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
          dir, size, "--remote-debugging-pipe", "about:blank", (char *)NULL);
    _exit(127);
  }
  ck_assert_int_gt(b->pid, 0);
  close(to[0]);
  close(from[1]);
  b->to = to[1];
  b->from = from[0];
  json_t *t =
      browser_call(b, "Target.createTarget", json_pack("{s:s}", "url", url));
  json_t *a =
      browser_call(b, "Target.attachToTarget",
                   json_pack("{s:O, s:b}", "targetId",
                             json_object_get(t, "targetId"), "flatten", 1));
  snprintf(b->session, sizeof b->session, "%s",
           json_string_value(json_object_get(a, "sessionId")));
  json_decref(t);
  json_decref(a);
}

/* The value of a JavaScript expression in the page, once it is not null
 * (the page may still be loading): polled for up to 30 s. */
static inline json_t *browser_eval(struct browser *b, const char *expr) {
  long long deadline = h_now_ms() + 30000;
  for (;;) {
    json_t *r = browser_call(
        b, "Runtime.evaluate",
        json_pack("{s:s, s:b}", "expression", expr, "returnByValue", 1));
    json_t *thrown = json_object_get(r, "exceptionDetails");
    ck_assert_msg(!thrown, "the page threw: %s",
                  json_string_value(json_object_get(
                      json_object_get(thrown, "exception"), "description")));
    json_t *v =
        json_incref(json_object_get(json_object_get(r, "result"), "value"));
    json_decref(r);
    if (v && !json_is_null(v)) return v;
    json_decref(v);
    ck_assert_msg(h_now_ms() < deadline, "still null after 30 s: %s", expr);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
}

/* Closes the browser and waits for it to exit; pid is 0 afterwards. */
static inline void browser_close(struct browser *b) {
  b->session[0] = '\0';
  browser_send(b, "Browser.close", json_object());
  close(b->to);
  close(b->from);
  h_wait_exit(b->pid, 20000); /* killed if it does not exit by then */
  free(b->buf);
  memset(b, 0, sizeof *b);
}

#endif
