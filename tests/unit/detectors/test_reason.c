/*
 * Reason builder: the text and the cut are snprintf's, byte for byte, so a
 * detector that moved off snprintf writes the very same reasons.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "detectors/reason.h"

START_TEST(same_text_as_snprintf_at_every_cut) {
  static const char embedded[] = "ab\0cd";
  sr_str id = SR_STR_LIT("railway-token-with-a-rather-long-name");
  sr_str nul = {embedded, 5};
  for (size_t cap = 1; cap <= 80; cap++) {
    char want[80], got[80];
    memset(want, 'x', sizeof want);
    memset(got, 'x', sizeof got);
    snprintf(want, cap, "credential %.*s used for %.8s%s (%.*s)", 12, id.p,
             "volume:delete", " (destructive)", 5, nul.p);
    struct sr_reason r = sr_reason_start(got, cap);
    sr_reason_str(&r, "credential ");
    sr_reason_view(&r, id, 12);
    sr_reason_str(&r, " used for ");
    sr_reason_strn(&r, "volume:delete", 8);
    sr_reason_str(&r, " (destructive)");
    sr_reason_str(&r, " (");
    sr_reason_view(&r, nul, 5);
    sr_reason_view(&r, SR_STR_NULL, 5);
    sr_reason_str(&r, ")");
    ck_assert_msg(memcmp(want, got, sizeof want) == 0, "cap %zu: '%s' vs '%s'",
                  cap, want, got);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("reason");
  TCase *tc = tcase_create("build");
  tcase_add_test(tc, same_text_as_snprintf_at_every_cut);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
