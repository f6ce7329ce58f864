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
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
