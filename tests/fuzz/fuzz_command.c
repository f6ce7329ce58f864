/*
 * libFuzzer harness for the control-command decoder and its signature
 * check (aggregator/command.c, aggregator/sign.c): the bytes of one record
 * of the control topic, which `watch`, `gate` and `approve` read and anyone
 * who can write to that topic controls.
 *
 * Each input is decoded, verified with the public key of docs/events.md's
 * worked example (its seeds are signed with the matching secret key, so
 * mutations of a genuine command reach the Merkle path fold), printed as
 * `watch` prints it, re-encoded, and signed afresh. Checked besides
 * sanitizer reports:
 *  - a failure has a reason; the JSON line of a command whose risk and
 *    scores are numbers a processor gives (finite, small) is one JSON
 *    object, by the project's strict reader;
 *  - decode(encode(decode(x))) keeps every field, and the verdict;
 *  - a command the signer signs (in a batch of one to four) verifies,
 *    and verifies as "another call" for any other session.
 */
#include <math.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregator/command.h"
#include "aggregator/sign.h"
#include "ingest/json.h"
#include "tests/fuzz/fuzz_util.h"

static struct sr_verifier *verifier;
static struct sr_signer *signer;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char err[512];
  uint8_t seed[32], pk[crypto_sign_PUBLICKEYBYTES],
      sk[crypto_sign_SECRETKEYBYTES];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
  FZ_CHECK(sodium_init() >= 0, "sodium_init");
  crypto_sign_seed_keypair(pk, sk, seed);
  verifier = sr_verifier_from_bytes(pk);
  FZ_CHECK(verifier, "verifier");
  /* The signer reads its key from a file, mode 0600. */
  char path[] = "/tmp/stackrisk-fuzz-key-XXXXXX";
  int fd = mkstemp(path);
  FZ_CHECK(fd >= 0, "mkstemp");
  char hex[2 * sizeof sk + 2];
  sodium_bin2hex(hex, sizeof hex - 1, sk, sizeof sk);
  strcat(hex, "\n");
  FZ_CHECK(write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex), "write");
  close(fd);
  signer = sr_signer_load(path, err, sizeof err);
  unlink(path);
  FZ_CHECK(signer, "%s", err);
  return 0;
}

/* NULL when a and b carry the same command; else the first field that
 * differs. Strings compare as C strings: that is what every user of a
 * command reads. */
static const char *command_diff(const struct sr_command *a,
                                const struct sr_command *b) {
  if (strcmp(a->command_id, b->command_id)) return "command_id";
  if (strcmp(a->session_id, b->session_id)) return "session_id";
  if (strcmp(a->call_id, b->call_id)) return "call_id";
  if (strcmp(a->event_id, b->event_id)) return "event_id";
  if (strcmp(a->rule, b->rule)) return "rule";
  if (a->action != b->action) return "action";
  if (!fz_double_eq(a->risk, b->risk) && !(a->risk == 0 && b->risk == 0))
    return "risk";
  if (a->depth != b->depth) return "depth";
  if (a->n_dims != b->n_dims) return "n_dims";
  for (uint32_t i = 0; i < a->n_dims; i++) {
    if (strcmp(a->dims[i].name, b->dims[i].name)) return "dims.name";
    if (strcmp(a->dims[i].reason, b->dims[i].reason)) return "dims.reason";
    if (a->dims[i].score != b->dims[i].score &&
        memcmp(&a->dims[i].score, &b->dims[i].score, sizeof(float)))
      return "dims.score";
  }
  if (a->issued_at_ms != b->issued_at_ms) return "issued_at_ms";
  if (a->expires_at_ms != b->expires_at_ms) return "expires_at_ms";
  if (a->sig_len != b->sig_len) return "sig_len";
  if (memcmp(a->signature, b->signature, a->sig_len)) return "signature";
  if (a->batch_index != b->batch_index) return "batch_index";
  if (a->batch_size != b->batch_size) return "batch_size";
  if (a->batch_path_len != b->batch_path_len) return "batch_path_len";
  if (a->batch_path_len <= SR_BATCH_PATH_MAX &&
      memcmp(a->batch_path, b->batch_path,
             a->batch_path_len * SR_BATCH_HASH_BYTES))
    return "batch_path";
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct sr_command cmd, back, batch[4];
  static uint8_t pb[SR_COMMAND_PB_MAX];
  static char line[65536];
  char err[512] = "", why[1024] = "", why2[1024] = "";

  int rc = sr_command_decode(data, size, &cmd, err, sizeof err);
  FZ_CHECK(rc == SR_OK || rc == SR_EINVAL, "rc %d", rc);
  if (rc) {
    FZ_CHECK(err[0], "failure without a reason");
    return 0;
  }
  FZ_CHECK(
      cmd.sig_len == 0 || cmd.sig_len == 1 || cmd.sig_len == SR_SIGNATURE_BYTES,
      "sig_len %u", cmd.sig_len);
  FZ_CHECK(cmd.n_dims <= SR_DIM_MAX, "n_dims %u", cmd.n_dims);

  /* As watch and gate check it: with and without a session and call. */
  enum sr_sig_status st =
      sr_verifier_check(verifier, &cmd, NULL, NULL, INT64_MIN, why, sizeof why);
  enum sr_sig_status st2 =
      sr_verifier_check(verifier, &cmd, cmd.session_id, cmd.call_id, INT64_MIN,
                        why2, sizeof why2);
  FZ_CHECK(st == st2, "own session and call changed the verdict");
  FZ_CHECK(st == SR_SIG_OK || why[0], "refused without a reason");

  /* As watch prints it. The processor's risks and scores are small finite
   * numbers, so only such a command must print as JSON: NaN prints as nan,
   * and "%.3f" of 1e28 is cut at 31 characters, as in the signed
   * canonical form. */
  bool finite = fabs(cmd.risk) < 1e12;
  for (uint32_t i = 0; i < cmd.n_dims; i++)
    finite = finite && fabsf(cmd.dims[i].score) < 1e12f;
  int n = sr_command_to_json(&cmd, line, sizeof line);
  if (n > 0 && finite) {
    FZ_CHECK((size_t)n < sizeof line && strlen(line) == (size_t)n, "length %d",
             n);
    struct sr_json j;
    sr_json_init(&j, line, (size_t)n, NULL, err, sizeof err);
    FZ_CHECK(sr_json_peek(&j) == SR_JSON_OBJECT &&
                 sr_json_skip(&j, NULL) == 0 && sr_json_finish(&j) == 0,
             "not one JSON object: %s: %s", err, line);
  }

  /* Re-encoded (as approve and the tests do), it decodes the same. */
  int len = sr_command_encode(&cmd, pb, sizeof pb);
  FZ_CHECK(len >= 0, "encode: %d", len);
  FZ_CHECK(sr_command_decode(pb, (size_t)len, &back, err, sizeof err) == 0,
           "re-encoded command does not decode: %s", err);
  const char *d = command_diff(&cmd, &back);
  FZ_CHECK(d == NULL, "re-encoded command differs in '%s'", d);
  if (signbit(cmd.risk) == signbit(back.risk))
    FZ_CHECK(sr_verifier_check(verifier, &back, NULL, NULL, INT64_MIN, why2,
                               sizeof why2) == st,
             "re-encoded command: another verdict");

  /* Signed by the processor, in a batch of one to four, it verifies. */
  size_t k = 1 + (size_t)(size ? data[size - 1] & 3 : 0);
  for (size_t i = 0; i < k; i++) {
    batch[i] = cmd;
    batch[i].depth = cmd.depth + (uint32_t)i;
  }
  sr_signer_sign_batch(signer, batch, k);
  for (size_t i = 0; i < k; i++) {
    FZ_CHECK(sr_verifier_check(verifier, &batch[i], batch[i].session_id,
                               batch[i].call_id, INT64_MIN, why,
                               sizeof why) == SR_SIG_OK,
             "signed command %zu of %zu refused: %s", i, k, why);
    FZ_CHECK(
        sr_verifier_check(verifier, &batch[i], "another session", NULL,
                          INT64_MIN, why, sizeof why) == SR_SIG_OTHER_CALL ||
            strcmp(batch[i].session_id, "another session") == 0,
        "signed command for another session not refused");
  }
  return 0;
}
