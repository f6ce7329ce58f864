/*
 * Native protobuf decoder: events built with the generated code decode onto
 * the same sr_event as their JSON twins; bad bytes, missing ids, broken
 * bounds and hidden NUL bytes are rejected with a reason.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "ingest/decode.h"
#include "schemas/stackrisk.pb-c.h"

static struct sr_arena *arena;
static struct sr_event ev;
static char err[512];
static struct sr_decode_opts opts;
static uint8_t buf[1 << 16];
static size_t len;

static void setup(void) {
  arena = sr_arena_create(1 << 20);
  opts =
      (struct sr_decode_opts){.max_message_bytes = 0, .fallback_ts_ms = 424242};
  memset(&ev, 0xAB, sizeof ev);
}

static void teardown(void) {
  sr_arena_destroy(arena);
}

/* Packs m into buf; returns its length. */
static size_t pack(const Stackrisk__V1__Event *m) {
  size_t n = stackrisk__v1__event__get_packed_size(m);
  ck_assert_uint_le(n, sizeof buf);
  len = stackrisk__v1__event__pack(m, buf);
  ck_assert_uint_eq(len, n);
  return len;
}

/* Appends one raw field to buf (protobuf merges concatenated messages). */
static void append_bytes_field(unsigned num, const void *p, size_t n) {
  ck_assert_uint_lt(n, 128);
  buf[len++] = (uint8_t)(num << 3 | 2);
  if (num >= 16) { /* two-byte tag */
    buf[len - 1] = (uint8_t)((num << 3 | 2) | 0x80);
    buf[len++] = (uint8_t)(num >> 4);
  }
  buf[len++] = (uint8_t)n;
  memcpy(buf + len, p, n);
  len += n;
}

static int dec_n(const void *p, size_t n) {
  sr_arena_reset(arena);
  err[0] = '\0';
  return sr_decode_protobuf(p, n, &opts, arena, &ev, err, sizeof err);
}

static int dec(void) {
  return dec_n(buf, len);
}

#define ACCEPT() ck_assert_msg(dec() == 0, "rejected: %s", err)
#define REJECT(rc, msg)          \
  do {                           \
    ck_assert_int_eq(dec(), rc); \
    ck_assert_str_eq(err, msg);  \
  } while (0)
#define EQ(view, lit)                                                   \
  ck_assert_msg(sr_str_eq_cstr((view), (lit)), "got '%.*s', want '%s'", \
                (int)(view).n, (view).p ? (view).p : "", (lit))

static Stackrisk__V1__Event base_event(Stackrisk__V1__EventType type) {
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = type;
  m.session_id = "s1";
  return m;
}

START_TEST(session_start_decodes) {
  char *envs[] = {"staging", "dev"};
  char *domains[] = {"a.example"};
  char *resources[] = {"railway:staging/*"};
  Stackrisk__V1__Scope scope = STACKRISK__V1__SCOPE__INIT;
  scope.n_environments = 2;
  scope.environments = envs;
  scope.n_domains = 1;
  scope.domains = domains;
  scope.n_resources = 1;
  scope.resources = resources;
  Stackrisk__V1__Estimate est = STACKRISK__V1__ESTIMATE__INIT;
  est.steps = 12;
  est.seconds = 600;
  est.cost_usd = 0.75;
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__SESSION_START);
  m.event_id = "e1";
  m.ts_ms = 1795168800000;
  m.agent_id = "orch";
  m.task = "fix staging";
  m.mode = STACKRISK__V1__MODE__READ_ONLY;
  m.environment = "staging";
  m.scope = &scope;
  m.estimate = &est;
  pack(&m);
  ACCEPT();
  ck_assert_int_eq(ev.type, SR_EV_SESSION_START);
  EQ(ev.session_id, "s1");
  EQ(ev.event_id, "e1");
  ck_assert(ev.ts_ms == 1795168800000);
  ck_assert(ev.ts_given);
  EQ(ev.agent_id, "orch");
  EQ(ev.task, "fix staging");
  ck_assert_int_eq(ev.mode, SR_MODE_READ_ONLY);
  EQ(ev.environment, "staging");
  ck_assert_uint_eq(ev.scope_environments.n, 2);
  EQ(ev.scope_environments.v[1], "dev");
  ck_assert_uint_eq(ev.scope_domains.n, 1);
  EQ(ev.scope_domains.v[0], "a.example");
  EQ(ev.scope_resources.v[0], "railway:staging/*");
  ck_assert(ev.estimate.present);
  ck_assert(ev.estimate.steps == 12);
  ck_assert(ev.estimate.seconds == 600);
  ck_assert(ev.estimate.cost_usd == 0.75);
  ck_assert(sr_str_empty(ev.credential.id));
  ck_assert(ev.raw.p == (const char *)buf && ev.raw.n == len);
  ck_assert_int_eq(ev.partition, -1);
  ck_assert(ev.offset == -1);
}
END_TEST

START_TEST(tool_call_decodes) {
  char *scopes[] = {"*"};
  char *envs[] = {"staging", "production"};
  Stackrisk__V1__Target target = STACKRISK__V1__TARGET__INIT;
  target.id = "vol-prod-1";
  target.kind = "volume";
  target.environment = "production";
  target.backups = STACKRISK__V1__BACKUPS__CO_LOCATED;
  Stackrisk__V1__Credential cred = STACKRISK__V1__CREDENTIAL__INIT;
  cred.id = "tok-7f3a";
  cred.n_scopes = 1;
  cred.scopes = scopes;
  cred.purpose = "custom-domain management";
  cred.n_environments = 2;
  cred.environments = envs;
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.phase = STACKRISK__V1__PHASE__REQUESTED;
  m.call_id = "c42";
  m.tool = "railway.volumeDelete";
  m.arguments = "{\"volumeId\": \"vol-prod-1\"}";
  m.target = &target;
  m.environment = "production";
  m.credential = &cred;
  m.want_verdict = 1;
  m.result = "ok";
  pack(&m);
  ACCEPT();
  ck_assert_int_eq(ev.type, SR_EV_TOOL_CALL);
  ck_assert_int_eq(ev.phase, SR_PHASE_REQUESTED);
  EQ(ev.call_id, "c42");
  EQ(ev.tool, "railway.volumeDelete");
  EQ(ev.arguments, "{\"volumeId\": \"vol-prod-1\"}"); /* used as is */
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
  ck_assert(ev.want_verdict);
  EQ(ev.result, "ok");
  ck_assert(!ev.ts_given); /* ts_ms 0 is "not given" in proto3 */
  ck_assert(ev.ts_ms == 424242);
}
END_TEST

START_TEST(agent_message_decodes) {
  Stackrisk__V1__Estimate est = STACKRISK__V1__ESTIMATE__INIT;
  est.steps = 3;
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__AGENT_MESSAGE);
  m.agent_id = "sub-1";
  m.parent_agent_id = "orch";
  m.role = "subagent";
  m.text = "backups live on the same volume \xe2\x9a\xa0";
  m.estimate = &est;
  m.cost_usd = 0.42;
  pack(&m);
  ACCEPT();
  ck_assert_double_eq(ev.cost_usd, 0.42);
  ck_assert_int_eq(ev.type, SR_EV_AGENT_MESSAGE);
  EQ(ev.parent_agent_id, "orch");
  EQ(ev.role, "subagent");
  EQ(ev.text, "backups live on the same volume \xe2\x9a\xa0");
  ck_assert(ev.estimate.present);
  ck_assert(ev.estimate.steps == 3);
}
END_TEST

START_TEST(file_access_decodes) {
  char *found[] = {"tok-1", "tok-2"};
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__FILE_ACCESS);
  m.path = "/repo/.env";
  m.op = "read";
  m.n_credentials_found = 2;
  m.credentials_found = found;
  pack(&m);
  ACCEPT();
  ck_assert_int_eq(ev.type, SR_EV_FILE_ACCESS);
  EQ(ev.path, "/repo/.env");
  EQ(ev.op, "read");
  ck_assert_uint_eq(ev.credentials_found.n, 2);
  EQ(ev.credentials_found.v[1], "tok-2");
}
END_TEST

START_TEST(approval_decodes) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__APPROVAL);
  m.call_id = "c42";
  m.decision = "DENY";
  m.approver = "oncall@example.com";
  pack(&m);
  ACCEPT();
  ck_assert_int_eq(ev.type, SR_EV_APPROVAL);
  EQ(ev.call_id, "c42");
  EQ(ev.decision, "deny");
  EQ(ev.approver, "oncall@example.com");
}
END_TEST

START_TEST(credential_id_only_leaves_scopes_to_the_registry) {
  Stackrisk__V1__Credential cred = STACKRISK__V1__CREDENTIAL__INIT;
  cred.id = "tok-1";
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.credential = &cred;
  pack(&m);
  ACCEPT();
  EQ(ev.credential.id, "tok-1");
  ck_assert(!ev.credential.scopes_given);
}
END_TEST

START_TEST(same_event_in_both_wire_forms) {
  Stackrisk__V1__Target target = STACKRISK__V1__TARGET__INIT;
  target.id = "db-1";
  target.backups = STACKRISK__V1__BACKUPS__OFF_SITE;
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.event_id = "e9";
  m.ts_ms = 99;
  m.phase = STACKRISK__V1__PHASE__COMPLETED;
  m.tool = "psql";
  m.arguments = "DROP TABLE users";
  m.target = &target;
  m.credential = NULL;
  pack(&m);
  ACCEPT();
  struct sr_event pb = ev;
  const char *json =
      "{\"type\":\"tool_call\",\"session_id\":\"s1\",\"event_id\":\"e9\","
      "\"ts_ms\":99,\"phase\":\"completed\",\"tool\":\"psql\",\"arguments\":"
      "\"DROP TABLE "
      "users\",\"target\":{\"id\":\"db-1\",\"backups\":\"off-site\"}}";
  struct sr_arena *a2 = sr_arena_create(4096);
  struct sr_event js;
  ck_assert_int_eq(
      sr_decode_json(json, strlen(json), &opts, a2, &js, err, sizeof err), 0);
  ck_assert_int_eq(pb.type, js.type);
  ck_assert(sr_str_eq(pb.session_id, js.session_id));
  ck_assert(sr_str_eq(pb.event_id, js.event_id));
  ck_assert(pb.ts_ms == js.ts_ms && pb.ts_given == js.ts_given);
  ck_assert_int_eq(pb.phase, js.phase);
  ck_assert(sr_str_eq(pb.tool, js.tool));
  ck_assert(sr_str_eq(pb.arguments, js.arguments));
  ck_assert(sr_str_eq(pb.target.id, js.target.id));
  ck_assert_int_eq(pb.target.backups, js.target.backups);
  ck_assert(pb.estimate.present == js.estimate.present);
  sr_arena_destroy(a2);
}
END_TEST

START_TEST(event_id_hashes_the_bytes) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.tool = "Bash";
  pack(&m);
  ACCEPT();
  char id1[32];
  ck_assert_uint_eq(ev.event_id.n, 32);
  memcpy(id1, ev.event_id.p, 32);
  ACCEPT();
  ck_assert(memcmp(ev.event_id.p, id1, 32) == 0);
  m.tool = "bash";
  pack(&m);
  ACCEPT();
  ck_assert(memcmp(ev.event_id.p, id1, 32) != 0);
}
END_TEST

START_TEST(unknown_fields_are_ignored) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  pack(&m);
  append_bytes_field(99, "future", 6);
  buf[len++] = (uint8_t)((100 << 3) | 0x80); /* field 100, varint */
  buf[len++] = 100 >> 4;
  buf[len++] = 7;
  ACCEPT();
  EQ(ev.session_id, "s1");
}
END_TEST

START_TEST(truncated_and_garbage_bytes) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.tool = "railway.volumeDelete";
  pack(&m);
  ck_assert_uint_eq(len, 29);
  len -= 5;
  REJECT(SR_EINVAL,
         "invalid protobuf: 24 bytes do not decode as stackrisk.v1.Event "
         "(field 'tool' truncated at byte 24)");

  static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  ck_assert_int_eq(dec_n(garbage, sizeof garbage), SR_EINVAL);
  ck_assert_str_eq(err,
                   "invalid protobuf: 12 bytes do not decode as "
                   "stackrisk.v1.Event (truncated field tag at byte 0)");

  /* a known field with the wrong wire type */
  static const uint8_t wrong_wt[] = {0x08, 0x02, 0x10, 0x01};
  ck_assert_int_eq(dec_n(wrong_wt, sizeof wrong_wt), SR_EINVAL);
  ck_assert_str_eq(err,
                   "invalid protobuf: 4 bytes do not decode as "
                   "stackrisk.v1.Event (field 'session_id' has wire type 0 at "
                   "byte 2)");

  /* groups are not part of the schema */
  static const uint8_t group[] = {0x08, 0x02, 0x12, 0x01, 's', 0x7b};
  ck_assert_int_eq(dec_n(group, sizeof group), SR_EINVAL);
  ck_assert(strncmp(err, "invalid protobuf: 6 bytes do not decode", 39) == 0);

  /* plain text that is not JSON either */
  const char *text = "hello world";
  ck_assert_int_eq(dec_n(text, strlen(text)), SR_EINVAL);
  ck_assert(strncmp(err,
                    "invalid protobuf: 11 bytes do not decode as "
                    "stackrisk.v1.Event",
                    61) == 0);

  /* a truncated nested message names the nested field */
  Stackrisk__V1__Target target = STACKRISK__V1__TARGET__INIT;
  target.id = "vol-prod-1";
  m.tool = "";
  m.target = &target;
  pack(&m);
  len -= 2;
  REJECT(SR_EINVAL,
         "invalid protobuf: 19 bytes do not decode as stackrisk.v1.Event "
         "(field 'target' truncated at byte 19)");
}
END_TEST

START_TEST(missing_type_or_session_id) {
  Stackrisk__V1__Event m =
      base_event(STACKRISK__V1__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED);
  pack(&m);
  REJECT(SR_EINVAL, "missing 'type'");
  m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.session_id = "";
  pack(&m);
  REJECT(SR_EINVAL, "missing 'session_id'");
  /* the empty message is a valid Event with nothing in it */
  ck_assert_int_eq(dec_n(NULL, 0), SR_EINVAL);
  ck_assert_str_eq(err, "missing 'type'");
}
END_TEST

START_TEST(cost_must_be_an_amount) {
  const double bad[] = {-0.01, 1e12, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
    m.cost_usd = bad[i];
    pack(&m);
    REJECT(SR_EINVAL,
           "field 'cost_usd': expected an amount in USD from 0 to 1e+09");
  }
}
END_TEST

START_TEST(unknown_enum_numbers) {
  Stackrisk__V1__Event m = base_event((Stackrisk__V1__EventType)9);
  pack(&m);
  REJECT(SR_EINVAL, "field 'type': unknown event type 9");
  m = base_event(STACKRISK__V1__EVENT_TYPE__SESSION_START);
  m.mode = (Stackrisk__V1__Mode)7;
  pack(&m);
  REJECT(SR_EINVAL, "field 'mode': unknown mode 7");
  m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.phase = (Stackrisk__V1__Phase)4;
  pack(&m);
  REJECT(SR_EINVAL, "field 'phase': unknown phase 4");
  Stackrisk__V1__Target target = STACKRISK__V1__TARGET__INIT;
  target.backups = (Stackrisk__V1__Backups)5;
  m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.target = &target;
  pack(&m);
  REJECT(SR_EINVAL, "field 'target.backups': unknown backups location 5");
  m = base_event(STACKRISK__V1__EVENT_TYPE__APPROVAL);
  m.decision = "maybe";
  pack(&m);
  REJECT(SR_EINVAL, "field 'decision': unknown decision 'maybe'");
}
END_TEST

START_TEST(bounds) {
  static char big[SR_TEXT_MAX + 2];
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.tool = "Bash";
  pack(&m);
  opts.max_message_bytes = 8;
  REJECT(SR_EBOUND, "message of 13 bytes exceeds the limit of 8");
  opts.max_message_bytes = 0;

  memset(big, 's', SR_SESSION_ID_MAX + 1);
  big[SR_SESSION_ID_MAX + 1] = '\0';
  m.session_id = big;
  pack(&m);
  REJECT(SR_EBOUND,
         "field 'session_id': value of 129 bytes exceeds the limit of 128");
  m.session_id = "s1";

  memset(big, 't', SR_NAME_MAX + 1);
  big[SR_NAME_MAX + 1] = '\0';
  m.tool = big;
  pack(&m);
  REJECT(SR_EBOUND,
         "field 'tool': value of 1025 bytes exceeds the limit of 1024");
  m.tool = "Bash";

  Stackrisk__V1__Credential cred = STACKRISK__V1__CREDENTIAL__INIT;
  memset(big, 'c', SR_ID_MAX + 1);
  big[SR_ID_MAX + 1] = '\0';
  cred.id = big;
  m.credential = &cred;
  pack(&m);
  REJECT(SR_EBOUND,
         "field 'credential.id': value of 257 bytes exceeds the limit of 256");
  cred.id = "tok";

  char *scopes[SR_LIST_MAX + 1];
  for (int i = 0; i <= SR_LIST_MAX; i++) scopes[i] = "read";
  cred.n_scopes = SR_LIST_MAX;
  cred.scopes = scopes;
  pack(&m);
  ACCEPT();
  ck_assert_uint_eq(ev.credential.scopes.n, SR_LIST_MAX);
  cred.n_scopes = SR_LIST_MAX + 1;
  pack(&m);
  REJECT(SR_EBOUND,
         "field 'credential.scopes': list of 33 items exceeds the limit of 32");
  cred.n_scopes = 1;

  char *found[] = {"ok", big};
  memset(big, 'f', SR_ID_MAX + 1);
  big[SR_ID_MAX + 1] = '\0';
  m.n_credentials_found = 2;
  m.credentials_found = found;
  pack(&m);
  REJECT(
      SR_EBOUND,
      "field 'credentials_found[1]': value of 257 bytes exceeds the limit of "
      "256");
}
END_TEST

START_TEST(text_bound) {
  static char big[SR_TEXT_MAX + 2];
  static uint8_t out[SR_TEXT_MAX + 64];
  memset(big, 'x', SR_TEXT_MAX + 1);
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.arguments = big;
  size_t n = stackrisk__v1__event__pack(&m, out);
  ck_assert_int_eq(dec_n(out, n), SR_EBOUND);
  ck_assert_str_eq(err,
                   "field 'arguments': value of 262145 bytes exceeds the limit "
                   "of 262144");
  big[SR_TEXT_MAX] = '\0';
  n = stackrisk__v1__event__pack(&m, out);
  ck_assert_int_eq(dec_n(out, n), 0);
  ck_assert_uint_eq(ev.arguments.n, SR_TEXT_MAX);
}
END_TEST

/* protobuf-c hands out C strings: a NUL would cut the rest of a field out of
 * every detector's sight. */
START_TEST(embedded_nul_is_rejected) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.tool = "Bash";
  pack(&m);
  append_bytes_field(23, "ls\0; rm -rf /", 13);
  REJECT(SR_EINVAL, "field 'arguments': string contains a NUL byte");

  pack(&m);
  static const uint8_t cred[] = {0x0a, 0x01, 't', 0x12, 0x03, 'a', 0, 'b'};
  append_bytes_field(25, cred, sizeof cred);
  REJECT(SR_EINVAL, "field 'credential.scopes': string contains a NUL byte");

  /* NUL bytes elsewhere (varints, unknown bytes fields) are fine */
  pack(&m);
  append_bytes_field(99, "\0\0", 2);
  ACCEPT();
}
END_TEST

/* Field number 0 is not a field: protobuf-c takes it for an unknown one
 * when its tag is written in two bytes (0x80 0x00), the router's session
 * peek refuses the message. Both must refuse it, or the event would reach
 * a worker chosen by offset, not the one that owns its session. */
START_TEST(field_number_zero_is_refused) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  pack(&m);
  size_t at = len;
  buf[len++] = 0x80; /* field 0, varint, in two bytes */
  buf[len++] = 0x00;
  buf[len++] = 42;
  char scratch[SR_SESSION_ID_MAX];
  sr_str sid;
  ck_assert_int_eq(sr_decode_peek_session(buf, len, scratch, &sid),
                   SR_ENOTFOUND);
  char want[160];
  snprintf(want, sizeof want,
           "invalid protobuf: %zu bytes do not decode as stackrisk.v1.Event "
           "(field number 0 at byte %zu)",
           len, at);
  REJECT(SR_EINVAL, want);
}
END_TEST

START_TEST(arena_exhausted) {
  Stackrisk__V1__Event m = base_event(STACKRISK__V1__EVENT_TYPE__TOOL_CALL);
  m.tool = "Bash";
  pack(&m);
  struct sr_arena *tiny = sr_arena_create(64);
  ck_assert_int_eq(
      sr_decode_protobuf(buf, len, &opts, tiny, &ev, err, sizeof err),
      SR_ENOMEM);
  ck_assert_str_eq(err, "decoder arena exhausted");
  sr_arena_destroy(tiny);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("decode_protobuf");
  TCase *ok = tcase_create("accept");
  tcase_add_checked_fixture(ok, setup, teardown);
  tcase_add_test(ok, session_start_decodes);
  tcase_add_test(ok, tool_call_decodes);
  tcase_add_test(ok, agent_message_decodes);
  tcase_add_test(ok, file_access_decodes);
  tcase_add_test(ok, approval_decodes);
  tcase_add_test(ok, credential_id_only_leaves_scopes_to_the_registry);
  tcase_add_test(ok, same_event_in_both_wire_forms);
  tcase_add_test(ok, event_id_hashes_the_bytes);
  tcase_add_test(ok, unknown_fields_are_ignored);
  suite_add_tcase(s, ok);

  TCase *bad = tcase_create("reject");
  tcase_add_checked_fixture(bad, setup, teardown);
  tcase_add_test(bad, truncated_and_garbage_bytes);
  tcase_add_test(bad, missing_type_or_session_id);
  tcase_add_test(bad, cost_must_be_an_amount);
  tcase_add_test(bad, unknown_enum_numbers);
  tcase_add_test(bad, bounds);
  tcase_add_test(bad, text_bound);
  tcase_add_test(bad, embedded_nul_is_rejected);
  tcase_add_test(bad, field_number_zero_is_refused);
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
