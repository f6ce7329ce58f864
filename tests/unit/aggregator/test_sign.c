/*
 * Tests of aggregator/sign.c: what an enforcer trusts. A command signed with
 * our key verifies in both wire forms; each way of not being trustworthy is
 * refused with its own reason (unsigned, forged: another key or any signed
 * field changed, replayed for another session or call, expired); signing is
 * deterministic so replays stay byte-identical; key files are written
 * without clobbering, and a secret key others can read is refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregator/sign.h"

static char dir[128], key[160], pub[160], key2[160], pub2[160];
static struct sr_signer *signer, *other;
static struct sr_verifier *verifier;
#define NOW 1776465697170LL

static void setup(void) {
  char err[512];
  snprintf(dir, sizeof dir, "/tmp/stackrisk-sign-%d", (int)getpid());
  mkdir(dir, 0700);
  snprintf(key, sizeof key, "%s/a.key", dir);
  snprintf(pub, sizeof pub, "%s/a.pub", dir);
  snprintf(key2, sizeof key2, "%s/b.key", dir);
  snprintf(pub2, sizeof pub2, "%s/b.pub", dir);
  unlink(key), unlink(pub), unlink(key2), unlink(pub2);
  ck_assert_int_eq(sr_sign_keygen(key, pub, err, sizeof err), 0);
  ck_assert_int_eq(sr_sign_keygen(key2, pub2, err, sizeof err), 0);
  signer = sr_signer_load(key, err, sizeof err);
  other = sr_signer_load(key2, err, sizeof err);
  verifier = sr_verifier_load(pub, err, sizeof err);
  ck_assert_msg(signer && other && verifier, "%s", err);
}

static void teardown(void) {
  sr_signer_destroy(signer);
  sr_signer_destroy(other);
  sr_verifier_destroy(verifier);
  unlink(key), unlink(pub), unlink(key2), unlink(pub2);
  rmdir(dir);
}

static void sample(struct sr_command *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->session_id, sizeof c->session_id, "sess-pocketos-1");
  snprintf(c->call_id, sizeof c->call_id, "call-volume-delete");
  snprintf(c->event_id, sizeof c->event_id, "ev-pocketos-1-017");
  snprintf(c->rule, sizeof c->rule, "tier.block");
  c->action = SR_ACTION_BLOCK;
  c->risk = 5.8314;
  c->depth = 3;
  c->n_dims = 1;
  snprintf(c->dims[0].name, sizeof c->dims[0].name, "destructive");
  c->dims[0].score = 0.95f;
  c->issued_at_ms = NOW;
  c->expires_at_ms = NOW + 300000;
  sr_command_set_id(c);
}

static enum sr_sig_status check(const struct sr_command *c, const char *s,
                                const char *call, int64_t now, char *why) {
  return sr_verifier_check(verifier, c, s, call, now, why, 512);
}

START_TEST(genuine_command_verifies_in_both_forms) {
  struct sr_command c, back;
  char why[512] = "", err[256];
  sample(&c);
  sr_signer_sign(signer, &c);
  ck_assert_uint_eq(c.sig_len, SR_SIGNATURE_BYTES);
  ck_assert_int_eq(check(&c, "sess-pocketos-1", "call-volume-delete", NOW, why),
                   SR_SIG_OK);
  uint8_t pb[SR_COMMAND_PB_MAX];
  int n = sr_command_encode(&c, pb, sizeof pb);
  ck_assert_int_eq(sr_command_decode(pb, (size_t)n, &back, err, sizeof err), 0);
  ck_assert_int_eq(
      check(&back, "sess-pocketos-1", "call-volume-delete", NOW, why),
      SR_SIG_OK);
  /* The JSON form carries the signature in hex, after the fields. */
  char line[8192];
  ck_assert_int_gt(sr_command_to_json(&c, line, sizeof line), 0);
  const char *sig = strstr(line, ",\"signature\":\"");
  ck_assert_ptr_nonnull(sig);
  ck_assert_int_eq((int)strcspn(sig + 14, "\""), 2 * SR_SIGNATURE_BYTES);
}
END_TEST

START_TEST(signing_is_deterministic) {
  struct sr_command a, b;
  sample(&a);
  sample(&b);
  sr_signer_sign(signer, &a);
  sr_signer_sign(signer, &b);
  ck_assert_mem_eq(a.signature, b.signature, SR_SIGNATURE_BYTES);
  /* Dimensions are explanation, not signed: an enforcer acts on the
   * action, and reasons are free text. */
  b.dims[0].score = 0.5f;
  char why[512];
  ck_assert_int_eq(check(&b, NULL, NULL, NOW, why), SR_SIG_OK);
}
END_TEST

START_TEST(unsigned_command_is_refused) {
  struct sr_command c;
  char why[512];
  sample(&c);
  ck_assert_int_eq(check(&c, NULL, NULL, NOW, why), SR_SIG_UNSIGNED);
  ck_assert_ptr_nonnull(strstr(why, "unsigned"));
  ck_assert_ptr_nonnull(strstr(why, c.command_id));
}
END_TEST

START_TEST(another_key_is_forged) {
  struct sr_command c;
  char why[512];
  sample(&c);
  sr_signer_sign(other, &c);
  ck_assert_int_eq(check(&c, NULL, NULL, NOW, why), SR_SIG_FORGED);
  ck_assert_ptr_nonnull(strstr(why, "forged"));
}
END_TEST

START_TEST(any_signed_field_changed_is_forged) {
  char why[512];
  for (int field = 0; field < 10; field++) {
    struct sr_command c;
    sample(&c);
    sr_signer_sign(signer, &c);
    switch (field) {
      case 0:
        c.action = SR_ACTION_ALLOW;
        break;
      case 1:
        c.call_id[0] = 'k';
        break;
      case 2:
        c.session_id[0] = 'z';
        break;
      case 3:
        c.risk = 0.1;
        break;
      case 4:
        c.depth = 0;
        break;
      case 5:
        snprintf(c.rule, sizeof c.rule, "allow");
        break;
      case 6:
        c.expires_at_ms += 86400000;
        break;
      case 7:
        c.issued_at_ms += 1;
        break;
      case 8:
        c.event_id[0] = 'x';
        break;
      case 9:
        c.command_id[0] = c.command_id[0] == '0' ? '1' : '0';
        break;
    }
    ck_assert_msg(check(&c, NULL, NULL, NOW, why) == SR_SIG_FORGED,
                  "field %d changed and still verified", field);
  }
  /* A signature of the wrong length off the wire is forged, not unsigned. */
  struct sr_command c, back;
  sample(&c);
  sr_signer_sign(signer, &c);
  c.sig_len = 10;
  uint8_t pb[SR_COMMAND_PB_MAX];
  int n = sr_command_encode(&c, pb, sizeof pb);
  char err[128];
  ck_assert_int_eq(sr_command_decode(pb, (size_t)n, &back, err, sizeof err), 0);
  ck_assert_int_eq(check(&back, NULL, NULL, NOW, why), SR_SIG_FORGED);
}
END_TEST

START_TEST(genuine_command_for_another_call_is_refused) {
  struct sr_command c;
  char why[512];
  sample(&c);
  sr_signer_sign(signer, &c);
  ck_assert_int_eq(check(&c, "sess-pocketos-1", "call-other", NOW, why),
                   SR_SIG_OTHER_CALL);
  ck_assert_ptr_nonnull(strstr(why, "replayed for another call"));
  ck_assert_int_eq(check(&c, "sess-other", "call-volume-delete", NOW, why),
                   SR_SIG_OTHER_CALL);
}
END_TEST

START_TEST(expired_command_is_refused) {
  struct sr_command c;
  char why[512];
  sample(&c);
  sr_signer_sign(signer, &c);
  ck_assert_int_eq(check(&c, NULL, NULL, c.expires_at_ms, why), SR_SIG_OK);
  ck_assert_int_eq(check(&c, NULL, NULL, c.expires_at_ms + 1, why),
                   SR_SIG_EXPIRED);
  ck_assert_ptr_nonnull(strstr(why, "expired"));
}
END_TEST

START_TEST(canonical_form_is_documented_netstrings) {
  struct sr_command c;
  sample(&c);
  uint8_t buf[SR_SIGN_CANONICAL_MAX];
  int n = sr_sign_canonical(&c, buf, sizeof buf);
  ck_assert_int_gt(n, 0);
  char expect[1024];
  snprintf(expect, sizeof expect,
           "%s32:%s,15:sess-pocketos-1,18:call-volume-delete,5:BLOCK,5:5.831,"
           "1:3,10:tier.block,13:1776465697170,13:1776465997170,"
           "17:ev-pocketos-1-017,",
           SR_SIGN_TAG, c.command_id);
  ck_assert_int_eq(n, (int)strlen(expect));
  ck_assert_mem_eq(buf, expect, (size_t)n);
}
END_TEST

START_TEST(key_files_are_guarded) {
  char err[512];
  /* Never overwritten. */
  ck_assert_int_ne(sr_sign_keygen(key, pub, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "already exists"));
  /* A secret key others can read is refused, with the fix. */
  chmod(key2, 0644);
  ck_assert_ptr_null(sr_signer_load(key2, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
  /* A public key where a secret one is expected, and garbage. */
  char bad[200];
  snprintf(bad, sizeof bad, "%s/bad.key", dir);
  FILE *f = fopen(bad, "w");
  fputs("not hex\n", f);
  fclose(f);
  chmod(bad, 0600);
  ck_assert_ptr_null(sr_signer_load(bad, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, "128 hex digits"));
  ck_assert_ptr_null(sr_verifier_load(bad, err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, "64 hex digits"));
  unlink(bad);
  ck_assert_ptr_null(sr_verifier_load("/nonexistent/x.pub", err, sizeof err));
  ck_assert_ptr_nonnull(strstr(err, "stackrisk keygen"));
}
END_TEST

START_TEST(default_key_is_generated_once) {
  char home[200], path[4096], pubp[4096], err[512];
  bool generated;
  snprintf(home, sizeof home, "%s/xdg", dir);
  setenv("XDG_CONFIG_HOME", home, 1);
  ck_assert_int_eq(
      sr_sign_resolve_secret(NULL, path, sizeof path, pubp, sizeof pubp,
                             &generated, err, sizeof err),
      0);
  ck_assert(generated);
  char expect[300];
  snprintf(expect, sizeof expect, "%s/stackrisk/signing.pub", home);
  ck_assert_str_eq(pubp, expect);
  ck_assert_int_eq(
      sr_sign_resolve_secret(NULL, path, sizeof path, pubp, sizeof pubp,
                             &generated, err, sizeof err),
      0);
  ck_assert(!generated);
  struct sr_signer *s = sr_signer_load(path, err, sizeof err);
  struct sr_verifier *v = sr_verifier_load(pubp, err, sizeof err);
  ck_assert_ptr_nonnull(s);
  ck_assert_ptr_nonnull(v);
  struct sr_command c;
  sample(&c);
  sr_signer_sign(s, &c);
  char why[512];
  ck_assert_int_eq(sr_verifier_check(v, &c, NULL, NULL, NOW, why, sizeof why),
                   SR_SIG_OK);
  sr_signer_destroy(s);
  sr_verifier_destroy(v);
  /* A configured key pairs with its sibling .pub. */
  ck_assert_int_eq(
      sr_sign_resolve_secret("/etc/sr/prod.key", path, sizeof path, pubp,
                             sizeof pubp, &generated, err, sizeof err),
      0);
  ck_assert_str_eq(pubp, "/etc/sr/prod.pub");
  unlink(path);
  snprintf(path, sizeof path, "%s/stackrisk/signing.key", home);
  unlink(path);
  snprintf(path, sizeof path, "%s/stackrisk/signing.pub", home);
  unlink(path);
  snprintf(path, sizeof path, "%s/stackrisk", home);
  rmdir(path);
  rmdir(home);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sign");
  TCase *tc = tcase_create("sign");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, genuine_command_verifies_in_both_forms);
  tcase_add_test(tc, signing_is_deterministic);
  tcase_add_test(tc, unsigned_command_is_refused);
  tcase_add_test(tc, another_key_is_forged);
  tcase_add_test(tc, any_signed_field_changed_is_forged);
  tcase_add_test(tc, genuine_command_for_another_call_is_refused);
  tcase_add_test(tc, expired_command_is_refused);
  tcase_add_test(tc, canonical_form_is_documented_netstrings);
  tcase_add_test(tc, key_files_are_guarded);
  tcase_add_test(tc, default_key_is_generated_once);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
