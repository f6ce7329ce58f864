/*
 * Tests of core/buf.c: the bounded buffer every JSON line, HTTP body and
 * reason is built in. What callers rely on: appends never write past cap,
 * the text is always NUL-terminated, an append that did not fit is
 * remembered in `overflow` (checked once at the end), and JSON strings are
 * escaped so that a quote, newline or control byte from an agent cannot break
 * the line it is embedded in.
 *
 * Buffers sit inside a larger array filled with a guard byte, so a write past
 * cap shows up as a changed guard (and under ASan as an error).
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

#define GUARD 0x5a

struct guarded {
  char mem[64];
};

/* A buffer of cap bytes at the start of g, the rest filled with GUARD. */
static struct sr_buf guarded_buf(struct guarded *g, size_t cap) {
  memset(g->mem, GUARD, sizeof g->mem);
  return sr_buf_init(g->mem, cap);
}

static void assert_guard_intact(const struct guarded *g, size_t cap) {
  for (size_t i = cap; i < sizeof g->mem; i++)
    ck_assert_msg((unsigned char)g->mem[i] == GUARD,
                  "byte %zu past cap %zu was written", i, cap);
}

/* JSON-escapes s (n bytes) into a roomy buffer and returns the result. */
static const char *json_of(const char *s, size_t n, char *out, size_t cap) {
  struct sr_buf b = sr_buf_init(out, cap);
  sr_buf_json_string(&b, (sr_str){s, n});
  ck_assert(!b.overflow);
  ck_assert_uint_eq(b.len, strlen(out));
  return out;
}

/* ------------------------------------------------------------- appends */

START_TEST(init_is_empty_and_terminated) {
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 8);
  ck_assert_ptr_eq(b.p, g.mem);
  ck_assert_uint_eq(b.cap, 8);
  ck_assert_uint_eq(b.len, 0);
  ck_assert(!b.overflow);
  ck_assert_str_eq(g.mem, "");
  assert_guard_intact(&g, 8);
}
END_TEST

START_TEST(append_puts_printf_concatenate) {
  char out[64];
  struct sr_buf b = sr_buf_init(out, sizeof out);
  sr_buf_append(&b, "abcdef", 3); /* only n bytes, not up to a NUL */
  sr_buf_puts(&b, "-");
  sr_buf_printf(&b, "%d:%s:%.2f", 42, "x", 0.125);
  sr_buf_append(&b, "", 0);
  ck_assert_str_eq(out, "abc-42:x:0.12");
  ck_assert_uint_eq(b.len, strlen("abc-42:x:0.12"));
  ck_assert(!b.overflow);
}
END_TEST

START_TEST(exact_fit_is_not_overflow) {
  /* cap counts the NUL: 7 characters fill a cap of 8. */
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 8);
  sr_buf_puts(&b, "abc");
  sr_buf_puts(&b, "defg");
  ck_assert(!b.overflow);
  ck_assert_uint_eq(b.len, 7);
  ck_assert_str_eq(g.mem, "abcdefg");
  assert_guard_intact(&g, 8);

  b = guarded_buf(&g, 8);
  sr_buf_printf(&b, "%s", "abcdefg");
  ck_assert(!b.overflow);
  ck_assert_str_eq(g.mem, "abcdefg");
  assert_guard_intact(&g, 8);
}
END_TEST

START_TEST(append_past_cap_truncates_and_flags) {
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 8);
  sr_buf_puts(&b, "abcde");
  sr_buf_puts(&b, "fghij"); /* 3 more fit */
  ck_assert(b.overflow);
  ck_assert_uint_eq(b.len, 7);
  ck_assert_str_eq(g.mem, "abcdefg");
  assert_guard_intact(&g, 8);
  /* Once overflowed it stays so, and a full buffer takes nothing more. */
  sr_buf_puts(&b, "");
  sr_buf_puts(&b, "k");
  ck_assert(b.overflow);
  ck_assert_str_eq(g.mem, "abcdefg");
  assert_guard_intact(&g, 8);
}
END_TEST

START_TEST(printf_past_cap_truncates_and_flags) {
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 8);
  sr_buf_puts(&b, "ab");
  sr_buf_printf(&b, "%d", 123456789);
  ck_assert(b.overflow);
  ck_assert_uint_eq(b.len, 7);
  ck_assert_str_eq(g.mem, "ab12345");
  assert_guard_intact(&g, 8);
  /* A later printf that would fit the original room still changes nothing. */
  sr_buf_printf(&b, "%s", "z");
  ck_assert(b.overflow);
  ck_assert_str_eq(g.mem, "ab12345");
  assert_guard_intact(&g, 8);
}
END_TEST

START_TEST(zero_capacity_writes_nothing_and_flags) {
  /* p is NULL: any write through it would crash. */
  struct sr_buf b = sr_buf_init(NULL, 0);
  sr_buf_append(&b, "", 0);
  ck_assert(!b.overflow);
  sr_buf_puts(&b, "x");
  ck_assert(b.overflow);
  ck_assert_uint_eq(b.len, 0);

  b = sr_buf_init(NULL, 0);
  sr_buf_json_string(&b, SR_STR_LIT("x"));
  ck_assert(b.overflow);

  /* printf must report the dropped text like append does. */
  b = sr_buf_init(NULL, 0);
  sr_buf_printf(&b, "%d", 7);
  ck_assert_msg(b.overflow,
                "printf into a zero-capacity buffer dropped "
                "\"7\" without setting overflow");
  ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(capacity_one_holds_only_the_nul) {
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 1);
  sr_buf_puts(&b, "a");
  ck_assert(b.overflow);
  ck_assert_str_eq(g.mem, "");
  assert_guard_intact(&g, 1);

  b = guarded_buf(&g, 1);
  sr_buf_printf(&b, "%s", "abc");
  ck_assert(b.overflow);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_str_eq(g.mem, "");
  assert_guard_intact(&g, 1);
}
END_TEST

/* ---------------------------------------------------------------- JSON */

START_TEST(json_plain_and_empty) {
  char out[128];
  ck_assert_str_eq(json_of("volumeDelete", 12, out, sizeof out),
                   "\"volumeDelete\"");
  ck_assert_str_eq(json_of("", 0, out, sizeof out), "\"\"");
  /* A NULL view (absent field) is the empty string. */
  struct sr_buf b = sr_buf_init(out, sizeof out);
  sr_buf_json_string(&b, SR_STR_NULL);
  ck_assert_str_eq(out, "\"\"");
  /* Only the view's bytes, not up to a NUL. */
  ck_assert_str_eq(json_of("abcdef", 3, out, sizeof out), "\"abc\"");
}
END_TEST

START_TEST(json_escapes_quotes_backslashes_and_whitespace) {
  char out[128];
  const char *in = "say \"hi\"\\now\n\r\tend";
  ck_assert_str_eq(json_of(in, strlen(in), out, sizeof out),
                   "\"say \\\"hi\\\"\\\\now\\n\\r\\tend\"");
  /* Escapes at the very start and end of the text. */
  ck_assert_str_eq(json_of("\"x\"", 3, out, sizeof out), "\"\\\"x\\\"\"");
  ck_assert_str_eq(json_of("\n", 1, out, sizeof out), "\"\\n\"");
}
END_TEST

START_TEST(json_escapes_every_control_byte) {
  char out[128];
  /* NUL inside the view, other C0 bytes as \u00XX in lowercase hex. */
  const char in[] = {'a', 0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 'z'};
  ck_assert_str_eq(json_of(in, sizeof in, out, sizeof out),
                   "\"a\\u0000\\u0001\\u0008\\u000b\\u000c\\u001b\\u001fz\"");
  for (int c = 0; c < 0x20; c++) {
    char one = (char)c;
    json_of(&one, 1, out, sizeof out);
    /* Whatever the escape, no raw control byte reaches the output. */
    for (const char *p = out; *p; p++)
      ck_assert_msg((unsigned char)*p >= 0x20, "raw byte 0x%02x for 0x%02x",
                    (unsigned char)*p, c);
    ck_assert_int_eq(out[1], '\\');
  }
}
END_TEST

START_TEST(json_passes_utf8_and_printable_through) {
  char out[128];
  const char *in = "caf\xc3\xa9 \xe2\x86\x92 /path{}[]:,'\x7f";
  char want[128];
  snprintf(want, sizeof want, "\"%s\"", in);
  ck_assert_str_eq(json_of(in, strlen(in), out, sizeof out), want);
}
END_TEST

START_TEST(json_overflow_flags_and_stays_in_bounds) {
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 6);
  sr_buf_json_string(&b, SR_STR_LIT("a\nbcdefgh"));
  ck_assert(b.overflow);
  ck_assert_uint_eq(b.len, 5);
  ck_assert_uint_eq(strlen(g.mem), 5);
  assert_guard_intact(&g, 6);
}
END_TEST

/* The timeline's risk: the digits "%.6g" gives (what the query API shows),
 * on the fast path and across decades, ties and the fallback ranges. */
START_TEST(real6_prints_what_printf_g6_prints) {
  static const double fixed[] = {
      0.0,     -0.0,    1.0,    0.5,      53.908,     4.1,     100.0,
      99.99995, 9.999995, 0.95, 1.85,     0.0001,     0.00012345649, 1e-5,
      12345.65, 99999.95, 1e5,  123456.7, 0.89999998, -2.5,    1e300,
      0.1,     0.30000000000000004, 2.0000005, 7.7777775, 1234.5};
  char want[64], got[64];
  uint64_t x = 42;
  for (size_t i = 0; i < 200000 + sizeof fixed / sizeof *fixed; i++) {
    double v;
    if (i < sizeof fixed / sizeof *fixed) {
      v = fixed[i];
    } else {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      /* risks from 1e-5 to 1e6, and six-digit values at ties */
      double u = (double)(x >> 11) / 9007199254740992.0;
      v = (i & 1) ? u * 1e6 / (double)(1ULL << ((x >> 3) % 40))
                  : ((double)((x >> 20) % 1000000) + 0.5) / 1000.0;
    }
    snprintf(want, sizeof want, "%.6g", v);
    struct sr_buf b = sr_buf_init(got, sizeof got);
    sr_buf_real6(&b, v);
    ck_assert_msg(!strcmp(got, want), "%.17g: %s, printf %s", v, got, want);
  }
  struct sr_buf b = sr_buf_init(got, sizeof got);
  sr_buf_real6(&b, 1.0 / 0.0);
  ck_assert_str_eq(got, "null"); /* still a JSON value */
}
END_TEST

/* Strings longer than 16 bytes are scanned 16 bytes at a time: every byte
 * value at every position of a long string must come out as it does
 * alone, where the byte-at-a-time path handles it. */
static void any_byte_at_any_position(void (*put)(struct sr_buf *, sr_str)) {
  for (int c = 0; c < 256; c++) {
    char one[16], alone[32];
    one[0] = (char)c;
    struct sr_buf a = sr_buf_init(alone, sizeof alone);
    put(&a, (sr_str){one, 1});
    ck_assert(!a.overflow && a.len >= 3);
    for (size_t at = 0; at < 41; at++) {
      char text[41], out[128], want[128];
      memset(text, 'x', sizeof text);
      text[at] = (char)c;
      struct sr_buf b = sr_buf_init(out, sizeof out);
      put(&b, (sr_str){text, sizeof text});
      snprintf(want, sizeof want, "\"%.*s%.*s%.*s\"", (int)at, text,
               (int)(a.len - 2), alone + 1, (int)(sizeof text - at - 1),
               text + at + 1);
      ck_assert_msg(strcmp(out, want) == 0, "byte 0x%02x at %zu: %s", c, at,
                    out);
    }
  }
}

START_TEST(json_text_escapes_any_byte_at_any_position) {
  any_byte_at_any_position(sr_buf_json_text);
}
END_TEST

START_TEST(json_string_escapes_any_byte_at_any_position) {
  any_byte_at_any_position(sr_buf_json_string);
}
END_TEST

/* Every byte at every position of texts 0-40 bytes long (the sixteen-byte
 * steps, the overlapped tail, the short loop): plain exactly when the
 * byte is neither a control, quote nor backslash, nor (unless high_ok)
 * from 0x80 on. */
START_TEST(json_plain_finds_any_byte_at_any_position) {
  char text[40];
  for (size_t n = 0; n <= sizeof text; n++) {
    memset(text, 'x', sizeof text);
    ck_assert(sr_buf_json_plain((sr_str){text, n}, false));
    for (size_t at = 0; at < n; at++) {
      for (unsigned c = 0; c < 256; c++) {
        text[at] = (char)c;
        bool special = c < 0x20 || c == '"' || c == '\\';
        ck_assert_msg(sr_buf_json_plain((sr_str){text, n}, true) == !special,
                      "byte 0x%02x at %zu of %zu", c, at, n);
        ck_assert_msg(sr_buf_json_plain((sr_str){text, n}, false) ==
                          !(special || c >= 0x80),
                      "byte 0x%02x at %zu of %zu", c, at, n);
      }
      text[at] = 'x';
    }
  }
}
END_TEST

/* A plain string that just fits is written whole; one byte less and it
 * is cut and flagged, as an escaped one is. */
START_TEST(json_plain_string_at_the_capacity_edge) {
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 8);
  sr_buf_json_string(&b, SR_STR_LIT("abcde"));
  ck_assert_str_eq(g.mem, "\"abcde\"");
  ck_assert(!b.overflow);
  ck_assert_uint_eq(b.len, 7);
  assert_guard_intact(&g, 8);
  b = guarded_buf(&g, 7);
  sr_buf_json_string(&b, SR_STR_LIT("abcde"));
  ck_assert_str_eq(g.mem, "\"abcde");
  ck_assert(b.overflow);
  assert_guard_intact(&g, 7);
}
END_TEST

START_TEST(json_text_replaces_broken_utf8_and_escapes) {
  char out[128];
  struct sr_buf b = sr_buf_init(out, sizeof out);
  /* a euro sign cut after two bytes, a lone continuation, a quote */
  sr_buf_json_text(&b, (sr_str){"a\xE2\x82\"\xAC\xC3\xA9\x01", 8});
  ck_assert_str_eq(out, "\"a\xEF\xBF\xBD\xEF\xBF\xBD\\\"\xEF\xBF\xBD\xC3\xA9"
                        "\\u0001\"");
  ck_assert(!b.overflow);
}
END_TEST

START_TEST(integers_without_printf) {
  char out[64];
  struct sr_buf b = sr_buf_init(out, sizeof out);
  sr_buf_i64(&b, INT64_MIN);
  sr_buf_append(&b, " ", 1);
  sr_buf_u64(&b, UINT64_MAX);
  sr_buf_append(&b, " ", 1);
  sr_buf_i64(&b, 0);
  sr_buf_append(&b, " ", 1);
  sr_buf_i64(&b, 1776465697170);
  ck_assert_str_eq(out, "-9223372036854775808 18446744073709551615 0 "
                        "1776465697170");
}
END_TEST

/* Every value below 100,000, and each power of ten and its neighbours up
 * to UINT64_MAX: the digits are printf's, ending where asked. */
START_TEST(decimal_digits_are_printfs) {
  char d[24], want[24];
  for (uint64_t v = 0; v <= 200000; v = v < 100000 ? v + 1 : v * 2) {
    char *s = sr_decimal(d + sizeof d, v);
    snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    ck_assert_uint_eq((size_t)(d + sizeof d - s), strlen(want));
    ck_assert(memcmp(s, want, strlen(want)) == 0);
  }
  for (uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10) {
    const uint64_t vs[] = {p - 1, p, p + 1, p * 10 - 1};
    for (size_t i = 0; i < 4; i++) {
      char *s = sr_decimal(d + sizeof d, vs[i]);
      snprintf(want, sizeof want, "%llu", (unsigned long long)vs[i]);
      ck_assert_uint_eq((size_t)(d + sizeof d - s), strlen(want));
      ck_assert(memcmp(s, want, strlen(want)) == 0);
    }
  }
  char *s = sr_decimal(d + sizeof d, UINT64_MAX);
  ck_assert(memcmp(s, "18446744073709551615", 20) == 0 && s == d + 4);
}
END_TEST

/* Scores, risks and exact halves (printf's ties to even), NaN and a value
 * too large for the fast path: the text is printf's, and an append that
 * does not fit is truncated and flagged as printf's was. */
START_TEST(fixed_prints_what_printf_prints) {
  const double values[] = {
      0.0,          -0.0,         0.0005, 0.0015,      0.4375,  0.99951,
      1.125,        2.5,          12.345, 999999.9996, 1e7,     -3.25,
      (double)0.1f, (double)0.7f, NAN,    1e27,        -DBL_MAX};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    for (unsigned d = 0; d <= 6; d++) {
      char want[400], got[400];
      snprintf(want, sizeof want, "%.*f", (int)d, values[i]);
      struct sr_buf b = sr_buf_init(got, sizeof got);
      sr_buf_fixed(&b, values[i], d);
      ck_assert_msg(!strcmp(got, want), "%.17g at %u decimals: %s, not %s",
                    values[i], d, got, want);
    }
  }
  struct guarded g;
  struct sr_buf b = guarded_buf(&g, 4);
  sr_buf_fixed(&b, 0.4375, 3);
  ck_assert_str_eq(g.mem, "0.4");
  ck_assert(b.overflow);
  assert_guard_intact(&g, 4);
}
END_TEST

START_TEST(hex_is_two_lowercase_digits_a_byte) {
  uint8_t bytes[40];
  char want[81] = "", out[128];
  for (size_t i = 0; i < sizeof bytes; i++) {
    bytes[i] = (uint8_t)(i * 37 + 11);
    snprintf(want + 2 * i, 3, "%02x", bytes[i]);
  }
  struct sr_buf b = sr_buf_init(out, sizeof out);
  sr_buf_hex(&b, bytes, sizeof bytes); /* more than one step of its buffer */
  ck_assert_str_eq(out, want);
  struct guarded g;
  b = guarded_buf(&g, 6);
  sr_buf_hex(&b, bytes, 3);
  ck_assert_str_eq(g.mem, "0b305");
  ck_assert(b.overflow);
  assert_guard_intact(&g, 6);
}
END_TEST

int main(void) {
  Suite *s = suite_create("buf");
  TCase *tc = tcase_create("append");
  tcase_add_test(tc, init_is_empty_and_terminated);
  tcase_add_test(tc, append_puts_printf_concatenate);
  tcase_add_test(tc, exact_fit_is_not_overflow);
  tcase_add_test(tc, append_past_cap_truncates_and_flags);
  tcase_add_test(tc, printf_past_cap_truncates_and_flags);
  tcase_add_test(tc, zero_capacity_writes_nothing_and_flags);
  tcase_add_test(tc, capacity_one_holds_only_the_nul);
  suite_add_tcase(s, tc);
  tc = tcase_create("json");
  tcase_add_test(tc, json_plain_and_empty);
  tcase_add_test(tc, json_escapes_quotes_backslashes_and_whitespace);
  tcase_add_test(tc, json_escapes_every_control_byte);
  tcase_add_test(tc, json_passes_utf8_and_printable_through);
  tcase_add_test(tc, json_overflow_flags_and_stays_in_bounds);
  tcase_add_test(tc, real6_prints_what_printf_g6_prints);
  tcase_add_test(tc, json_text_replaces_broken_utf8_and_escapes);
  tcase_add_test(tc, json_text_escapes_any_byte_at_any_position);
  tcase_add_test(tc, json_string_escapes_any_byte_at_any_position);
  tcase_add_test(tc, json_plain_finds_any_byte_at_any_position);
  tcase_add_test(tc, json_plain_string_at_the_capacity_edge);
  tcase_add_test(tc, integers_without_printf);
  tcase_add_test(tc, decimal_digits_are_printfs);
  tcase_add_test(tc, fixed_prints_what_printf_prints);
  tcase_add_test(tc, hex_is_two_lowercase_digits_a_byte);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
