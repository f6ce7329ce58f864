/*
 * Command signatures (see sign.h). The canonical form is built into a
 * bounded stack buffer with netstrings, so no field can run into the next
 * ("ab","c" and "a","bc" sign differently) and the form is easy to rebuild in
 * any language. Keys live in small hex files; the secret one must not be
 * readable by others, as ssh demands of its keys.
 *
 * The batch tree is built bottom-up, level by level, pairing neighbours and
 * carrying an odd last node up unchanged: that is the same tree as RFC
 * 6962's recursive definition (split at the largest power of two below n),
 * without recursion, and every level stays on the stack for the paths. The
 * verifier folds a path with RFC 9162's algorithm (section 2.1.3.2), which
 * also checks that the path has exactly the length index and size imply.
 * The 0x00/0x01 prefixes keep a leaf from passing for an inner node.
 */
#include "aggregator/sign.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fixed.h"
#include "core/sr.h"

struct sr_signer {
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

struct sr_verifier {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

static const char *const status_names[] = {
    "ok", "unsigned", "forged", "replayed for another call", "expired"};

const char *sr_sig_status_name(enum sr_sig_status s) {
  return (unsigned)s < SR_ARRAY_LEN(status_names) ? status_names[s] : "?";
}

/* "<n>:<s>," at o, unchecked; returns the end. */
static char *netstring_at(char *o, const char *s, size_t n) {
  char num[24];
  char *d = sr_decimal(num + sizeof num, n);
  size_t dn = (size_t)(num + sizeof num - d);
  memcpy(o, d, dn);
  o += dn;
  *o++ = ':';
  memcpy(o, s, n);
  o += n;
  *o++ = ',';
  return o;
}

static char *netstring_str(char *o, const char *s) {
  return netstring_at(o, s, strlen(s));
}

/* The netstring of an integer in decimal. */
static char *netstring_i64(char *o, int64_t v) {
  char num[24];
  char *d = sr_decimal(num + sizeof num, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
  if (v < 0) *--d = '-';
  return netstring_at(o, d, (size_t)(num + sizeof num - d));
}

/* The netstring of v as "%.3f" prints it (into 32 bytes, as ever). */
static char *netstring_fixed3(char *o, double v) {
  char num[32];
  return netstring_at(o, num, sr_fixed_format(num, sizeof num, v, 3));
}

#define FIELD_SIZE(f) sizeof(((const struct sr_command *)0)->f)
/* The longest canonical form: the tag, five string fields at their
 * longest, the longest action name, "%.3f" in its 32 bytes, three
 * integers of up to 20 characters, and ten netstrings' "NNNN:" and ",". */
#define CANONICAL_BOUND                                                   \
  (sizeof SR_SIGN_TAG + FIELD_SIZE(command_id) + FIELD_SIZE(session_id) + \
   FIELD_SIZE(call_id) + FIELD_SIZE(rule) + FIELD_SIZE(event_id) +        \
   sizeof "ESCALATE" + 32 + 3 * 20 + 10 * 6)
_Static_assert(CANONICAL_BOUND <= SR_SIGN_CANONICAL_MAX,
               "SR_SIGN_CANONICAL_MAX must cover the largest command");

/* Written straight into buf, unchecked, when buf has room for the
 * largest form (the signer's and verifier's buffers do), else into a
 * local one and copied if it fits: every command is hashed once when
 * signed and once per verification, and bounded appends with a check per
 * part cost ~1,800 instructions a command. The strings are the struct's
 * NUL-terminated arrays, so each is shorter than its array. */
int sr_sign_canonical(const struct sr_command *cmd, uint8_t *buf, size_t cap) {
  char local[CANONICAL_BOUND];
  char *start = cap >= CANONICAL_BOUND ? (char *)buf : local;
  char *o = start;
  memcpy(o, SR_SIGN_TAG, sizeof SR_SIGN_TAG - 1);
  o += sizeof SR_SIGN_TAG - 1;
  o = netstring_str(o, cmd->command_id);
  o = netstring_str(o, cmd->session_id);
  o = netstring_str(o, cmd->call_id);
  o = netstring_str(o, sr_action_name(cmd->action));
  o = netstring_fixed3(o, cmd->risk);
  o = netstring_i64(o, cmd->depth);
  o = netstring_str(o, cmd->rule);
  o = netstring_i64(o, cmd->issued_at_ms);
  o = netstring_i64(o, cmd->expires_at_ms);
  o = netstring_str(o, cmd->event_id);
  size_t n = (size_t)(o - start);
  assert(n < CANONICAL_BOUND);
  if (n >= cap) return SR_EBOUND; /* room for the NUL too, as ever */
  if (start == local) memcpy(buf, local, n);
  buf[n] = '\0';
  return (int)n;
}

/* leaf = BLAKE2b-256(0x00 ‖ canonical form); false if cmd does not fit. */
static bool leaf_hash(const struct sr_command *cmd,
                      uint8_t out[SR_BATCH_HASH_BYTES]) {
  uint8_t in[1 + SR_SIGN_CANONICAL_MAX];
  in[0] = 0x00;
  int n = sr_sign_canonical(cmd, in + 1, sizeof in - 1);
  if (n < 0) return false;
  crypto_generichash(out, SR_BATCH_HASH_BYTES, in, 1 + (size_t)n, NULL, 0);
  return true;
}

/* node = BLAKE2b-256(0x01 ‖ left ‖ right); out may alias either. */
static void node_hash(const uint8_t *left, const uint8_t *right,
                      uint8_t out[SR_BATCH_HASH_BYTES]) {
  uint8_t in[1 + 2 * SR_BATCH_HASH_BYTES];
  in[0] = 0x01;
  memcpy(in + 1, left, SR_BATCH_HASH_BYTES);
  memcpy(in + 1 + SR_BATCH_HASH_BYTES, right, SR_BATCH_HASH_BYTES);
  crypto_generichash(out, SR_BATCH_HASH_BYTES, in, sizeof in, NULL, 0);
}

/* What the batch signature covers: the tag, then the netstrings of the
 * size (decimal) and of the raw root. Returns the length. */
static size_t batch_message(uint32_t size,
                            const uint8_t root[SR_BATCH_HASH_BYTES],
                            uint8_t *buf, size_t cap) {
  char *o = (char *)buf;
  assert(cap >= sizeof SR_SIGN_BATCH_TAG + 16 + SR_BATCH_HASH_BYTES);
  (void)cap;
  memcpy(o, SR_SIGN_BATCH_TAG, sizeof SR_SIGN_BATCH_TAG - 1);
  o += sizeof SR_SIGN_BATCH_TAG - 1;
  o = netstring_i64(o, size);
  o = netstring_at(o, (const char *)root, SR_BATCH_HASH_BYTES);
  return (size_t)(o - (char *)buf);
}

/* Room for the batch message: tag, "NN:<size>," and "32:<root>,". */
#define BATCH_MESSAGE_MAX (sizeof SR_SIGN_BATCH_TAG + 16 + SR_BATCH_HASH_BYTES)

/* Writes text to a temporary file beside path, then links it to path, which
 * fails if path exists: no clobbering, no half-written key visible. */
static int write_new(const char *path, const char *text, mode_t mode, char *err,
                     size_t errlen) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    return SR_EIO;
  }
  size_t n = strlen(text);
  bool ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || link(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    snprintf(err, errlen, "cannot write %s: %s", path,
             e == EEXIST ? "it already exists" : strerror(e));
    return e == EEXIST ? SR_EINVAL : SR_EIO;
  }
  unlink(tmp);
  return SR_OK;
}

int sr_sign_keygen(const char *secret_path, const char *public_path, char *err,
                   size_t errlen) {
  if (sodium_init() < 0) {
    snprintf(err, errlen, "libsodium failed to initialise");
    return SR_EIO;
  }
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
  crypto_sign_keypair(pk, sk);
  sodium_bin2hex(hex, sizeof hex - 1, sk, sizeof sk);
  strcat(hex, "\n");
  int rc = write_new(secret_path, hex, 0600, err, errlen);
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(hex, sizeof hex);
  if (rc) return rc;
  sodium_bin2hex(hex, sizeof hex - 1, pk, sizeof pk);
  strcat(hex, "\n");
  rc = write_new(public_path, hex, 0644, err, errlen);
  if (rc) unlink(secret_path); /* a secret without its public half is useless */
  return rc;
}

int sr_sign_default_dir(char *out, size_t cap) {
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  int n;
  if (xdg && *xdg)
    n = snprintf(out, cap, "%s/stackrisk", xdg);
  else if (home && *home)
    n = snprintf(out, cap, "%s/.config/stackrisk", home);
  else
    return SR_ENOTFOUND;
  return n > 0 && (size_t)n < cap ? SR_OK : SR_EBOUND;
}

int sr_sign_make_dir(const char *dir, char *err, size_t errlen) {
  char p[4096];
  snprintf(p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0700) != 0 && errno != EEXIST) goto fail;
    *s = '/';
  }
  if (mkdir(p, 0700) != 0 && errno != EEXIST) goto fail;
  return SR_OK;
fail:
  snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
  return SR_EIO;
}

static int no_default(char *err, size_t errlen) {
  snprintf(err, errlen,
           "no key configured and neither XDG_CONFIG_HOME nor HOME is set: "
           "pass a key file (see `stackrisk keygen`)");
  return SR_ENOTFOUND;
}

int sr_sign_resolve_secret(const char *configured, char *path_out,
                           size_t path_cap, char *pub_out, size_t pub_cap,
                           bool *generated, char *err, size_t errlen) {
  *generated = false;
  if (configured && *configured) {
    snprintf(path_out, path_cap, "%s", configured);
    size_t n = strlen(configured);
    if (n > 4 && !strcmp(configured + n - 4, ".key"))
      snprintf(pub_out, pub_cap, "%.*s.pub", (int)(n - 4), configured);
    else
      snprintf(pub_out, pub_cap, "%s.pub", configured);
    return SR_OK;
  }
  char dir[4000];
  if (sr_sign_default_dir(dir, sizeof dir)) return no_default(err, errlen);
  snprintf(path_out, path_cap, "%s/signing.key", dir);
  snprintf(pub_out, pub_cap, "%s/signing.pub", dir);
  if (access(path_out, F_OK) == 0) return SR_OK;
  if (sr_sign_make_dir(dir, err, errlen)) return SR_EIO;
  int rc = sr_sign_keygen(path_out, pub_out, err, errlen);
  /* Lost a race with another process generating the same default: use its
   * key. */
  if (rc == SR_EINVAL && access(path_out, F_OK) == 0) return SR_OK;
  if (rc == SR_OK) *generated = true;
  return rc;
}

int sr_sign_resolve_public(const char *configured, char *out, size_t cap,
                           char *err, size_t errlen) {
  if (configured && *configured) {
    snprintf(out, cap, "%s", configured);
    return SR_OK;
  }
  char dir[4000];
  if (sr_sign_default_dir(dir, sizeof dir)) return no_default(err, errlen);
  snprintf(out, cap, "%s/signing.pub", dir);
  return SR_OK;
}

/* Reads one hex line of exactly `want` bytes from path. */
static int read_hex(const char *path, uint8_t *out, size_t want, bool secret,
                    char *err, size_t errlen) {
  if (sodium_init() < 0) {
    snprintf(err, errlen, "libsodium failed to initialise");
    return SR_EIO;
  }
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open key %s: %s%s", path, strerror(errno),
             errno == ENOENT ? " (create one with `stackrisk keygen`)" : "");
    return SR_EIO;
  }
  struct stat st;
  if (secret && fstat(fd, &st) == 0 && (st.st_mode & 077)) {
    close(fd);
    snprintf(err, errlen,
             "secret key %s is readable by group or others (mode %03o): "
             "chmod 600 it",
             path, (unsigned)(st.st_mode & 0777));
    return SR_EINVAL;
  }
  char text[512];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n < 0) n = 0;
  text[n] = '\0';
  size_t got = 0;
  const char *end = NULL;
  int rc = sodium_hex2bin(out, want, text, (size_t)n, " \t\r\n", &got, &end);
  bool trailing = end && strspn(end, " \t\r\n") != strlen(end);
  sodium_memzero(text, sizeof text);
  if (rc != 0 || got != want || trailing) {
    snprintf(err, errlen,
             "%s is not a %s key: expected one line of %zu hex digits", path,
             secret ? "secret" : "public", 2 * want);
    return SR_EINVAL;
  }
  return SR_OK;
}

struct sr_signer *sr_signer_load(const char *path, char *err, size_t errlen) {
  if (sodium_init() < 0) {
    snprintf(err, errlen, "libsodium failed to initialise");
    return NULL;
  }
  struct sr_signer *s = sodium_malloc(sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (read_hex(path, s->sk, sizeof s->sk, true, err, errlen)) {
    sodium_free(s);
    return NULL;
  }
  return s;
}

void sr_signer_destroy(struct sr_signer *s) {
  if (s) sodium_free(s); /* zeroes the key */
}

void sr_signer_sign_batch(const struct sr_signer *s, struct sr_command *cmds,
                          size_t n) {
  assert(n >= 1 && n <= SR_BATCH_MAX);
  if (n == 0 || n > SR_BATCH_MAX) return; /* release builds: sign nothing */
  /* Every level of the tree, leaves first: at most 2n - 1 nodes. */
  /* Not zeroed: 16 KiB per batch, and every node is written before it is
   * read. */
  uint8_t tree[2 * SR_BATCH_MAX][SR_BATCH_HASH_BYTES];
  size_t start[SR_BATCH_PATH_MAX + 1], count[SR_BATCH_PATH_MAX + 1];
  size_t levels = 1;
  start[0] = 0;
  count[0] = n;
  for (size_t i = 0; i < n; i++) {
    bool fits = leaf_hash(&cmds[i], tree[i]);
    assert(fits); /* the fields are bounded; the buffer covers the largest */
    (void)fits;
  }
  while (count[levels - 1] > 1) {
    size_t below = start[levels - 1], nb = count[levels - 1];
    size_t at = below + nb, na = (nb + 1) / 2;
    for (size_t j = 0; j < na; j++) {
      if (2 * j + 1 < nb)
        node_hash(tree[below + 2 * j], tree[below + 2 * j + 1], tree[at + j]);
      else /* an odd last node is carried up as it is */
        memcpy(tree[at + j], tree[below + 2 * j], SR_BATCH_HASH_BYTES);
    }
    start[levels] = at;
    count[levels] = na;
    levels++;
  }
  uint8_t msg[BATCH_MESSAGE_MAX], sig[SR_SIGNATURE_BYTES];
  size_t mlen = batch_message((uint32_t)n, tree[start[levels - 1]], msg,
                              sizeof msg);
  crypto_sign_detached(sig, NULL, msg, mlen, s->sk);
  for (size_t i = 0; i < n; i++) {
    struct sr_command *c = &cmds[i];
    memcpy(c->signature, sig, sizeof sig);
    c->sig_len = SR_SIGNATURE_BYTES;
    c->batch_index = (uint32_t)i;
    c->batch_size = (uint32_t)n;
    c->batch_path_len = 0;
    /* The sibling at each level, when the node has one. */
    for (size_t l = 0, idx = i; l + 1 < levels; l++, idx >>= 1) {
      size_t sib = idx ^ 1;
      if (sib < count[l])
        memcpy(c->batch_path[c->batch_path_len++], tree[start[l] + sib],
               SR_BATCH_HASH_BYTES);
    }
  }
}

void sr_signer_sign(const struct sr_signer *s, struct sr_command *cmd) {
  sr_signer_sign_batch(s, cmd, 1);
}

/* Folds cmd's audit path from its leaf into root (RFC 9162 2.1.3.2); false
 * when index, size and path length do not fit together. */
static bool fold_path(const struct sr_command *cmd, uint8_t *r) {
  if (cmd->batch_size == 0 || cmd->batch_size > SR_BATCH_MAX ||
      cmd->batch_index >= cmd->batch_size ||
      cmd->batch_path_len > SR_BATCH_PATH_MAX)
    return false;
  uint32_t fn = cmd->batch_index, sn = cmd->batch_size - 1;
  for (uint32_t k = 0; k < cmd->batch_path_len; k++) {
    const uint8_t *p = cmd->batch_path[k];
    if (sn == 0) return false; /* path longer than the tree is deep */
    if ((fn & 1) || fn == sn) {
      node_hash(p, r, r);
      /* A right edge node with no sibling at the levels above: skip them. */
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      node_hash(r, p, r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0; /* else the path is too short */
}

/* True when cmd's signature verifies over the root its path leads to. */
static bool genuine(const struct sr_verifier *v, const struct sr_command *cmd) {
  uint8_t root[SR_BATCH_HASH_BYTES], msg[BATCH_MESSAGE_MAX];
  if (cmd->sig_len != SR_SIGNATURE_BYTES || !leaf_hash(cmd, root) ||
      !fold_path(cmd, root))
    return false;
  size_t mlen = batch_message(cmd->batch_size, root, msg, sizeof msg);
  return crypto_sign_verify_detached(cmd->signature, msg, mlen, v->pk) == 0;
}

struct sr_verifier *sr_verifier_load(const char *path, char *err,
                                     size_t errlen) {
  struct sr_verifier *v = calloc(1, sizeof *v);
  if (!v) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (read_hex(path, v->pk, sizeof v->pk, false, err, errlen)) {
    free(v);
    return NULL;
  }
  return v;
}

struct sr_verifier *sr_verifier_from_bytes(const uint8_t pk[32]) {
  if (sodium_init() < 0) return NULL;
  struct sr_verifier *v = calloc(1, sizeof *v);
  if (v) memcpy(v->pk, pk, sizeof v->pk);
  return v;
}

void sr_verifier_destroy(struct sr_verifier *v) {
  free(v);
}

enum sr_sig_status sr_verifier_check(const struct sr_verifier *v,
                                     const struct sr_command *cmd,
                                     const char *session, const char *call,
                                     int64_t now_ms, char *why, size_t whylen) {
  enum sr_sig_status st = SR_SIG_OK;
  if (!cmd->sig_len)
    st = SR_SIG_UNSIGNED;
  else if (!genuine(v, cmd))
    st = SR_SIG_FORGED;
  else if ((session && strcmp(session, cmd->session_id) != 0) ||
           (call && strcmp(call, cmd->call_id) != 0))
    st = SR_SIG_OTHER_CALL;
  else if (now_ms > cmd->expires_at_ms)
    st = SR_SIG_EXPIRED;
  if (st != SR_SIG_OK)
    snprintf(why, whylen, "rejected %s command %s (session %s, call %s): %s%s",
             sr_action_name(cmd->action), cmd->command_id, cmd->session_id,
             cmd->call_id[0] ? cmd->call_id : "-", sr_sig_status_name(st),
             st == SR_SIG_FORGED     ? " (its batch signature does not verify "
                                       "under the configured public key)"
             : st == SR_SIG_EXPIRED  ? " (past expires_at_ms)"
             : st == SR_SIG_UNSIGNED ? " (no signature)"
                                     : "");
  return st;
}
