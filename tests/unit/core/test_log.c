/*
 * Tests of core/log.c's rate limit: a flood of dead letters logs the first
 * SR_LOG_LIMIT_LINES of a window, then nothing, and the next window begins
 * with one line counting those left out.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

START_TEST(a_flood_logs_the_first_lines_then_a_count) {
  char path[] = "/tmp/sr-test-log-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_ptr_nonnull(freopen(path, "w", stderr));
  struct sr_log_limit l = {0};
  int64_t t = 1000;
  unsigned taken = 0;
  for (int i = 0; i < 1000; i++)
    taken += sr_log_limit_take(&l, t + i, "dead letters");
  ck_assert_uint_eq(taken, SR_LOG_LIMIT_LINES);
  /* a new window: allowed again, after one line with the count */
  ck_assert(sr_log_limit_take(&l, t + SR_LOG_LIMIT_WINDOW_MS, "dead letters"));
  fflush(stderr);
  char buf[4096] = "";
  FILE *f = fopen(path, "r");
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  close(fd);
  unlink(path);
  ck_assert_msg(
      strstr(buf, "WARN 990 more dead letters not logged in the last 60 s"),
      "%s", buf);
  ck_assert_ptr_null(strchr(strchr(buf, '\n') + 1, '\n')); /* that one line */
  /* and nothing more while the new window has room */
  for (int i = 1; i < SR_LOG_LIMIT_LINES; i++)
    ck_assert(sr_log_limit_take(&l, t + SR_LOG_LIMIT_WINDOW_MS + i, "x"));
  ck_assert(!sr_log_limit_take(&l, t + SR_LOG_LIMIT_WINDOW_MS + 99, "x"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("limit");
  tcase_add_test(tc, a_flood_logs_the_first_lines_then_a_count);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
