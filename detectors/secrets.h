/*
 * Secret finding: where in a text a key, token, password or connection
 * string with credentials sits, and what kind it is, without ever copying
 * the value. Used by the secret_exposure detector; sr_secrets_redact is for
 * anyone about to store or print text that may hold one.
 *
 * How: one Hyperscan scan for the markers secrets start with (`AKIA`,
 * `ghp_`, `sk-`, `-----BEGIN ... PRIVATE KEY-----`, `://`, `password`,
 * `Bearer `, ...), then a validator in C per marker reads the value that
 * follows: its alphabet and length for prefixed tokens; for assignments
 * (`DB_PASSWORD=...`, `"api_key": "..."`) that the value is not a
 * placeholder (`<redacted>`, `${TOKEN}`, `sk-...`, `changeme`, `xxxx`, AWS's
 * documented `...EXAMPLE` keys) and looks generated (8+ bytes, two kinds of
 * character). A value is reported once, by the most specific marker.
 *
 * @locality built at setup, read-only afterwards; a scratch per thread.
 */
#ifndef SR_SECRETS_H
#define SR_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "detectors/textscan.h"

enum sr_secret_kind {
  SR_SECRET_AWS_KEY = 0,
  SR_SECRET_AWS_SECRET,
  SR_SECRET_GITHUB,
  SR_SECRET_GITLAB,
  SR_SECRET_SLACK,
  SR_SECRET_STRIPE,
  SR_SECRET_ANTHROPIC,
  SR_SECRET_OPENAI,
  SR_SECRET_GOOGLE,
  SR_SECRET_NPM,
  SR_SECRET_HUGGINGFACE,
  SR_SECRET_PRIVATE_KEY,
  SR_SECRET_JWT,
  SR_SECRET_CONNECTION,
  SR_SECRET_BEARER,
  SR_SECRET_PASSWORD,
  SR_SECRET_GENERIC, /* secret=, api_key=, token= ... */
  SR_SECRET_KINDS
};

/* One secret: its kind and the value's bytes text[from, to). */
struct sr_secret {
  enum sr_secret_kind kind;
  uint32_t from, to;
};

#define SR_SECRETS_MAX 16 /* secrets reported per text */

/* "AWS access key", "GitHub token", "database connection string", ... */
const char *sr_secret_kind_name(enum sr_secret_kind k);

struct sr_secrets;

/* @locality setup */
struct sr_secrets *sr_secrets_create(char *err, size_t errlen);
void sr_secrets_destroy(struct sr_secrets *s);
/* Hyperscan scratch for one thread (sr_textscan_scratch_destroy frees it). */
struct sr_textscan_scratch *sr_secrets_scratch_create(
    const struct sr_secrets *s);

/* The marker set behind sr_secrets_find (tests hold its prefilter to
 * Hyperscan's answer). */
const struct sr_textscan *sr_secrets_markers(const struct sr_secrets *s);

/*
 * Finds up to `cap` secrets in p[0, n), in text order, into out; returns
 * how many. @locality worker thread; no allocation.
 */
size_t sr_secrets_find(const struct sr_secrets *s,
                       struct sr_textscan_scratch *scratch, const char *p,
                       size_t n, struct sr_secret *out, size_t cap);

/*
 * Masks every secret in text[0, n) in place: the value's first four bytes
 * stay, the rest become '*' (so "ghp_****..." still says what it was).
 * Returns how many were masked.
 */
size_t sr_secrets_redact(const struct sr_secrets *s,
                         struct sr_textscan_scratch *scratch, char *text,
                         size_t n);

#endif
