/*
 * Harness hook protocols: what `stackrisk gate` reads on stdin and answers.
 *
 *  - claude-code: a PreToolUse payload (session_id, permission_mode, cwd,
 *    tool_name, tool_input, tool_use_id); answered with exit 0 and
 *    {"hookSpecificOutput":{"hookEventName":"PreToolUse",
 *    "permissionDecision":"allow|ask|deny","permissionDecisionReason":...}},
 *    or, with exit2 set, a denial as exit 2 with the reason on stderr.
 *    permission_mode "plan" becomes "mode":"plan" on the event.
 *  - cursor: beforeShellExecution (command, cwd) or beforeMCPExecution
 *    (tool_name, tool_input, url or command), conversation_id as the
 *    session; answered with exit 0 and {"permission":"allow|ask|deny",
 *    "user_message":...,"agent_message":...}.
 *  - generic: one tool_call in the docs/events.md JSON form; answered with
 *    one JSON line and an exit code per action (see sr_hook_exit_code).
 *
 * Both harnesses read "allow" as leave to skip their own permission checks
 * (Claude Code's prompts, and plan mode's refusal of edits; Cursor's
 * approvals). Claude Code reads exit 0 with nothing on stdout as no
 * decision, and Cursor as a hook that failed, which it ignores unless the
 * hook is marked failClosed: either way the harness's own rules apply. A
 * gate added for safety must not grant more than the harness would alone,
 * so whatever is not a refusal or a question (an ALLOW, and every call let
 * through for want of a verdict) is answered with nothing, the reason on
 * stderr (Claude Code's verbose mode, Cursor's Hooks output). Only a signed
 * ALLOW, and only with allow_skips_prompts, is answered "allow", and never
 * in plan mode.
 *
 * Each payload becomes one tool_call event, phase requested, want_verdict,
 * stamped with the wall clock (the gate is where the call happens now).
 */
#ifndef SR_HOOK_H
#define SR_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregator/command.h"

enum sr_hook_kind {
  SR_HOOK_CLAUDE_CODE = 1,
  SR_HOOK_CURSOR,
  SR_HOOK_GENERIC,
};

/* "claude-code", "cursor", "generic"; SR_EINVAL for another word. */
int sr_hook_kind_parse(const char *s, enum sr_hook_kind *out);

#define SR_HOOK_EVENT_MAX (1u << 20) /* bytes of one published event */

/* One gated call. */
struct sr_hook_request {
  char session[SR_SESSION_ID_MAX + 1];
  char call[SR_ID_MAX + 1];
  char tool[SR_ID_MAX + 1];
  char *event; /* the JSON line to publish (heap, owned) */
  size_t event_len;
  /* The hook's own --deadline-ms / --hold-ms, sent to the sidecar so the
   * hook's wait and the sidecar's agree; -1 (as parsed): the gate's. */
  int deadline_ms, hold_ms;
  /* Claude Code's permission_mode is "plan": the harness itself refuses
   * mutating calls, which an "allow" would lift. Not sent to the sidecar:
   * the event carries it as "mode". */
  bool plan_mode;
};

/* Parses a payload of `kind` into req (whose event it allocates; release
 * with sr_hook_request_clear). now_ms stamps the event. SR_EINVAL with a
 * message naming the field on a payload that is not what the harness
 * sends. */
int sr_hook_parse(enum sr_hook_kind kind, const char *payload, size_t len,
                  int64_t now_ms, struct sr_hook_request *req, char *err,
                  size_t errlen);
void sr_hook_request_clear(struct sr_hook_request *req);

/* Where a gate's answer came from. */
enum sr_verdict_source {
  SR_VERDICT_COMMAND = 1, /* a signed command for the call */
  SR_VERDICT_HELD,        /* ESCALATE and no approval within the hold */
  SR_VERDICT_NO_ANSWER,   /* no verdict in time (or Kafka unreachable) */
};

struct sr_gate_verdict {
  enum sr_action action;
  enum sr_verdict_source source;
  char reason[2048]; /* for the agent and the person: why */
};

struct sr_hook_answer_opts {
  bool exit2; /* claude-code: deny as exit 2 + stderr */
  /* claude-code, cursor: answer a signed ALLOW with the harness's "allow",
   * which skips its own permission prompts (outside plan mode). Without it
   * an ALLOW is answered with nothing: the harness's rules apply. */
  bool allow_skips_prompts;
};

/* Exit code for generic mode: ALLOW 0, ESCALATE 3, BLOCK 4, KILL 5. */
int sr_hook_exit_code(enum sr_action a);

/* Writes the harness's answer to out (stdout) and err_out (stderr) and
 * returns the process exit code. req is the call answered (its plan_mode
 * is read), or NULL when the payload could not be parsed. */
int sr_hook_answer(enum sr_hook_kind kind, const struct sr_hook_answer_opts *o,
                   const struct sr_hook_request *req,
                   const struct sr_gate_verdict *v, FILE *out, FILE *err_out);

#endif
