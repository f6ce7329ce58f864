/*
 * The zero-copy JSON reader: strict grammar, escapes and surrogates,
 * zero-copy views, skipping with raw text, depth bound, and error offsets.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "ingest/json.h"

static struct sr_arena *arena;
static char err[256];

static void setup(void) {
  arena = sr_arena_create(1 << 16);
  err[0] = '\0';
}

static void teardown(void) {
  sr_arena_destroy(arena);
}

static void init(struct sr_json *j, const char *s) {
  sr_json_init(j, s, strlen(s), arena, err, sizeof err);
}

/* Skips one whole document; returns the reader's verdict. */
static int validate(const char *s) {
  struct sr_json j;
  init(&j, s);
  int rc = sr_json_skip(&j, NULL);
  return rc ? rc : sr_json_finish(&j);
}

static void assert_str(sr_str s, const char *want) {
  ck_assert_uint_eq(s.n, strlen(want));
  ck_assert(memcmp(s.p, want, s.n) == 0);
}

START_TEST(string_without_escapes_is_a_view) {
  const char *doc = "  \"hello world\"";
  struct sr_json j;
  init(&j, doc);
  sr_str s;
  ck_assert_int_eq(sr_json_peek(&j), SR_JSON_STRING);
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  assert_str(s, "hello world");
  ck_assert_ptr_eq(s.p, doc + 3);
  ck_assert_uint_eq(sr_arena_used(arena), 0);
  ck_assert_int_eq(sr_json_finish(&j), 0);
}
END_TEST

START_TEST(escapes_are_unescaped_into_the_arena) {
  struct sr_json j;
  init(&j, "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\"");
  sr_str s;
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  assert_str(s, "a\"b\\c/d\b\f\n\r\te");
  ck_assert_uint_gt(sr_arena_used(arena), 0);
}
END_TEST

START_TEST(unicode_escapes_become_utf8) {
  struct sr_json j;
  sr_str s;
  /* 1, 2, 3 and 4 byte encodings; the last is U+1F600 as a surrogate pair */
  init(&j, "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  assert_str(s, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}
END_TEST

START_TEST(escaped_nul_is_kept_with_its_length) {
  struct sr_json j;
  sr_str s;
  init(&j, "\"a\\u0000b\"");
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  ck_assert_uint_eq(s.n, 3);
  ck_assert(memcmp(s.p, "a\0b", 3) == 0);
}
END_TEST

START_TEST(invalid_utf8_passes_through) {
  struct sr_json j;
  sr_str s;
  init(&j, "\"\xff\xfe ok\"");
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  assert_str(s, "\xff\xfe ok");
}
END_TEST

START_TEST(lone_surrogates_are_rejected) {
  ck_assert_int_eq(validate("\"\\ud83d\""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 1: lone surrogate in \\u escape");
  ck_assert_int_eq(validate("\"\\ude00\""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 1: lone surrogate in \\u escape");
  ck_assert_int_eq(validate("\"x\\ud83d\\u0041\""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 2: lone surrogate in \\u escape");
  ck_assert_int_eq(validate("\"\\ud83dx\""), SR_EINVAL);
}
END_TEST

START_TEST(bad_escapes_and_control_chars_are_rejected) {
  ck_assert_int_eq(validate("\"a\\x\""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 2: invalid escape");
  ck_assert_int_eq(validate("\"\\u12G4\""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 1: invalid \\u escape");
  ck_assert_int_eq(validate("\"\\u12"), SR_EINVAL);
  ck_assert_int_eq(validate("\"tab\there\""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 4: control character in string");
  ck_assert_int_eq(validate("\"line\nbreak\""), SR_EINVAL);
  ck_assert_int_eq(validate("\"unterminated"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 13: unterminated string");
  ck_assert_int_eq(validate("\"ends in backslash\\"), SR_EINVAL);
}
END_TEST

/* The string scan runs sixteen bytes at a time; put the closing quote, an
 * escape and a control byte at every offset around that stride. */
START_TEST(string_scan_is_exact_at_every_offset) {
  char doc[64], want[64];
  for (int n = 0; n < 40; n++) {
    memset(doc, 'x', sizeof doc);
    doc[0] = '"';
    doc[n + 1] = '"';
    doc[n + 2] = '\0';
    struct sr_json j;
    sr_str s;
    init(&j, doc);
    ck_assert_int_eq(sr_json_string(&j, &s), 0);
    ck_assert_uint_eq(s.n, (size_t)n);
    ck_assert_int_eq(sr_json_finish(&j), 0);

    /* an escaped quote at offset n */
    memset(doc, 'y', sizeof doc);
    doc[0] = '"';
    doc[n + 1] = '\\';
    doc[n + 2] = '"';
    doc[45] = '"';
    doc[46] = '\0';
    memset(want, 'y', sizeof want);
    want[n] = '"';
    want[43] = '\0';
    init(&j, doc);
    ck_assert_int_eq(sr_json_string(&j, &s), 0);
    assert_str(s, want);

    /* a raw control byte at offset n */
    memset(doc, 'z', sizeof doc);
    doc[0] = '"';
    doc[n + 1] = '\x01';
    doc[45] = '"';
    doc[46] = '\0';
    ck_assert_int_eq(validate(doc), SR_EINVAL);
    char msg[96];
    snprintf(msg, sizeof msg,
             "invalid JSON at byte %d: control character in string", n + 1);
    ck_assert_str_eq(err, msg);
  }
}
END_TEST

START_TEST(numbers_follow_the_grammar) {
  static const char *good[] = {"0",
                               "-0",
                               "1",
                               "-12",
                               "1.5",
                               "1e10",
                               "1E+10",
                               "1e-2",
                               "0.0",
                               "-0.5e3",
                               "12345678901234567890123"};
  static const char *bad[] = {"01", "1.",  ".5",   "-",    "1e",       "1e+",
                              "+1", "--1", "0x10", "1.e3", "Infinity", "NaN"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    ck_assert_msg(validate(good[i]) == 0, "%s: %s", good[i], err);
  }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_msg(validate(bad[i]) == SR_EINVAL, "%s accepted", bad[i]);
  }
  ck_assert_int_eq(validate("01"), SR_EINVAL);
  ck_assert_str_eq(err,
                   "invalid JSON at byte 1: unexpected data after the value");
  ck_assert_int_eq(validate("[1.]"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 3: invalid number");
}
END_TEST

START_TEST(number_conversions) {
  struct sr_json j;
  sr_str t;
  bool integral;
  int64_t v;
  double d;
  init(&j, "-9223372036854775808");
  ck_assert_int_eq(sr_json_number(&j, &t, &integral), 0);
  ck_assert(integral);
  ck_assert_int_eq(sr_json_to_int64(t, &v), 0);
  ck_assert(v == INT64_MIN);
  ck_assert_int_eq(sr_json_to_int64(SR_STR_LIT("9223372036854775807"), &v), 0);
  ck_assert(v == INT64_MAX);
  ck_assert_int_eq(sr_json_to_int64(SR_STR_LIT("9223372036854775808"), &v),
                   SR_EBOUND);
  ck_assert_int_eq(sr_json_to_int64(SR_STR_LIT("1.7e12"), &v), 0);
  ck_assert(v == 1700000000000);
  ck_assert_int_eq(sr_json_to_int64(SR_STR_LIT("42.0"), &v), 0);
  ck_assert(v == 42);
  ck_assert_int_eq(sr_json_to_int64(SR_STR_LIT("1.5"), &v), SR_EINVAL);
  ck_assert_int_eq(sr_json_to_int64(SR_STR_LIT("1e30"), &v), SR_EBOUND);
  ck_assert_int_eq(sr_json_to_double(SR_STR_LIT("-2.5e-1"), &d), 0);
  ck_assert(d == -0.25);
  ck_assert_int_eq(sr_json_to_double(SR_STR_LIT("1e999"), &d), SR_EBOUND);
  init(&j, "3.25");
  ck_assert_int_eq(sr_json_number(&j, &t, &integral), 0);
  ck_assert(!integral);
  assert_str(t, "3.25");
}
END_TEST

START_TEST(literals) {
  struct sr_json j;
  bool b = false;
  init(&j, " true ");
  ck_assert_int_eq(sr_json_peek(&j), SR_JSON_TRUE);
  ck_assert_int_eq(sr_json_bool(&j, &b), 0);
  ck_assert(b);
  ck_assert_int_eq(sr_json_finish(&j), 0);
  init(&j, "false");
  ck_assert_int_eq(sr_json_bool(&j, &b), 0);
  ck_assert(!b);
  init(&j, "null");
  ck_assert_int_eq(sr_json_peek(&j), SR_JSON_NULL);
  ck_assert_int_eq(sr_json_null(&j), 0);
  ck_assert_int_eq(validate("tru"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 0: invalid literal");
  ck_assert_int_eq(validate("nul"), SR_EINVAL);
  ck_assert_int_eq(validate("True"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 0: expected a value");
}
END_TEST

START_TEST(objects_and_arrays_are_pulled) {
  struct sr_json j;
  sr_str k, s;
  init(&j, "{ \"a\" : [\"x\", \"y\"], \"b\\u0063\": {}, \"d\": [] }");
  ck_assert_int_eq(sr_json_object_begin(&j), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  assert_str(k, "a");
  ck_assert_int_eq(sr_json_array_begin(&j), 0);
  ck_assert_int_eq(sr_json_array_next(&j), 1);
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  assert_str(s, "x");
  ck_assert_int_eq(sr_json_array_next(&j), 1);
  ck_assert_int_eq(sr_json_string(&j, &s), 0);
  assert_str(s, "y");
  ck_assert_int_eq(sr_json_array_next(&j), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  assert_str(k, "bc"); /* escaped key, unescaped */
  ck_assert_int_eq(sr_json_skip(&j, &s), 0);
  assert_str(s, "{}");
  ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  assert_str(k, "d");
  ck_assert_int_eq(sr_json_array_begin(&j), 0);
  ck_assert_int_eq(sr_json_array_next(&j), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), 0);
  ck_assert_int_eq(sr_json_finish(&j), 0);
}
END_TEST

START_TEST(raw_keys_never_allocate) {
  struct sr_json j;
  sr_str k;
  bool esc;
  sr_json_init(&j, "{\"s\\u0065ssion\":1}", 18, NULL, err, sizeof err);
  ck_assert_int_eq(sr_json_object_begin(&j), 0);
  ck_assert_int_eq(sr_json_object_next_raw(&j, &k, &esc), 1);
  ck_assert(esc);
  assert_str(k, "s\\u0065ssion");
  char out[16];
  size_t n = sr_json_unescape(k, out, sizeof out);
  ck_assert_uint_eq(n, 7);
  ck_assert(memcmp(out, "session", 7) == 0);
  /* too small a buffer is reported, not overrun */
  ck_assert_uint_eq(sr_json_unescape(k, out, 6), SIZE_MAX);
  /* without an arena an escaped string cannot be unescaped */
  sr_json_init(&j, "\"a\\nb\"", 6, NULL, err, sizeof err);
  sr_str s;
  ck_assert_int_eq(sr_json_string(&j, &s), SR_ENOMEM);
}
END_TEST

START_TEST(skip_returns_the_exact_text) {
  const char *doc =
      "{\"k\": {\"cmd\": \"rm -rf /\", \"n\": [1, 2.5, true, null, {\"x\": "
      "\"\\\"}\"}]} , \"z\": 0}";
  struct sr_json j;
  sr_str k, raw;
  init(&j, doc);
  ck_assert_int_eq(sr_json_object_begin(&j), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  ck_assert_int_eq(sr_json_skip(&j, &raw), 0);
  assert_str(raw,
             "{\"cmd\": \"rm -rf /\", \"n\": [1, 2.5, true, null, {\"x\": "
             "\"\\\"}\"}]}");
  ck_assert_ptr_eq(raw.p, doc + 6);
  ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  assert_str(k, "z");
}
END_TEST

START_TEST(structural_errors_name_the_byte) {
  ck_assert_int_eq(validate("{\"type\" \"x\"}"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 8: expected ':'");
  ck_assert_int_eq(validate("{\"a\":1,}"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 7: expected a string key");
  ck_assert_int_eq(validate("[1,]"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 3: expected a value");
  ck_assert_int_eq(validate("{\"a\":1 \"b\":2}"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 7: expected ',' or '}'");
  ck_assert_int_eq(validate("[1 2]"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 3: expected ',' or ']'");
  ck_assert_int_eq(validate("{a:1}"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 1: expected a string key");
  ck_assert_int_eq(validate("{\"a\":1"), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 6: unexpected end of input");
  ck_assert_int_eq(validate("{\"a\":1}}"), SR_EINVAL);
  ck_assert_str_eq(err,
                   "invalid JSON at byte 7: unexpected data after the value");
  ck_assert_int_eq(validate("{\"a\":1} // comment"), SR_EINVAL);
  ck_assert_int_eq(validate("{\"a\":[1}"), SR_EINVAL);
  ck_assert_int_eq(validate(""), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 0: unexpected end of input");
  ck_assert_int_eq(validate(" {\"a\" : 1 , \"b\" : [ ] }\r\n\t"), 0);

  /* the pull API reports the same faults */
  struct sr_json j;
  sr_str k;
  init(&j, "{\"a\":1,}");
  ck_assert_int_eq(sr_json_object_begin(&j), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  ck_assert_int_eq(sr_json_skip(&j, NULL), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 7: expected a string key");
  init(&j, "{1:2}");
  ck_assert_int_eq(sr_json_object_begin(&j), 0);
  ck_assert_int_eq(sr_json_object_next(&j, &k), SR_EINVAL);
  ck_assert_str_eq(err, "invalid JSON at byte 1: expected a string key or '}'");
}
END_TEST

static char *nested(int depth, char open, char close) {
  char *s = malloc((size_t)depth * 2 + 1);
  memset(s, open, (size_t)depth);
  memset(s + depth, close, (size_t)depth);
  s[depth * 2] = '\0';
  return s;
}

START_TEST(nesting_is_bounded) {
  char *ok = nested(SR_JSON_MAX_DEPTH, '[', ']');
  char *deep = nested(SR_JSON_MAX_DEPTH + 1, '[', ']');
  ck_assert_int_eq(validate(ok), 0);
  ck_assert_int_eq(validate(deep), SR_EINVAL);
  ck_assert_str_eq(err,
                   "invalid JSON at byte 64: nesting deeper than 64 levels");
  free(ok);
  free(deep);

  /* a hostile document far past the bound fails cleanly, without recursion */
  char *huge = nested(200000, '[', ']');
  ck_assert_int_eq(validate(huge), SR_EINVAL);
  free(huge);

  /* containers opened by the caller count too */
  struct sr_json j;
  char *objs = malloc(SR_JSON_MAX_DEPTH * 6 + 8);
  size_t n = 0;
  for (int i = 0; i < SR_JSON_MAX_DEPTH; i++)
    n += (size_t)sprintf(objs + n, "{\"a\":");
  sprintf(objs + n, "[]");
  init(&j, objs);
  sr_str k;
  for (int i = 0; i < SR_JSON_MAX_DEPTH; i++) {
    ck_assert_int_eq(sr_json_object_begin(&j), 0);
    ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  }
  ck_assert_int_eq(sr_json_skip(&j, NULL), SR_EINVAL);
  ck_assert(strstr(err, "nesting deeper than 64 levels") != NULL);
  free(objs);
}
END_TEST

START_TEST(arena_exhaustion_is_reported) {
  struct sr_arena *tiny = sr_arena_create(8);
  struct sr_json j;
  sr_str s;
  const char *doc = "\"this string has an escape \\n and is long\"";
  sr_json_init(&j, doc, strlen(doc), tiny, err, sizeof err);
  ck_assert_int_eq(sr_json_string(&j, &s), SR_ENOMEM);
  ck_assert_str_eq(err, "decoder arena exhausted");
  sr_arena_destroy(tiny);
}
END_TEST

START_TEST(type_names) {
  struct sr_json j;
  init(&j, "x");
  ck_assert_int_eq(sr_json_peek(&j), SR_JSON_INVALID);
  ck_assert_str_eq(sr_json_type_name(SR_JSON_OBJECT), "object");
  ck_assert_str_eq(sr_json_type_name(SR_JSON_TRUE), "boolean");
  ck_assert_str_eq(sr_json_type_name(SR_JSON_NUMBER), "number");
  ck_assert_str_eq(sr_json_type_name(SR_JSON_INVALID), "nothing");
}
END_TEST

/* A heap copy of exactly n bytes, no terminator: a read past the end is
 * caught by the sanitizer run. */
static char *exact(const char *s, size_t n) {
  char *b = malloc(n ? n : 1);
  ck_assert_ptr_nonnull(b);
  memcpy(b, s, n);
  return b;
}

/*
 * Near the end of the buffer the scan reads the sixteen bytes that end
 * there, shifting out the flags of those before the string. Here they are
 * all quotes (k empty strings before the last one), so a wrong shift finds
 * one of them; and a quote, escape or control byte at every offset of the
 * last string must still be seen, or the fast read would drop or misread
 * a byte.
 */
START_TEST(plain_reads_near_the_end_see_only_their_bytes) {
  char doc[128], want[64];
  for (int k = 0; k < 8; k++) {
    for (int m = 0; m < 40; m++) {
      int n = 0;
      doc[n++] = '[';
      for (int i = 0; i < k; i++) n += sprintf(doc + n, "\"\",");
      doc[n++] = '"';
      for (int i = 0; i < m; i++) want[i] = doc[n++] = (char)('a' + i % 26);
      doc[n++] = '"';
      doc[n++] = ']';
      char *b = exact(doc, (size_t)n);
      struct sr_json j;
      sr_str s;
      sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
      ck_assert_int_eq(sr_json_array_begin(&j), 0);
      for (int i = 0; i < k; i++) {
        ck_assert_int_eq(sr_json_array_next(&j), 1);
        ck_assert(sr_json_plain_string(&j, &s));
        ck_assert_uint_eq(s.n, 0);
      }
      ck_assert_int_eq(sr_json_array_next(&j), 1);
      ck_assert_msg(sr_json_plain_string(&j, &s), "k=%d m=%d", k, m);
      ck_assert_msg(s.n == (size_t)m && memcmp(s.p, want, s.n) == 0,
                    "k=%d m=%d: read '%.*s'", k, m, (int)s.n, s.p);
      ck_assert_int_eq(sr_json_array_next(&j), 0);
      ck_assert_int_eq(sr_json_finish(&j), 0);

      /* a special byte at offset i of the last string: no plain read */
      static const char specials[] = {'\\', '\x01', '\x1f'};
      int last = n - m - 3; /* its opening quote */
      for (int i = 0; i < m; i++) {
        for (size_t c = 0; c < sizeof specials; c++) {
          b[last + 1 + i] = specials[c];
          sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
          ck_assert_int_eq(sr_json_array_begin(&j), 0);
          for (int x = 0; x < k; x++) {
            ck_assert_int_eq(sr_json_array_next(&j), 1);
            ck_assert(sr_json_plain_string(&j, &s));
          }
          ck_assert_int_eq(sr_json_array_next(&j), 1);
          ck_assert_msg(!sr_json_plain_string(&j, &s),
                        "k=%d m=%d: byte %d (0x%02x) missed", k, m, i,
                        (unsigned char)specials[c]);
          ck_assert_uint_eq(sr_json_offset(&j), (size_t)last);
          b[last + 1 + i] = want[i];
        }
      }
      free(b);
    }
  }
}
END_TEST

/* The same for keys: the last member's key, near the end, after members
 * whose keys and values are all quotes. */
START_TEST(plain_keys_near_the_end_see_only_their_bytes) {
  char doc[128];
  for (int k = 0; k < 5; k++) {
    for (int m = 1; m < 24; m++) {
      int n = 0;
      doc[n++] = '{';
      for (int i = 0; i < k; i++) n += sprintf(doc + n, "\"\":\"\",");
      doc[n++] = '"';
      for (int i = 0; i < m; i++) doc[n++] = 'k';
      n += sprintf(doc + n, "\":1}");
      char *b = exact(doc, (size_t)n);
      struct sr_json j;
      sr_str key, v;
      int64_t x;
      sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
      ck_assert_int_eq(sr_json_object_begin(&j), 0);
      for (int i = 0; i < k; i++) {
        ck_assert(sr_json_plain_key(&j, &key));
        ck_assert_uint_eq(key.n, 0);
        ck_assert(sr_json_plain_string(&j, &v));
      }
      ck_assert_msg(sr_json_plain_key(&j, &key), "k=%d m=%d", k, m);
      ck_assert_uint_eq(key.n, (size_t)m);
      ck_assert(sr_json_plain_int(&j, &x));
      ck_assert_int_eq(x, 1);
      ck_assert(!sr_json_plain_key(&j, &key));
      ck_assert(sr_json_plain_close(&j));
      ck_assert_int_eq(sr_json_finish(&j), 0);
      free(b);
    }
  }
}
END_TEST

/* Values and strings that straddle the sixteen-byte blocks of the scan, in
 * an object skipped whole (as a tool call's arguments are): the raw text is
 * all of it, escapes and brackets inside strings included, and a bad escape
 * at any of those offsets is reported at its byte. */
START_TEST(skip_is_exact_across_scan_blocks) {
  char args[256], doc[320], pad[64];
  for (int p = 0; p < 40; p++) {
    memset(pad, 'x', (size_t)p);
    pad[p] = '\0';
    int an = snprintf(args, sizeof args,
                      "{\"a\":\"%s\\\"}]\",\"b\":[1,{\"c\":\"%s\\\\\"}],"
                      "\"%s[\":[\"{\",true,null,-2.5e1],\"d\":\"%s\"}",
                      pad, pad, pad, pad);
    int n = snprintf(doc, sizeof doc, "{\"k\":%s,\"z\":0}", args);
    char *b = exact(doc, (size_t)n);
    struct sr_json j;
    sr_str k, raw;
    sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
    ck_assert_int_eq(sr_json_object_begin(&j), 0);
    ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
    ck_assert_msg(sr_json_skip(&j, &raw) == 0, "pad %d: %s", p, err);
    ck_assert_msg(raw.n == (size_t)an && memcmp(raw.p, args, raw.n) == 0,
                  "pad %d: skipped '%.*s'", p, (int)raw.n, raw.p);
    ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
    assert_str(k, "z");

    /* "\q" in place of the escaped quote of "a" */
    char *bs = memchr(b + 5, '\\', (size_t)n - 5);
    bs[1] = 'q';
    sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
    ck_assert_int_eq(sr_json_object_begin(&j), 0);
    ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
    ck_assert_int_eq(sr_json_skip(&j, NULL), SR_EINVAL);
    char msg[96];
    snprintf(msg, sizeof msg, "invalid JSON at byte %d: invalid escape",
             (int)(bs - b));
    ck_assert_str_eq(err, msg);
    free(b);
  }
}
END_TEST

/* The escape spellings and what each becomes (one byte each, so that the
 * expected text is easy to build; \u00e9 and a surrogate pair are added on
 * their own below). */
static const struct {
  const char *esc, *out;
} ESCAPES[] = {{"\\n", "\n"},           {"\\\"", "\""},
               {"\\\\", "\\"},          {"\\/", "/"},
               {"\\t", "\t"},           {"\\u0041", "A"},
               {"\\u00e9", "\xc3\xa9"}, {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"}};

/* sr_json_unescape copies runs sixteen bytes at a time and finds the tail
 * in the sixteen bytes that end the string: for runs of every length
 * either side of those steps, before, between and after escapes of every
 * kind, the text is exact; into a buffer of exactly the size needed
 * (allocated so, for the sanitizer) it fits, and one byte less is
 * refused. The source is exact-size too, so no read past it goes unseen. */
START_TEST(unescape_is_exact_for_every_run_length) {
  char raw[256], want[256];
  for (size_t e = 0; e < SR_ARRAY_LEN(ESCAPES); e++) {
    for (int a = 0; a < 40; a++) {
      for (int b = 0; b < 36; b += 5) {
        size_t rn = 0, wn = 0;
        for (int i = 0; i < a; i++)
          raw[rn++] = want[wn++] = (char)('a' + i % 26);
        for (int rep = 0; rep < 2; rep++) {
          rn += (size_t)sprintf(raw + rn, "%s", ESCAPES[e].esc);
          wn += (size_t)sprintf(want + wn, "%s", ESCAPES[e].out);
          for (int i = 0; i < (rep ? b : 1); i++)
            raw[rn++] = want[wn++] = (char)('A' + i % 26);
        }
        char *src = exact(raw, rn);
        char *dst = malloc(wn);
        size_t got = sr_json_unescape((sr_str){src, rn}, dst, wn);
        ck_assert_msg(got == wn && memcmp(dst, want, wn) == 0,
                      "escape %zu, runs %d/%d: got %zu bytes", e, a, b, got);
        free(dst);
        dst = malloc(wn - 1);
        ck_assert_uint_eq(sr_json_unescape((sr_str){src, rn}, dst, wn - 1),
                          SIZE_MAX);
        free(dst);
        free(src);
      }
    }
  }
}
END_TEST

/* A one-level object of strings and numbers is skipped by a plain loop,
 * anything else by the state machine: both give the exact text, and an
 * error met by the loop is the one the machine reports, at the same byte. */
START_TEST(flat_objects_skip_like_any_value) {
  static const char *ok[] = {
      "{}",
      "{\"a\":\"x\"}",
      "{\"command\":\"ls -la src/ | head -3\"}",
      "{\"a\":\"q\\\"}\",\"b\":-12.5e3,\"c\":0,\"\":\"\"}",
      ("{\"file_path\":\"/repo/a.ts\",\"old_string\":\"let x = 1\","
       "\"new_string\":\"const x = 1\"}"),
      "{\"a\":true,\"b\":null}",           /* literals: the machine */
      "{\"a\":{\"b\":[1,2]},\"c\":\"d\"}", /* nesting: the machine */
      "{ \"a\" : \"b\" }",                 /* blanks: the machine */
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(ok); i++) {
    char doc[160];
    int n = snprintf(doc, sizeof doc, "[%s,1]", ok[i]);
    char *b = exact(doc, (size_t)n);
    struct sr_json j;
    sr_str raw;
    sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
    ck_assert_int_eq(sr_json_array_begin(&j), 0);
    ck_assert_int_eq(sr_json_array_next(&j), 1);
    ck_assert_msg(sr_json_skip(&j, &raw) == 0, "%s: %s", ok[i], err);
    assert_str(raw, ok[i]);
    ck_assert_int_eq(sr_json_array_next(&j), 1);
    free(b);
  }
  static const struct {
    const char *doc, *msg;
  } bad[] = {
      {"{\"a\":\"x\\q\"}", "invalid JSON at byte 7: invalid escape"},
      {"{\"a\\q\":1}", "invalid JSON at byte 3: invalid escape"},
      {"{\"a\":\"x\x01\"}",
       "invalid JSON at byte 7: control character in "
       "string"},
      {"{\"a\":-}", "invalid JSON at byte 6: invalid number"},
      {"{\"a\":1.}", "invalid JSON at byte 7: invalid number"},
      {"{\"a\":01}", "invalid JSON at byte 6: expected ',' or '}'"},
      {"{\"a\":1,}", "invalid JSON at byte 7: expected a string key"},
      {"{\"a\" 1}", "invalid JSON at byte 5: expected ':'"},
      {"{\"a\":\"b\"", "invalid JSON at byte 8: unexpected end of input"},
      {"{\"a\":\"b", "invalid JSON at byte 7: unterminated string"},
      {"{\"a\":tru}", "invalid JSON at byte 5: invalid literal"},
      {"{\"a\":x}", "invalid JSON at byte 5: expected a value"},
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(bad); i++) {
    size_t n = strlen(bad[i].doc);
    char *b = exact(bad[i].doc, n);
    struct sr_json j;
    sr_json_init(&j, b, n, arena, err, sizeof err);
    ck_assert_int_eq(sr_json_skip(&j, NULL), SR_EINVAL);
    ck_assert_msg(strcmp(err, bad[i].msg) == 0, "%s: got '%s', want '%s'",
                  bad[i].doc, err, bad[i].msg);
    free(b);
  }
  /* A flat object one level past the bound is refused like any other. */
  char *deep = malloc(SR_JSON_MAX_DEPTH * 6 + 16);
  size_t n = 0;
  for (int i = 0; i < SR_JSON_MAX_DEPTH; i++)
    n += (size_t)sprintf(deep + n, "{\"a\":");
  struct sr_json j;
  sr_str k;
  sprintf(deep + n, "{\"b\":1}");
  init(&j, deep);
  for (int i = 0; i < SR_JSON_MAX_DEPTH; i++) {
    ck_assert_int_eq(sr_json_object_begin(&j), 0);
    ck_assert_int_eq(sr_json_object_next(&j, &k), 1);
  }
  ck_assert_int_eq(sr_json_skip(&j, NULL), SR_EINVAL);
  ck_assert(strstr(err, "nesting deeper than 64 levels") != NULL);
  free(deep);
}
END_TEST

/* sr_json_plain_flat takes a compact object of plain strings exactly as
 * sr_json_skip does (same text, same cursor), at the end of a buffer too
 * and with strings across the sixteen-byte steps; anything else it leaves
 * untouched, bad input included, for sr_json_skip to report. */
START_TEST(plain_flat_takes_what_skip_takes) {
  static const struct {
    const char *doc;
    bool plain;
  } cases[] = {
      {"{}", true},
      {"{\"a\":\"x\"}", true},
      {"{\"\":\"\"}", true},
      {"{\"command\":\"ls -la src/auth/ | head -12 && git status --short\"}",
       true},
      {"{\"file_path\":\"/repo/a.ts\",\"old_string\":\"let x = 1\","
       "\"new_string\":\"const x = 1\"}",
       true},
      {"{\"a\":1}", false},
      {"{\"a\":\"x\",\"n\":-2}", false},
      {"{\"a\":\"q\\\"\"}", false},
      {"{\"a\\u0041\":\"x\"}", false},
      {"{\"a\":true}", false},
      {"{\"a\":{\"b\":\"c\"}}", false},
      {"{ \"a\":\"b\"}", false},
      {"{\"a\" :\"b\"}", false},
      {"{\"a\":\"b\" }", false},
      {"{\"a\":\"b\",}", false},
      {"{\"a\":\"b\"", false},
      {"{\"a\":\"b", false},
      {"{\"a\":\"x\x01\"}", false},
      {"{\"a\"}", false},
      {"[\"a\"]", false},
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(cases); i++) {
    for (int tail = 0; tail < 2; tail++) { /* at the end, then mid-buffer */
      char doc[256];
      int n = snprintf(doc, sizeof doc, "%s%s", cases[i].doc,
                       tail ? "],\"more\":\"0123456789abcdef\"" : "");
      char *b = exact(doc, (size_t)n);
      struct sr_json fast, gen;
      sr_str raw = {NULL, 0}, want = {NULL, 0};
      sr_json_init(&fast, b, (size_t)n, arena, err, sizeof err);
      sr_json_init(&gen, b, (size_t)n, arena, err, sizeof err);
      bool took = sr_json_plain_flat(&fast, &raw);
      ck_assert_msg(took == cases[i].plain, "%s: %d", doc, took);
      if (!took) {
        ck_assert_uint_eq(sr_json_offset(&fast), 0);
      } else {
        ck_assert_int_eq(sr_json_skip(&gen, &want), 0);
        ck_assert(raw.p == want.p && raw.n == want.n);
        ck_assert_uint_eq(sr_json_offset(&fast), sr_json_offset(&gen));
      }
      free(b);
    }
  }
  /* at the depth bound the object is left to sr_json_skip, which refuses */
  struct sr_json j;
  sr_str raw;
  init(&j, "{\"a\":\"b\"}");
  j.depth = SR_JSON_MAX_DEPTH;
  ck_assert(!sr_json_plain_flat(&j, &raw));
  ck_assert_int_eq(sr_json_skip(&j, &raw), SR_EINVAL);
}
END_TEST

/* sr_json_member_lead offers the sixteen bytes that lead a member, from its
 * ',' or (the first member) the byte before its quote, read as a ',', only
 * when all sixteen are in the buffer; member_take leaves the cursor on the
 * value and makes the next member need its comma. */
START_TEST(member_lead_sees_only_its_bytes) {
  for (int m = 0; m < 24; m++) {
    char doc[64];
    int n = sprintf(doc, "{\"%.*s\":1}", m, "abcdefghijklmnopqrstuvwxyz");
    char *b = exact(doc, (size_t)n);
    struct sr_json j;
    uint64_t w[2] = {0, 0};
    sr_json_init(&j, b, (size_t)n, arena, err, sizeof err);
    ck_assert(sr_json_plain_open(&j));
    const unsigned char *q = sr_json_member_lead(&j, false, w);
    if (n - 1 < 16) {
      ck_assert_ptr_null(q);
    } else {
      ck_assert_ptr_eq(q, (const unsigned char *)b + 1);
    }
    q = sr_json_member_lead(&j, true, w);
    if (n < 16) {
      ck_assert_ptr_null(q);
    } else {
      char want[16];
      memcpy(want, b, 16);
      want[0] = ',';
      ck_assert_ptr_eq(q, (const unsigned char *)b);
      ck_assert(w[0] == sr_json_le64((const unsigned char *)want));
      ck_assert(w[1] == sr_json_le64((const unsigned char *)want + 8));
    }
    sr_json_member_take(&j, (const unsigned char *)b, (size_t)m + 4, true);
    int64_t v;
    ck_assert(sr_json_plain_int(&j, &v));
    ck_assert_int_eq(v, 1);
    ck_assert_ptr_null(sr_json_member_lead(&j, false, w)); /* on '}' */
    ck_assert(sr_json_plain_close(&j));
    ck_assert_int_eq(sr_json_finish(&j), 0);
    free(b);
  }
  /* the second member needs its comma; the first, none */
  struct sr_json j;
  uint64_t w[2];
  init(&j, "{\"a\":1,\"bb\":2,\"cccccccccccc\":3}");
  ck_assert(sr_json_plain_open(&j));
  const unsigned char *q = sr_json_member_lead(&j, true, w);
  ck_assert_ptr_nonnull(q);
  sr_json_member_take(&j, q, 5, true); /* `,"a":` */
  int64_t v;
  ck_assert(sr_json_plain_int(&j, &v));
  q = sr_json_member_lead(&j, false, w);
  ck_assert_ptr_nonnull(q);
  ck_assert(memcmp(q, ",\"bb\":", 6) == 0);
  ck_assert_uint_eq(w[0] & 0xFF, ',');
  /* the general reader agrees that a member was read */
  sr_str key;
  ck_assert_int_eq(sr_json_object_next(&j, &key), 1);
  assert_str(key, "bb");
}
END_TEST

/* Reads the string that fills b (n bytes, quotes included) with the
 * reader's scan wide (AVX2, where the CPU has it) or not (SSE2). */
static int read_long(const char *b, size_t n, bool wide, sr_str *raw,
                     bool *esc) {
  struct sr_json j;
  sr_json_init(&j, b, n, arena, err, sizeof err);
  j.wide = wide && sr_json_wide_ok();
  return sr_json_string_raw(&j, raw, esc);
}

/* Strings long enough for the out-of-line scan (the AVX2 steps when the
 * CPU has them, the SSE2 loop otherwise or when a reader is told not to):
 * for every length up to 200 and a quote, a backslash or a control byte
 * at each offset, in buffers of exactly their size, both scans find the
 * same end and report the same error at the same byte. */
START_TEST(long_strings_scan_alike_wide_and_narrow) {
  char doc[256];
  static const char specials[] = {0, '"', '\\', '\x01', '\x1f'};
  for (int n = 0; n <= 200; n++) {
    for (size_t c = 0; c < sizeof specials; c++) {
      for (int at = 0; at < (specials[c] ? n : 1); at++) {
        doc[0] = '"';
        for (int i = 0; i < n; i++) doc[1 + i] = (char)('a' + i % 26);
        doc[n + 1] = '"';
        if (specials[c]) doc[1 + at] = specials[c];
        if (specials[c] == '\\') doc[1 + at + (at + 1 < n ? 1 : 0)] = 'n';
        if (specials[c] == '\\' && at + 1 == n) continue; /* \" : open */
        char *b = exact(doc, (size_t)n + 2);
        sr_str raw[2];
        bool esc[2] = {false, false};
        char msg[2][256];
        int rc[2];
        for (int w = 0; w < 2; w++) {
          err[0] = '\0';
          raw[w] = (sr_str){NULL, 0};
          rc[w] = read_long(b, (size_t)n + 2, w, &raw[w], &esc[w]);
          strcpy(msg[w], err);
        }
        ck_assert_msg(rc[0] == rc[1] && raw[0].n == raw[1].n &&
                          esc[0] == esc[1] && strcmp(msg[0], msg[1]) == 0,
                      "length %d, 0x%02x at %d: '%s' vs '%s'", n,
                      (unsigned char)specials[c], at, msg[0], msg[1]);
        if (specials[c] == 0 || specials[c] == '\\') {
          ck_assert_int_eq(rc[0], 0);
          ck_assert_uint_eq(raw[0].n, (size_t)n);
          ck_assert(esc[0] == (specials[c] == '\\'));
        } else if (specials[c] == '"') {
          ck_assert_int_eq(rc[0], 0);
          ck_assert_uint_eq(raw[0].n, (size_t)at);
        } else {
          char want[96];
          snprintf(want, sizeof want,
                   "invalid JSON at byte %d: control character in string",
                   at + 1);
          ck_assert_str_eq(msg[0], want);
        }
        free(b);
      }
    }
  }
}
END_TEST

/* Whether sr_json_plain_int must take text: an integer of at most eighteen
 * digits, no leading zero, not followed by a fraction or an exponent. */
static bool plain_shape(const char *t, size_t n) {
  size_t i = t[0] == '-';
  size_t d = strspn(t + i, "0123456789");
  if (d == 0 || d > 18 || (t[i] == '0' && d > 1)) return false;
  return i + d == n || !strchr(".eE", t[i + d]);
}

/* The integer fast path against sr_json_number + sr_json_to_int64, for every
 * digit count either side of its eight-byte steps, with and without a sign,
 * followed by nothing, a comma, a fraction or an exponent; the long tails
 * leave sixteen bytes or more after the sign, for the two-word path. */
START_TEST(plain_int_agrees_with_the_general_path) {
  static const char *tails[] = {"",
                                ",",
                                "]",
                                ".5",
                                "e3",
                                "E+1",
                                "0",
                                ",\"agent_id\":\"agent-1\"}",
                                ".25,\"agent_id\":\"agent-1\"}",
                                "e3,\"agent_id\":\"agent-1\"}",
                                "E-1                 ",
                                "}                   ",
                                "/                   ",
                                ":                   "};
  static const char *heads[] = {"1", "9", "0", "123456789"};
  char t[64];
  size_t taken = 0;
  for (int neg = 0; neg < 2; neg++) {
    for (size_t h = 0; h < SR_ARRAY_LEN(heads); h++) {
      for (int d = 0; d <= 21; d++) {
        for (size_t tl = 0; tl < SR_ARRAY_LEN(tails); tl++) {
          int n = 0;
          if (neg) t[n++] = '-';
          for (int i = 0; i < d; i++) {
            t[n++] = heads[h][i % strlen(heads[h])];
          }
          n += sprintf(t + n, "%s", tails[tl]);
          char *b = exact(t, (size_t)n);
          struct sr_json fast, gen;
          int64_t v = 0, w = 0;
          sr_json_init(&fast, b, (size_t)n, NULL, NULL, 0);
          sr_json_init(&gen, b, (size_t)n, NULL, NULL, 0);
          bool took = sr_json_plain_int(&fast, &v);
          ck_assert_msg(took == plain_shape(t, (size_t)n), "'%.*s': %d", n, t,
                        took);
          if (took) {
            sr_str text;
            bool integral;
            ck_assert_int_eq(sr_json_number(&gen, &text, &integral), 0);
            ck_assert_int_eq(sr_json_to_int64(text, &w), 0);
            ck_assert_msg(v == w, "'%.*s': %lld, want %lld", n, t, (long long)v,
                          (long long)w);
            ck_assert_uint_eq(sr_json_offset(&fast), sr_json_offset(&gen));
            taken++;
          } else {
            ck_assert_uint_eq(sr_json_offset(&fast), 0);
          }
          free(b);
        }
      }
    }
  }
  ck_assert_uint_gt(taken, 500);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("reader");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, string_without_escapes_is_a_view);
  tcase_add_test(tc, escapes_are_unescaped_into_the_arena);
  tcase_add_test(tc, unicode_escapes_become_utf8);
  tcase_add_test(tc, escaped_nul_is_kept_with_its_length);
  tcase_add_test(tc, invalid_utf8_passes_through);
  tcase_add_test(tc, lone_surrogates_are_rejected);
  tcase_add_test(tc, bad_escapes_and_control_chars_are_rejected);
  tcase_add_test(tc, string_scan_is_exact_at_every_offset);
  tcase_add_test(tc, numbers_follow_the_grammar);
  tcase_add_test(tc, number_conversions);
  tcase_add_test(tc, literals);
  tcase_add_test(tc, objects_and_arrays_are_pulled);
  tcase_add_test(tc, raw_keys_never_allocate);
  tcase_add_test(tc, skip_returns_the_exact_text);
  tcase_add_test(tc, structural_errors_name_the_byte);
  tcase_add_test(tc, nesting_is_bounded);
  tcase_add_test(tc, arena_exhaustion_is_reported);
  tcase_add_test(tc, type_names);
  tcase_add_test(tc, plain_reads_near_the_end_see_only_their_bytes);
  tcase_add_test(tc, plain_keys_near_the_end_see_only_their_bytes);
  tcase_add_test(tc, skip_is_exact_across_scan_blocks);
  tcase_add_test(tc, plain_int_agrees_with_the_general_path);
  tcase_add_test(tc, unescape_is_exact_for_every_run_length);
  tcase_add_test(tc, flat_objects_skip_like_any_value);
  tcase_add_test(tc, plain_flat_takes_what_skip_takes);
  tcase_add_test(tc, member_lead_sees_only_its_bytes);
  tcase_add_test(tc, long_strings_scan_alike_wide_and_narrow);
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
