/*
 * libFuzzer harness for the hook payload parsers of `stackrisk gate`
 * (enforce/hook.c): what a harness writes on the hook's stdin, parsed as
 * each of the three protocols (claude-code, cursor, generic), since a
 * payload reaches whichever one is installed.
 *
 * Checked besides sanitizer reports: a failure has a reason; a parsed call
 * has a session and a call id, and its event (the JSON line the gate
 * publishes) is one JSON object that the processor's decoder
 * reads as a requested tool_call with want_verdict for the same session and
 * call, or refuses with a reason (a bound, a field of the wrong type given
 * through generic); the same payload parses twice to the same event.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "enforce/hook.h"
#include "ingest/decode.h"
#include "ingest/json.h"
#include "tests/fuzz/fuzz_util.h"

static struct sr_arena *arena;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  arena = sr_arena_create(4 * SR_HOOK_EVENT_MAX);
  return 0;
}

static void one(enum sr_hook_kind kind, const char *payload, size_t len) {
  struct sr_hook_request req, req2;
  char err[512] = "", err2[512] = "";
  const int64_t now = 1776465697170LL;
  int rc = sr_hook_parse(kind, payload, len, now, &req, err, sizeof err);
  FZ_CHECK(rc == SR_OK || rc == SR_EINVAL || rc == SR_EBOUND, "rc %d", rc);
  int rc2 = sr_hook_parse(kind, payload, len, now, &req2, err2, sizeof err2);
  FZ_CHECK(rc == rc2, "parsed twice: %d then %d", rc, rc2);
  if (rc) {
    FZ_CHECK(err[0], "kind %d: failure without a reason", (int)kind);
    FZ_CHECK(strcmp(err, err2) == 0, "reasons differ");
    return;
  }
  FZ_CHECK(req.event_len == req2.event_len &&
               memcmp(req.event, req2.event, req.event_len) == 0,
           "parsed twice: other events");
  FZ_CHECK(req.session[0] && req.call[0], "kind %d: no session or call",
           (int)kind);
  FZ_CHECK(req.event_len <= SR_HOOK_EVENT_MAX, "event of %zu bytes",
           req.event_len);

  /* One JSON object, by the processor's own strict reader (which passes
   * invalid UTF-8 through, as the hook does: detectors match bytes). */
  struct sr_json j;
  sr_json_init(&j, req.event, req.event_len, NULL, err, sizeof err);
  FZ_CHECK(sr_json_peek(&j) == SR_JSON_OBJECT && sr_json_skip(&j, NULL) == 0 &&
               sr_json_finish(&j) == 0,
           "kind %d: event is not one JSON object: %s", (int)kind, err);

  /* What the gate publishes, as the processor (and the gate's own
   * fallback classifier) decodes it. */
  struct sr_event ev;
  const struct sr_decode_opts opts = {SR_HOOK_EVENT_MAX, 0};
  sr_arena_reset(arena);
  int drc = sr_decode_event(req.event, req.event_len, &opts, arena, &ev, err,
                            sizeof err);
  if (drc == 0) {
    FZ_CHECK(ev.type == SR_EV_TOOL_CALL && ev.phase == SR_PHASE_REQUESTED &&
                 ev.want_verdict,
             "kind %d: published event is not a requested tool_call",
             (int)kind);
    FZ_CHECK(sr_str_eq_cstr(ev.session_id, req.session),
             "kind %d: event for session '%.*s', gate waits on '%s'", (int)kind,
             (int)ev.session_id.n, ev.session_id.p, req.session);
    FZ_CHECK(sr_str_eq_cstr(ev.call_id, req.call),
             "kind %d: event for call '%.*s', gate waits on '%s'", (int)kind,
             (int)ev.call_id.n, ev.call_id.p, req.call);
  } else {
    FZ_CHECK(err[0], "decode failure without a reason");
    FZ_CHECK(kind == SR_HOOK_GENERIC || drc == SR_EBOUND,
             "kind %d: the gate publishes an event the processor refuses: %s",
             (int)kind, err);
  }
  sr_hook_request_clear(&req);
  sr_hook_request_clear(&req2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  one(SR_HOOK_CLAUDE_CODE, (const char *)data, size);
  one(SR_HOOK_CURSOR, (const char *)data, size);
  one(SR_HOOK_GENERIC, (const char *)data, size);
  return 0;
}
