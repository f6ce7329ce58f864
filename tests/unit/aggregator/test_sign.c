/*
 * Tests of aggregator/sign.c: what an enforcer trusts. A command signed with
 * our key verifies in both wire forms; each way of not being trustworthy is
 * refused with its own reason (unsigned, forged: another key or any signed
 * field changed, replayed for another session or call, expired); signing is
 * deterministic so replays stay byte-identical; batches of every size agree
 * with an independent RFC 6962 verifier written from docs/events.md, and
 * every member verifies alone while any moved proof is forged; key files are written
 * without clobbering, and a secret key others can read is refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

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

/* The canonical form as docs/events.md writes it, with printf. */
static int ref_canonical(const struct sr_command *c, char *out, size_t cap) {
  char risk[64], depth[16], issued[24], expires[24];
  snprintf(risk, sizeof risk, "%.3f", c->risk);
  snprintf(depth, sizeof depth, "%u", c->depth);
  snprintf(issued, sizeof issued, "%lld", (long long)c->issued_at_ms);
  snprintf(expires, sizeof expires, "%lld", (long long)c->expires_at_ms);
  const char *action = sr_action_name(c->action);
  return snprintf(out, cap, "%s%zu:%s,%zu:%s,%zu:%s,%zu:%s,%zu:%s,%zu:%s,"
                  "%zu:%s,%zu:%s,%zu:%s,%zu:%s,", SR_SIGN_TAG,
                  strlen(c->command_id), c->command_id, strlen(c->session_id),
                  c->session_id, strlen(c->call_id), c->call_id,
                  strlen(action), action, strlen(risk), risk, strlen(depth),
                  depth, strlen(c->rule), c->rule, strlen(issued), issued,
                  strlen(expires), expires, strlen(c->event_id), c->event_id);
}

/* Negative times (a clock before 1970) keep their sign, and a buffer too
 * small for the form is refused, whatever field it ends in, without a byte
 * written past it. */
START_TEST(canonical_form_negative_times_and_short_buffers) {
  struct sr_command c;
  sample(&c);
  c.issued_at_ms = -5;
  c.expires_at_ms = INT64_MIN + 1;
  uint8_t buf[SR_SIGN_CANONICAL_MAX + 1];
  char want[SR_SIGN_CANONICAL_MAX];
  int n = sr_sign_canonical(&c, buf, sizeof buf);
  ck_assert_int_eq(n, ref_canonical(&c, want, sizeof want));
  ck_assert_mem_eq(buf, want, (size_t)n);
  ck_assert_ptr_nonnull(strstr(want, ",2:-5,20:-9223372036854775807,"));
  for (int cap = 1; cap <= n; cap++) {
    memset(buf, 0xAB, sizeof buf);
    ck_assert_int_eq(sr_sign_canonical(&c, buf, (size_t)cap), SR_EBOUND);
    for (size_t i = (size_t)cap; i < sizeof buf; i++)
      ck_assert_msg(buf[i] == 0xAB, "cap %d: byte %zu written", cap, i);
  }
  ck_assert_int_eq(sr_sign_canonical(&c, buf, (size_t)n + 1), n);
}
END_TEST

/* The canonical form is what any enforcer rebuilds from the JSON form, where
 * risk is printed with "%.3f": the signed text must be printf's digits for
 * every risk, rounding ties and edges included. */
START_TEST(canonical_risk_is_printfs_three_decimals) {
  static const double risks[] = {
      0.0,       0.0005,    0.0015,      0.0025,   0.1235,   1.0005,
      2.4,       5.8305,    5.831,       0.12345,  0.9995,   9.9995,
      99.9995,   1e-9,      0.000499999, 123456.7894999,    999999.9995,
      999999.999, 1e6,      1e7,         4.5e15,   -0.0,     -1.5,
      -0.0004,   1.0 / 3.0, 2.0 / 3.0,   255.2555, 0.5};
  struct sr_command c;
  sample(&c);
  uint8_t buf[SR_SIGN_CANONICAL_MAX];
  /* The listed values, then a sweep of random ones on a fixed seed. */
  uint64_t x = 42;
  for (size_t i = 0; i < SR_ARRAY_LEN(risks) + 200000; i++) {
    if (i < SR_ARRAY_LEN(risks)) {
      c.risk = risks[i];
    } else {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      /* mostly in the policy's range, with exact thousandths and halves */
      double u = (double)(x >> 11) / 9007199254740992.0;
      c.risk = i % 3 == 0 ? (double)(x >> 40) / 2000.0 : u * (i % 2 ? 10 : 1e4);
    }
    int n = sr_sign_canonical(&c, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    char want[SR_SIGN_CANONICAL_MAX];
    int wn = ref_canonical(&c, want, sizeof want);
    ck_assert_msg(n == wn && memcmp(buf, want, (size_t)n) == 0,
                  "risk %.17g: canonical form\n%.*s\nwanted\n%s", c.risk, n,
                  (const char *)buf, want);
  }
}
END_TEST

/* Batches ---------------------------------------------------------------*/

/* n distinct commands (one per event). */
static void batch_of(struct sr_command *cs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sample(&cs[i]);
    snprintf(cs[i].event_id, sizeof cs[i].event_id, "ev-batch-%zu", i);
    cs[i].depth = (uint32_t)i;
    sr_command_set_id(&cs[i]);
  }
}

/* An independent verifier written from docs/events.md alone, with RFC
 * 6962's recursive definitions (not sign.c's bottom-up loop). */
typedef uint8_t hash_t[32];

static void ref_leaf(const struct sr_command *c, uint8_t out[32]) {
  uint8_t in[1 + SR_SIGN_CANONICAL_MAX];
  in[0] = 0;
  int n = sr_sign_canonical(c, in + 1, sizeof in - 1);
  ck_assert_int_gt(n, 0);
  crypto_generichash(out, 32, in, 1 + (size_t)n, NULL, 0);
}

static void ref_node(const uint8_t *l, const uint8_t *r, uint8_t out[32]) {
  uint8_t in[65];
  in[0] = 1;
  memcpy(in + 1, l, 32);
  memcpy(in + 33, r, 32);
  crypto_generichash(out, 32, in, sizeof in, NULL, 0);
}

static size_t split(size_t n) { /* largest power of two below n */
  size_t k = 1;
  while (2 * k < n) k *= 2;
  return k;
}

static void ref_mth(const hash_t *leaves, size_t n, uint8_t out[32]) {
  if (n == 1) {
    memcpy(out, leaves[0], 32);
    return;
  }
  uint8_t l[32], r[32];
  size_t k = split(n);
  ref_mth(leaves, k, l);
  ref_mth(leaves + k, n - k, r);
  ref_node(l, r, out);
}

/* PATH(m, D[n]), nearest the leaf first; returns its length. */
static size_t ref_path(const hash_t *leaves, size_t n, size_t m, hash_t *out) {
  if (n == 1) return 0;
  size_t k = split(n), len;
  if (m < k) {
    len = ref_path(leaves, k, m, out);
    ref_mth(leaves + k, n - k, out[len]);
  } else {
    len = ref_path(leaves + k, n - k, m - k, out);
    ref_mth(leaves, k, out[len]);
  }
  return len + 1;
}

static void check_batch_against_reference(const struct sr_command *cs,
                                          size_t n) {
  hash_t leaves[SR_BATCH_MAX], path[SR_BATCH_PATH_MAX + 1];
  for (size_t i = 0; i < n; i++) ref_leaf(&cs[i], leaves[i]);
  uint8_t root[32], msg[128], pk[32];
  ref_mth(leaves, n, root);
  /* tag, netstring of the decimal size, netstring of the raw root */
  int len = snprintf((char *)msg, sizeof msg,
                     "stackrisk.v1.CommandBatch/ed25519\n%d:%zu,32:",
                     n < 10 ? 1 : n < 100 ? 2 : 3, n);
  memcpy(msg + len, root, 32);
  msg[len + 32] = ',';
  char hex[80];
  FILE *f = fopen(pub, "r");
  ck_assert_ptr_nonnull(fgets(hex, sizeof hex, f));
  fclose(f);
  ck_assert_int_eq(sodium_hex2bin(pk, 32, hex, 64, NULL, NULL, NULL), 0);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(crypto_sign_verify_detached(cs[i].signature, msg,
                                                 (size_t)len + 33, pk),
                     0);
    size_t plen = ref_path(leaves, n, i, path);
    ck_assert_uint_eq(cs[i].batch_path_len, plen);
    ck_assert_mem_eq(cs[i].batch_path, path, plen * 32);
  }
}

START_TEST(every_batch_size_verifies_for_every_member) {
  static struct sr_command cs[SR_BATCH_MAX];
  struct sr_command back;
  char why[512], err[256];
  uint8_t pb[SR_COMMAND_PB_MAX];
  /* Every size up to 17, then the edges of the deeper trees (64 was the
   * largest batch before). */
  static const size_t more[] = {63, 64, 65, 100, 127, 128, 129, 255, 256};
  _Static_assert(SR_BATCH_MAX == 256, "update the sizes tried");
  for (size_t k = 0, n = 1; n <= SR_BATCH_MAX;
       n = n < 17 ? n + 1 : k < SR_ARRAY_LEN(more) ? more[k++] : SIZE_MAX) {
    batch_of(cs, n);
    sr_signer_sign_batch(signer, cs, n);
    check_batch_against_reference(cs, n);
    for (size_t i = 0; i < n; i++) {
      ck_assert_uint_eq(cs[i].batch_index, i);
      ck_assert_uint_eq(cs[i].batch_size, n);
      ck_assert_mem_eq(cs[i].signature, cs[0].signature, SR_SIGNATURE_BYTES);
      ck_assert_msg(check(&cs[i], NULL, NULL, NOW, why) == SR_SIG_OK,
                    "member %zu of %zu: %s", i, n, why);
      /* Off the wire too. */
      int len = sr_command_encode(&cs[i], pb, sizeof pb);
      ck_assert_int_eq(
          sr_command_decode(pb, (size_t)len, &back, err, sizeof err), 0);
      ck_assert_int_eq(check(&back, NULL, NULL, NOW, why), SR_SIG_OK);
    }
  }
  /* A batch of one has an empty path: its root is its leaf. */
  batch_of(cs, 1);
  sr_signer_sign(signer, &cs[0]);
  ck_assert_uint_eq(cs[0].batch_size, 1);
  ck_assert_uint_eq(cs[0].batch_path_len, 0);
}
END_TEST

START_TEST(batch_signing_is_deterministic) {
  static struct sr_command a[13], b[13];
  batch_of(a, 13);
  batch_of(b, 13);
  sr_signer_sign_batch(signer, a, 13);
  sr_signer_sign_batch(signer, b, 13);
  for (size_t i = 0; i < 13; i++) {
    ck_assert_mem_eq(a[i].signature, b[i].signature, SR_SIGNATURE_BYTES);
    ck_assert_uint_eq(a[i].batch_path_len, b[i].batch_path_len);
    ck_assert_mem_eq(a[i].batch_path, b[i].batch_path, sizeof a[i].batch_path);
  }
}
END_TEST

/* Every way of moving a member's proof is forged. */
START_TEST(tampered_batch_member_is_forged) {
  enum { N = 11 };
  static struct sr_command cs[N], theirs[N];
  char why[512];
  for (int way = 0; way < 12; way++) {
    batch_of(cs, N);
    sr_signer_sign_batch(signer, cs, N);
    struct sr_command *c = &cs[5]; /* path of 4: index 5 of 11 */
    ck_assert_uint_eq(c->batch_path_len, 4);
    switch (way) {
      case 0: /* another member's path */
        memcpy(c->batch_path, cs[6].batch_path, sizeof c->batch_path);
        break;
      case 1: /* another member's index */
        c->batch_index = 4;
        break;
      case 2: /* index past the end */
        c->batch_index = N;
        break;
      case 3: /* a larger batch */
        c->batch_size = N + 1;
        break;
      case 4: /* a smaller batch */
        c->batch_size = N - 1;
        break;
      case 5: /* truncated path */
        c->batch_path_len--;
        break;
      case 6: /* extended path */
        memset(c->batch_path[c->batch_path_len++], 0xab, 32);
        break;
      case 7: /* one bit of one sibling */
        c->batch_path[2][7] ^= 0x10;
        break;
      case 8: /* another batch's genuine signature */
        batch_of(theirs, N);
        snprintf(theirs[0].rule, sizeof theirs[0].rule, "another batch");
        sr_signer_sign_batch(signer, theirs, N);
        memcpy(c->signature, theirs[5].signature, SR_SIGNATURE_BYTES);
        break;
      case 9: /* a signed field changed */
        c->action = SR_ACTION_ALLOW;
        break;
      case 10: /* a batch larger than any the processor signs */
        c->batch_size = SR_BATCH_MAX + 1;
        break;
      case 11: /* the member of a batch of one posing as its root */
        c->batch_index = 0;
        c->batch_size = 1;
        c->batch_path_len = 0;
        break;
    }
    ck_assert_msg(check(c, NULL, NULL, NOW, why) == SR_SIG_FORGED,
                  "tampering %d still verified", way);
    ck_assert_ptr_nonnull(strstr(why, "forged"));
  }
  /* Two members with their paths swapped are both forged. */
  batch_of(cs, N);
  sr_signer_sign_batch(signer, cs, N);
  uint8_t tmp[sizeof cs[0].batch_path];
  memcpy(tmp, cs[2].batch_path, sizeof tmp);
  memcpy(cs[2].batch_path, cs[9].batch_path, sizeof tmp);
  memcpy(cs[9].batch_path, tmp, sizeof tmp);
  ck_assert_int_eq(check(&cs[2], NULL, NULL, NOW, why), SR_SIG_FORGED);
  ck_assert_int_eq(check(&cs[9], NULL, NULL, NOW, why), SR_SIG_FORGED);
  /* A path of broken hashes off the wire is forged, not an error. */
  struct sr_command back;
  uint8_t pb[SR_COMMAND_PB_MAX];
  char err[128];
  batch_of(cs, N);
  sr_signer_sign_batch(signer, cs, N);
  cs[3].batch_path_len = SR_BATCH_PATH_BAD;
  int n = sr_command_encode(&cs[3], pb, sizeof pb);
  ck_assert_int_eq(sr_command_decode(pb, (size_t)n, &back, err, sizeof err), 0);
  ck_assert_uint_eq(back.batch_path_len, SR_BATCH_PATH_BAD);
  ck_assert_int_eq(check(&back, NULL, NULL, NOW, why), SR_SIG_FORGED);
}
END_TEST

START_TEST(json_form_carries_the_batch) {
  static struct sr_command cs[3];
  batch_of(cs, 3);
  sr_signer_sign_batch(signer, cs, 3);
  char line[8192], expect[256];
  ck_assert_int_gt(sr_command_to_json(&cs[2], line, sizeof line), 0);
  /* Index 2 of 3 has one sibling: the root of members 0 and 1. */
  char h[65];
  sodium_bin2hex(h, sizeof h, cs[2].batch_path[0], 32);
  snprintf(expect, sizeof expect,
           ",\"batch\":{\"index\":2,\"size\":3,\"path\":[\"%s\"]},"
           "\"signature\":\"",
           h);
  ck_assert_ptr_nonnull(strstr(line, expect));
}
END_TEST

/* docs/events.md's worked example, byte for byte: what a verifier written
 * in another language is checked against. */
START_TEST(documented_worked_example) {
  uint8_t seed[32], pk[32], sk[64];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
  crypto_sign_seed_keypair(pk, sk, seed);
  char path[200], hex[129], err[256];
  snprintf(path, sizeof path, "%s/doc.key", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "%s\n", sodium_bin2hex(hex, sizeof hex, sk, sizeof sk));
  fclose(f);
  chmod(path, 0600);
  struct sr_signer *s = sr_signer_load(path, err, sizeof err);
  ck_assert_msg(s, "%s", err);
  static struct sr_command cs[3];
  for (int i = 0; i < 3; i++) {
    sample(&cs[i]);
    snprintf(cs[i].call_id, sizeof cs[i].call_id, "call-%d", i);
    snprintf(cs[i].event_id, sizeof cs[i].event_id, "ev-pocketos-1-%03d",
             17 + i);
    sr_command_set_id(&cs[i]);
  }
  sr_signer_sign_batch(s, cs, 3);
  sr_signer_destroy(s);
  unlink(path);
  ck_assert_str_eq(sodium_bin2hex(hex, sizeof hex, pk, 32),
                   "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc86641255"
                   "31b8");
  ck_assert_str_eq(cs[0].command_id, "b8c9f65cd51ad5d548c9c722a41bfcc1");
  ck_assert_str_eq(
      sodium_bin2hex(hex, sizeof hex, cs[2].signature, 64),
      "43d898669e631d63ca16e6f7cf0a1ac09c39ce5296c27c722d1b8ac4be31458aa746e8"
      "19189bab2d2c16feae19ec4ba4d10a7a1f61a5ebb1bc3e8c48a4502700");
  static const char *const paths[3][2] = {
      {"b584a71bae5b846bbe7bb332baffe39ddf2a305e93e6decb75f96a07eec632f9",
       "b482336ca1220ba8b932e47e3900361da1776b171c5c3032c6f916cc8b8437a7"},
      {"4a0939b77a7cb263d2e8fe47ba26533cb87facd343b9fd2f3d10eaa6951e3cd9",
       "b482336ca1220ba8b932e47e3900361da1776b171c5c3032c6f916cc8b8437a7"},
      {"232e101a475b07d46f2eecc424cfef565b4651d46c0051fa327a1ed6e98ca1b7",
       NULL}};
  for (int i = 0; i < 3; i++) {
    ck_assert_uint_eq(cs[i].batch_path_len, i < 2 ? 2 : 1);
    for (uint32_t k = 0; k < cs[i].batch_path_len; k++)
      ck_assert_str_eq(sodium_bin2hex(hex, sizeof hex, cs[i].batch_path[k], 32),
                       paths[i][k]);
  }
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
  tcase_add_test(tc, canonical_risk_is_printfs_three_decimals);
  tcase_add_test(tc, canonical_form_negative_times_and_short_buffers);
  tcase_add_test(tc, every_batch_size_verifies_for_every_member);
  tcase_add_test(tc, batch_signing_is_deterministic);
  tcase_add_test(tc, tampered_batch_member_is_forged);
  tcase_add_test(tc, json_form_carries_the_batch);
  tcase_add_test(tc, documented_worked_example);
  tcase_add_test(tc, key_files_are_guarded);
  tcase_add_test(tc, default_key_is_generated_once);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
