/*
 * The stackrisk binary starts jemalloc with its own options
 * (core/malloc_conf.h): large buffers (librdkafka's fetch responses) reused
 * rather than faulted in afresh, and cached pages handed back by
 * background threads. jemalloc prints the options it runs with when asked
 * through MALLOC_CONF, which must also still let an operator override them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

/* Under AddressSanitizer its allocator replaces jemalloc in the binary
 * too: nothing reads the options, nothing prints them, nothing to test. */
#if !defined(__SANITIZE_ADDRESS__)
/* The log of `stackrisk --help` run with MALLOC_CONF=env (jemalloc's
 * statistics printed at exit); heap, NUL-terminated. */
static char *run_help(const char *env) {
  char log[64];
  snprintf(log, sizeof log, "malloc-conf-%d.log", (int)getpid());
  unlink(log);
  setenv("MALLOC_CONF", env, 1);
  char *argv[] = {SR_BINARY, "--help", NULL};
  int rc = h_wait_exit(h_spawn(argv, log), 20000);
  unsetenv("MALLOC_CONF");
  ck_assert_int_eq(rc, 0);
  char *out = h_read_file(log, NULL);
  ck_assert_ptr_nonnull(out);
  unlink(log);
  return out;
}

START_TEST(binary_runs_with_its_allocator_options) {
  char *out = run_help("stats_print:true");
  ck_assert_msg(strstr(out, "opt.oversize_threshold: 0\n"),
                "large allocations still go to the oversize arena:\n%.2000s",
                out);
  ck_assert_msg(strstr(out, "opt.background_thread: true"),
                "no background purging");
  free(out);
}
END_TEST

START_TEST(operator_environment_still_wins) {
  char *out = run_help("stats_print:true,background_thread:false");
  ck_assert_msg(strstr(out, "opt.background_thread: false"),
                "MALLOC_CONF did not override the binary's option");
  ck_assert_ptr_nonnull(strstr(out, "opt.oversize_threshold: 0\n"));
  free(out);
}
END_TEST
#endif

int main(void) {
  Suite *s = suite_create("malloc_conf");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
#if !defined(__SANITIZE_ADDRESS__)
  tcase_add_test(tc, binary_runs_with_its_allocator_options);
  tcase_add_test(tc, operator_environment_still_wins);
#endif
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
