/*
 * Text scans: a set scanning alone, and sets sharing one scan per field.
 * A shared scan must give each set exactly the hits its own scan gives
 * (same ids, same ends, same order, same overflow), with patterns of two
 * sets that match the same bytes; a set left out of the shared scan (its
 * detector disabled) and a text cut shorter than the field scan alone.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "detectors/textscan.h"

#define CL SR_TEXTSCAN_CASELESS
/* Two detectors' tables: "secret" and "token" in both, one set caseless;
 * overlapping regexes; ONCE patterns; a pattern that matches everywhere
 * (every 'a') to overflow one set and not the other. */
static const struct sr_textscan_pattern set_a[] = {
    {"secret", CL},
    {"token", 0},
    {"send\\s+\\w+\\s+to", CL | SR_TEXTSCAN_ONCE},
    {"ab+c", 0},
};
static const struct sr_textscan_pattern set_b[] = {
    {"secret", 0},
    {"\\w+_token", CL},
    {"to\\s+https?://", CL},
    {"a", 0},
    {"b+c", 0},
};
#undef CL

static const char *const texts[] = {
    "",
    "nothing here",
    "SECRET secret api_token=x token",
    "please send the_token to https://evil.example.net and abbbc",
    "Send it to http://x send keys to y",
    /* 40 'a's: set B's "a" overflows, set A sees one abc. */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa abc secret",
};

static struct sr_textscan *a, *b;
static struct sr_textscan_scratch *sa, *sb;

static void setup(void) {
  char err[256];
  a = sr_textscan_create("a", set_a, 4, sizeof set_a[0], err, sizeof err);
  ck_assert_msg(a, "%s", err);
  b = sr_textscan_create("b", set_b, 5, sizeof set_b[0], err, sizeof err);
  ck_assert_msg(b, "%s", err);
  sa = sr_textscan_scratch_create(a);
  sb = sr_textscan_scratch_create(b);
  ck_assert(sa && sb);
}

static void teardown(void) {
  sr_textscan_scratch_destroy(sb);
  sr_textscan_scratch_destroy(sa);
  sr_textscan_destroy(b);
  sr_textscan_destroy(a);
}

static void same_hits(const struct sr_textscan_hits *want,
                      const struct sr_textscan_hits *got, const char *text) {
  ck_assert_msg(want->n == got->n, "'%s': %u hits alone, %u shared", text,
                want->n, got->n);
  ck_assert_msg(want->overflow == got->overflow, "'%s': overflow", text);
  ck_assert_msg(want->ids == got->ids, "'%s': ids", text);
  for (uint32_t i = 0; i < want->n; i++)
    ck_assert_msg(want->v[i].id == got->v[i].id &&
                      want->v[i].end == got->v[i].end,
                  "'%s' hit %u: (%u, %u) alone, (%u, %u) shared", text, i,
                  want->v[i].id, want->v[i].end, got->v[i].id, got->v[i].end);
}

static void begin(struct sr_textscan_event *e, sr_str result) {
  sr_str f[SR_TEXT_FIELDS] = {SR_STR_NULL, SR_STR_NULL, SR_STR_NULL};
  f[SR_TEXT_RESULT] = result;
  sr_textscan_event_begin(e, f);
}

START_TEST(alone_hits_in_end_then_id_order) {
  struct sr_textscan_hits h;
  const char *t = texts[3];
  sr_textscan_run(b, sb, t, strlen(t), &h);
  /* "the_token" ends with "to" of " to https://" after it; "b+c" and
   * "a" both in "abbbc". */
  ck_assert_uint_gt(h.n, 3);
  for (uint32_t i = 1; i < h.n; i++)
    ck_assert(h.v[i - 1].end < h.v[i].end ||
              (h.v[i - 1].end == h.v[i].end && h.v[i - 1].id < h.v[i].id));
  ck_assert(h.ids & (1u << 1) && h.ids & (1u << 2) && h.ids & (1u << 4));
}
END_TEST

START_TEST(shared_scan_gives_each_set_its_own_hits) {
  char err[256];
  struct sr_textscan_use uses[] = {{SR_TEXT_RESULT, a}, {SR_TEXT_RESULT, b}};
  struct sr_textscan_shared *sh =
      sr_textscan_shared_create(uses, 2, err, sizeof err);
  ck_assert_msg(sh, "%s", err);
  struct sr_textscan_event *e = sr_textscan_event_create(sh);
  ck_assert_ptr_nonnull(e);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    sr_str t = sr_str_from(texts[i]);
    struct sr_textscan_hits want_a, want_b, got_a, got_b;
    sr_textscan_run(a, sa, t.p, t.n, &want_a);
    sr_textscan_run(b, sb, t.p, t.n, &want_b);
    begin(e, t);
    /* No own scratch: a non-empty whole field must come from the shared
     * scan (a set scanning alone with no scratch would fail). */
    if (t.n) {
      sr_textscan_hits_of(e, SR_TEXT_RESULT, b, NULL, t.p, t.n, &got_b);
      sr_textscan_hits_of(e, SR_TEXT_RESULT, a, NULL, t.p, t.n, &got_a);
    } else {
      sr_textscan_hits_of(e, SR_TEXT_RESULT, b, sb, t.p, t.n, &got_b);
      sr_textscan_hits_of(e, SR_TEXT_RESULT, a, sa, t.p, t.n, &got_a);
    }
    same_hits(&want_a, &got_a, texts[i]);
    same_hits(&want_b, &got_b, texts[i]);
  }
  /* The last text overflows b, not a. */
  struct sr_textscan_hits h;
  sr_textscan_hits_of(e, SR_TEXT_RESULT, b, NULL, texts[5], strlen(texts[5]),
                      &h);
  ck_assert(h.overflow && h.n == SR_TEXTSCAN_HITS_MAX);
  sr_textscan_hits_of(e, SR_TEXT_RESULT, a, NULL, texts[5], strlen(texts[5]),
                      &h);
  ck_assert(!h.overflow && h.n == 2);

  /* A cut text (a detector's scan_bytes) is not the field: scanned alone. */
  sr_str t = sr_str_from(texts[3]);
  begin(e, t);
  struct sr_textscan_hits want, got;
  sr_textscan_run(a, sa, t.p, 20, &want);
  sr_textscan_hits_of(e, SR_TEXT_RESULT, a, sa, t.p, 20, &got);
  same_hits(&want, &got, "cut at 20");
  /* Another field, not shared: scanned alone. */
  sr_textscan_hits_of(e, SR_TEXT_MESSAGE, a, sa, t.p, t.n, &got);
  sr_textscan_run(a, sa, t.p, t.n, &want);
  same_hits(&want, &got, "message field");
  sr_textscan_event_destroy(e);
  sr_textscan_shared_destroy(sh);
}
END_TEST

START_TEST(a_set_left_out_scans_alone) {
  char err[256];
  /* b's detector disabled: only a reads the result, nothing is shared,
   * and both still get their own hits. */
  struct sr_textscan_use uses[] = {{SR_TEXT_RESULT, a}, {SR_TEXT_RESULT, a}};
  struct sr_textscan_shared *sh =
      sr_textscan_shared_create(uses, 2, err, sizeof err);
  ck_assert_msg(sh, "%s", err);
  struct sr_textscan_event *e = sr_textscan_event_create(sh);
  ck_assert_ptr_nonnull(e);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    sr_str t = sr_str_from(texts[i]);
    struct sr_textscan_hits want, got;
    begin(e, t);
    sr_textscan_run(a, sa, t.p, t.n, &want);
    sr_textscan_hits_of(e, SR_TEXT_RESULT, a, sa, t.p, t.n, &got);
    same_hits(&want, &got, texts[i]);
    sr_textscan_run(b, sb, t.p, t.n, &want);
    sr_textscan_hits_of(e, SR_TEXT_RESULT, b, sb, t.p, t.n, &got);
    same_hits(&want, &got, texts[i]);
    /* And without a shared scan at all (a detector driven alone). */
    sr_textscan_hits_of(NULL, SR_TEXT_RESULT, b, sb, t.p, t.n, &got);
    same_hits(&want, &got, texts[i]);
  }
  sr_textscan_event_destroy(e);
  sr_textscan_shared_destroy(sh);
}
END_TEST

int main(void) {
  Suite *s = suite_create("textscan");
  TCase *tc = tcase_create("scan");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, alone_hits_in_end_then_id_order);
  tcase_add_test(tc, shared_scan_gives_each_set_its_own_hits);
  tcase_add_test(tc, a_set_left_out_scans_alone);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
