/*
 * The realistic sessions of tests/data/sessions through `stackrisk replay`
 * (the real binary): every decision in expected.tsv holds, benign sessions
 * get no ESCALATE/BLOCK/KILL, replaying twice prints identical bytes, and a
 * file with malformed lines is reported line by line while its good lines
 * still get their commands.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif
#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define SESSIONS SR_TEST_DATA "/sessions/"

/* Runs `stackrisk replay PATH` and returns its stdout (heap), exit code
 * in *rc; stderr goes to err_path when given. */
static char *replay_path(const char *path, const char *err_path, int *rc) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s replay %s 2>%s", SR_BINARY, path,
           err_path ? err_path : "/dev/null");
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  size_t n;
  while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (cap - len < 4096) out = realloc(out, cap *= 2);
  }
  out[len] = '\0';
  int st = pclose(p);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

/* replay_path for a file of tests/data/sessions. */
static char *replay(const char *file, const char *err_path, int *rc) {
  char path[512];
  snprintf(path, sizeof path, "%s%s", SESSIONS, file);
  return replay_path(path, err_path, rc);
}

static int action_rank(const char *a) {
  static const char *const names[] = {"ALLOW", "ESCALATE", "BLOCK", "KILL"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(a, names[i])) return i + 1;
  return 0;
}

/* The action of the command for call_id in replay output, or NULL. */
static const char *action_for(const char *out, const char *call_id,
                              char *buf, size_t cap) {
  char needle[300];
  snprintf(needle, sizeof needle, "\"call_id\":\"%s\"", call_id);
  const char *line = strstr(out, needle);
  if (!line) return NULL;
  const char *a = strstr(line, "\"action\":\"");
  if (!a) return NULL;
  a += strlen("\"action\":\"");
  size_t n = strcspn(a, "\"");
  snprintf(buf, cap, "%.*s", (int)n, a);
  return buf;
}

/* The strongest action anywhere in the output. */
static int strongest(const char *out) {
  int best = 0;
  for (const char *p = out; (p = strstr(p, "\"action\":\"")); p++) {
    char a[16];
    sscanf(p + strlen("\"action\":\""), "%15[A-Z]", a);
    int r = action_rank(a);
    if (r > best) best = r;
  }
  return best;
}

START_TEST(expected_decisions_hold) {
  char *tsv = h_read_file(SESSIONS "expected.tsv", NULL);
  ck_assert_ptr_nonnull(tsv);
  int rows = 0, harmful = 0, benign = 0;
  char *save = NULL;
  for (char *line = strtok_r(tsv, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char file[256], call[256], expected[32];
    if (sscanf(line, "%255[^\t]\t%255[^\t]\t%31s", file, call, expected) != 3 ||
        !strcmp(file, "file"))
      continue;
    int rc;
    char *out = replay(file, NULL, &rc);
    ck_assert_msg(rc == 0, "replay %s exited %d", file, rc);
    if (!strcmp(expected, "NONE")) {
      ck_assert_msg(strongest(out) <= 1,
                    "benign %s got a command stronger than ALLOW:\n%s", file,
                    out);
      benign++;
    } else {
      char a[32];
      const char *got = action_for(out, call, a, sizeof a);
      ck_assert_msg(got, "%s: no command for %s:\n%s", file, call, out);
      if (!strcmp(expected, "ALLOW"))
        ck_assert_msg(!strcmp(got, "ALLOW"), "%s %s: %s", file, call, got);
      else
        ck_assert_msg(action_rank(got) >= action_rank(expected),
                      "%s %s: expected at least %s, got %s\n%s", file, call,
                      expected, got, out);
      harmful++;
    }
    free(out);
    rows++;
  }
  free(tsv);
  ck_assert_int_ge(rows, 12);
  ck_assert_int_ge(benign, 8);
  ck_assert_int_ge(harmful, 8);
}
END_TEST

START_TEST(replay_is_deterministic) {
  int rc1, rc2;
  char *a = replay("pocketos.jsonl", NULL, &rc1);
  char *b = replay("pocketos.jsonl", NULL, &rc2);
  ck_assert_int_eq(rc1, 0);
  ck_assert_int_eq(rc2, 0);
  ck_assert_msg(strlen(a) > 0, "no commands at all");
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
}
END_TEST

/* Every session redelivered as at-least-once producers and exporters
 * do: each event twice in a row, and every ten events the ten again (a
 * batch resent). event_id is an idempotency key: the commands are those
 * of the session delivered once, byte for byte. */
START_TEST(redelivered_events_change_no_decision) {
  char *tsv = h_read_file(SESSIONS "expected.tsv", NULL);
  ck_assert_ptr_nonnull(tsv);
  char *save = NULL, tmp[64];
  snprintf(tmp, sizeof tmp, "replay-redelivered-%d.jsonl", (int)getpid());
  int files = 0;
  for (char *row = strtok_r(tsv, "\n", &save); row;
       row = strtok_r(NULL, "\n", &save)) {
    char file[256], path[512];
    if (sscanf(row, "%255[^\t]", file) != 1 || !strcmp(file, "file")) continue;
    snprintf(path, sizeof path, "%s%s", SESSIONS, file);
    char *text = h_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    char *lines[512];
    int n = 0;
    for (char *l = strtok(text, "\n"); l && n < 512; l = strtok(NULL, "\n"))
      lines[n++] = l;
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < n; i++) {
      fprintf(f, "%s\n%s\n", lines[i], lines[i]);
      if (i % 10 == 9)
        for (int k = i - 9; k <= i; k++) fprintf(f, "%s\n", lines[k]);
    }
    fclose(f);
    int rc1, rc2;
    char *once = replay(file, NULL, &rc1);
    char *again = replay_path(tmp, NULL, &rc2);
    ck_assert_msg(rc1 == 0 && rc2 == 0, "%s: exit %d, redelivered %d", file,
                  rc1, rc2);
    size_t same = 0;
    while (once[same] && once[same] == again[same]) same++;
    ck_assert_msg(!once[same] && !again[same],
                  "%s redelivered decides otherwise from byte %zu: '%.200s' "
                  "where once: '%.200s'",
                  file, same, again + same, once + same);
    free(once);
    free(again);
    free(text);
    files++;
  }
  unlink(tmp);
  free(tsv);
  ck_assert_int_ge(files, 12);
}
END_TEST

START_TEST(malformed_lines_are_reported_and_skipped) {
  const char *err_path = "replay-malformed.err";
  int rc;
  char *out = replay("malformed.jsonl", err_path, &rc);
  ck_assert_int_eq(rc, 1);
  char a[32];
  const char *got = action_for(out, "toolu_01MalformedLs000000000", a, sizeof a);
  ck_assert_msg(got && !strcmp(got, "ALLOW"),
                "the good gated call was not allowed:\n%s", out);
  char *err = h_read_file(err_path, NULL);
  ck_assert_ptr_nonnull(err);
  static const struct {
    int line;
    const char *fragment;
  } bad[] = {{3, "JSON"},
             {4, "object"},
             {5, "missing 'type'"},
             {6, "missing 'session_id'"},
             {7, "field 'ts_ms'"},
             {9, "'type'"},
             {10, "field 'want_verdict'"},
             {11, "field 'credential'"},
             {12, "JSON"},
             {13, "field 'credentials_found'"},
             {14, "'session_id'"}};
  int lines = 0;
  for (const char *p = err; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
    lines++;
  ck_assert_int_eq(lines, (int)(sizeof bad / sizeof bad[0]));
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "malformed.jsonl:%d: ", bad[i].line);
    const char *l = strstr(err, prefix);
    ck_assert_msg(l, "line %d not reported:\n%s", bad[i].line, err);
    const char *eol = strchr(l, '\n');
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s", (int)(eol ? eol - l : (long)strlen(l)), l);
    ck_assert_msg(strstr(msg, bad[i].fragment), "line %d: '%s' lacks '%s'",
                  bad[i].line, msg, bad[i].fragment);
  }
  free(err);
  free(out);
}
END_TEST

int main(void) {
  Suite *s = suite_create("replay");
  TCase *tc = tcase_create("sessions");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, expected_decisions_hold);
  tcase_add_test(tc, replay_is_deterministic);
  tcase_add_test(tc, redelivered_events_change_no_decision);
  tcase_add_test(tc, malformed_lines_are_reported_and_skipped);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
