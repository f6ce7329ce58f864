/*
 * Hook payloads in, events.md tool_call events out; verdicts in, harness
 * answers out (see hook.h). Payloads are walked with the strict pull
 * reader; tool inputs are copied through as raw JSON, never re-encoded, so
 * what the detectors scan is byte for byte what the agent asked for. Cursor
 * sends no per-call id: one is made from the payload and the time, which is
 * unique per hook run.
 */
#include "enforce/hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#include "core/arena.h"
#include "core/buf.h"
#include "ingest/json.h"

int sr_hook_kind_parse(const char *s, enum sr_hook_kind *out) {
  if (!strcmp(s, "claude-code"))
    *out = SR_HOOK_CLAUDE_CODE;
  else if (!strcmp(s, "cursor"))
    *out = SR_HOOK_CURSOR;
  else if (!strcmp(s, "generic"))
    *out = SR_HOOK_GENERIC;
  else
    return SR_EINVAL;
  return SR_OK;
}

void sr_hook_request_clear(struct sr_hook_request *req) {
  free(req->event);
  memset(req, 0, sizeof *req);
}

/* The payload's fields we use, as views into the payload or the arena. */
struct fields {
  sr_str session_id, permission_mode, cwd, tool_name, tool_use_id,
      hook_event_name, conversation_id, generation_id, command, url;
  sr_str tool_input; /* raw JSON text of the value */
  bool tool_input_is_string;
  sr_str call_id, ts_raw; /* generic */
};

static int expect_string(struct sr_json *j, sr_str key, sr_str *out, char *err,
                         size_t errlen) {
  if (sr_json_peek(j) == SR_JSON_NULL) return sr_json_null(j);
  if (sr_json_peek(j) != SR_JSON_STRING) {
    snprintf(err, errlen, "field '%.*s': expected a string, got %s", (int)key.n,
             key.p, sr_json_type_name(sr_json_peek(j)));
    return SR_EINVAL;
  }
  return sr_json_string(j, out);
}

/* Reads the top-level object; for generic, also copies every member but
 * type, phase, want_verdict (which the gate sets) into b. */
static int read_fields(enum sr_hook_kind kind, const char *payload, size_t len,
                       struct sr_arena *arena, struct fields *f,
                       struct sr_buf *members, char *err, size_t errlen) {
  struct sr_json j;
  sr_json_init(&j, payload, len, arena, err, errlen);
  if (sr_json_peek(&j) != SR_JSON_OBJECT) {
    /* Text that is no JSON at all: its first character, as the decoder
     * says (no more: the text could hold a secret, and this is logged). */
    size_t k = 0;
    while (k < len && (payload[k] == ' ' || payload[k] == '\t' ||
                       payload[k] == '\r' || payload[k] == '\n'))
      k++;
    if (sr_json_peek(&j) == SR_JSON_INVALID && k < len)
      snprintf(err, errlen,
               payload[k] >= 0x20 && payload[k] < 0x7f
                   ? "expected a JSON object on stdin, got text starting "
                     "with '%c'"
                   : "expected a JSON object on stdin, got bytes starting "
                     "with 0x%02x",
               (unsigned char)payload[k]);
    else
      snprintf(err, errlen, "expected a JSON object on stdin, got %s",
               sr_json_type_name(sr_json_peek(&j)));
    return SR_EINVAL;
  }
  int rc = sr_json_object_begin(&j);
  sr_str key;
  while (rc >= 0 && (rc = sr_json_object_next(&j, &key)) == 1) {
    struct {
      const char *name;
      sr_str *dst;
    } strs[] = {{"session_id", &f->session_id},
                {"permission_mode", &f->permission_mode},
                {"cwd", &f->cwd},
                {"tool_name", &f->tool_name},
                {"tool_use_id", &f->tool_use_id},
                {"hook_event_name", &f->hook_event_name},
                {"conversation_id", &f->conversation_id},
                {"generation_id", &f->generation_id},
                {"command", &f->command},
                {"url", &f->url},
                {"call_id", &f->call_id}};
    if (kind == SR_HOOK_GENERIC) {
      sr_str raw;
      if (sr_str_eq_cstr(key, "session_id") || sr_str_eq_cstr(key, "call_id")) {
        rc = expect_string(
            &j, key,
            sr_str_eq_cstr(key, "call_id") ? &f->call_id : &f->session_id, err,
            errlen);
        if (rc < 0) break;
        /* copied below from the parsed value */
        continue;
      }
      if (sr_str_eq_cstr(key, "ts_ms") || sr_str_eq_cstr(key, "ts"))
        f->ts_raw = key;
      if (sr_str_eq_cstr(key, "tool")) {
        rc = expect_string(&j, key, &f->tool_name, err, errlen);
        if (rc < 0) break;
        sr_buf_puts(members, ",\"tool\":");
        sr_buf_json_string(members, f->tool_name);
        continue;
      }
      rc = sr_json_skip(&j, &raw);
      if (rc < 0) break;
      if (sr_str_eq_cstr(key, "type") || sr_str_eq_cstr(key, "phase") ||
          sr_str_eq_cstr(key, "want_verdict"))
        continue;
      sr_buf_puts(members, ",");
      sr_buf_json_string(members, key);
      sr_buf_puts(members, ":");
      sr_buf_append(members, raw.p, raw.n);
      continue;
    }
    if (sr_str_eq_cstr(key, "tool_input")) {
      f->tool_input_is_string = sr_json_peek(&j) == SR_JSON_STRING;
      if (f->tool_input_is_string)
        rc = sr_json_string(&j, &f->tool_input);
      else
        rc = sr_json_skip(&j, &f->tool_input);
      continue;
    }
    bool known = false;
    for (size_t i = 0; i < SR_ARRAY_LEN(strs) && !known; i++) {
      if (!sr_str_eq_cstr(key, strs[i].name)) continue;
      known = true;
      rc = expect_string(&j, key, strs[i].dst, err, errlen);
    }
    if (!known) rc = sr_json_skip(&j, NULL);
  }
  if (rc >= 0) rc = sr_json_finish(&j);
  return rc < 0 ? SR_EINVAL : SR_OK;
}

static int require(sr_str v, const char *name, const char *kind, char *err,
                   size_t errlen) {
  if (!sr_str_empty(v)) return SR_OK;
  snprintf(err, errlen, "%s payload without '%s'", kind, name);
  return SR_EINVAL;
}

/* A JSON text that is an object (Cursor's MCP tool_input is one, as a
 * string); anything else is passed as a string. */
static bool is_object_text(sr_str s) {
  struct sr_json j;
  sr_json_init(&j, s.p, s.n, NULL, NULL, 0);
  return sr_json_peek(&j) == SR_JSON_OBJECT && sr_json_skip(&j, NULL) >= 0 &&
         sr_json_finish(&j) >= 0;
}

static void put_str(struct sr_buf *b, const char *key, sr_str v) {
  sr_buf_printf(b, ",\"%s\":", key);
  sr_buf_json_string(b, v);
}

int sr_hook_parse(enum sr_hook_kind kind, const char *payload, size_t len,
                  int64_t now_ms, struct sr_hook_request *req, char *err,
                  size_t errlen) {
  memset(req, 0, sizeof *req);
  if (len > SR_HOOK_EVENT_MAX / 2) {
    snprintf(err, errlen, "hook payload of %zu bytes exceeds %u", len,
             SR_HOOK_EVENT_MAX / 2);
    return SR_EBOUND;
  }
  size_t cap = SR_HOOK_EVENT_MAX;
  struct sr_arena *arena = sr_arena_create(2 * len + 4096);
  char *members_buf = malloc(cap), *out = malloc(cap);
  int rc = SR_ENOMEM;
  if (!arena || !members_buf || !out) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  struct fields f = {0};
  struct sr_buf members = sr_buf_init(members_buf, cap);
  rc = read_fields(kind, payload, len, arena, &f, &members, err, errlen);
  if (rc) goto done;

  struct sr_buf b = sr_buf_init(out, cap);
  sr_buf_puts(&b,
              "{\"type\":\"tool_call\",\"phase\":\"requested\","
              "\"want_verdict\":true");
  char call[SR_ID_MAX + 1];
  sr_str session = f.session_id, tool = f.tool_name;
  switch (kind) {
    case SR_HOOK_CLAUDE_CODE:
      if ((rc = require(f.session_id, "session_id", "Claude Code", err,
                        errlen)) ||
          (rc =
               require(f.tool_name, "tool_name", "Claude Code", err, errlen)) ||
          (rc = require(f.tool_use_id, "tool_use_id", "Claude Code", err,
                        errlen)))
        goto done;
      if (!sr_str_empty(f.hook_event_name) &&
          !sr_str_eq_cstr(f.hook_event_name, "PreToolUse")) {
        snprintf(err, errlen,
                 "hook_event_name is '%.*s': install the gate as a "
                 "PreToolUse hook",
                 (int)SR_MIN(f.hook_event_name.n, (size_t)64),
                 f.hook_event_name.p);
        rc = SR_EINVAL;
        goto done;
      }
      sr_str_copy(call, sizeof call, f.tool_use_id);
      sr_buf_puts(&b, ",\"agent_id\":\"claude-code\"");
      /* Claude Code's modes: plan forbids mutating calls; the others
       * (default, acceptEdits, dontAsk, bypassPermissions) do not. */
      sr_buf_printf(
          &b, ",\"mode\":\"%s\"",
          sr_str_eq_cstr(f.permission_mode, "plan") ? "plan" : "default");
      sr_buf_puts(&b, ",\"arguments\":");
      if (sr_str_empty(f.tool_input))
        sr_buf_puts(&b, "{}");
      else if (f.tool_input_is_string)
        sr_buf_json_string(&b, f.tool_input);
      else
        sr_buf_append(&b, f.tool_input.p, f.tool_input.n);
      break;
    case SR_HOOK_CURSOR: {
      session = f.conversation_id;
      if ((rc = require(f.conversation_id, "conversation_id", "Cursor", err,
                        errlen)))
        goto done;
      bool mcp =
          sr_str_eq_cstr(f.hook_event_name, "beforeMCPExecution") ||
          (sr_str_empty(f.hook_event_name) && !sr_str_empty(f.tool_name));
      bool shell =
          !mcp && (sr_str_eq_cstr(f.hook_event_name, "beforeShellExecution") ||
                   sr_str_empty(f.hook_event_name));
      if (!mcp && !shell) {
        snprintf(err, errlen,
                 "hook_event_name is '%.*s': install the gate for "
                 "beforeShellExecution or beforeMCPExecution",
                 (int)SR_MIN(f.hook_event_name.n, (size_t)64),
                 f.hook_event_name.p);
        rc = SR_EINVAL;
        goto done;
      }
      if ((rc = mcp ? require(f.tool_name, "tool_name", "Cursor MCP", err,
                              errlen)
                    : require(f.command, "command", "Cursor shell", err,
                              errlen)))
        goto done;
      uint64_t h = XXH3_64bits_withSeed(payload, len, (uint64_t)now_ms);
      snprintf(call, sizeof call, "cursor-%.*s-%016llx",
               (int)SR_MIN(f.generation_id.n, (size_t)64), f.generation_id.p,
               (unsigned long long)h);
      sr_buf_puts(&b, ",\"agent_id\":\"cursor\"");
      if (shell) {
        tool = SR_STR_LIT("run_terminal_cmd");
        sr_buf_puts(&b, ",\"arguments\":{\"command\":");
        sr_buf_json_string(&b, f.command);
        if (!sr_str_empty(f.cwd)) put_str(&b, "cwd", f.cwd);
        sr_buf_puts(&b, "}");
      } else {
        sr_buf_puts(&b, ",\"arguments\":");
        if (sr_str_empty(f.tool_input))
          sr_buf_puts(&b, "{}");
        else if (!f.tool_input_is_string || is_object_text(f.tool_input))
          sr_buf_append(&b, f.tool_input.p, f.tool_input.n);
        else
          sr_buf_json_string(&b, f.tool_input);
      }
      break;
    }
    case SR_HOOK_GENERIC:
      if ((rc = require(f.session_id, "session_id", "tool_call", err, errlen)))
        goto done;
      if (sr_str_empty(f.call_id))
        snprintf(call, sizeof call, "gate-%016llx",
                 (unsigned long long)XXH3_64bits_withSeed(payload, len,
                                                          (uint64_t)now_ms));
      else
        sr_str_copy(call, sizeof call, f.call_id);
      if (members.overflow) {
        rc = SR_EBOUND;
        snprintf(err, errlen, "event too large");
        goto done;
      }
      sr_buf_append(&b, members.p, members.len);
      break;
  }
  /* req->session is a C string: a NUL would cut the id the gate waits on
   * short of the one the event carries. */
  if (memchr(session.p, '\0', session.n)) {
    snprintf(err, errlen, "session id contains a NUL byte");
    rc = SR_EINVAL;
    goto done;
  }
  put_str(&b, "session_id", session);
  put_str(&b, "call_id", sr_str_from(call));
  if (kind != SR_HOOK_GENERIC) {
    put_str(&b, "tool", tool);
    if (!sr_str_empty(f.cwd) && kind == SR_HOOK_CLAUDE_CODE)
      put_str(&b, "cwd", f.cwd);
  }
  if (kind != SR_HOOK_GENERIC || sr_str_empty(f.ts_raw))
    sr_buf_printf(&b, ",\"ts_ms\":%lld", (long long)now_ms);
  sr_buf_puts(&b, "}");
  if (b.overflow || session.n > SR_SESSION_ID_MAX) {
    snprintf(err, errlen, "%s",
             b.overflow ? "event too large" : "session id too long");
    rc = SR_EBOUND;
    goto done;
  }
  sr_str_copy(req->session, sizeof req->session, session);
  sr_str_copy(req->call, sizeof req->call, sr_str_from(call));
  sr_str_copy(req->tool, sizeof req->tool, tool);
  req->deadline_ms = req->hold_ms = -1;
  req->plan_mode =
      kind == SR_HOOK_CLAUDE_CODE && sr_str_eq_cstr(f.permission_mode, "plan");
  req->event = out;
  req->event_len = b.len;
  out = NULL;
  rc = SR_OK;
done:
  free(out);
  free(members_buf);
  sr_arena_destroy(arena);
  return rc;
}

int sr_hook_exit_code(enum sr_action a) {
  switch (a) {
    case SR_ACTION_ESCALATE:
      return 3;
    case SR_ACTION_BLOCK:
      return 4;
    case SR_ACTION_KILL:
      return 5;
    default:
      return 0;
  }
}

/* As sr_action_name; repeated here so the lean hook binary need not link
 * the command module and protobuf-c. */
static const char *const action_names[] = {"NONE", "ALLOW", "ESCALATE", "BLOCK",
                                           "KILL"};

static const char *decision_word(enum sr_action a) {
  return a == SR_ACTION_ALLOW      ? "allow"
         : a == SR_ACTION_ESCALATE ? "ask"
                                   : "deny";
}

/* Whether a harness is left to its own rules (see hook.h): the gate lets
 * the call through, and an "allow" was not asked for, or would rest on no
 * verdict, or would lift plan mode. */
static bool no_decision(const struct sr_hook_answer_opts *o,
                        const struct sr_hook_request *req,
                        const struct sr_gate_verdict *v) {
  return v->action == SR_ACTION_ALLOW &&
         (!o->allow_skips_prompts || v->source != SR_VERDICT_COMMAND ||
          (req && req->plan_mode));
}

int sr_hook_answer(enum sr_hook_kind kind, const struct sr_hook_answer_opts *o,
                   const struct sr_hook_request *req,
                   const struct sr_gate_verdict *v, FILE *out, FILE *err_out) {
  char line[8192];
  struct sr_buf b = sr_buf_init(line, sizeof line);
  sr_str reason = sr_str_from(v->reason);
  bool silent = kind != SR_HOOK_GENERIC && no_decision(o, req, v);
  if (v->source != SR_VERDICT_COMMAND || silent)
    fprintf(err_out, "%s\n", v->reason);
  if (silent) {
    fflush(err_out);
    return 0;
  }
  switch (kind) {
    case SR_HOOK_CLAUDE_CODE:
      if (v->action >= SR_ACTION_BLOCK && o->exit2) {
        if (v->source == SR_VERDICT_COMMAND)
          fprintf(err_out, "%s\n", v->reason);
        return 2;
      }
      sr_buf_puts(&b,
                  "{\"hookSpecificOutput\":{\"hookEventName\":"
                  "\"PreToolUse\",\"permissionDecision\":\"");
      sr_buf_puts(&b, decision_word(v->action));
      sr_buf_puts(&b, "\",\"permissionDecisionReason\":");
      sr_buf_json_string(&b, reason);
      sr_buf_puts(&b, "}}");
      break;
    case SR_HOOK_CURSOR:
      sr_buf_printf(&b, "{\"permission\":\"%s\",\"user_message\":",
                    decision_word(v->action));
      sr_buf_json_string(&b, reason);
      sr_buf_puts(&b, ",\"agent_message\":");
      sr_buf_json_string(&b, reason);
      sr_buf_puts(&b, "}");
      break;
    case SR_HOOK_GENERIC:
      sr_buf_printf(&b, "{\"action\":\"%s\",\"source\":\"%s\",\"reason\":",
                    action_names[v->action <= SR_ACTION_KILL ? v->action : 0],
                    v->source == SR_VERDICT_COMMAND ? "verdict"
                    : v->source == SR_VERDICT_HELD  ? "held"
                                                    : "no-verdict");
      sr_buf_json_string(&b, reason);
      sr_buf_puts(&b, "}");
      break;
  }
  fprintf(out, "%s\n", line);
  fflush(out);
  return kind == SR_HOOK_GENERIC ? sr_hook_exit_code(v->action) : 0;
}
