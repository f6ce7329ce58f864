/*
 * Tests of query/params.c: the validation every API parameter and CLI flag
 * goes through. What users rely on: defaults when nothing is given, strict
 * numbers (no trailing junk, no NaN, bounds), actions by name in any case
 * and as a list, and an error naming the parameter for anything else.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aggregator/command.h"
#include "query/params.h"

static char err[256];

static int sset(struct sr_sessions_params *p, const char *k, const char *v) {
  err[0] = '\0';
  return sr_params_sessions_set(p, k, v, err, sizeof err);
}

static int cset(struct sr_commands_params *p, const char *k, const char *v) {
  err[0] = '\0';
  return sr_params_commands_set(p, k, v, err, sizeof err);
}

START_TEST(defaults) {
  struct sr_sessions_params s;
  sr_params_sessions_init(&s);
  ck_assert_double_eq(s.min_risk, 0);
  ck_assert_uint_eq(s.actions, 0);
  ck_assert_int_eq(s.limit, SR_PARAMS_SESSIONS_LIMIT);
  struct sr_commands_params c;
  sr_params_commands_init(&c);
  ck_assert(!c.has_since);
  ck_assert(!c.has_after);
  ck_assert_str_eq(c.session, "");
  ck_assert_int_eq(c.limit, SR_PARAMS_COMMANDS_LIMIT);
}
END_TEST

START_TEST(valid_session_parameters) {
  struct sr_sessions_params s;
  sr_params_sessions_init(&s);
  ck_assert_int_eq(sset(&s, "min_risk", "2.5"), 0);
  ck_assert_double_eq(s.min_risk, 2.5);
  ck_assert_int_eq(sset(&s, "action", "block,KILL"), 0);
  ck_assert_uint_eq(s.actions, (1u << SR_ACTION_BLOCK) | (1u << SR_ACTION_KILL));
  ck_assert_int_eq(sset(&s, "limit", "1000"), 0);
  ck_assert_int_eq(s.limit, 1000);
  const char *names[SR_PARAMS_ACTIONS_MAX];
  ck_assert_uint_eq(sr_params_action_names(s.actions, names), 2);
  ck_assert_str_eq(names[0], "BLOCK");
  ck_assert_str_eq(names[1], "KILL");
  ck_assert_uint_eq(sr_params_action_names(0, names), 0);
  ck_assert_uint_eq(sr_params_action_names(0x1e, names), 4);
  ck_assert_str_eq(names[0], "ALLOW");
}
END_TEST

START_TEST(bad_numbers_are_rejected_with_the_parameter_named) {
  static const char *const bad[][2] = {
      {"limit", "0"},      {"limit", "1001"},  {"limit", "10abc"},
      {"limit", "-1"},     {"limit", " 5"},    {"limit", "99999999999999999999"},
      {"min_risk", "nan"}, {"min_risk", "inf"}, {"min_risk", "-0.5"},
      {"min_risk", "1x"},  {"min_risk", ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sr_sessions_params s;
    sr_params_sessions_init(&s);
    ck_assert_msg(sset(&s, bad[i][0], bad[i][1]) != 0, "%s=%s accepted",
                  bad[i][0], bad[i][1]);
    ck_assert_msg(strstr(err, bad[i][0]), "'%s' does not name %s", err, bad[i][0]);
    ck_assert_int_eq(s.limit, SR_PARAMS_SESSIONS_LIMIT); /* untouched */
  }
}
END_TEST

START_TEST(bad_actions_unknown_and_repeated_keys) {
  static const char *const actions[] = {"NUKE", "", ",", "BLOCK,", "KILL,,ALLOW",
                                        "NONE", "BLOCKKILLALLOWESCALATE"};
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
    struct sr_sessions_params s;
    sr_params_sessions_init(&s);
    ck_assert_msg(sset(&s, "action", actions[i]) != 0, "action=%s accepted",
                  actions[i]);
    ck_assert_msg(strstr(err, "action"), "%s", err);
  }
  struct sr_sessions_params s;
  sr_params_sessions_init(&s);
  ck_assert_int_ne(sset(&s, "minrisk", "1"), 0);
  ck_assert_str_eq(err, "unknown parameter 'minrisk'; expected min_risk, action or limit");
  ck_assert_int_eq(sset(&s, "limit", "5"), 0);
  ck_assert_int_ne(sset(&s, "limit", "6"), 0);
  ck_assert_str_eq(err, "parameter 'limit' given twice");
  ck_assert_int_eq(s.limit, 5);
}
END_TEST

START_TEST(command_parameters) {
  struct sr_commands_params c;
  sr_params_commands_init(&c);
  ck_assert_int_eq(cset(&c, "since", "1776465690000"), 0);
  ck_assert(c.has_since);
  ck_assert_int_eq(c.since_ms, 1776465690000LL);
  ck_assert_int_eq(cset(&c, "session", "sess-pocketos-1"), 0);
  ck_assert_str_eq(c.session, "sess-pocketos-1");
  ck_assert_int_ne(cset(&c, "min_risk", "1"), 0); /* a sessions parameter */
  ck_assert_ptr_nonnull(strstr(err, "unknown parameter 'min_risk'"));

  sr_params_commands_init(&c);
  ck_assert_int_ne(cset(&c, "since", "-1"), 0);
  ck_assert_int_ne(cset(&c, "since", "2026-01-01"), 0);
  sr_params_commands_init(&c);
  ck_assert_int_ne(cset(&c, "since", "2026-01-01"), 0);
  ck_assert_ptr_nonnull(strstr(err, "Unix milliseconds"));
  char longid[SR_SESSION_ID_MAX + 2];
  memset(longid, 's', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  ck_assert_int_ne(cset(&c, "session", longid), 0);
  ck_assert_ptr_nonnull(strstr(err, "longer than"));
  longid[SR_SESSION_ID_MAX] = '\0';
  sr_params_commands_init(&c);
  ck_assert_int_eq(cset(&c, "session", longid), 0);
  ck_assert_int_ne(cset(&c, "session", "again"), 0);
}
END_TEST

/* after is a cursor: the seq of the last command a poller saw. It and
 * since both say where a page starts, so one of them at most. */
START_TEST(after_is_a_seq_and_excludes_since) {
  struct sr_commands_params c;
  sr_params_commands_init(&c);
  ck_assert_int_eq(cset(&c, "after", "0"), 0);
  ck_assert(c.has_after);
  ck_assert_int_eq(c.after_seq, 0);
  ck_assert_int_eq(cset(&c, "limit", "3"), 0);
  ck_assert_int_ne(cset(&c, "since", "1776465690000"), 0);
  ck_assert_str_eq(err,
                   "parameters 'since' and 'after' exclude each other: "
                   "'since' starts at an issue time, 'after' past a seq");
  sr_params_commands_init(&c);
  ck_assert_int_eq(cset(&c, "since", "1776465690000"), 0);
  ck_assert_int_ne(cset(&c, "after", "12"), 0);
  ck_assert_ptr_nonnull(strstr(err, "exclude each other"));
  static const char *const bad[] = {"-1",  "x",  "",
                                    "1.5", " 7", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sr_params_commands_init(&c);
    ck_assert_msg(cset(&c, "after", bad[i]) != 0, "after=%s accepted", bad[i]);
    ck_assert_msg(strstr(err, "'after'"), "%s", err);
    ck_assert(!c.has_after);
  }
  sr_params_commands_init(&c);
  ck_assert_int_eq(cset(&c, "after", "9223372036854775807"), 0);
  ck_assert_int_eq(c.after_seq, INT64_MAX);
  ck_assert_int_ne(cset(&c, "after", "1"), 0);
  ck_assert_str_eq(err, "parameter 'after' given twice");
}
END_TEST

int main(void) {
  Suite *s = suite_create("params");
  TCase *tc = tcase_create("params");
  tcase_add_test(tc, defaults);
  tcase_add_test(tc, valid_session_parameters);
  tcase_add_test(tc, bad_numbers_are_rejected_with_the_parameter_named);
  tcase_add_test(tc, bad_actions_unknown_and_repeated_keys);
  tcase_add_test(tc, command_parameters);
  tcase_add_test(tc, after_is_a_seq_and_excludes_since);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
