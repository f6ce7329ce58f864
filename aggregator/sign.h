/*
 * Ed25519 signatures on control commands (libsodium), amortised over Merkle
 * batches.
 *
 * The processor signs commands with its secret key; enforcement points
 * (gate, watch) verify with the public key and reject, loudly, a command that
 * is unsigned, forged (its fields, batch position and audit path do not lead
 * to a root signed under our key), signed for another session or call than
 * the one waited for, or expired.
 *
 * Canonical form of one command, documented in docs/events.md: the ASCII
 * tag "stackrisk.v1.ControlCommand/ed25519\n" followed by ten netstrings
 * ("LEN:BYTES,", LEN in decimal) in this order: command_id, session_id,
 * call_id, action name, risk ("%.3f"), depth (decimal), rule, issued_at_ms,
 * expires_at_ms (decimal), event_id. Risk is signed as the text the JSON form
 * prints, so both forms verify. Dimensions and reasons are explanatory and
 * not signed.
 *
 * Batches (the technique of RFC 6962's audit paths and the IETF "Batch
 * Signing for TLS" draft): one Ed25519 signature costs ~23 µs, so a worker
 * signs up to SR_BATCH_MAX (256) commands at once. Each command is a leaf,
 * BLAKE2b-256(0x00 ‖ canonical form); the leaves form RFC 6962's Merkle Tree
 * Hash (split at the largest power of two below n, node = BLAKE2b-256(0x01 ‖
 * left ‖ right)); the one signature is over SR_SIGN_BATCH_TAG, then the
 * netstrings of the batch size (decimal) and of the 32-byte root. Every
 * command carries that signature, its leaf index, the batch size and its
 * audit path, so each verifies alone, with the public key only.
 *
 * Determinism: command ids and every signed field stay replay-identical,
 * and Ed25519 is deterministic, so the same batch signs to the same bytes.
 * But the signature and path bytes now depend on which commands shared a
 * batch, which depends on timing (how far the worker's ring had filled), so
 * a replay may sign the same command with different bytes. Deduplicate on
 * command_id, never on signature bytes.
 *
 * Key files are one line of lowercase hex: the 32-byte public key, or the
 * 64-byte libsodium secret key (seed then public key), the latter mode 0600.
 *
 * @locality signer and verifier are read-only after load and may be shared
 * by threads.
 */
#ifndef SR_SIGN_H
#define SR_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregator/command.h"

#define SR_SIGN_TAG "stackrisk.v1.ControlCommand/ed25519\n"
#define SR_SIGN_BATCH_TAG "stackrisk.v1.CommandBatch/ed25519\n"
/* The canonical form of the largest command fits in this. */
#define SR_SIGN_CANONICAL_MAX 1024

/* Why a command was refused; SR_SIG_OK when it was not. */
enum sr_sig_status {
  SR_SIG_OK = 0,
  SR_SIG_UNSIGNED,   /* no signature at all */
  SR_SIG_FORGED,     /* signature does not verify under our public key */
  SR_SIG_OTHER_CALL, /* genuine, but for another session or call */
  SR_SIG_EXPIRED,    /* genuine, but past expires_at_ms */
};

/* "ok", "unsigned", "forged", "replayed for another call", "expired". */
const char *sr_sig_status_name(enum sr_sig_status s);

/* Writes the canonical bytes of cmd; returns their length or SR_EBOUND. */
int sr_sign_canonical(const struct sr_command *cmd, uint8_t *buf, size_t cap);

/* Generates a key pair and writes secret_path (0600, must not exist) and
 * public_path (0644, must not exist). Each file is written to a temporary
 * name and linked into place, so a concurrent reader never sees half a
 * key and two concurrent writers never both win. */
int sr_sign_keygen(const char *secret_path, const char *public_path, char *err,
                   size_t errlen);

/* The default key directory: $XDG_CONFIG_HOME/stackrisk, else
 * $HOME/.config/stackrisk. SR_ENOTFOUND when neither variable is set. */
int sr_sign_default_dir(char *out, size_t cap);

/*
 * Resolves the secret key the processor signs with: `configured` when not
 * NULL/empty (it must exist); else DIR/signing.key in the default directory,
 * generated together with DIR/signing.pub when absent (*generated set). The
 * path used goes to path_out and the matching public key's (configured: the
 * sibling ".pub" name; default: DIR/signing.pub) to pub_out.
 */
int sr_sign_resolve_secret(const char *configured, char *path_out,
                           size_t path_cap, char *pub_out, size_t pub_cap,
                           bool *generated, char *err, size_t errlen);
/* mkdir -p, new directories mode 0700 (they hold secret keys). */
int sr_sign_make_dir(const char *dir, char *err, size_t errlen);

/* Resolves the public key path the same way (no generation):
 * `configured`, else DIR/signing.pub. */
int sr_sign_resolve_public(const char *configured, char *out, size_t cap,
                           char *err, size_t errlen);

struct sr_signer;
/* Loads a secret key file; refuses one readable by group or others. */
struct sr_signer *sr_signer_load(const char *path, char *err, size_t errlen);
void sr_signer_destroy(struct sr_signer *s);
/* Signs cmds[0..n) (1 <= n <= SR_BATCH_MAX) as one batch, in place: each
 * gets the batch's signature, its index, the size n and its audit path.
 * @locality any thread; no allocation (the tree lives on the stack). */
void sr_signer_sign_batch(const struct sr_signer *s, struct sr_command *cmds,
                          size_t n);
/* Signs cmd alone: a batch of one, whose root is its leaf. */
void sr_signer_sign(const struct sr_signer *s, struct sr_command *cmd);

struct sr_verifier;
struct sr_verifier *sr_verifier_load(const char *path, char *err,
                                     size_t errlen);
/* From the 32 raw bytes of a public key. */
struct sr_verifier *sr_verifier_from_bytes(const uint8_t pk[32]);
void sr_verifier_destroy(struct sr_verifier *v);

/*
 * Checks cmd: signature first (its leaf folded up its audit path to the
 * batch root, the signature checked over that root), then, when session/call are not NULL, that
 * the command is for them, then expiry against now_ms (wall clock, Unix ms).
 * Writes a sentence naming the command and the reason into why on refusal.
 */
enum sr_sig_status sr_verifier_check(const struct sr_verifier *v,
                                     const struct sr_command *cmd,
                                     const char *session, const char *call,
                                     int64_t now_ms, char *why, size_t whylen);

#endif
