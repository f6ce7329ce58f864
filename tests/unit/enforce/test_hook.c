/*
 * Tests of enforce/hook.c: the harness side of the gate. What users rely on:
 * a Claude Code PreToolUse payload and Cursor's beforeShellExecution /
 * beforeMCPExecution payloads become one requested tool_call with
 * want_verdict that the processor's own decoder accepts, with the session,
 * call id, tool, arguments and (Claude Code) plan mode carried over; a
 * payload the harness would never send is refused with the field named; the
 * answers are the exact shapes each harness reads, with the exit codes it
 * acts on, and none at all where the harness's own rules must decide.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "enforce/hook.h"
#include "ingest/decode.h"

#define NOW 1790000000000LL

static struct sr_arena *arena;
static struct sr_hook_request req;
static struct sr_event ev;

static void setup(void) {
  arena = sr_arena_create(1 << 20);
}
static void teardown(void) {
  sr_hook_request_clear(&req);
  sr_arena_destroy(arena);
}

/* Parses payload and decodes the resulting event with the real decoder. */
static void parse_ok(enum sr_hook_kind kind, const char *payload) {
  char err[512];
  int rc =
      sr_hook_parse(kind, payload, strlen(payload), NOW, &req, err, sizeof err);
  ck_assert_msg(rc == 0, "parse: %s", err);
  struct sr_decode_opts o = {0, 0};
  rc = sr_decode_event(req.event, req.event_len, &o, arena, &ev, err,
                       sizeof err);
  ck_assert_msg(rc == 0, "decode %s: %s", req.event, err);
  ck_assert_int_eq(ev.type, SR_EV_TOOL_CALL);
  ck_assert_int_eq(ev.phase, SR_PHASE_REQUESTED);
  ck_assert(ev.want_verdict);
}

static bool eq(sr_str s, const char *c) {
  return sr_str_eq_cstr(s, c);
}

START_TEST(claude_code_pre_tool_use) {
  parse_ok(
      SR_HOOK_CLAUDE_CODE,
      "{\"session_id\":\"abc123\",\"transcript_path\":\"/home/u/.claude/"
      "projects/p/abc123.jsonl\",\"cwd\":\"/home/u/p\",\"permission_mode\":"
      "\"plan\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\","
      "\"tool_input\":{\"command\":\"psql -c 'DROP TABLE users'\","
      "\"description\":\"Drop \\\"users\\\"\",\"timeout\":120000},"
      "\"tool_use_id\":\"toolu_01ABC123\"}");
  ck_assert_str_eq(req.session, "abc123");
  ck_assert_str_eq(req.call, "toolu_01ABC123");
  ck_assert(eq(ev.session_id, "abc123") && eq(ev.call_id, "toolu_01ABC123"));
  ck_assert(eq(ev.tool, "Bash"));
  ck_assert_int_eq(ev.mode, SR_MODE_PLAN);
  ck_assert(req.plan_mode);
  ck_assert_int_eq(ev.ts_ms, NOW);
  /* The tool input is passed through byte for byte. */
  ck_assert_ptr_nonnull(strstr(req.event,
                               "\"arguments\":{\"command\":\"psql -c "
                               "'DROP TABLE users'\""));
  sr_hook_request_clear(&req);
  parse_ok(
      SR_HOOK_CLAUDE_CODE,
      "{\"session_id\":\"abc123\",\"permission_mode\":\"bypassPermissions\","
      "\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/x\"},"
      "\"tool_use_id\":\"toolu_2\"}");
  ck_assert_int_eq(ev.mode, SR_MODE_DEFAULT);
  ck_assert(!req.plan_mode);
}
END_TEST

START_TEST(cursor_shell_and_mcp) {
  parse_ok(
      SR_HOOK_CURSOR,
      "{\"conversation_id\":\"conv-1\",\"generation_id\":\"gen-1\","
      "\"model\":\"gpt-5\",\"hook_event_name\":\"beforeShellExecution\","
      "\"cursor_version\":\"1.7.2\",\"workspace_roots\":[\"/w\"],"
      "\"user_email\":null,\"command\":\"terraform destroy\",\"cwd\":\"/w\"}");
  ck_assert_str_eq(req.session, "conv-1");
  ck_assert_int_eq(strncmp(req.call, "cursor-gen-1-", 13), 0);
  ck_assert(eq(ev.tool, "run_terminal_cmd"));
  ck_assert_ptr_nonnull(strstr(req.event, "\"command\":\"terraform destroy\""));
  char first[sizeof req.call];
  snprintf(first, sizeof first, "%s", req.call);
  sr_hook_request_clear(&req);
  /* MCP: tool_input is a JSON string holding an object; it is published as
   * the object. */
  parse_ok(SR_HOOK_CURSOR,
           "{\"conversation_id\":\"conv-1\",\"generation_id\":\"gen-1\","
           "\"hook_event_name\":\"beforeMCPExecution\",\"tool_name\":\"query\","
           "\"tool_input\":\"{\\\"sql\\\":\\\"DELETE FROM orders\\\"}\","
           "\"url\":\"http://localhost:3000/mcp\"}");
  ck_assert(eq(ev.tool, "query"));
  ck_assert_ptr_nonnull(
      strstr(req.event, "\"arguments\":{\"sql\":\"DELETE FROM orders\"}"));
  ck_assert_str_ne(req.call, first);
}
END_TEST

START_TEST(generic_event_passes_through) {
  parse_ok(SR_HOOK_GENERIC,
           "{\"type\":\"tool_call\",\"session_id\":\"s1\",\"call_id\":\"c1\","
           "\"phase\":\"completed\",\"want_verdict\":false,\"tool\":\"Bash\","
           "\"arguments\":{\"command\":\"ls\"},\"ts_ms\":1700000000000,"
           "\"target\":{\"id\":\"vol-1\",\"kind\":\"volume\"}}");
  ck_assert_str_eq(req.call, "c1");
  ck_assert(eq(ev.target.id, "vol-1"));
  ck_assert_int_eq(ev.ts_ms, 1700000000000LL);
  ck_assert_str_eq(req.tool, "Bash");
}
END_TEST

START_TEST(payloads_a_harness_never_sends_are_refused) {
  static const struct {
    enum sr_hook_kind kind;
    const char *payload, *mentions;
  } bad[] = {
      {SR_HOOK_CLAUDE_CODE, "[1,2]", "JSON object on stdin, got array"},
      {SR_HOOK_CLAUDE_CODE, "  hello there",
       "JSON object on stdin, got text starting with 'h'"},
      {SR_HOOK_CLAUDE_CODE,
       "\x80"
       "abc",
       "JSON object on stdin, got bytes starting with 0x80"},
      {SR_HOOK_CLAUDE_CODE, " \n", "JSON object on stdin, got nothing"},
      {SR_HOOK_CLAUDE_CODE, "{\"tool_name\":\"Bash\",\"tool_use_id\":\"t\"}",
       "session_id"},
      {SR_HOOK_CLAUDE_CODE, "{\"session_id\":\"s\",\"tool_name\":\"Bash\"}",
       "tool_use_id"},
      {SR_HOOK_CLAUDE_CODE,
       "{\"session_id\":\"s\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t\","
       "\"hook_event_name\":\"PostToolUse\"}",
       "PreToolUse"},
      {SR_HOOK_CLAUDE_CODE, "{\"session_id\":7}", "session_id"},
      {SR_HOOK_CURSOR, "{\"command\":\"ls\"}", "conversation_id"},
      {SR_HOOK_CURSOR,
       "{\"conversation_id\":\"c\",\"hook_event_name\":\"stop\"}", "stop"},
      {SR_HOOK_CURSOR,
       "{\"conversation_id\":\"c\",\"hook_event_name\":"
       "\"beforeShellExecution\"}",
       "command"},
      {SR_HOOK_GENERIC, "{\"type\":\"tool_call\"}", "session_id"},
      {SR_HOOK_GENERIC, "{\"session_id\":\"s\"", "JSON"},
  };
  char err[512];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    ck_assert_msg(
        sr_hook_parse(bad[i].kind, bad[i].payload, strlen(bad[i].payload), NOW,
                      &req, err, sizeof err) != 0,
        "accepted %s", bad[i].payload);
    ck_assert_msg(strstr(err, bad[i].mentions), "%s: error '%s' lacks '%s'",
                  bad[i].payload, err, bad[i].mentions);
    ck_assert_ptr_null(req.event);
  }
}
END_TEST

/* The gate waits for verdicts on the session as a C string; a NUL in the
 * id would cut it there while the published event carries it whole. */
START_TEST(session_id_with_nul_is_refused) {
  static const struct {
    enum sr_hook_kind kind;
    const char *payload;
  } bad[] = {
      {SR_HOOK_CLAUDE_CODE,
       "{\"session_id\":\"a\\u0000b\",\"tool_name\":\"Bash\","
       "\"tool_use_id\":\"t\"}"},
      {SR_HOOK_CURSOR,
       "{\"conversation_id\":\"a\\u0000b\",\"command\":\"ls\"}"},
      {SR_HOOK_GENERIC, "{\"session_id\":\"a\\u0000b\",\"tool\":\"Bash\"}"},
  };
  char err[512];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    ck_assert_msg(
        sr_hook_parse(bad[i].kind, bad[i].payload, strlen(bad[i].payload), NOW,
                      &req, err, sizeof err) == SR_EINVAL,
        "accepted %s", bad[i].payload);
    ck_assert_msg(strstr(err, "NUL"), "%s: error '%s'", bad[i].payload, err);
    ck_assert_ptr_null(req.event);
  }
}
END_TEST

/* Runs sr_hook_answer into memory; plan: the call was made in plan mode. */
static int answer_in(enum sr_hook_kind kind, struct sr_hook_answer_opts o,
                     bool plan, enum sr_action a, enum sr_verdict_source src,
                     char *out, char *errout) {
  struct sr_gate_verdict v = {a, src, "stackrisk BLOCK: \"why\""};
  struct sr_hook_request r = {.plan_mode = plan};
  memset(out, 0, 4096);
  memset(errout, 0, 4096);
  FILE *fo = fmemopen(out, 4096, "w"), *fe = fmemopen(errout, 4096, "w");
  int rc = sr_hook_answer(kind, &o, &r, &v, fo, fe);
  fclose(fo);
  fclose(fe);
  return rc;
}

static int answer(enum sr_hook_kind kind, struct sr_hook_answer_opts o,
                  enum sr_action a, enum sr_verdict_source src, char *out,
                  char *errout) {
  return answer_in(kind, o, false, a, src, out, errout);
}

START_TEST(answers_in_each_harness_protocol) {
  char out[4096], err[4096];
  struct sr_hook_answer_opts none = {0}, exit2 = {.exit2 = true},
                             skip = {.allow_skips_prompts = true};
  ck_assert_int_eq(answer(SR_HOOK_CLAUDE_CODE, none, SR_ACTION_BLOCK,
                          SR_VERDICT_COMMAND, out, err),
                   0);
  ck_assert_str_eq(
      out,
      "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\","
      "\"permissionDecision\":\"deny\",\"permissionDecisionReason\":"
      "\"stackrisk BLOCK: \\\"why\\\"\"}}\n");
  ck_assert_int_eq(answer(SR_HOOK_CLAUDE_CODE, none, SR_ACTION_ESCALATE,
                          SR_VERDICT_HELD, out, err),
                   0);
  ck_assert_ptr_nonnull(strstr(out, "\"permissionDecision\":\"ask\""));
  ck_assert_ptr_nonnull(strstr(err, "stackrisk BLOCK")); /* said on stderr */
  ck_assert_int_eq(answer(SR_HOOK_CLAUDE_CODE, exit2, SR_ACTION_KILL,
                          SR_VERDICT_COMMAND, out, err),
                   2);
  ck_assert_str_eq(out, "");
  ck_assert_str_eq(err, "stackrisk BLOCK: \"why\"\n");
  /* Asked for, a signed ALLOW is answered "allow". */
  ck_assert_int_eq(answer(SR_HOOK_CLAUDE_CODE, skip, SR_ACTION_ALLOW,
                          SR_VERDICT_COMMAND, out, err),
                   0);
  ck_assert_str_eq(
      out,
      "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\","
      "\"permissionDecision\":\"allow\",\"permissionDecisionReason\":"
      "\"stackrisk BLOCK: \\\"why\\\"\"}}\n");
  ck_assert_int_eq(answer(SR_HOOK_CURSOR, skip, SR_ACTION_ALLOW,
                          SR_VERDICT_COMMAND, out, err),
                   0);
  ck_assert_ptr_nonnull(strstr(out, "{\"permission\":\"allow\","));

  ck_assert_int_eq(answer(SR_HOOK_CURSOR, none, SR_ACTION_KILL,
                          SR_VERDICT_COMMAND, out, err),
                   0);
  ck_assert_str_eq(out,
                   "{\"permission\":\"deny\",\"user_message\":\"stackrisk "
                   "BLOCK: \\\"why\\\"\",\"agent_message\":\"stackrisk "
                   "BLOCK: \\\"why\\\"\"}\n");
  ck_assert_int_eq(answer(SR_HOOK_CURSOR, none, SR_ACTION_BLOCK,
                          SR_VERDICT_NO_ANSWER, out, err),
                   0);
  ck_assert_ptr_nonnull(strstr(out, "{\"permission\":\"deny\","));

  static const int codes[] = {0, 0, 3, 4, 5};
  for (int a = SR_ACTION_ALLOW; a <= SR_ACTION_KILL; a++) {
    ck_assert_int_eq(answer(SR_HOOK_GENERIC, none, (enum sr_action)a,
                            SR_VERDICT_NO_ANSWER, out, err),
                     codes[a]);
    ck_assert_ptr_nonnull(strstr(out, "\"source\":\"no-verdict\""));
  }
}
END_TEST

/* "allow" lifts the harness's own permission checks; a gate must not grant
 * more than the harness would alone. So Claude Code and Cursor get no
 * decision (exit 0, nothing on stdout, the reason on stderr) for an ALLOW,
 * for a call let through without a verdict even when allow is asked for,
 * and for a plan-mode call whatever the flags. */
START_TEST(allow_leaves_the_harness_to_its_own_rules) {
  char out[4096], err[4096];
  struct sr_hook_answer_opts none = {0}, exit2 = {.exit2 = true},
                             skip = {.allow_skips_prompts = true};
  static const struct {
    enum sr_hook_kind kind;
    bool skip, plan;
    enum sr_verdict_source src;
  } cases[] = {
      {SR_HOOK_CLAUDE_CODE, false, false, SR_VERDICT_COMMAND},
      {SR_HOOK_CLAUDE_CODE, false, false, SR_VERDICT_NO_ANSWER},
      {SR_HOOK_CLAUDE_CODE, true, false, SR_VERDICT_NO_ANSWER},
      {SR_HOOK_CLAUDE_CODE, true, true, SR_VERDICT_COMMAND},
      {SR_HOOK_CLAUDE_CODE, false, true, SR_VERDICT_COMMAND},
      {SR_HOOK_CURSOR, false, false, SR_VERDICT_COMMAND},
      {SR_HOOK_CURSOR, false, false, SR_VERDICT_NO_ANSWER},
      {SR_HOOK_CURSOR, true, false, SR_VERDICT_NO_ANSWER},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = answer_in(cases[i].kind, cases[i].skip ? skip : none,
                       cases[i].plan, SR_ACTION_ALLOW, cases[i].src, out, err);
    ck_assert_msg(rc == 0 && !strcmp(out, ""), "case %zu: exit %d, out %s", i,
                  rc, out);
    ck_assert_msg(!strcmp(err, "stackrisk BLOCK: \"why\"\n"),
                  "case %zu: stderr %s", i, err);
  }
  ck_assert_int_eq(answer(SR_HOOK_CLAUDE_CODE, exit2, SR_ACTION_ALLOW,
                          SR_VERDICT_COMMAND, out, err),
                   0);
  ck_assert_str_eq(out, "");
  /* Generic mode is an exit-code protocol of its own: unchanged. */
  ck_assert_int_eq(answer(SR_HOOK_GENERIC, none, SR_ACTION_ALLOW,
                          SR_VERDICT_COMMAND, out, err),
                   0);
  ck_assert_ptr_nonnull(strstr(out, "{\"action\":\"ALLOW\",\"source\":"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("hook");
  TCase *tc = tcase_create("hook");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, claude_code_pre_tool_use);
  tcase_add_test(tc, cursor_shell_and_mcp);
  tcase_add_test(tc, generic_event_passes_through);
  tcase_add_test(tc, payloads_a_harness_never_sends_are_refused);
  tcase_add_test(tc, session_id_with_nul_is_refused);
  tcase_add_test(tc, answers_in_each_harness_protocol);
  tcase_add_test(tc, allow_leaves_the_harness_to_its_own_rules);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
