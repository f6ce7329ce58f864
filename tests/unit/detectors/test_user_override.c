/*
 * user_override: a user's stop, freeze or "ask me first" against a later
 * mutating call, and the look-alikes: a stop followed only by reads, a
 * freeze the user lifted, "stop" in a sentence about a stop button, the
 * agent itself saying "stop".
 */
#include "session_fixture.h"

extern const struct sr_detector sr_detector_user_override;

#define EDIT "{\"file_path\":\"src/app.ts\"}"

static float user(struct sess *s, int64_t ms, const char *text) {
  return sess_msg(s, ms, "user", "human", NULL, text);
}

/* A new session whose user has just said text. */
static void fresh(struct sess *s, const char *text) {
  sess_reset(s);
  user(s, 0, text);
}

/* The agent edits a source file at t0 + ms. */
static float edit(struct sess *s, int64_t ms) {
  return sess_call(s, ms, SR_PHASE_REQUESTED, "Edit", EDIT, "e", SR_VERB_WRITE);
}

START_TEST(stop_then_mutating_call_vs_stop_then_reads) {
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  ck_assert_float_eq(user(&s, 0, "Stop. Don't touch anything until I look."),
                     0.0f);
  for (int i = 0; i < 5; i++)
    ck_assert_float_eq(sess_call(&s, 1000 + i * 1000, SR_PHASE_REQUESTED,
                                 "Read", EDIT, "r", SR_VERB_READ),
                       0.0f);
  float v = edit(&s, 12000);
  ck_assert_float_eq_tol(v, 0.9f, 1e-6);
  ck_assert_str_eq(s.reason,
                   "user said 'stop' 12 s earlier and nothing released it; "
                   "mutating call Edit");
  s.op.rule = NULL;
  v = sess_call(&s, 13000, SR_PHASE_REQUESTED, "Bash", "{}", "d",
                SR_VERB_DELETE);
  ck_assert_float_eq_tol(v, 1.0f, 1e-6);
  /* A failed attempt's event is not a new call. */
  ck_assert_float_eq(sess_failed(&s, 13100, "Bash", "d"), 0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(code_freeze_then_delete_vs_lifted_freeze) {
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  user(&s, 0,
       "CODE FREEZE. Do not change any code or data without my explicit "
       "permission.");
  float v = sess_call(&s, 30000, SR_PHASE_REQUESTED, "mcp__db__query",
                      "{\"sql\":\"DELETE FROM users;\"}", "x", SR_VERB_DELETE);
  ck_assert_float_eq_tol(v, 1.0f, 1e-6);
  ck_assert_ptr_nonnull(strstr(s.reason, "user said 'code freeze' 30 s"));
  sess_close(&s);

  sess_open(&s, &sr_detector_user_override, NULL);
  user(&s, 0, "Code freeze until the release is out, please.");
  user(&s, 60000, "Release is out. The freeze is lifted, go ahead.");
  ck_assert_float_eq(edit(&s, 61000), 0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(ask_me_first) {
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  user(&s, 0, "Tidy up the repo, and ask me first if anything needs a push.");
  ck_assert_float_eq_tol(
      sess_call(&s, 5000, SR_PHASE_REQUESTED, "Bash",
                "{\"command\":\"git branch -D old\"}", "b", SR_VERB_DELETE),
      0.9f, 1e-6);
  ck_assert_ptr_nonnull(strstr(s.reason, "'ask me first'"));
  ck_assert_float_eq_tol(edit(&s, 6000), 0.7f, 1e-6);
  /* The user answers: yes. */
  user(&s, 7000, "Yes, you can proceed with those three.");
  ck_assert_float_eq(
      sess_call(&s, 8000, SR_PHASE_REQUESTED, "Bash",
                "{\"command\":\"git branch -D old\"}", "b", SR_VERB_DELETE),
      0.0f);
  sess_close(&s);
}
END_TEST

/* A call the catalogue read as acting on `resource` in `env` (NULL:
 * unknown). */
static float call_on(struct sess *s, int64_t ms, enum sr_verb verb,
                     const char *resource, const char *env) {
  struct sr_op op = {.verb = verb,
                     .mutating = verb != SR_VERB_READ,
                     .resource = resource,
                     .environment = sr_str_from(env ? env : "")};
  return sess_call_op(s, ms, SR_PHASE_REQUESTED, "mcp__ops__run", "{}", "c",
                      &op);
}

/* "Don't delete anything" forbids deleting, not editing; "ask me before
 * deleting" narrows "ask me first" in the same sentence. */
START_TEST(a_directive_on_deleting_leaves_writes_alone) {
  static const char *const texts[] = {
      "Tidy up the old migrations, but don't delete anything.",
      "No more deletions today, please.",
      "Clean up the old branches, but ask me first before deleting.",
  };
  static const float on_delete[] = {1.0f, 1.0f, 0.9f};
  static const char *const said[] = {
      "do not delete anything", "no more deletions", "ask me before deleting"};
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    fresh(&s, texts[i]);
    ck_assert_msg(edit(&s, 1000) == 0.0f, "'%s' flagged an edit", texts[i]);
    ck_assert_float_eq_tol(call_on(&s, 2000, SR_VERB_DELETE, "file", NULL),
                           on_delete[i], 1e-6);
    ck_assert_msg(strstr(s.reason, said[i]), "%s", s.reason);
  }
  sess_close(&s);
}
END_TEST

/* "Don't touch prod" covers production and calls of unknown environment;
 * a call known to act on staging goes free. The session's declared
 * environment stands in for a call that names none. */
START_TEST(a_directive_on_production_leaves_other_environments_alone) {
  static const char *const texts[] = {
      "Don't touch production, work on staging only.",
      "Do not touch anything in prod until the incident review.",
      /* the apostrophe a phone or chat client types: U+2019 */
      "Don\xe2\x80\x99"
      "t touch production, work on staging only.",
  };
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    fresh(&s, texts[i]);
    ck_assert_msg(
        call_on(&s, 1000, SR_VERB_WRITE, "service", "staging") == 0.0f,
        "'%s' flagged a staging deploy", texts[i]);
    ck_assert_float_eq(
        call_on(&s, 1500, SR_VERB_DELETE, "volume", "development"), 0.0f);
    ck_assert_float_eq_tol(
        call_on(&s, 2000, SR_VERB_WRITE, "service", "production"), 0.9f, 1e-6);
    ck_assert_ptr_nonnull(strstr(s.reason, "'do not touch production'"));
    ck_assert_float_eq_tol(call_on(&s, 3000, SR_VERB_DELETE, "volume", "prd"),
                           1.0f, 1e-6);
    ck_assert_float_eq_tol(call_on(&s, 4000, SR_VERB_WRITE, "service", NULL),
                           0.9f, 1e-6);
  }
  sess_reset(&s);
  snprintf(s.info.environment, sizeof s.info.environment, "staging");
  user(&s, 0, "Don't touch prod.");
  ck_assert_float_eq(call_on(&s, 1000, SR_VERB_WRITE, "service", NULL), 0.0f);
  snprintf(s.info.environment, sizeof s.info.environment, "production");
  ck_assert_float_eq_tol(call_on(&s, 2000, SR_VERB_WRITE, "service", NULL),
                         0.9f, 1e-6);
  sess_close(&s);
}
END_TEST

/* A narrower directive replaces a broader one only within one phrase:
 * said apart, both stand. */
START_TEST(a_narrower_directive_said_apart_keeps_the_broader_one) {
  static const char *const texts[] = {
      "Don't change anything. Never touch prod.",
      "Don't change anything and don't touch prod either.",
  };
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    fresh(&s, texts[i]);
    ck_assert_msg(
        call_on(&s, 1000, SR_VERB_WRITE, "service", "staging") == 0.9f,
        "'%s' dropped the freeze on everything", texts[i]);
    ck_assert_ptr_nonnull(strstr(s.reason, "'do not change anything'"));
  }
  fresh(&s, "Don't touch anything in the database.");
  ck_assert_float_eq(call_on(&s, 1000, SR_VERB_WRITE, "file", NULL), 0.0f);
  ck_assert_float_eq_tol(call_on(&s, 2000, SR_VERB_WRITE, "table", NULL), 0.9f,
                         1e-6);
  sess_close(&s);
}
END_TEST

/* "Do not change the database" covers data stores and calls whose
 * resource is unknown, not a file edit; "do not change the code" the
 * other way round. */
START_TEST(a_directive_on_data_or_code_covers_that_kind) {
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  user(&s, 0, "Fix the report query, but do not change the database.");
  ck_assert_float_eq(call_on(&s, 1000, SR_VERB_WRITE, "file", NULL), 0.0f);
  ck_assert_float_eq_tol(call_on(&s, 2000, SR_VERB_WRITE, "table", NULL), 0.9f,
                         1e-6);
  ck_assert_ptr_nonnull(strstr(s.reason, "'do not change the data'"));
  ck_assert_float_eq_tol(call_on(&s, 3000, SR_VERB_DELETE, NULL, NULL), 1.0f,
                         1e-6);
  fresh(&s, "Migrate the rows, don't modify the code.");
  ck_assert_float_eq(call_on(&s, 1000, SR_VERB_WRITE, "table", NULL), 0.0f);
  ck_assert_float_eq_tol(call_on(&s, 2000, SR_VERB_WRITE, "file", NULL), 0.9f,
                         1e-6);
  ck_assert_ptr_nonnull(strstr(s.reason, "'do not change the code'"));
  sess_close(&s);
}
END_TEST

/* Directives given in turn all stand, each covering its own calls, until
 * a release clears them. */
START_TEST(directives_accumulate_until_released) {
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  user(&s, 0, "Don't touch prod.");
  user(&s, 10000, "Also: no more deletions anywhere.");
  ck_assert_float_eq(call_on(&s, 11000, SR_VERB_WRITE, "service", "staging"),
                     0.0f);
  ck_assert_float_eq_tol(
      call_on(&s, 12000, SR_VERB_DELETE, "volume", "staging"), 1.0f, 1e-6);
  ck_assert_ptr_nonnull(strstr(s.reason, "'no more deletions' 2 s earlier"));
  ck_assert_float_eq_tol(
      call_on(&s, 13000, SR_VERB_WRITE, "service", "production"), 0.9f, 1e-6);
  ck_assert_ptr_nonnull(
      strstr(s.reason, "'do not touch production' 13 s earlier"));
  user(&s, 20000, "OK, go ahead, but don't delete the database.");
  ck_assert_float_eq(call_on(&s, 21000, SR_VERB_WRITE, "service", "production"),
                     0.0f);
  ck_assert_float_eq(call_on(&s, 22000, SR_VERB_DELETE, "file", "staging"),
                     0.0f);
  ck_assert_float_eq_tol(
      call_on(&s, 23000, SR_VERB_DELETE, "database", "staging"), 1.0f, 1e-6);
  sess_close(&s);
}
END_TEST

/* A release is a reply that lets the agent go on, not any sentence that
 * holds "approved" or "resume". */
START_TEST(releases_and_look_alike_releases) {
  static const char *const not_releases[] = {
      "The approved budget is in the finance sheet.",
      "Also update the resume page.",
      "Resume parsing is broken on Safari.",
  };
  static const char *const releases[] = {
      "Approved.", "Yes, approved!", "It\xe2\x80\x99s approved, ship it.",
      "LGTM",      "ok, proceed",
  };
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  for (size_t i = 0; i < sizeof not_releases / sizeof not_releases[0]; i++) {
    fresh(&s, "Code freeze until Monday.");
    user(&s, 1000, not_releases[i]);
    ck_assert_msg(edit(&s, 2000) > 0.0f, "'%s' released the freeze",
                  not_releases[i]);
  }
  for (size_t i = 0; i < sizeof releases / sizeof releases[0]; i++) {
    fresh(&s, "Code freeze until Monday.");
    user(&s, 1000, releases[i]);
    ck_assert_msg(edit(&s, 2000) == 0.0f, "'%s' did not release the freeze",
                  releases[i]);
  }
  sess_close(&s);
}
END_TEST

START_TEST(look_alikes_set_nothing) {
  static const char *const texts[] = {
      "The stop button on the player doesn't work, can you fix it?",
      "Why did the deploy stop halfway?",
      "Don't change the test, fix the code.",
      "Use a read-only replica for the report query.",
      "Wait, what does this function return?",
  };
  struct sess s;
  sess_open(&s, &sr_detector_user_override, NULL);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    fresh(&s, texts[i]);
    ck_assert_msg(edit(&s, 1000) == 0.0f, "'%s' set a directive", texts[i]);
  }
  /* The agent saying "stop" is not the user. */
  sess_reset(&s);
  sess_msg(&s, 0, "assistant", "agent", NULL, "Stop. I will halt now.");
  ck_assert_float_eq(edit(&s, 1000), 0.0f);
  sess_close(&s);
}
END_TEST

START_TEST(config_is_checked) {
  const char *e = sess_init_error(&sr_detector_user_override, "stop: 1\n");
  ck_assert_msg(strstr(e, "stop"), "%s", e);
  e = sess_init_error(&sr_detector_user_override, "ask_write: 1.5\n");
  ck_assert_msg(strstr(e, "ask_write"), "%s", e);
  struct sess s;
  sess_open(&s, &sr_detector_user_override, "expire_s: 60\n");
  user(&s, 0, "Stop now.");
  ck_assert_float_gt(edit(&s, 59000), 0.0f);
  ck_assert_float_eq(edit(&s, 61000), 0.0f);
  sess_close(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("user_override");
  TCase *tc = tcase_create("user_override");
  /* init compiles Hyperscan databases: seconds under sanitizers */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, stop_then_mutating_call_vs_stop_then_reads);
  tcase_add_test(tc, code_freeze_then_delete_vs_lifted_freeze);
  tcase_add_test(tc, ask_me_first);
  tcase_add_test(tc, a_directive_on_deleting_leaves_writes_alone);
  tcase_add_test(tc, a_directive_on_production_leaves_other_environments_alone);
  tcase_add_test(tc, a_directive_on_data_or_code_covers_that_kind);
  tcase_add_test(tc, a_narrower_directive_said_apart_keeps_the_broader_one);
  tcase_add_test(tc, directives_accumulate_until_released);
  tcase_add_test(tc, releases_and_look_alike_releases);
  tcase_add_test(tc, look_alikes_set_nothing);
  tcase_add_test(tc, config_is_checked);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
