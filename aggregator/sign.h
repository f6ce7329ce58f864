/*
 * Ed25519 signatures on control commands (libsodium).
 *
 * The processor signs every command with its secret key; enforcement points
 * (gate, watch) verify with the public key and reject, loudly, a command that
 * is unsigned, forged (the signature does not match the canonical fields
 * under our key), signed for another session or call than the one waited
 * for, or expired. Ed25519 is deterministic: the same command signed with
 * the same key gives the same bytes, so replays stay byte-identical.
 *
 * Canonical form (what is signed), documented in docs/events.md: the ASCII
 * tag "stackrisk.v1.ControlCommand/ed25519\n" followed by ten netstrings
 * ("LEN:BYTES,", LEN in decimal) in this order: command_id, session_id,
 * call_id, action name, risk ("%.3f"), depth (decimal), rule, issued_at_ms,
 * expires_at_ms (decimal), event_id. Risk is signed as the text the JSON form
 * prints, so both forms verify. Dimensions and reasons are explanatory and
 * not signed.
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
/* Signs cmd in place (cmd->signature, cmd->sig_len).
 * @locality any thread; no allocation. */
void sr_signer_sign(const struct sr_signer *s, struct sr_command *cmd);

struct sr_verifier;
struct sr_verifier *sr_verifier_load(const char *path, char *err,
                                     size_t errlen);
/* From the 32 raw bytes of a public key. */
struct sr_verifier *sr_verifier_from_bytes(const uint8_t pk[32]);
void sr_verifier_destroy(struct sr_verifier *v);

/*
 * Checks cmd: signature first, then, when session/call are not NULL, that
 * the command is for them, then expiry against now_ms (wall clock, Unix ms).
 * Writes a sentence naming the command and the reason into why on refusal.
 */
enum sr_sig_status sr_verifier_check(const struct sr_verifier *v,
                                     const struct sr_command *cmd,
                                     const char *session, const char *call,
                                     int64_t now_ms, char *why, size_t whylen);

#endif
