/*
 * Decoder front door: wire-form sniffing, dispatch, event type names, and
 * the session peek the router relies on (it must find the id the full
 * decode will find, in either wire form, without allocating).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "ingest/decode.h"
#include "schemas/stackrisk.pb-c.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

static struct sr_arena *arena;
static struct sr_event ev;
static char err[512];
static char scratch[SR_SESSION_ID_MAX];

static void setup(void) {
  arena = sr_arena_create(1 << 16);
}
static void teardown(void) {
  sr_arena_destroy(arena);
}

#define EQ(view, lit)                                                   \
  ck_assert_msg(sr_str_eq_cstr((view), (lit)), "got '%.*s', want '%s'", \
                (int)(view).n, (view).p ? (view).p : "", (lit))

static int peek(const void *p, size_t n, sr_str *out) {
  memset(scratch, 0, sizeof scratch);
  return sr_decode_peek_session(p, n, scratch, out);
}

static int peek_s(const char *s, sr_str *out) {
  return peek(s, strlen(s), out);
}

static size_t pack(const Stackrisk__V1__Event *m, uint8_t *out) {
  return stackrisk__v1__event__pack(m, out);
}

START_TEST(sniff_by_first_non_blank_byte) {
  ck_assert_int_eq(sr_decode_sniff("{}", 2), SR_WIRE_JSON);
  ck_assert_int_eq(sr_decode_sniff(" \r\n\t{\"a\":1}", 11), SR_WIRE_JSON);
  ck_assert_int_eq(sr_decode_sniff("\x08\x02", 2), SR_WIRE_PROTOBUF);
  ck_assert_int_eq(sr_decode_sniff("[1]", 3), SR_WIRE_PROTOBUF);
  ck_assert_int_eq(sr_decode_sniff("", 0), SR_WIRE_PROTOBUF);
  ck_assert_int_eq(sr_decode_sniff("   ", 3), SR_WIRE_PROTOBUF);
}
END_TEST

START_TEST(dispatch_by_wire_form) {
  const char *json = "\n {\"type\":\"tool_call\",\"session_id\":\"j\"}";
  ck_assert_int_eq(
      sr_decode_event(json, strlen(json), NULL, arena, &ev, err, sizeof err),
      0);
  EQ(ev.session_id, "j");
  ck_assert(!ev.ts_given);
  ck_assert(ev.ts_ms == 0); /* no options: fallback clock 0 */

  uint8_t buf[256];
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = STACKRISK__V1__EVENT_TYPE__APPROVAL;
  m.session_id = "p";
  size_t n = pack(&m, buf);
  struct sr_decode_opts opts = {.fallback_ts_ms = 77};
  ck_assert_int_eq(sr_decode_event(buf, n, &opts, arena, &ev, err, sizeof err),
                   0);
  ck_assert_int_eq(ev.type, SR_EV_APPROVAL);
  EQ(ev.session_id, "p");
  ck_assert(ev.ts_ms == 77);

  /* text that is neither is called text, not bad protobuf */
  const char *text = "  type=tool_call session=s";
  ck_assert_int_eq(
      sr_decode_event(text, strlen(text), NULL, arena, &ev, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "not a JSON object (text starting with 't') and not a "
                   "protobuf stackrisk.v1.Event");
  ck_assert_int_eq(sr_decode_event("[]", 2, NULL, arena, &ev, err, sizeof err),
                   SR_EINVAL);
  ck_assert_str_eq(err,
                   "not a JSON object (text starting with '[') and not a "
                   "protobuf stackrisk.v1.Event");
  /* binary garbage keeps the protobuf reason */
  static const uint8_t junk[] = {0x0a, 0x05, 'a'};
  ck_assert_int_eq(
      sr_decode_event(junk, sizeof junk, NULL, arena, &ev, err, sizeof err),
      SR_EINVAL);
  ck_assert(strncmp(err, "invalid protobuf: 3 bytes", 25) == 0);

  /* the size bound applies to either form */
  opts.max_message_bytes = 10;
  ck_assert_int_eq(
      sr_decode_event(json, strlen(json), &opts, arena, &ev, err, sizeof err),
      SR_EBOUND);
  ck_assert_str_eq(err, "message of 39 bytes exceeds the limit of 10");
  ck_assert_uint_eq(n, 5);
  opts.max_message_bytes = 4;
  ck_assert_int_eq(sr_decode_event(buf, n, &opts, arena, &ev, err, sizeof err),
                   SR_EBOUND);
  ck_assert_str_eq(err, "message of 5 bytes exceeds the limit of 4");
}
END_TEST

/* An event stamped further ahead of when its record was written than
 * max_future_ms allows is refused in either wire form, saying by how much
 * and what to suspect; at the bound, or without one, it passes. */
START_TEST(event_time_far_ahead_of_its_record_is_refused) {
  char json[256];
  struct sr_decode_opts opts = {.fallback_ts_ms = 1790000000000LL,
                                .written_ms = 1790000000000LL,
                                .max_future_ms = 600000};
  /* microseconds for milliseconds: the mistake a producer makes */
  snprintf(json, sizeof json,
           "{\"type\":\"agent_message\",\"session_id\":\"f\","
           "\"ts_ms\":%lld}",
           1790000000000LL * 1000);
  ck_assert_int_eq(
      sr_decode_event(json, strlen(json), &opts, arena, &ev, err, sizeof err),
      SR_EINVAL);
  ck_assert_msg(strstr(err, "event time 1790000000000000 is ") &&
                    strstr(err, "processing.max_future_s (600 s)") &&
                    strstr(err, "milliseconds since 1970"),
                "%s", err);
  uint8_t buf[256];
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = STACKRISK__V1__EVENT_TYPE__AGENT_MESSAGE;
  m.session_id = "f";
  m.ts_ms = 1790000600001LL; /* a millisecond past the bound */
  size_t n = pack(&m, buf);
  ck_assert_int_eq(sr_decode_event(buf, n, &opts, arena, &ev, err, sizeof err),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "is 600 s after the input was written"), "%s", err);
  m.ts_ms = 1790000600000LL; /* at the bound */
  n = pack(&m, buf);
  ck_assert_int_eq(sr_decode_event(buf, n, &opts, arena, &ev, err, sizeof err),
                   0);
  opts.max_future_ms = 0; /* no bound */
  ck_assert_int_eq(
      sr_decode_event(json, strlen(json), &opts, arena, &ev, err, sizeof err),
      0);
}
END_TEST

START_TEST(event_type_names) {
  ck_assert_str_eq(sr_event_type_name(SR_EV_NONE), "none");
  ck_assert_str_eq(sr_event_type_name(SR_EV_SESSION_START), "session_start");
  ck_assert_str_eq(sr_event_type_name(SR_EV_TOOL_CALL), "tool_call");
  ck_assert_str_eq(sr_event_type_name(SR_EV_AGENT_MESSAGE), "agent_message");
  ck_assert_str_eq(sr_event_type_name(SR_EV_FILE_ACCESS), "file_access");
  ck_assert_str_eq(sr_event_type_name(SR_EV_APPROVAL), "approval");
  ck_assert_str_eq(sr_event_type_name((enum sr_event_type)42), "unknown");
}
END_TEST

/* ---- peek: JSON ---------------------------------------------------------- */

START_TEST(peek_json_plain) {
  const char *line = "{\"type\":\"tool_call\",\"session_id\":\"sess-1\"}";
  sr_str id;
  ck_assert_int_eq(peek_s(line, &id), 0);
  EQ(id, "sess-1");
  ck_assert(id.p == line + 34); /* a view into the message */
}
END_TEST

/* A member that opens with `"session_id":"` is taken by its lead, with
 * sixteen bytes or more left and with fewer; keys that only look like it,
 * a blank, an escape or a long id read as before. */
START_TEST(peek_json_session_lead) {
  static const struct {
    const char *line, *id; /* id NULL: SR_ENOTFOUND */
  } cases[] = {
      {"{\"session_id\":\"s\"}", "s"},
      {"{\"session_id\":\"s\",\"type\":\"tool_call\"}", "s"},
      {"{\"type\":\"t\",\"session_idx\":\"a\",\"session_id\":\"b\"}", "b"},
      {"{\"session_i\":\"a\",\"session_id\":\"b\",\"x\":\"0123456789\"}", "b"},
      {"{\"session_id\":\"0123456789abcdef0123456789\",\"type\":\"t\"}",
       "0123456789abcdef0123456789"},
      {"{\"session_id\" :\"s\",\"type\":\"tool_call\"}", "s"},
      {"{\"session_id\":\"a\\u0062\",\"type\":\"tool_call\"}", "ab"},
      {"{\"session_id\":\"\",\"type\":\"tool_call\"}", NULL},
      {"{\"session_id\":7,\"type\":\"tool_call_long_enough\"}", NULL},
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(cases); i++) {
    sr_str id = {NULL, 0};
    int rc = peek_s(cases[i].line, &id);
    if (!cases[i].id) {
      ck_assert_msg(rc == SR_ENOTFOUND, "%s", cases[i].line);
      continue;
    }
    ck_assert_msg(rc == 0, "%s", cases[i].line);
    EQ(id, cases[i].id);
  }
}
END_TEST

START_TEST(peek_json_after_nested_objects) {
  /* session_id keys inside nested values and strings must not count */
  const char *line =
      "{\"type\":\"tool_call\",\"arguments\":{\"session_id\":\"inner\",\"x\":"
      "[{\"session_id\":\"deeper\"}]},\"text\":\"\\\"session_id\\\":"
      "\\\"evil\\\"\","
      "\"scope\":{\"environments\":[\"a\",\"b\"]},\"n\":-1.5e3,\"ok\":true,"
      "\"none\":null,\"session_id\":\"outer\"}";
  sr_str id;
  ck_assert_int_eq(peek_s(line, &id), 0);
  EQ(id, "outer");
  ck_assert_int_eq(
      sr_decode_event(line, strlen(line), NULL, arena, &ev, err, sizeof err),
      0);
  ck_assert(sr_str_eq(ev.session_id, id));
}
END_TEST

START_TEST(peek_json_escaped_id_uses_scratch) {
  const char *line =
      "{\"type\":\"tool_call\",\"session_id\":\"s\\u00e9ss\\/"
      "1\\ud83d\\ude00\"}";
  sr_str id;
  ck_assert_int_eq(peek_s(line, &id), 0);
  ck_assert_ptr_eq(id.p, scratch);
  EQ(id, "s\xC3\xA9ss/1\xF0\x9F\x98\x80");
  /* the same session routes the same way in protobuf */
  uint8_t buf[256];
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = STACKRISK__V1__EVENT_TYPE__TOOL_CALL;
  m.session_id = "s\xC3\xA9ss/1\xF0\x9F\x98\x80";
  size_t n = pack(&m, buf);
  sr_str pid;
  ck_assert_int_eq(sr_decode_peek_session(buf, n, scratch, &pid), 0);
  ck_assert(sr_str_eq(pid, id));
}
END_TEST

START_TEST(peek_json_escaped_key) {
  sr_str id;
  ck_assert_int_eq(peek_s("{\"session\\u005fid\":\"k\"}", &id), 0);
  EQ(id, "k");
}
END_TEST

START_TEST(peek_json_id_at_the_bound) {
  /* 128 bytes unescaped, 768 bytes raw: fits the scratch */
  char line[1024];
  size_t n = (size_t)sprintf(line, "{\"session_id\":\"");
  for (int i = 0; i < SR_SESSION_ID_MAX; i++)
    n += (size_t)sprintf(line + n, "\\u0041");
  strcpy(line + n, "\"}");
  sr_str id;
  ck_assert_int_eq(peek_s(line, &id), 0);
  ck_assert_uint_eq(id.n, SR_SESSION_ID_MAX);
  ck_assert(id.p[0] == 'A' && id.p[SR_SESSION_ID_MAX - 1] == 'A');

  /* 129 bytes: not routable, and the decoder rejects it too */
  n = (size_t)sprintf(line, "{\"session_id\":\"");
  for (int i = 0; i <= SR_SESSION_ID_MAX; i++)
    n += (size_t)sprintf(line + n, "\\u0041");
  strcpy(line + n, "\"}");
  ck_assert_int_eq(peek_s(line, &id), SR_ENOTFOUND);
  n = (size_t)sprintf(line, "{\"session_id\":\"");
  memset(line + n, 'a', SR_SESSION_ID_MAX + 1);
  strcpy(line + n + SR_SESSION_ID_MAX + 1, "\"}");
  ck_assert_int_eq(peek_s(line, &id), SR_ENOTFOUND);
}
END_TEST

START_TEST(peek_json_not_found) {
  sr_str id;
  ck_assert_int_eq(peek_s("{\"type\":\"tool_call\"}", &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"session_id\":\"\"}", &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"session_id\":42}", &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"session_id\":{\"id\":\"x\"}}", &id),
                   SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"session_id\":null,\"session_id\":\"x\"}", &id),
                   SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"a\":[1,}, \"session_id\":\"x\"}", &id),
                   SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"session_id\":\"\\x\"}", &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{\"session_id\":\"unterminated", &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{", &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek_s("{}", &id), SR_ENOTFOUND);
}
END_TEST

/* ---- peek: protobuf ------------------------------------------------------ */

START_TEST(peek_protobuf_plain) {
  uint8_t buf[256];
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = STACKRISK__V1__EVENT_TYPE__TOOL_CALL;
  m.session_id = "sess-pb";
  size_t n = pack(&m, buf);
  sr_str id;
  ck_assert_int_eq(peek(buf, n, &id), 0);
  EQ(id, "sess-pb");
  ck_assert(id.p >= (const char *)buf && id.p < (const char *)buf + n);
}
END_TEST

START_TEST(peek_protobuf_skips_every_wire_type) {
  /* fields before session_id of each wire type, known and unknown */
  static const uint8_t msg[] = {
      0x08, 0x02,                                       /* 1 varint */
      0x20, 0xff, 0xff, 0xff, 0xff, 0x0f,               /* 4 varint, 5 bytes */
      0xf9, 0x06, 1,    2,    3,    4,    5,   6, 7, 8, /* 111 fixed64 */
      0x1a, 0x03, 0x12, 0x01, 'x',             /* 3 bytes that look like
                                                  a session_id inside */
      0xfd, 0x06, 9,    9,    9,    9,         /* 111 fixed32 */
      0xea, 0x01, 0x04, 0x0a, 0x02, 'i',  'd', /* 29 (unknown), nested */
      0x12, 0x04, 's',  'e',  's',  's',       /* 2: session_id */
      0x98, 0x01, 0x01,                        /* 19 varint after */
  };
  sr_str id;
  ck_assert_int_eq(peek(msg, sizeof msg, &id), 0);
  EQ(id, "sess");
}
END_TEST

START_TEST(peek_protobuf_last_occurrence_wins_like_the_decoder) {
  uint8_t buf[256];
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = STACKRISK__V1__EVENT_TYPE__TOOL_CALL;
  m.session_id = "first";
  size_t n = pack(&m, buf);
  static const uint8_t again[] = {0x12, 0x06, 's', 'e', 'c', 'o', 'n', 'd'};
  memcpy(buf + n, again, sizeof again);
  n += sizeof again;
  sr_str id;
  ck_assert_int_eq(peek(buf, n, &id), 0);
  EQ(id, "second");
  ck_assert_int_eq(sr_decode_event(buf, n, NULL, arena, &ev, err, sizeof err),
                   0);
  EQ(ev.session_id, "second");
}
END_TEST

START_TEST(peek_protobuf_not_found) {
  sr_str id;
  static const uint8_t no_id[] = {0x08, 0x02, 0x1a, 0x01, 'e'};
  static const uint8_t empty_id[] = {0x08, 0x02, 0x12, 0x00};
  static const uint8_t group[] = {0x0b, 0x0c, 0x12, 0x01, 's'};
  static const uint8_t group_after[] = {0x12, 0x01, 's', 0x7b};
  static const uint8_t truncated[] = {0x08, 0x02, 0x12, 0x05, 's', 'e'};
  static const uint8_t trunc_varint[] = {0x12, 0x01, 's', 0x20, 0xff};
  static const uint8_t trunc_fixed[] = {0x12, 0x01, 's', 0x09, 1, 2};
  static const uint8_t bad_wt[] = {0x12, 0x01, 's', 0x0e};
  static const uint8_t zero_field[] = {0x02, 0x01, 's'};
  ck_assert_int_eq(peek(no_id, sizeof no_id, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(empty_id, sizeof empty_id, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(group, sizeof group, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(group_after, sizeof group_after, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(truncated, sizeof truncated, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(trunc_varint, sizeof trunc_varint, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(trunc_fixed, sizeof trunc_fixed, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(bad_wt, sizeof bad_wt, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(zero_field, sizeof zero_field, &id), SR_ENOTFOUND);
  ck_assert_int_eq(peek(NULL, 0, &id), SR_ENOTFOUND);

  uint8_t buf[512];
  char longid[SR_SESSION_ID_MAX + 2];
  memset(longid, 'x', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  Stackrisk__V1__Event m = STACKRISK__V1__EVENT__INIT;
  m.type = STACKRISK__V1__EVENT_TYPE__TOOL_CALL;
  m.session_id = longid;
  size_t n = pack(&m, buf);
  ck_assert_int_eq(peek(buf, n, &id), SR_ENOTFOUND);
  longid[SR_SESSION_ID_MAX] = '\0';
  n = pack(&m, buf);
  ck_assert_int_eq(peek(buf, n, &id), 0);
  ck_assert_uint_eq(id.n, SR_SESSION_ID_MAX);
}
END_TEST

/* The router and the decoder must agree on every message of a session. */
START_TEST(peek_agrees_with_decode_on_the_fixture) {
  char path[512];
  snprintf(path, sizeof path, "%s/decode/session.jsonl", SR_TEST_DATA);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char line[8192];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    sr_str id;
    ck_assert_int_eq(peek_s(line, &id), 0);
    sr_arena_reset(arena);
    ck_assert_msg(sr_decode_event(line, strlen(line), NULL, arena, &ev, err,
                                  sizeof err) == 0,
                  "%s", err);
    ck_assert(sr_str_eq(id, ev.session_id));
    n++;
  }
  fclose(f);
  ck_assert_int_eq(n, 6);
}
END_TEST

/* The compact path (plain keys and strings up to session_id) hands a line
 * over to the general reader wherever it stops, blank, escape, number,
 * nested value or odd key alike, and both find the id the decoder finds:
 * every pair of members before session_id, every form of its value. */
START_TEST(peek_plain_and_general_paths_agree_with_decode) {
  static const char *const members[] = {
      "\"type\":\"tool_call\"",
      "\"call_id\":\"c-1\"",
      "\"want_verdict\":true",
      "\"arguments\":{\"session_id\":\"inner\"}",
      "\"tool\":\"say \\\"session_id\\\":\\\"evil\\\"\"",
      " \"target\" : \"vol-1\" ",
      "\"session_idx\":\"near\"",
      "\"scope\":{\"environments\":[\"staging\",\"prod\"]}",
      "\"t\\u006fol\":\"bash\"",
  };
  static const char *const ids[] = {"\"sess-plain\"", "\"s\\u00e9ss\"",
                                    " \"sess-blank\"", "\"\"", "7"};
  char line[1024];
  int found = 0;
  for (size_t a = 0; a < SR_ARRAY_LEN(members); a++) {
    for (size_t b = 0; b < SR_ARRAY_LEN(members); b++) {
      for (size_t i = 0; i < SR_ARRAY_LEN(ids); i++) {
        /* type first unless a member is type itself (no repeated keys) */
        snprintf(line, sizeof line, "{%s%s%s,%s,\"session_id\":%s}",
                 a && b ? "\"type\":\"tool_call\"" : "", a && b ? "," : "",
                 members[a], members[b], ids[i]);
        if (a == b) continue;
        sr_str id;
        int rc = peek_s(line, &id);
        sr_arena_reset(arena);
        int drc = sr_decode_event(line, strlen(line), NULL, arena, &ev, err,
                                  sizeof err);
        if (drc == 0) {
          ck_assert_msg(rc == 0, "peek missed the id of %s", line);
          ck_assert_msg(sr_str_eq(id, ev.session_id), "%s: peek '%.*s'", line,
                        (int)id.n, id.p);
          found++;
        } else {
          /* only the ids the decoder refuses, peek refuses too */
          ck_assert_msg(i >= 3 || strstr(err, "session_id") == NULL, "%s: %s",
                        line, err);
          if (i >= 3) ck_assert_int_eq(rc, SR_ENOTFOUND);
        }
      }
    }
  }
  ck_assert_int_ge(found, 160);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("decode");
  TCase *tc = tcase_create("front");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, sniff_by_first_non_blank_byte);
  tcase_add_test(tc, dispatch_by_wire_form);
  tcase_add_test(tc, event_time_far_ahead_of_its_record_is_refused);
  tcase_add_test(tc, event_type_names);
  suite_add_tcase(s, tc);

  TCase *pk = tcase_create("peek");
  tcase_add_checked_fixture(pk, setup, teardown);
  tcase_add_test(pk, peek_json_plain);
  tcase_add_test(pk, peek_json_after_nested_objects);
  tcase_add_test(pk, peek_json_escaped_id_uses_scratch);
  tcase_add_test(pk, peek_json_escaped_key);
  tcase_add_test(pk, peek_json_id_at_the_bound);
  tcase_add_test(pk, peek_json_not_found);
  tcase_add_test(pk, peek_json_session_lead);
  tcase_add_test(pk, peek_protobuf_plain);
  tcase_add_test(pk, peek_protobuf_skips_every_wire_type);
  tcase_add_test(pk, peek_protobuf_last_occurrence_wins_like_the_decoder);
  tcase_add_test(pk, peek_protobuf_not_found);
  tcase_add_test(pk, peek_agrees_with_decode_on_the_fixture);
  tcase_add_test(pk, peek_plain_and_general_paths_agree_with_decode);
  suite_add_tcase(s, pk);
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
