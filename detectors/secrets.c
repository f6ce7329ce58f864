/*
 * Secret finding (see secrets.h): Hyperscan finds the markers, C reads the
 * values.
 *
 * The markers are short literals, so the scan is cheap on ordinary text
 * (a shell command, a SQL query) and the validators run only where a marker
 * is. Each marker knows its kind and how to read its value:
 *   - prefixed tokens (AKIA, ghp_, glpat-, xoxb-, sk_live_, sk-ant-, sk-,
 *     AIza, npm_, hf_): the prefix must start a word, then an alphabet and a
 *     minimum (or exact) length;
 *   - PEM private keys: base64 lines after the BEGIN line;
 *   - JWTs: three base64url parts, the first two JSON ("eyJ");
 *   - URLs with user:password@ (postgres://, mysql://, mongodb+srv://,
 *     redis://, amqp://, https:// ...): the password part;
 *   - `Bearer <token>`;
 *   - assignments to a secret-looking name (password, passwd, pwd, secret,
 *     api_key, access_key, token, ...; `NAME=`, `NAME: `, `"NAME": "`,
 *     `--password=`): the value, which must not be a placeholder or a
 *     reference to somewhere else (`$VAR`, `${{ secrets.X }}`,
 *     `process.env.X`) and must look generated.
 * Whatever is found is reported as (kind, value range); callers decide what
 * to say, and never say the value.
 */
#include "detectors/secrets.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes16.h"
#include "core/sr.h"

enum rule {
  R_PREFIX,   /* prefix + alphabet + length */
  R_ASSIGN,   /* NAME = value */
  R_PEM,      /* -----BEGIN ... PRIVATE KEY----- */
  R_JWT,      /* eyJ...eyJ...sig */
  R_URL,      /* scheme://user:password@host */
  R_BEARER,   /* Bearer token */
};

enum alphabet { A_UPPER_DIGIT, A_ALNUM, A_ALNUM_US, A_ALNUM_DASH, A_B64URL };

struct marker {
  struct sr_textscan_pattern pat;
  enum sr_secret_kind kind;
  enum rule rule;
  uint8_t prefix;   /* R_PREFIX: bytes of the marker (fixed) */
  uint8_t alphabet; /* R_PREFIX */
  uint8_t min, max; /* R_PREFIX value length (max 0 = unbounded) */
};

/* Each marker's third field: literals every match holds (prefilter.h), cut
 * to start at an uncommon pair ("oken" of "token"), which is what the
 * prefilter looks for first; "gh[pousr]_" is spelled out so its literals
 * can be declared. */
#define CL SR_TEXTSCAN_CASELESS
static const struct marker markers[] = {
    {{"AKIA|ASIA", 0, "akia|asia"},
     SR_SECRET_AWS_KEY, R_PREFIX, 4, A_UPPER_DIGIT, 16, 16},
    {{"aws_secret_access_key", CL, "s_secret_access"},
     SR_SECRET_AWS_SECRET, R_ASSIGN, 0, 0, 0, 0},
    {{"ghp_|gho_|ghu_|ghs_|ghr_", 0, "ghp_|gho_|ghu_|ghs_|ghr_"},
     SR_SECRET_GITHUB, R_PREFIX, 4, A_ALNUM, 36, 0},
    {{"github_pat_", 0, "_pat_"},
     SR_SECRET_GITHUB, R_PREFIX, 11, A_ALNUM_US, 22, 0},
    {{"glpat-", 0, "lpat-"},
     SR_SECRET_GITLAB, R_PREFIX, 6, A_ALNUM_DASH, 20, 0},
    {{"xox[baprs]-", 0, "xox"},
     SR_SECRET_SLACK, R_PREFIX, 5, A_ALNUM_DASH, 10, 0},
    {{"[sr]k_live_", 0, "k_live_"},
     SR_SECRET_STRIPE, R_PREFIX, 8, A_ALNUM, 20, 0},
    {{"sk-ant-", 0, "sk-ant-"},
     SR_SECRET_ANTHROPIC, R_PREFIX, 7, A_ALNUM_DASH, 32, 0},
    {{"sk-", 0, "sk-"}, SR_SECRET_OPENAI, R_PREFIX, 3, A_ALNUM_DASH, 20, 0},
    {{"AIza", 0, "iza"}, SR_SECRET_GOOGLE, R_PREFIX, 4, A_ALNUM_DASH, 35, 35},
    {{"npm_", 0, "npm_"}, SR_SECRET_NPM, R_PREFIX, 4, A_ALNUM, 36, 36},
    {{"hf_", 0, "hf_"}, SR_SECRET_HUGGINGFACE, R_PREFIX, 3, A_ALNUM, 30, 0},
    {{"PRIVATE KEY-----", 0, "y-----"},
     SR_SECRET_PRIVATE_KEY, R_PEM, 0, 0, 0, 0},
    {{"eyJ", 0, "eyj"}, SR_SECRET_JWT, R_JWT, 3, 0, 0, 0},
    {{"://", 0, "://"}, SR_SECRET_CONNECTION, R_URL, 0, 0, 0, 0},
    {{"bearer ", CL, "earer "}, SR_SECRET_BEARER, R_BEARER, 0, 0, 0, 0},
    {{"passw(or)?d|passwd|pwd|passphrase", CL, "assw|pwd|ssphr"},
     SR_SECRET_PASSWORD, R_ASSIGN, 0, 0, 0, 0},
    {{"secret|api[_-]?key|access[_-]?key|private[_-]?key|token", CL,
      "cret|key|oken"},
     SR_SECRET_GENERIC, R_ASSIGN, 0, 0, 0, 0},
};
#undef CL

struct sr_secrets {
  struct sr_textscan *ts;
};

const char *sr_secret_kind_name(enum sr_secret_kind k) {
  static const char *const names[SR_SECRET_KINDS] = {
      [SR_SECRET_AWS_KEY] = "AWS access key",
      [SR_SECRET_AWS_SECRET] = "AWS secret key",
      [SR_SECRET_GITHUB] = "GitHub token",
      [SR_SECRET_GITLAB] = "GitLab token",
      [SR_SECRET_SLACK] = "Slack token",
      [SR_SECRET_STRIPE] = "Stripe live key",
      [SR_SECRET_ANTHROPIC] = "Anthropic API key",
      [SR_SECRET_OPENAI] = "OpenAI API key",
      [SR_SECRET_GOOGLE] = "Google API key",
      [SR_SECRET_NPM] = "npm token",
      [SR_SECRET_HUGGINGFACE] = "Hugging Face token",
      [SR_SECRET_PRIVATE_KEY] = "private key",
      [SR_SECRET_JWT] = "JWT",
      [SR_SECRET_CONNECTION] = "connection string with password",
      [SR_SECRET_BEARER] = "bearer token",
      [SR_SECRET_PASSWORD] = "password",
      [SR_SECRET_GENERIC] = "secret assignment",
  };
  return (unsigned)k < SR_SECRET_KINDS ? names[k] : "secret";
}

struct sr_secrets *sr_secrets_create(char *err, size_t errlen) {
  struct sr_secrets *s = calloc(1, sizeof(*s));
  if (!s) {
    snprintf(err, errlen, "secrets: out of memory");
    return NULL;
  }
  s->ts = sr_textscan_create("secrets", &markers[0].pat, SR_ARRAY_LEN(markers),
                             sizeof markers[0], err, errlen);
  if (!s->ts) {
    free(s);
    return NULL;
  }
  return s;
}

void sr_secrets_destroy(struct sr_secrets *s) {
  if (!s) return;
  sr_textscan_destroy(s->ts);
  free(s);
}

struct sr_textscan_scratch *sr_secrets_scratch_create(
    const struct sr_secrets *s) {
  return sr_textscan_scratch_create(s->ts);
}

const struct sr_textscan *sr_secrets_markers(const struct sr_secrets *s) {
  return s->ts;
}

/* --- character classes ------------------------------------------------- */

static inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static inline bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool is_alnum(char c) {
  return is_upper(c) || is_lower(c) || is_digit(c);
}

static bool in_alphabet(char c, uint8_t a) {
  switch (a) {
    case A_UPPER_DIGIT:
      return is_upper(c) || is_digit(c);
    case A_ALNUM:
      return is_alnum(c);
    case A_ALNUM_US:
      return is_alnum(c) || c == '_';
    case A_ALNUM_DASH:
    case A_B64URL:
      return is_alnum(c) || c == '_' || c == '-';
  }
  return false;
}

/* A value character of an assignment: printable, not a delimiter. */
static inline bool value_char(char c) {
  return c > ' ' && c < 127 && c != '"' && c != '\'' && c != '\\' &&
         c != ',' && c != ';' && c != '&' && c != ')' && c != '}' &&
         c != ']' && c != '`';
}

/* --- what is not a secret ---------------------------------------------- */

static bool has_nocase(const char *p, size_t n, const char *w) {
  return sr_textscan_find(p, n, w, strlen(w)) != NULL;
}

/* Documentation keys, masks and fill-in-the-blank values. */
static bool placeholder(const char *p, size_t n) {
  static const char *const words[] = {
      "example", "redact", "changeme", "change_me", "placeholder", "your_",
      "your-",   "yourpass", "dummy",  "xxxx",      "****",        "...",
      "fake",    "sample",  "replace", "insert",    "<",           ">",
      "secret_here", "token_here", "key_here"};
  for (size_t i = 0; i < SR_ARRAY_LEN(words); i++)
    if (has_nocase(p, n, words[i])) return true;
  /* One character repeated most of the way: "aaaaaaaaaaaa", "000000". */
  size_t same = 0;
  for (size_t i = 1; i < n; i++) same += p[i] == p[i - 1];
  return n > 0 && same * 4 >= n * 3;
}

/* A value that names where the secret lives instead of being it. */
static bool reference(const char *p, size_t n) {
  static const char *const starts[] = {"process.", "os.",      "env.",
                                       "secrets.", "config.",  "settings.",
                                       "self.",    "this.",    "vars.",
                                       "ENV[",     "getenv",   "file:",
                                       "vault:",   "arn:aws:", "ref+"};
  if (n == 0) return true;
  if (p[0] == '$' || p[0] == '%' || p[0] == '{' || p[0] == '<' || p[0] == '@')
    return true;
  for (size_t i = 0; i < SR_ARRAY_LEN(starts); i++) {
    size_t k = strlen(starts[i]);
    if (n >= k && strncmp(p, starts[i], k) == 0) return true;
  }
  return memchr(p, '(', n) != NULL;
}

/* Generated-looking: 8+ bytes, letters and digits. */
static bool looks_generated(const char *p, size_t n) {
  if (n < 8) return false;
  bool letter = false, digit = false;
  for (size_t i = 0; i < n; i++) {
    letter = letter || is_upper(p[i]) || is_lower(p[i]);
    digit = digit || is_digit(p[i]);
  }
  return letter && digit;
}

static bool has_digit(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (is_digit(p[i])) return true;
  return false;
}

/* Whether p[0, n) can hold a secret at all: every value reported has a
 * digit, except URL passwords, whose URL has an '@'. Most tool arguments
 * (shell commands, paths, queries) have neither and skip the scan: this
 * runs on every requested call, and a Hyperscan call costs more than
 * reading the bytes sixteen at a time. */
static bool maybe_secret(const char *p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  /* The last sixteen bytes overlap the ones before: reading a byte twice
   * does not change "any", and the tail needs no byte loop. */
  const __m128i at = _mm_set1_epi8('@');
  for (; i < n && n >= 16; i += 16) {
    size_t at16 = SR_MIN(i, n - 16);
    __m128i v = sr_bytes16_load(p + at16);
    __m128i m = _mm_or_si128(sr_bytes16_digit_lanes(v), _mm_cmpeq_epi8(v, at));
    if (_mm_movemask_epi8(m)) return true;
  }
#endif
  for (; i < n; i++)
    if (is_digit(p[i]) || p[i] == '@') return true;
  return false;
}

static bool plausible(const char *p, size_t n) {
  return !placeholder(p, n) && !reference(p, n) && looks_generated(p, n);
}

/* --- validators: each returns the value's range or false --------------- */

static bool v_prefix(const struct marker *m, const char *p, size_t n,
                     size_t end, uint32_t *from, uint32_t *to) {
  size_t start = end - m->prefix;
  if (start > 0 && (is_alnum(p[start - 1]) || p[start - 1] == '_'))
    return false; /* inside a longer word: "task-..." is not "sk-" */
  size_t e = end;
  while (e < n && in_alphabet(p[e], m->alphabet)) e++;
  size_t len = e - end;
  if (len < m->min || (m->max && len != m->max)) return false;
  if (e < n && is_alnum(p[e])) return false;
  if (placeholder(p + start, e - start)) return false;
  /* Long enough random tokens mix letters and digits. */
  bool letter = false, digit = false;
  for (size_t i = end; i < e; i++) {
    letter = letter || is_upper(p[i]) || is_lower(p[i]);
    digit = digit || is_digit(p[i]);
  }
  if (!letter || !digit) return false;
  *from = (uint32_t)start;
  *to = (uint32_t)e;
  return true;
}

/* NAME[_suffix]["'\s]*[=:]["'\s\\]*value (or --name value). */
static bool v_assign(const char *p, size_t n, size_t end, uint32_t *from,
                     uint32_t *to) {
  size_t i = end;
  /* A suffix must start with a separator: "api_key_prod" yes, "tokenizer",
   * "max_tokens" no. */
  if (i < n && (p[i] == '_' || p[i] == '-') && i + 1 < n && is_alnum(p[i + 1])) {
    size_t k = 0;
    while (i < n && k < 24 && (is_alnum(p[i]) || p[i] == '_' || p[i] == '-'))
      i++, k++;
  }
  if (i < n && is_alnum(p[i])) return false;
  size_t q = 0;
  while (i < n && q < 3 && (p[i] == '"' || p[i] == '\'' || p[i] == '\\'))
    i++, q++;
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  bool flag = false;
  if (i < n && (p[i] == '=' || p[i] == ':')) {
    i++;
  } else {
    /* --password value */
    size_t s = end;
    while (s > 0 && (is_alnum(p[s - 1]) || p[s - 1] == '_')) s--;
    flag = s >= 2 && p[s - 1] == '-' && p[s - 2] == '-' && i < n &&
           p[i - 1] == ' ';
    if (!flag) return false;
  }
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  q = 0;
  while (i < n && q < 3 && (p[i] == '"' || p[i] == '\'' || p[i] == '\\'))
    i++, q++;
  size_t v = i;
  while (i < n && i - v < 512 && value_char(p[i])) i++;
  if (!plausible(p + v, i - v)) return false;
  *from = (uint32_t)v;
  *to = (uint32_t)i;
  return true;
}

static bool v_pem(const char *p, size_t n, size_t end, uint32_t *from,
                  uint32_t *to) {
  /* "-----BEGIN [RSA |EC |OPENSSH ]PRIVATE KEY-----": the marker is the
   * end of the BEGIN line, a literal (cheaper to scan for than the line). */
  size_t m = end - 16, b = m;
  while (b > 0 && m - b < 24 && ((p[b - 1] >= 'A' && p[b - 1] <= 'Z') ||
                                  p[b - 1] == ' '))
    b--;
  if (b < 5 || strncmp(p + b - 5, "-----", 5) != 0 ||
      strncmp(p + b, "BEGIN ", 6) != 0)
    return false;
  size_t i = end, b64 = 0;
  while (i < n && i - end < 8192) {
    char c = p[i];
    if (is_alnum(c) || c == '+' || c == '/' || c == '=') {
      b64++;
    } else if (c == '-') {
      break; /* -----END */
    } else if (!(c == '\n' || c == '\r' || c == ' ' || c == '\\')) {
      break;
    }
    i++;
  }
  /* "-----BEGIN PRIVATE KEY-----\n...\n" is a placeholder */
  if (b64 < 32 || !has_digit(p + end, i - end)) return false;
  *from = (uint32_t)end;
  *to = (uint32_t)i;
  return true;
}

static size_t b64url_run(const char *p, size_t n, size_t i) {
  size_t s = i;
  while (i < n && in_alphabet(p[i], A_B64URL)) i++;
  return i - s;
}

static bool v_jwt(const char *p, size_t n, size_t end, uint32_t *from,
                  uint32_t *to) {
  size_t start = end - 3;
  if (start > 0 && in_alphabet(p[start - 1], A_B64URL)) return false;
  size_t a = b64url_run(p, n, start);
  size_t i = start + a;
  if (a < 10 || i >= n || p[i] != '.') return false;
  if (i + 3 >= n || strncmp(p + i + 1, "eyJ", 3) != 0) return false;
  size_t b = b64url_run(p, n, i + 1);
  i += 1 + b;
  if (b < 10 || i >= n || p[i] != '.') return false;
  size_t c = b64url_run(p, n, i + 1);
  if (c < 16) return false; /* unsigned tokens carry no secret */
  if (!has_digit(p + start, i + 1 + c - start)) return false;
  *from = (uint32_t)start;
  *to = (uint32_t)(i + 1 + c);
  return true;
}

static bool v_url(const char *p, size_t n, size_t end, uint32_t *from,
                  uint32_t *to) {
  /* scheme://user:password@host; the scheme is any URL scheme. */
  size_t s = end - 3;
  if (s == 0 || !(is_alnum(p[s - 1]))) return false;
  size_t i = end, colon = 0;
  while (i < n && i - end < 256) {
    char c = p[i];
    if (c == '@') break;
    if (c == '/' || c == ' ' || c == '"' || c == '\'' || c == '\\' ||
        c == '\n' || c == '?' || c == '#')
      return false;
    if (c == ':' && !colon) colon = i;
    i++;
  }
  if (i >= n || p[i] != '@' || !colon || colon == end) return false;
  const char *pw = p + colon + 1;
  size_t pn = i - colon - 1;
  const char *user = p + end;
  size_t un = colon - end;
  static const char *const defaults[] = {"password", "pass",  "secret",
                                         "postgres", "root",  "admin",
                                         "mysql",    "guest", "user"};
  if (pn < 4 || (pn == un && memcmp(pw, user, pn) == 0)) return false;
  for (size_t k = 0; k < SR_ARRAY_LEN(defaults); k++)
    if (pn == strlen(defaults[k]) &&
        sr_textscan_find(pw, pn, defaults[k], pn) == pw)
      return false;
  if (placeholder(pw, pn) || reference(pw, pn)) return false;
  *from = (uint32_t)(colon + 1);
  *to = (uint32_t)i;
  return true;
}

static bool v_bearer(const char *p, size_t n, size_t end, uint32_t *from,
                     uint32_t *to) {
  while (end < n && (p[end] == ' ' || p[end] == '\t')) end++;
  size_t i = end;
  while (i < n && i - end < 4096 &&
         (is_alnum(p[i]) || strchr("._~+/=-", p[i]) != NULL) && p[i])
    i++;
  if (i - end < 20 || !plausible(p + end, i - end)) return false;
  *from = (uint32_t)end;
  *to = (uint32_t)i;
  return true;
}

/* Adds s unless an overlapping secret is already there; of two
 * overlapping, the more specific kind (lower enum) stays. */
static size_t add(struct sr_secret *out, size_t k, size_t cap,
                  struct sr_secret s) {
  for (size_t i = 0; i < k; i++) {
    if (s.from < out[i].to && out[i].from < s.to) {
      if (s.kind < out[i].kind) out[i] = s;
      return k;
    }
  }
  if (k == cap) return k;
  /* Keep text order: insertion sort, cap is small. */
  size_t j = k;
  while (j > 0 && out[j - 1].from > s.from) {
    out[j] = out[j - 1];
    j--;
  }
  out[j] = s;
  return k + 1;
}

size_t sr_secrets_find(const struct sr_secrets *s,
                       struct sr_textscan_scratch *scratch, const char *p,
                       size_t n, struct sr_secret *out, size_t cap) {
  if (!maybe_secret(p, n)) return 0;
  struct sr_textscan_hits hits;
  sr_textscan_run(s->ts, scratch, p, n, &hits);
  size_t k = 0;
  for (uint32_t h = 0; h < hits.n; h++) {
    const struct marker *m = &markers[hits.v[h].id];
    size_t end = hits.v[h].end;
    uint32_t from = 0, to = 0;
    bool ok = false;
    switch (m->rule) {
      case R_PREFIX:
        ok = v_prefix(m, p, n, end, &from, &to);
        break;
      case R_ASSIGN:
        ok = v_assign(p, n, end, &from, &to);
        break;
      case R_PEM:
        ok = v_pem(p, n, end, &from, &to);
        break;
      case R_JWT:
        ok = v_jwt(p, n, end, &from, &to);
        break;
      case R_URL:
        ok = v_url(p, n, end, &from, &to);
        break;
      case R_BEARER:
        ok = v_bearer(p, n, end, &from, &to);
        break;
    }
    if (ok) k = add(out, k, cap, (struct sr_secret){m->kind, from, to});
  }
  return k;
}

size_t sr_secrets_redact(const struct sr_secrets *s,
                         struct sr_textscan_scratch *scratch, char *text,
                         size_t n) {
  struct sr_secret found[SR_SECRETS_MAX];
  size_t total = 0;
  /* A text with more secrets than one pass reports is masked in rounds:
   * a masked value no longer validates. */
  for (int round = 0; round < 64; round++) {
    size_t k = sr_secrets_find(s, scratch, text, n, found, SR_SECRETS_MAX);
    for (size_t i = 0; i < k; i++) {
      size_t len = found[i].to - found[i].from;
      size_t keep = SR_MIN((size_t)4, len / 4);
      memset(text + found[i].from + keep, '*', len - keep);
    }
    total += k;
    if (k < SR_SECRETS_MAX) break;
  }
  return total;
}
