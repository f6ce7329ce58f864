/*
 * JSON-lines decoder: every event type of events.md decodes onto sr_event,
 * and every bad line is rejected with a reason that names the field.
 */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/arena.h"
#include "ingest/decode.h"
#include "ingest/repartition.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

static struct sr_arena *arena;
static struct sr_event ev;
static char err[512];
static struct sr_decode_opts opts;

static void setup(void) {
  arena = sr_arena_create(1 << 20);
  opts =
      (struct sr_decode_opts){.max_message_bytes = 0, .fallback_ts_ms = 424242};
  memset(&ev, 0xAB, sizeof ev); /* the decoder must not rely on a clean event */
}

static void teardown(void) {
  sr_arena_destroy(arena);
}

static int dec_n(const char *s, size_t n) {
  sr_arena_reset(arena);
  err[0] = '\0';
  return sr_decode_json(s, n, &opts, arena, &ev, err, sizeof err);
}

static int dec(const char *s) {
  return dec_n(s, strlen(s));
}

#define ACCEPT(json) ck_assert_msg(dec(json) == 0, "rejected: %s", err)
#define REJECT(json, rc, msg)        \
  do {                               \
    ck_assert_int_eq(dec(json), rc); \
    ck_assert_str_eq(err, msg);      \
  } while (0)

#define EQ(view, lit)                                                   \
  ck_assert_msg(sr_str_eq_cstr((view), (lit)), "got '%.*s', want '%s'", \
                (int)(view).n, (view).p ? (view).p : "", (lit))

/* ---- success: one test per event type ---------------------------------- */

START_TEST(session_start_decodes) {
  ACCEPT(
      "{\"type\":\"session_start\",\"session_id\":\"s1\",\"event_id\":\"e1\","
      "\"ts_ms\":1795168800000,\"agent_id\":\"orch\",\"task\":\"fix staging\","
      "\"mode\":\"plan\",\"environment\":\"staging\","
      "\"scope\":{\"environments\":[\"staging\",\"dev\"],\"domains\":[\"a."
      "example\"],"
      "\"resources\":[\"railway:staging/*\"]},"
      "\"estimate\":{\"steps\":12,\"seconds\":600,\"cost_usd\":0.75}}");
  ck_assert_int_eq(ev.type, SR_EV_SESSION_START);
  EQ(ev.session_id, "s1");
  EQ(ev.event_id, "e1");
  ck_assert(ev.ts_ms == 1795168800000);
  ck_assert(ev.ts_given);
  EQ(ev.agent_id, "orch");
  EQ(ev.task, "fix staging");
  ck_assert_int_eq(ev.mode, SR_MODE_PLAN);
  EQ(ev.environment, "staging");
  ck_assert_uint_eq(ev.scope_environments.n, 2);
  EQ(ev.scope_environments.v[0], "staging");
  EQ(ev.scope_environments.v[1], "dev");
  ck_assert_uint_eq(ev.scope_domains.n, 1);
  EQ(ev.scope_domains.v[0], "a.example");
  ck_assert_uint_eq(ev.scope_resources.n, 1);
  EQ(ev.scope_resources.v[0], "railway:staging/*");
  ck_assert(ev.estimate.present);
  ck_assert(ev.estimate.steps == 12);
  ck_assert(ev.estimate.seconds == 600);
  ck_assert(ev.estimate.cost_usd == 0.75);
  ck_assert_int_eq(ev.phase, SR_PHASE_NONE);
  ck_assert(sr_str_empty(ev.credential.id));
  ck_assert_int_eq(ev.partition, -1);
  ck_assert(ev.offset == -1);
}
END_TEST

START_TEST(tool_call_decodes) {
  const char *line =
      "{\"type\":\"tool_call\",\"session_id\":\"s1\",\"ts_ms\":5,"
      "\"phase\":\"requested\",\"call_id\":\"c42\",\"tool\":\"railway."
      "volumeDelete\","
      "\"arguments\": {\"volumeId\": \"vol-prod-1\", \"force\": true} ,"
      "\"target\":{\"id\":\"vol-prod-1\",\"kind\":\"volume\","
      "\"environment\":\"production\",\"backups\":\"co-located\"},"
      "\"environment\":\"production\","
      "\"credential\":{\"id\":\"tok-7f3a\",\"scopes\":[\"*\"],"
      "\"purpose\":\"custom-domain management\",\"environments\":[\"staging\","
      "\"production\"]},\"want_verdict\":true,\"result\":\"\"}";
  ACCEPT(line);
  ck_assert_int_eq(ev.type, SR_EV_TOOL_CALL);
  ck_assert_int_eq(ev.phase, SR_PHASE_REQUESTED);
  EQ(ev.call_id, "c42");
  EQ(ev.tool, "railway.volumeDelete");
  /* an object argument is its exact JSON text, borrowed from the line */
  EQ(ev.arguments, "{\"volumeId\": \"vol-prod-1\", \"force\": true}");
  ck_assert(ev.arguments.p >= line && ev.arguments.p < line + strlen(line));
  EQ(ev.target.id, "vol-prod-1");
  EQ(ev.target.kind, "volume");
  EQ(ev.target.environment, "production");
  ck_assert_int_eq(ev.target.backups, SR_BACKUPS_CO_LOCATED);
  EQ(ev.environment, "production");
  EQ(ev.credential.id, "tok-7f3a");
  ck_assert(ev.credential.scopes_given);
  ck_assert_uint_eq(ev.credential.scopes.n, 1);
  EQ(ev.credential.scopes.v[0], "*");
  EQ(ev.credential.purpose, "custom-domain management");
  ck_assert_uint_eq(ev.credential.environments.n, 2);
  EQ(ev.credential.environments.v[1], "production");
  ck_assert(ev.want_verdict);
  ck_assert(sr_str_empty(ev.result));
  /* no escapes anywhere: nothing but the event id went to the arena */
  ck_assert_uint_le(sr_arena_used(arena), 32);
}
END_TEST

START_TEST(agent_message_decodes) {
  ACCEPT(
      "{\"type\":\"agent_message\",\"session_id\":\"s1\",\"agent_id\":\"sub-"
      "1\","
      "\"parent_agent_id\":\"orch\",\"role\":\"subagent\","
      "\"text\":\"backups live on the same volume\","
      "\"estimate\":{\"steps\":3},\"cost_usd\":0.42}");
  ck_assert_int_eq(ev.type, SR_EV_AGENT_MESSAGE);
  ck_assert_double_eq(ev.cost_usd, 0.42);
  EQ(ev.agent_id, "sub-1");
  EQ(ev.parent_agent_id, "orch");
  EQ(ev.role, "subagent");
  EQ(ev.text, "backups live on the same volume");
  ck_assert(ev.estimate.present);
  ck_assert(ev.estimate.steps == 3);
  ck_assert(ev.estimate.seconds == 0);
}
END_TEST

START_TEST(file_access_decodes) {
  ACCEPT(
      "{\"type\":\"file_access\",\"session_id\":\"s1\",\"path\":\"/repo/.env\","
      "\"op\":\"read\",\"credentials_found\":[\"tok-1\",\"tok-2\"]}");
  ck_assert_int_eq(ev.type, SR_EV_FILE_ACCESS);
  EQ(ev.path, "/repo/.env");
  EQ(ev.op, "read");
  ck_assert_uint_eq(ev.credentials_found.n, 2);
  EQ(ev.credentials_found.v[0], "tok-1");
  EQ(ev.credentials_found.v[1], "tok-2");
}
END_TEST

START_TEST(approval_decodes) {
  ACCEPT(
      "{\"type\":\"approval\",\"session_id\":\"s1\",\"call_id\":\"c42\","
      "\"decision\":\"Approve\",\"approver\":\"oncall@example.com\"}");
  ck_assert_int_eq(ev.type, SR_EV_APPROVAL);
  EQ(ev.call_id, "c42");
  EQ(ev.decision, "approve"); /* canonical spelling */
  EQ(ev.approver, "oncall@example.com");
  ACCEPT("{\"type\":\"approval\",\"session_id\":\"s1\",\"decision\":\"deny\"}");
  EQ(ev.decision, "deny");
}
END_TEST

START_TEST(fixture_session_decodes) {
  char path[512];
  snprintf(path, sizeof path, "%s/decode/session.jsonl", SR_TEST_DATA);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char line[8192];
  int n = 0;
  enum sr_event_type want[] = {SR_EV_SESSION_START, SR_EV_FILE_ACCESS,
                               SR_EV_AGENT_MESSAGE, SR_EV_TOOL_CALL,
                               SR_EV_APPROVAL,      SR_EV_TOOL_CALL};
  while (fgets(line, sizeof line, f)) {
    ck_assert_msg(dec(line) == 0, "line %d: %s", n + 1, err);
    ck_assert_int_lt(n, 6);
    ck_assert_int_eq(ev.type, want[n]);
    EQ(ev.session_id, "sess-pocketos-1");
    n++;
  }
  fclose(f);
  ck_assert_int_eq(n, 6);
  /* the last line: bare credential id, no event id, failed phase */
  EQ(ev.credential.id, "railway-cli-token-7f3a");
  ck_assert(!ev.credential.scopes_given);
  ck_assert_uint_eq(ev.event_id.n, 32);
  ck_assert_int_eq(ev.phase, SR_PHASE_FAILED);
}
END_TEST

/* ---- success: details ---------------------------------------------------- */

START_TEST(escapes_and_unicode) {
  ACCEPT(
      "{\"type\":\"agent_message\",\"session_id\":\"s\\u00e9\\ud83d\\ude00\","
      "\"text\":\"line1\\nline2 \\\"quoted\\\" \\u20ac \\\\ end\","
      "\"role\":\"\xc3\xa9l\xc3\xa8ve\"}");
  EQ(ev.session_id, "s\xC3\xA9\xF0\x9F\x98\x80");
  EQ(ev.text, "line1\nline2 \"quoted\" \xE2\x82\xAC \\ end");
  EQ(ev.role, "\xc3\xa9l\xc3\xa8ve"); /* raw UTF-8 stays a view */
}
END_TEST

START_TEST(arguments_object_array_or_string) {
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":\"Bash\","
      "\"arguments\":\"rm -rf /tmp/x \\u0026\\u0026 echo \\\"done\\\"\"}");
  EQ(ev.arguments, "rm -rf /tmp/x && echo \"done\"");
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"arguments\":[\"DROP\","
      "{\"table\":\"users\"}]}");
  EQ(ev.arguments, "[\"DROP\",{\"table\":\"users\"}]");
  /* escapes inside an object argument stay as written: it is JSON text */
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"arguments\":{\"cmd\":"
      "\"a\\nb\"}}");
  EQ(ev.arguments, "{\"cmd\":\"a\\nb\"}");
}
END_TEST

START_TEST(credential_string_or_object) {
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":\"tok-1\"}");
  EQ(ev.credential.id, "tok-1");
  ck_assert(!ev.credential.scopes_given);
  ck_assert_uint_eq(ev.credential.scopes.n, 0);

  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{\"id\":"
      "\"tok-1\",\"purpose\":\"dns\"}}");
  EQ(ev.credential.id, "tok-1");
  EQ(ev.credential.purpose, "dns");
  ck_assert(!ev.credential.scopes_given);

  /* an explicit empty scope list means "can do nothing", not "look it up" */
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{\"id\":"
      "\"tok-1\",\"scopes\":[]}}");
  ck_assert(ev.credential.scopes_given);
  ck_assert_uint_eq(ev.credential.scopes.n, 0);
}
END_TEST

START_TEST(enum_spellings) {
  static const struct {
    const char *word;
    enum sr_mode mode;
  } modes[] = {
      {"default", SR_MODE_DEFAULT},     {"plan", SR_MODE_PLAN},
      {"read_only", SR_MODE_READ_ONLY}, {"read-only", SR_MODE_READ_ONLY},
      {"readonly", SR_MODE_READ_ONLY},  {"READ_ONLY", SR_MODE_READ_ONLY}};
  static const struct {
    const char *word;
    enum sr_backups b;
  } backups[] = {{"co-located", SR_BACKUPS_CO_LOCATED},
                 {"co_located", SR_BACKUPS_CO_LOCATED},
                 {"colocated", SR_BACKUPS_CO_LOCATED},
                 {"off-site", SR_BACKUPS_OFF_SITE},
                 {"off_site", SR_BACKUPS_OFF_SITE},
                 {"offsite", SR_BACKUPS_OFF_SITE},
                 {"none", SR_BACKUPS_NONE}};
  char line[256];
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
    snprintf(
        line, sizeof line,
        "{\"type\":\"session_start\",\"session_id\":\"s\",\"mode\":\"%s\"}",
        modes[i].word);
    ACCEPT(line);
    ck_assert_int_eq(ev.mode, modes[i].mode);
  }
  for (size_t i = 0; i < sizeof backups / sizeof *backups; i++) {
    snprintf(line, sizeof line,
             "{\"type\":\"tool_call\",\"session_id\":\"s\",\"target\":{"
             "\"backups\":\"%s\"}}",
             backups[i].word);
    ACCEPT(line);
    ck_assert_int_eq(ev.target.backups, backups[i].b);
  }
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"phase\":\"completed\"}");
  ck_assert_int_eq(ev.phase, SR_PHASE_COMPLETED);
  ACCEPT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"phase\":\"failed\"}");
  ck_assert_int_eq(ev.phase, SR_PHASE_FAILED);
  ACCEPT("{\"type\":\"TOOL_CALL\",\"session_id\":\"s\"}");
  ck_assert_int_eq(ev.type, SR_EV_TOOL_CALL);
}
END_TEST

START_TEST(event_time) {
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":\"2026-11-20T10:00:"
      "00Z\"}");
  ck_assert(ev.ts_given);
  ck_assert(ev.ts_ms == 1795168800000);
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":"
      "\"2026-11-20T10:00:00.250+02:00\"}");
  ck_assert(ev.ts_ms == 1795161600250);
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":"
      "\"2024-02-29t23:59:59.999999-05:30\"}");
  ck_assert(ev.ts_ms == 1709270999999);
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":\"1969-12-31 "
      "23:59:59z\"}");
  ck_assert(ev.ts_ms == -1000);
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":\"2026-11-20T10:00:"
      "00.5Z\"}");
  ck_assert(ev.ts_ms == 1795168800500);

  /* ts_ms wins over ts, in either order */
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts_ms\":7,\"ts\":"
      "\"2026-11-20T10:00:00Z\"}");
  ck_assert(ev.ts_ms == 7);
  ACCEPT(
      "{\"type\":\"tool_call\",\"ts\":\"2026-11-20T10:00:00Z\",\"session_id\":"
      "\"s\",\"ts_ms\":7}");
  ck_assert(ev.ts_ms == 7);
  /* integral numbers in float notation are integers */
  ACCEPT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts_ms\":1.7e12}");
  ck_assert(ev.ts_ms == 1700000000000);

  /* neither: the fallback clock, flagged */
  ACCEPT("{\"type\":\"tool_call\",\"session_id\":\"s\"}");
  ck_assert(!ev.ts_given);
  ck_assert(ev.ts_ms == 424242);
}
END_TEST

START_TEST(unknown_fields_and_nulls_are_ignored) {
  ACCEPT(
      "{\"v\":2,\"type\":\"tool_call\",\"extra\":{\"deep\":[1,{\"x\":[null,"
      "true,\"}\"]}]},\"session_id\":\"s\",\"agent_id\":null,\"target\":{"
      "\"region\":\"eu\",\"id\":\"db-1\",\"tags\":[\"a\"]},\"tool\":\"psql\","
      "\"credential\":null,\"scope\":null}");
  EQ(ev.session_id, "s");
  EQ(ev.tool, "psql");
  EQ(ev.target.id, "db-1");
  ck_assert(sr_str_empty(ev.agent_id));
  ck_assert(sr_str_empty(ev.credential.id));
}
END_TEST

START_TEST(keys_are_matched_whole) {
  /* Keys are recognised by their first bytes and then the whole `name":`:
   * a longer key that opens like a known one, a known one's prefix, and a
   * key spelled with an escape must each be read as what they are. */
  ACCEPT(
      "{\"typex\":\"approval\",\"type\":\"tool_call\",\"typ\":\"x\","
      "\"session_id\":\"s\",\"ts_msx\":5,\"ts_m\":6,\"tool_name\":\"X\","
      "\"tool\":\"Bash\",\"credentialsfound\":[\"z\"],"
      "\"credentials_found\":[\"a\",\"b\"],\"credential\":\"tok\","
      "\"op\":\"read\",\"o\":1,\"opx\":2}");
  ck_assert_int_eq(ev.type, SR_EV_TOOL_CALL);
  ck_assert(!ev.ts_given);
  EQ(ev.tool, "Bash");
  ck_assert_uint_eq(ev.credentials_found.n, 2);
  EQ(ev.credentials_found.v[1], "b");
  EQ(ev.credential.id, "tok");
  EQ(ev.op, "read");
  ACCEPT("{\"typ\\u0065\":\"approval\",\"session_id\":\"s\"}");
  ck_assert_int_eq(ev.type, SR_EV_APPROVAL);
  /* The last member, too close to the end for the compact read. */
  ACCEPT(
      "{\"session_id\":\"s\",\"ts\":\"2026-11-20T10:00:00Z\",\"o\":1,"
      "\"type\":\"approval\"}");
  ck_assert_int_eq(ev.type, SR_EV_APPROVAL);
  REJECT("{\"session_id\":\"s\",\"type\":\"approval\",\"op\":1}", SR_EINVAL,
         "field 'op': expected a string, got number");
}
END_TEST

/* Compact events whose last byte falls at every offset of a 64-byte block,
 * in buffers of exactly their size (so that the sanitizer sees any read
 * past the end): the compact key, string, skip and unescape paths all run
 * into the end at some offset, and every field still comes out whole. */
START_TEST(events_end_at_every_offset) {
  char pad[80], line[512];
  for (int k = 0; k < 64; k++) {
    memset(pad, 'p', (size_t)k);
    pad[k] = '\0';
    for (int shape = 0; shape < 3; shape++) {
      int n;
      if (shape == 0) {
        n = snprintf(line, sizeof line,
                     "{\"type\":\"tool_call\",\"session_id\":\"s-%s\","
                     "\"ts_ms\":1790000000123,\"phase\":\"completed\","
                     "\"tool\":\"Bash\",\"arguments\":{\"command\":\"ls %s\"},"
                     "\"result\":\"a\\nb\\\"%s\"}",
                     pad, pad, pad);
      } else if (shape == 1) {
        n = snprintf(line, sizeof line,
                     "{\"type\":\"file_access\",\"session_id\":\"s-%s\","
                     "\"path\":\"src/%s\",\"op\":\"read\"}",
                     pad, pad);
      } else {
        n = snprintf(line, sizeof line,
                     "{\"session_id\":\"s-%s\",\"type\":\"tool_call\","
                     "\"credential\":{\"id\":\"c%s\",\"scopes\":[\"db:%s\"]}}",
                     pad, pad, pad);
      }
      char *b = malloc((size_t)n);
      memcpy(b, line, (size_t)n);
      int rc = dec_n(b, (size_t)n);
      ck_assert_msg(rc == 0, "shape %d pad %d: %s", shape, k, err);
      ck_assert_uint_eq(ev.session_id.n, (size_t)k + 2);
      if (shape == 0) {
        ck_assert(ev.ts_ms == 1790000000123);
        ck_assert_int_eq(ev.phase, SR_PHASE_COMPLETED);
        ck_assert_uint_eq(ev.arguments.n, (size_t)k + 17);
        ck_assert_uint_eq(ev.result.n, (size_t)k + 4);
        ck_assert(memcmp(ev.result.p, "a\nb\"", 4) == 0);
      } else if (shape == 1) {
        ck_assert_uint_eq(ev.path.n, (size_t)k + 4);
        EQ(ev.op, "read");
      } else {
        ck_assert_uint_eq(ev.credential.id.n, (size_t)k + 1);
        ck_assert_uint_eq(ev.credential.scopes.n, 1);
        ck_assert_uint_eq(ev.credential.scopes.v[0].n, (size_t)k + 3);
      }
      free(b);
    }
  }
}
END_TEST

START_TEST(event_id_hashes_the_bytes) {
  static const char hex[] = "0123456789abcdef";
  const char *a =
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":\"Bash\"}";
  const char *b =
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":\"bash\"}";
  const char *a2 =
      "{\"type\":\"tool_call\", \"session_id\":\"s\",\"tool\":\"Bash\"}";
  char id_a[33], id_b[33], id_a2[33], want[33];

  ACCEPT(a);
  ck_assert_uint_eq(ev.event_id.n, 32);
  memcpy(id_a, ev.event_id.p, 32);
  id_a[32] = '\0';
  for (int i = 0; i < 32; i++) ck_assert(strchr(hex, id_a[i]) != NULL);

  /* it is XXH3-128 of the message bytes, canonical (big-endian) hex */
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(a, strlen(a)));
  for (int i = 0; i < 16; i++) {
    want[2 * i] = hex[c.digest[i] >> 4];
    want[2 * i + 1] = hex[c.digest[i] & 15];
  }
  want[32] = '\0';
  ck_assert_str_eq(id_a, want);

  ACCEPT(a); /* same bytes, same id */
  ck_assert(memcmp(ev.event_id.p, id_a, 32) == 0);
  ACCEPT(b);
  memcpy(id_b, ev.event_id.p, 32);
  id_b[32] = '\0';
  ck_assert_str_ne(id_a, id_b);
  ACCEPT(a2); /* whitespace is part of the bytes */
  memcpy(id_a2, ev.event_id.p, 32);
  id_a2[32] = '\0';
  ck_assert_str_ne(id_a, id_a2);

  /* a given id is kept as is; an empty one is replaced */
  ACCEPT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"event_id\":\"evt-1\"}");
  EQ(ev.event_id, "evt-1");
  ACCEPT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"event_id\":\"\"}");
  ck_assert_uint_eq(ev.event_id.n, 32);
}
END_TEST

START_TEST(raw_is_the_input) {
  const char *line = "  {\"type\":\"approval\",\"session_id\":\"s\"}\n";
  ACCEPT(line);
  ck_assert_ptr_eq(ev.raw.p, line);
  ck_assert_uint_eq(ev.raw.n, strlen(line));
}
END_TEST

START_TEST(strings_at_their_bounds_are_accepted) {
  char *line = malloc(SR_TEXT_MAX + 6 * SR_SESSION_ID_MAX + 128);
  /* a session id of exactly the bound, written with escapes (longer raw) */
  size_t n = (size_t)sprintf(line, "{\"type\":\"tool_call\",\"session_id\":\"");
  for (int i = 0; i < SR_SESSION_ID_MAX; i++)
    n += (size_t)sprintf(line + n, "\\u0061");
  n += (size_t)sprintf(line + n, "\",\"text\":\"");
  memset(line + n, 'x', SR_TEXT_MAX);
  n += SR_TEXT_MAX;
  strcpy(line + n, "\"}");
  ACCEPT(line);
  ck_assert_uint_eq(ev.session_id.n, SR_SESSION_ID_MAX);
  ck_assert_uint_eq(ev.text.n, SR_TEXT_MAX);
  free(line);
}
END_TEST

/* ---- rejections ---------------------------------------------------------- */

START_TEST(not_an_object) {
  REJECT("[{\"type\":\"tool_call\"}]", SR_EINVAL, "not a JSON object");
  REJECT("\"tool_call\"", SR_EINVAL, "not a JSON object");
  REJECT("42", SR_EINVAL, "not a JSON object");
  REJECT("", SR_EINVAL, "not a JSON object");
  REJECT("   \n", SR_EINVAL, "not a JSON object");
}
END_TEST

START_TEST(invalid_json_at_several_spots) {
  REJECT("{\"type\":\"tool_call\" \"session_id\":\"s\"}", SR_EINVAL,
         "invalid JSON at byte 20: expected ',' or '}'");
  REJECT("{\"type\" \"tool_call\"}", SR_EINVAL,
         "invalid JSON at byte 8: expected ':'");
  REJECT("{\"type\":}", SR_EINVAL, "invalid JSON at byte 8: expected a value");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\"", SR_EINVAL,
         "invalid JSON at byte 36: unexpected end of input");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s", SR_EINVAL,
         "invalid JSON at byte 35: unterminated string");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\"} {}", SR_EINVAL,
         "invalid JSON at byte 38: unexpected data after the value");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",}", SR_EINVAL,
         "invalid JSON at byte 37: expected a string key");
  REJECT("{\"type\":\"tool\\qcall\"}", SR_EINVAL,
         "invalid JSON at byte 13: invalid escape");
  REJECT("{\"session_id\":\"a\tb\"}", SR_EINVAL,
         "invalid JSON at byte 16: control character in string");
  REJECT("{\"session_id\":\"\\udc00\"}", SR_EINVAL,
         "invalid JSON at byte 15: lone surrogate in \\u escape");
  REJECT("{\"ts_ms\":012}", SR_EINVAL,
         "invalid JSON at byte 10: expected ',' or '}'");
  /* past a skipped arguments object and a nested credential object, which
   * the fast path hands to the general reader and takes back */
  REJECT(
      "{\"arguments\":{\"a\":1},\"credential\":{\"id\":\"c\"},\"tool\":\"t\" "
      "\"x\"}",
      SR_EINVAL, "invalid JSON at byte 56: expected ',' or '}'");
  /* inside a skipped unknown field, too */
  REJECT("{\"x\":[1,2,{\"a\":}],\"type\":\"tool_call\"}", SR_EINVAL,
         "invalid JSON at byte 15: expected a value");
  /* a value of the wrong type that is not even JSON: the syntax is the fault */
  REJECT("{\"tool\":tru}", SR_EINVAL,
         "invalid JSON at byte 8: invalid literal");
}
END_TEST

START_TEST(missing_or_unknown_type) {
  REJECT("{\"session_id\":\"s\"}", SR_EINVAL, "missing 'type'");
  REJECT("{\"session_id\":\"s\",\"type\":null}", SR_EINVAL, "missing 'type'");
  REJECT("{\"type\":\"foo\",\"session_id\":\"s\"}", SR_EINVAL,
         "field 'type': unknown event type 'foo'");
  REJECT("{\"type\":\"\",\"session_id\":\"s\"}", SR_EINVAL,
         "field 'type': unknown event type ''");
  REJECT("{\"type\":5,\"session_id\":\"s\"}", SR_EINVAL,
         "field 'type': expected a string, got number");
}
END_TEST

START_TEST(missing_session_id) {
  REJECT("{\"type\":\"tool_call\"}", SR_EINVAL, "missing 'session_id'");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"\"}", SR_EINVAL,
         "missing 'session_id'");
  REJECT("{\"type\":\"tool_call\",\"session_id\":null}", SR_EINVAL,
         "missing 'session_id'");
  /* a key that merely resembles it does not count */
  REJECT("{\"type\":\"tool_call\",\"sessionId\":\"s\"}", SR_EINVAL,
         "missing 'session_id'");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"a\",\"session_id\":\"b\"}",
         SR_EINVAL, "field 'session_id': given more than once");
}
END_TEST

/* \u0000 is refused in any string, as the protobuf decoder refuses a NUL:
 * a command for session "victim\u0000x" would otherwise carry, and sign,
 * session "victim" in C strings, and an enforcement point waiting on that
 * session's call would take it as its verdict. */
START_TEST(nul_in_a_string_is_refused) {
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"victim\\u0000x\","
      "\"phase\":\"requested\",\"call_id\":\"toolu_1\",\"tool\":\"Read\"}",
      SR_EINVAL, "a string contains a NUL byte (\\u0000)");
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"phase\":\"requested\","
      "\"call_id\":\"toolu_1\\u0000\",\"tool\":\"Read\"}",
      SR_EINVAL, "a string contains a NUL byte (\\u0000)");
  REJECT(
      "{\"type\":\"agent_message\",\"session_id\":\"s\","
      "\"text\":\"ok\\u0000; rm -rf /\"}",
      SR_EINVAL, "a string contains a NUL byte (\\u0000)");
  /* other escapes, and an escaped backslash before a literal u0000, pass */
  ACCEPT(
      "{\"type\":\"agent_message\",\"session_id\":\"s\","
      "\"text\":\"a\\\\u0000 \\u0001\"}");
  EQ(ev.text, "a\\u0000 \x01");
}
END_TEST

START_TEST(wrong_field_types) {
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts_ms\":"
      "\"1700000000000\"}",
      SR_EINVAL, "field 'ts_ms': expected an integer, got string");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts_ms\":1.5}",
         SR_EINVAL, "field 'ts_ms': expected an integer, got 1.5");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts_ms\":1e30}",
         SR_EINVAL, "field 'ts_ms': integer 1e30 out of range");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":42}", SR_EINVAL,
         "field 'tool': expected a string, got number");
  REJECT("{\"type\":\"tool_call\",\"session_id\":{\"id\":\"s\"}}", SR_EINVAL,
         "field 'session_id': expected a string, got object");
  REJECT(
      "{\"type\":\"file_access\",\"session_id\":\"s\",\"credentials_found\":["
      "\"a\",true]}",
      SR_EINVAL,
      "field 'credentials_found[1]': expected a string, got boolean");
  REJECT(
      "{\"type\":\"file_access\",\"session_id\":\"s\",\"credentials_found\":"
      "\"a\"}",
      SR_EINVAL,
      "field 'credentials_found': expected a list of strings, got string");
  REJECT(
      "{\"type\":\"session_start\",\"session_id\":\"s\",\"scope\":{\"domains\":"
      "[false]}}",
      SR_EINVAL, "field 'scope.domains[0]': expected a string, got boolean");
  REJECT(
      "{\"type\":\"session_start\",\"session_id\":\"s\",\"scope\":[\"staging\"]"
      "}",
      SR_EINVAL, "field 'scope': expected an object, got array");
  REJECT(
      "{\"type\":\"session_start\",\"session_id\":\"s\",\"estimate\":{"
      "\"steps\":\"12\"}}",
      SR_EINVAL, "field 'estimate.steps': expected an integer, got string");
  REJECT(
      "{\"type\":\"session_start\",\"session_id\":\"s\",\"estimate\":{"
      "\"cost_usd\":\"$3\"}}",
      SR_EINVAL, "field 'estimate.cost_usd': expected a number, got string");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"cost_usd\":\"0.42\"}",
         SR_EINVAL, "field 'cost_usd': expected a number, got string");
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"target\":{\"backups\":1}"
      "}",
      SR_EINVAL, "field 'target.backups': expected a string, got number");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"target\":\"vol-1\"}",
         SR_EINVAL, "field 'target': expected an object, got string");
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"want_verdict\":\"yes\"}",
      SR_EINVAL, "field 'want_verdict': expected a boolean, got string");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"arguments\":7}",
         SR_EINVAL,
         "field 'arguments': expected an object or a string, got number");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":[\"t\"]}",
         SR_EINVAL,
         "field 'credential': expected an object or a string, got array");
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{\"scopes\":"
      "\"*\"}}",
      SR_EINVAL,
      "field 'credential.scopes': expected a list of strings, got string");
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{\"id\":"
      "12}}",
      SR_EINVAL, "field 'credential.id': expected a string, got number");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":1795168800}",
         SR_EINVAL, "field 'ts': expected an RFC 3339 string, got number");
}
END_TEST

START_TEST(cost_must_be_an_amount) {
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"cost_usd\":-0.5}",
         SR_EINVAL,
         "field 'cost_usd': expected an amount in USD from 0 to 1e+09");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"cost_usd\":2e9}",
         SR_EINVAL,
         "field 'cost_usd': expected an amount in USD from 0 to 1e+09");
  ACCEPT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"cost_usd\":0}");
  ck_assert_double_eq(ev.cost_usd, 0);
  ACCEPT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"cost_usd\":1e9}");
}
END_TEST

START_TEST(unknown_enum_values) {
  REJECT("{\"type\":\"session_start\",\"session_id\":\"s\",\"mode\":\"yolo\"}",
         SR_EINVAL, "field 'mode': unknown mode 'yolo'");
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"phase\":\"started\"}",
         SR_EINVAL, "field 'phase': unknown phase 'started'");
  REJECT(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"target\":{\"backups\":"
      "\"tape\"}}",
      SR_EINVAL, "field 'target.backups': unknown backups location 'tape'");
  REJECT("{\"type\":\"approval\",\"session_id\":\"s\",\"decision\":\"maybe\"}",
         SR_EINVAL, "field 'decision': unknown decision 'maybe'");
  /* values are quoted printable and short in the reason */
  REJECT("{\"type\":\"tool\\n_call\\u0000\",\"session_id\":\"s\"}", SR_EINVAL,
         "field 'type': unknown event type 'tool?_call?'");
}
END_TEST

/* Every enum word, exactly spelled (matched quotes and all in the sixteen
 * bytes at the value when the line has that many left, by the string read
 * otherwise) and in other cases, in the middle and at the end of a line;
 * one byte more or one less is an unknown word. */
START_TEST(enum_words_at_any_place) {
  static const struct {
    const char *line; /* %s: the value, then the rest of the line */
    const char *reason;
    const char *words[8];
    int values[8];
  } kinds[] = {
      {"{\"type\":\"%s\",\"session_id\":\"s\"%s}",
       "field 'type': unknown event type",
       {"tool_call", "agent_message", "session_start", "file_access",
        "approval", "Tool_Call"},
       {SR_EV_TOOL_CALL, SR_EV_AGENT_MESSAGE, SR_EV_SESSION_START,
        SR_EV_FILE_ACCESS, SR_EV_APPROVAL, SR_EV_TOOL_CALL}},
      {"{\"type\":\"session_start\",\"session_id\":\"s\",\"mode\":\"%s\"%s}",
       "field 'mode': unknown mode",
       {"default", "plan", "read_only", "read-only", "readonly", "READ_ONLY",
        "Plan"},
       {SR_MODE_DEFAULT, SR_MODE_PLAN, SR_MODE_READ_ONLY, SR_MODE_READ_ONLY,
        SR_MODE_READ_ONLY, SR_MODE_READ_ONLY, SR_MODE_PLAN}},
      {"{\"type\":\"tool_call\",\"session_id\":\"s\",\"phase\":\"%s\"%s}",
       "field 'phase': unknown phase",
       {"requested", "completed", "failed", "COMPLETED"},
       {SR_PHASE_REQUESTED, SR_PHASE_COMPLETED, SR_PHASE_FAILED,
        SR_PHASE_COMPLETED}},
      {"{\"type\":\"tool_call\",\"session_id\":\"s\",\"target\":{"
       "\"backups\":\"%s\"%s}}",
       "field 'target.backups': unknown backups location",
       {"co-located", "co_located", "colocated", "off-site", "off_site",
        "offsite", "none", "CO_LOCATED"},
       {SR_BACKUPS_CO_LOCATED, SR_BACKUPS_CO_LOCATED, SR_BACKUPS_CO_LOCATED,
        SR_BACKUPS_OFF_SITE, SR_BACKUPS_OFF_SITE, SR_BACKUPS_OFF_SITE,
        SR_BACKUPS_NONE, SR_BACKUPS_CO_LOCATED}},
  };
  static const char *const rests[] = {"", ",\"agent_id\":\"agent-1\""};
  for (size_t k = 0; k < SR_ARRAY_LEN(kinds); k++) {
    for (size_t i = 0; i < 8 && kinds[k].words[i]; i++) {
      const char *w = kinds[k].words[i];
      for (size_t r = 0; r < SR_ARRAY_LEN(rests); r++) {
        char line[512], val[64], want[256];
        sprintf(line, kinds[k].line, w, rests[r]);
        ACCEPT(line);
        int got = k == 0   ? (int)ev.type
                  : k == 1 ? (int)ev.mode
                  : k == 2 ? (int)ev.phase
                           : (int)ev.target.backups;
        ck_assert_msg(got == kinds[k].values[i], "%s: %d", line, got);
        for (int more = 0; more < 2; more++) { /* "wordx", then "wor" */
          size_t n = strlen(w);
          if (more) {
            sprintf(val, "%sx", w);
          } else {
            sprintf(val, "%.*s", (int)n - 1, w);
          }
          sprintf(line, kinds[k].line, val, rests[r]);
          sprintf(want, "%s '%s'", kinds[k].reason, val);
          REJECT(line, SR_EINVAL, want);
        }
      }
    }
  }
}
END_TEST

/* Keys of thirteen bytes or more (read by the general path, not by their
 * lead) and keys that only open like them, mid-line and at the end. */
START_TEST(long_keys_and_their_look_alikes) {
  static const char *const rests[] = {"", ",\"agent_id\":\"agent-1\""};
  for (size_t r = 0; r < SR_ARRAY_LEN(rests); r++) {
    char line[512];
    sprintf(
        line,
        "{\"type\":\"file_access\",\"session_id\":\"s\",\"parent_agent_id\":"
        "\"lead\",\"credentials_found\":[\"aws-prod\"]%s}",
        rests[r]);
    ACCEPT(line);
    EQ(ev.parent_agent_id, "lead");
    ck_assert_uint_eq(ev.credentials_found.n, 1);
    EQ(ev.credentials_found.v[0], "aws-prod");
    sprintf(
        line,
        "{\"type\":\"file_access\",\"session_id\":\"s\",\"parent_agent_idx\":"
        "\"lead\",\"credentials_foundx\":[\"aws-prod\"]%s}",
        rests[r]);
    ACCEPT(line);
    ck_assert_uint_eq(ev.parent_agent_id.n, 0);
    ck_assert_uint_eq(ev.credentials_found.n, 0);
  }
}
END_TEST

START_TEST(bad_rfc3339) {
  static const char *bad[] = {"2026-13-01T00:00:00Z",
                              "2026-02-29T00:00:00Z", /* not a leap year */
                              "2026-11-31T00:00:00Z",
                              "2026-11-20T24:00:00Z",
                              "2026-11-20T10:60:00Z",
                              "2026-11-20T10:00:61Z",
                              "2026-11-20T10:00:00",
                              "2026-11-20T10:00:00.Z",
                              "2026-11-20T10:00:00+2:00",
                              "2026-11-20T10:00:00+02:60",
                              "2026-11-20T10:00:00Zjunk",
                              "2026-11-20X10:00:00Z",
                              "26-11-20T10:00:00Z",
                              "yesterday",
                              "",
                              "2026-11-20",
                              "2026-11-20T10:00:00+0200",
                              "2026/11/20T10:00:00Z"};
  char line[256], want[256];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(line, sizeof line,
             "{\"type\":\"tool_call\",\"session_id\":\"s\",\"ts\":\"%s\"}",
             bad[i]);
    snprintf(want, sizeof want, "field 'ts': invalid RFC 3339 time '%s'",
             bad[i]);
    REJECT(line, SR_EINVAL, want);
  }
}
END_TEST

START_TEST(oversize_message) {
  opts.max_message_bytes = 40;
  REJECT("{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":\"Bash\"}",
         SR_EBOUND, "message of 51 bytes exceeds the limit of 40");
  /* the default limit applies when none is configured */
  opts.max_message_bytes = 0;
  size_t n = SR_MESSAGE_MAX_DEFAULT + 1;
  char *big = malloc(n);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  ck_assert_int_eq(dec_n(big, n), SR_EBOUND);
  ck_assert_str_eq(err,
                   "message of 1048577 bytes exceeds the limit of 1048576");
  ck_assert_int_eq(dec_n(big, n - 1), SR_EINVAL); /* under the limit: parsed */
  free(big);
}
END_TEST

static char *line_with(const char *before, char fill, size_t n,
                       const char *after) {
  char *s = malloc(strlen(before) + n + strlen(after) + 1);
  strcpy(s, before);
  memset(s + strlen(before), fill, n);
  strcpy(s + strlen(before) + n, after);
  return s;
}

START_TEST(oversize_fields) {
  char *s;
  s = line_with("{\"type\":\"tool_call\",\"session_id\":\"", 'a',
                SR_SESSION_ID_MAX + 1, "\"}");
  REJECT(s, SR_EBOUND,
         "field 'session_id': value of 129 bytes exceeds the limit of 128");
  free(s);
  s = line_with("{\"type\":\"tool_call\",\"session_id\":\"s\",\"event_id\":\"",
                'e', SR_ID_MAX + 1, "\"}");
  REJECT(s, SR_EBOUND,
         "field 'event_id': value of 257 bytes exceeds the limit of 256");
  free(s);
  s = line_with("{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":\"", 't',
                SR_NAME_MAX + 1, "\"}");
  REJECT(s, SR_EBOUND,
         "field 'tool': value of 1025 bytes exceeds the limit of 1024");
  free(s);
  s = line_with(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"target\":{\"kind\":\"",
      'k', SR_NAME_MAX + 1, "\"}}");
  REJECT(s, SR_EBOUND,
         "field 'target.kind': value of 1025 bytes exceeds the limit of 1024");
  free(s);
  s = line_with("{\"type\":\"agent_message\",\"session_id\":\"s\",\"text\":\"",
                'x', SR_TEXT_MAX + 1, "\"}");
  REJECT(s, SR_EBOUND,
         "field 'text': value of 262145 bytes exceeds the limit of 262144");
  free(s);
  /* an object argument is bounded by its JSON text */
  s = line_with(
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"arguments\":{\"c\":\"",
      'x', SR_TEXT_MAX, "\"}}");
  REJECT(
      s, SR_EBOUND,
      "field 'arguments': value of 262152 bytes exceeds the limit of 262144");
  free(s);
  s = line_with(
      "{\"type\":\"file_access\",\"session_id\":\"s\",\"credentials_found\":["
      "\"ok\",\"",
      'c', SR_ID_MAX + 1, "\"]}");
  REJECT(s, SR_EBOUND,
         "field 'credentials_found[1]': value of 257 bytes exceeds the limit "
         "of 256");
  free(s);
}
END_TEST

/* The lists of a line, compact (read in one pass) and with blanks around
 * every item (read by the general loop): the same items, or the same
 * reason. */
START_TEST(compact_lists_read_as_spaced_ones) {
  static const char *const items[][4] = {
      {NULL},
      {"\"database:read\"", NULL},
      {"\"a\"", "\"b\"", "\"\"", NULL},
      {"\"esc\\u0041ped\"", "\"b\"", NULL},
      {"\"a\"", "7", NULL},
      {"\"a\"", "[\"b\"]", NULL},
      {"\"a\"", "null", NULL},
  };
  for (size_t k = 0; k < SR_ARRAY_LEN(items); k++) {
    char list[2][256];
    size_t n[2] = {0, 0};
    for (int spaced = 0; spaced < 2; spaced++) {
      n[spaced] = (size_t)sprintf(list[spaced], "[");
      for (int i = 0; items[k][i]; i++) {
        n[spaced] +=
            (size_t)sprintf(list[spaced] + n[spaced], "%s%s%s", i ? "," : "",
                            spaced ? " " : "", items[k][i]);
      }
      sprintf(list[spaced] + n[spaced], "%s]", spaced ? " " : "");
    }
    char line[2][1024];
    char why[2][512];
    int rc[2];
    struct sr_event got[2];
    for (int spaced = 0; spaced < 2; spaced++) {
      sprintf(line[spaced],
              "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{"
              "\"id\":\"db\",\"scopes\":%s,\"environments\":%s},"
              "\"credentials_found\":%s}",
              list[spaced], list[spaced], list[spaced]);
      rc[spaced] = dec(line[spaced]);
      strcpy(why[spaced], err);
      got[spaced] = ev;
    }
    ck_assert_int_eq(rc[0], rc[1]);
    if (rc[0]) {
      ck_assert_msg(strstr(why[0], "credential.scopes[1]") &&
                        strstr(why[1], "credential.scopes[1]"),
                    "'%s' vs '%s'", why[0], why[1]);
      continue;
    }
    const struct sr_str_list *a[] = {&got[0].credential.scopes,
                                     &got[0].credential.environments,
                                     &got[0].credentials_found};
    const struct sr_str_list *b[] = {&got[1].credential.scopes,
                                     &got[1].credential.environments,
                                     &got[1].credentials_found};
    ck_assert(got[0].credential.scopes_given && got[1].credential.scopes_given);
    for (int f = 0; f < 3; f++) {
      ck_assert_uint_eq(a[f]->n, b[f]->n);
      for (size_t i = 0; i < a[f]->n; i++) {
        ck_assert(sr_str_eq(a[f]->v[i], b[f]->v[i]));
      }
    }
  }
  /* an item over the bound is reported by the general loop */
  char big[SR_NAME_MAX + 2], line[SR_NAME_MAX + 128];
  memset(big, 'x', SR_NAME_MAX + 1);
  big[SR_NAME_MAX + 1] = '\0';
  sprintf(line,
          "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{"
          "\"scopes\":[\"a\",\"%s\"]}}",
          big);
  ck_assert_int_eq(dec(line), SR_EBOUND);
  ck_assert(strstr(err, "field 'credential.scopes[1]': value of") != NULL);
}
END_TEST

START_TEST(too_many_list_items) {
  char line[2048];
  size_t n = (size_t)sprintf(line,
                             "{\"type\":\"session_start\",\"session_id\":\"s\","
                             "\"scope\":{\"domains\":[");
  for (int i = 0; i < SR_LIST_MAX; i++)
    n += (size_t)sprintf(line + n, "\"d%d\",", i);
  line[n - 1] = ']';
  strcpy(line + n, "}}");
  ACCEPT(line); /* exactly the limit */
  ck_assert_uint_eq(ev.scope_domains.n, SR_LIST_MAX);
  EQ(ev.scope_domains.v[SR_LIST_MAX - 1], "d31");

  n = (size_t)sprintf(line,
                      "{\"type\":\"session_start\",\"session_id\":\"s\","
                      "\"scope\":{\"domains\":[");
  for (int i = 0; i < 40; i++) n += (size_t)sprintf(line + n, "\"d%d\",", i);
  line[n - 1] = ']';
  strcpy(line + n, "}}");
  REJECT(line, SR_EBOUND,
         "field 'scope.domains': list of 40 items exceeds the limit of 32");

  n = (size_t)sprintf(
      line,
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"credential\":{"
      "\"scopes\":[");
  for (int i = 0; i < 33; i++) n += (size_t)sprintf(line + n, "\"s%d\",", i);
  line[n - 1] = ']';
  strcpy(line + n, "}}");
  REJECT(line, SR_EBOUND,
         "field 'credential.scopes': list of 33 items exceeds the limit of 32");
}
END_TEST

START_TEST(arena_exhausted) {
  struct sr_arena *tiny = sr_arena_create(16);
  const char *escaped =
      "{\"type\":\"tool_call\",\"session_id\":\"s\",\"tool\":\"a\\nlong tool "
      "name with an escape\"}";
  ck_assert_int_eq(sr_decode_json(escaped, strlen(escaped), &opts, tiny, &ev,
                                  err, sizeof err),
                   SR_ENOMEM);
  ck_assert_str_eq(err, "decoder arena exhausted");
  /* the event id needs 32 bytes of arena too */
  sr_arena_reset(tiny);
  const char *plain = "{\"type\":\"tool_call\",\"session_id\":\"s\"}";
  ck_assert_int_eq(
      sr_decode_json(plain, strlen(plain), &opts, tiny, &ev, err, sizeof err),
      SR_ENOMEM);
  ck_assert_str_eq(err, "decoder arena exhausted");
  sr_arena_destroy(tiny);
}
END_TEST

/* The line with a blank after each ':' and ',' of the top-level object:
 * still valid JSON, but the reader's plain fast paths refuse every member,
 * so the general path decodes them all. (Deeper levels are left alone:
 * an object argument is kept as its exact text.) */
static size_t spaced(const char *in, size_t n, char *out) {
  size_t k = 0;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    out[k++] = c;
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      depth--;
    } else if (depth == 1 && (c == ':' || c == ',')) {
      out[k++] = ' ';
    }
  }
  return k;
}

/* ev as a serialized stackrisk.v1.Event, copied out of the arenas. */
static size_t encoded(struct sr_arena *scratch, char *out, size_t cap) {
  sr_str pb;
  sr_arena_reset(scratch);
  ck_assert_int_eq(sr_repartition_encode(&ev, scratch, &pb), 0);
  ck_assert_uint_le(pb.n, cap);
  memcpy(out, pb.p, pb.n);
  return pb.n;
}

START_TEST(fast_and_general_paths_decode_alike) {
  /* Every session line of the test data, as written (compact: the fast
   * paths) and spaced out (the general path), must give the same event. */
  static char line[1 << 16], wide[1 << 17], a[1 << 16], b[1 << 16];
  struct sr_arena *scratch = sr_arena_create(1 << 20);
  glob_t g;
  ck_assert_int_eq(glob(SR_TEST_DATA "/sessions/*.jsonl", 0, NULL, &g), 0);
  size_t compared = 0;
  for (size_t fi = 0; fi < g.gl_pathc; fi++) {
    FILE *f = fopen(g.gl_pathv[fi], "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f)) {
      size_t n = strcspn(line, "\n");
      if (n == 0) continue;
      size_t m = spaced(line, n, wide);
      int rc_compact = dec_n(line, n);
      size_t na = rc_compact ? 0 : encoded(scratch, a, sizeof a);
      bool derived_id = rc_compact == 0 && !strstr(line, "\"event_id\"");
      int rc_spaced = dec_n(wide, m);
      ck_assert_msg(rc_compact == rc_spaced, "%s: %.80s: %d vs %d (%s)",
                    g.gl_pathv[fi], line, rc_compact, rc_spaced, err);
      if (rc_compact) continue;
      /* An id made from the bytes differs with the bytes, by design. */
      if (derived_id) continue;
      size_t nb = encoded(scratch, b, sizeof b);
      ck_assert_msg(na == nb && memcmp(a, b, na) == 0,
                    "%s: the spaced line decodes differently: %.120s",
                    g.gl_pathv[fi], line);
      compared++;
    }
    fclose(f);
  }
  globfree(&g);
  sr_arena_destroy(scratch);
  ck_assert_uint_gt(compared, 200);
}
END_TEST

START_TEST(key_order_does_not_matter) {
  /* Every key of events.md once; the lookup starts after the previous
   * match and wraps around, so each rotation of the order, either way,
   * must find every key and give the same event. */
  static const char *members[] = {
      "\"type\":\"tool_call\"",
      "\"session_id\":\"s-order\"",
      "\"event_id\":\"e-1\"",
      "\"ts_ms\":1790000000123",
      "\"ts\":\"2026-11-20T10:00:00Z\"",
      "\"agent_id\":\"agent-1\"",
      "\"parent_agent_id\":\"orchestrator\"",
      "\"phase\":\"completed\"",
      "\"call_id\":\"c-9\"",
      "\"tool\":\"Bash\"",
      "\"arguments\":{\"command\":\"ls\",\"n\":[1,{\"x\":\"]\"}]}",
      "\"target\":{\"id\":\"vol-1\",\"kind\":\"volume\",\"backups\":\"none\"}",
      "\"environment\":\"staging\"",
      "\"credential\":{\"id\":\"tok\",\"scopes\":[\"a\",\"b\"]}",
      "\"want_verdict\":true",
      "\"result\":\"done\"",
      "\"task\":\"fix it\"",
      "\"mode\":\"plan\"",
      "\"scope\":{\"environments\":[\"staging\"],\"domains\":[\"x.io\"]}",
      "\"estimate\":{\"steps\":3,\"seconds\":60,\"cost_usd\":0.5}",
      "\"role\":\"assistant\"",
      "\"text\":\"hello\"",
      "\"path\":\"src/a.c\"",
      "\"op\":\"read\"",
      "\"credentials_found\":[\"tok\"]",
      "\"decision\":\"approve\"",
      "\"approver\":\"alice\"",
  };
  enum { N = SR_ARRAY_LEN(members) };
  static char line[4096], first[1 << 14], other[1 << 14];
  struct sr_arena *scratch = sr_arena_create(1 << 20);
  size_t nfirst = 0;
  for (int dir = 1; dir >= -1; dir -= 2) {
    for (int r = 0; r < N; r++) {
      size_t n = 0;
      line[n++] = '{';
      for (int i = 0; i < N; i++) {
        int at = ((r + dir * i) % N + N) % N;
        n += (size_t)sprintf(line + n, "%s%s", i ? "," : "", members[at]);
      }
      line[n++] = '}';
      ck_assert_msg(dec_n(line, n) == 0, "%s: %s", line, err);
      ck_assert_int_eq(ev.ts_ms, 1790000000123);
      ck_assert_uint_eq(ev.credentials_found.n, 1);
      if (nfirst == 0) {
        nfirst = encoded(scratch, first, sizeof first);
        continue;
      }
      size_t m = encoded(scratch, other, sizeof other);
      ck_assert_msg(m == nfirst && memcmp(first, other, m) == 0,
                    "decodes differently: %s", line);
    }
  }
  sr_arena_destroy(scratch);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("decode_json");
  TCase *ok = tcase_create("accept");
  tcase_add_checked_fixture(ok, setup, teardown);
  tcase_add_test(ok, session_start_decodes);
  tcase_add_test(ok, tool_call_decodes);
  tcase_add_test(ok, agent_message_decodes);
  tcase_add_test(ok, file_access_decodes);
  tcase_add_test(ok, approval_decodes);
  tcase_add_test(ok, fixture_session_decodes);
  tcase_add_test(ok, escapes_and_unicode);
  tcase_add_test(ok, arguments_object_array_or_string);
  tcase_add_test(ok, credential_string_or_object);
  tcase_add_test(ok, enum_spellings);
  tcase_add_test(ok, event_time);
  tcase_add_test(ok, unknown_fields_and_nulls_are_ignored);
  tcase_add_test(ok, keys_are_matched_whole);
  tcase_add_test(ok, events_end_at_every_offset);
  tcase_add_test(ok, event_id_hashes_the_bytes);
  tcase_add_test(ok, raw_is_the_input);
  tcase_add_test(ok, strings_at_their_bounds_are_accepted);
  tcase_add_test(ok, fast_and_general_paths_decode_alike);
  tcase_add_test(ok, key_order_does_not_matter);
  suite_add_tcase(s, ok);

  TCase *bad = tcase_create("reject");
  tcase_add_checked_fixture(bad, setup, teardown);
  tcase_add_test(bad, not_an_object);
  tcase_add_test(bad, invalid_json_at_several_spots);
  tcase_add_test(bad, missing_or_unknown_type);
  tcase_add_test(bad, missing_session_id);
  tcase_add_test(bad, nul_in_a_string_is_refused);
  tcase_add_test(bad, wrong_field_types);
  tcase_add_test(bad, cost_must_be_an_amount);
  tcase_add_test(bad, unknown_enum_values);
  tcase_add_test(bad, enum_words_at_any_place);
  tcase_add_test(bad, long_keys_and_their_look_alikes);
  tcase_add_test(bad, bad_rfc3339);
  tcase_add_test(bad, oversize_message);
  tcase_add_test(bad, oversize_fields);
  tcase_add_test(bad, too_many_list_items);
  tcase_add_test(bad, compact_lists_read_as_spaced_ones);
  tcase_add_test(bad, arena_exhausted);
  suite_add_tcase(s, bad);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
