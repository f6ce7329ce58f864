/*
 * OTLP/JSON decoding (otlp_json encoding of the Collector's Kafka
 * exporter): hex ids, enums as numbers or names, 64-bit integers as strings
 * or numbers, every AnyValue form, snake_case keys, unknown keys and nulls
 * ignored; malformed documents fail with a reason naming the field and the
 * byte.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "ingest/otlp.h"

static struct sr_otlp_config cfg;
static struct sr_otlp_decoder *dec;
static struct sr_arena *arena;
static struct sr_otlp_batch b;
static char err[512];
static const struct sr_decode_opts opts = {0, 1700000000000LL};

static void setup(void) {
  ck_assert_int_eq(sr_otlp_config_read(NULL, &cfg, err, sizeof err), 0);
  dec = sr_otlp_decoder_create(&cfg, err, sizeof err);
  arena = sr_arena_create(1 << 20);
}

static void teardown(void) {
  sr_otlp_decoder_destroy(dec);
  sr_arena_destroy(arena);
}

static int decode(const char *json) {
  sr_arena_reset(arena);
  err[0] = '\0';
  return sr_otlp_decode(dec, json, strlen(json), &opts, arena, &b, err,
                        sizeof err);
}

static bool eq(sr_str s, const char *want) { return sr_str_eq_cstr(s, want); }

#define ck_str(s, want)                                                     \
  ck_assert_msg(eq((s), (want)), "%s: got '%.*s', want '%s'", #s, (int)(s).n, \
                (s).p ? (s).p : "", (want))

/* One span in one resource; `span` is the inside of the span object. */
static int decode_span(const char *span) {
  static char doc[8192];
  snprintf(doc, sizeof doc,
           "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
           "\"session.id\",\"value\":{\"stringValue\":\"res-sess\"}}]},"
           "\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},\"spans\":[{%s}]}]}]}",
           span);
  return decode(doc);
}

#define IDS                                                     \
  "\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":" \
  "\"EEE19B7EC3C1B174\""

START_TEST(ids_times_and_enum_forms) {
  ck_assert_msg(decode_span(IDS ",\"name\":\"execute_tool Bash\","
                                "\"kind\":\"SPAN_KIND_CLIENT\","
                                "\"startTimeUnixNano\":\"1544712660000000000\","
                                "\"endTimeUnixNano\":1544712661000000000,"
                                "\"status\":{\"code\":\"STATUS_CODE_ERROR\","
                                "\"message\":\"boom\"}") == 0,
                "%s", err);
  ck_assert_uint_eq(b.n_events, 2);
  ck_str(b.events[0]->session_id, "res-sess");
  ck_assert_int_eq(b.events[0]->ts_ms, 1544712660000LL);
  ck_assert_int_eq(b.events[1]->ts_ms, 1544712661000LL);
  ck_assert_int_eq(b.events[1]->phase, SR_PHASE_FAILED);
  ck_str(b.events[1]->result, "boom");
  /* upper-case hex is accepted; ids come out lower-case */
  ck_str(b.events[0]->call_id, "eee19b7ec3c1b174");
  ck_assert_msg(decode_span(IDS ",\"name\":\"execute_tool Bash\",\"kind\":3,"
                                "\"status\":{\"code\":2}") == 0,
                "%s", err);
  ck_assert_int_eq(b.events[1]->phase, SR_PHASE_FAILED);
}
END_TEST

START_TEST(every_any_value_form) {
  ck_assert_msg(
      decode_span(
          IDS ",\"name\":\"execute_tool Bash\",\"attributes\":["
              "{\"key\":\"gen_ai.tool.call.arguments\",\"value\":{"
              "\"kvlistValue\":{\"values\":["
              "{\"key\":\"s\",\"value\":{\"stringValue\":\"a\\\"b\"}},"
              "{\"key\":\"i\",\"value\":{\"intValue\":\"-42\"}},"
              "{\"key\":\"j\",\"value\":{\"intValue\":7}},"
              "{\"key\":\"d\",\"value\":{\"doubleValue\":1.5}},"
              "{\"key\":\"n\",\"value\":{\"doubleValue\":\"NaN\"}},"
              "{\"key\":\"b\",\"value\":{\"boolValue\":true}},"
              "{\"key\":\"x\",\"value\":{\"bytesValue\":\"aGk=\"}},"
              "{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":["
              "{\"intValue\":\"1\"},{\"stringValue\":\"two\"}]}}},"
              "{\"key\":\"e\",\"value\":{}}]}}},"
              "{\"key\":\"gen_ai.tool.call.id\",\"value\":{\"intValue\":\"99\"}}]") ==
          0,
      "%s", err);
  ck_str(b.events[0]->arguments,
         "{\"s\":\"a\\\"b\",\"i\":-42,\"j\":7,\"d\":1.5,\"n\":null,\"b\":true,"
         "\"x\":\"aGk=\",\"a\":[1,\"two\"],\"e\":null}");
  /* an integer where a string is expected reads as its decimal text */
  ck_str(b.events[0]->call_id, "99");
}
END_TEST

START_TEST(snake_case_unknown_keys_and_nulls) {
  ck_assert_msg(
      decode("{\"resource_spans\":[{\"resource\":null,\"scope_spans\":[{"
             "\"spans\":[{\"trace_id\":\"5b8efff798038103d269b633813fc60c\","
             "\"span_id\":\"eee19b7ec3c1b174\",\"parent_span_id\":\"\","
             "\"name\":\"execute_tool Read\",\"future_field\":{\"x\":[1,2]},"
             "\"links\":[],\"flags\":257,\"status\":null,"
             "\"start_time_unix_nano\":\"1000000000\","
             "\"attributes\":[{\"key\":\"session.id\",\"value\":{"
             "\"string_value\":\"snake\"}}]}]}]}],\"extra\":true}") == 0,
      "%s", err);
  ck_assert_uint_eq(b.n_events, 2);
  ck_str(b.events[0]->session_id, "snake");
  ck_assert_int_eq(b.events[0]->ts_ms, 1000);
  /* an empty document is an empty batch */
  ck_assert_int_eq(decode("{}"), 0);
  ck_assert_uint_eq(b.n_spans, 0);
}
END_TEST

START_TEST(malformed_documents_name_the_field) {
  ck_assert_int_eq(decode_span("\"traceId\":\"xyz1\",\"spanId\":\"00\""),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "'traceId'") && strstr(err, "hex"), "%s", err);
  ck_assert_int_eq(decode_span(IDS ",\"kind\":\"SPAN_KIND_SIDEWAYS\""),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "'kind'") && strstr(err, "enum"), "%s", err);
  ck_assert_int_eq(decode_span(IDS ",\"startTimeUnixNano\":\"soon\""),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "startTimeUnixNano"), "%s", err);
  ck_assert_int_eq(decode_span(IDS ",\"startTimeUnixNano\":"
                                   "\"99999999999999999999\""),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "overflow"), "%s", err);
  ck_assert_int_eq(decode_span(IDS ",\"attributes\":{\"key\":\"a\"}"),
                   SR_EINVAL);
  ck_assert_msg(strstr(err, "'attributes'"), "%s", err);
  ck_assert_int_eq(decode("{\"resourceSpans\":[{\"scopeSpans\":[{"), SR_EINVAL);
  ck_assert_msg(strstr(err, "byte"), "%s", err);
  ck_assert_int_eq(decode("{\"resourceSpans\":[]} trailing"), SR_EINVAL);
  ck_assert_int_eq(decode("{\"resourceSpans\":{}}"), SR_EINVAL);
  ck_assert_msg(strstr(err, "expected an array"), "%s", err);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("otlp_json");
  TCase *tc = tcase_create("decode");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, ids_times_and_enum_forms);
  tcase_add_test(tc, every_any_value_form);
  tcase_add_test(tc, snake_case_unknown_keys_and_nulls);
  tcase_add_test(tc, malformed_documents_name_the_field);
  suite_add_tcase(s, tc);
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
