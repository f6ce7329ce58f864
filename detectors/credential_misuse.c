/*
 * credential_misuse: a credential used for something it was not given for.
 *
 * Two signals, both seen in PocketOS (a token provisioned for custom-domain
 * management, found by the agent in a file, used to delete a volume):
 *
 * (a) Purpose and environment. A credential's `purpose` is free text
 *     ("custom-domain management"); its content words are compared with what
 *     the call acts on: op->resource, the resource of op->needed_scope, and
 *     the words of the tool and rule names (camelCase and separators split;
 *     only the last segment of a namespaced name such as
 *     "railway.volumeDelete", because the namespace names the platform, not
 *     the operation). Words match when equal up to a plural 's', or when one
 *     is a prefix of the other and both have at least 4 letters ("deploy",
 *     "deployments"). Generic words (management, access, token, ...) do not
 *     count; a purpose such as "admin" or "everything" fits any call. The
 *     check is only made when the catalogue classified the call (resource or
 *     needed scope known): an unclassified Bash call says too little.
 *       no word in common            -> purpose_mismatch 0.7,
 *                                       0.9 when the call is destructive
 *       op->environment not among the credential's environments
 *                                    -> environment_mismatch 0.6
 *     Both together combine as a noisy-or, 1-(1-a)(1-b).
 * (b) Found, not handed. The session scratch remembers credentials the
 *     session came across: ids listed in file_access `credentials_found`,
 *     and secret-looking assignments (`RAILWAY_TOKEN=`, `"api_key":`) in the
 *     results of completed tool calls (first scan_bytes bytes); a name is
 *     compared with a credential id after folding case and '-', '.', ' ' to
 *     '_' (so RAILWAY_TOKEN is the credential "railway-token"). Only a
 *     64-bit XXH3 hash of the folded name and a short copy of the path are
 *     kept, never a value; 16 entries, the oldest forgotten first.
 *       a tool call using a found credential -> found 0.6
 *       found and (a)                        -> found_and_misused 0.95
 *
 * Every phase counts, FAILED included: the attempt is the signal.
 *
 * (a)'s purpose fit splits and compares words, about 2,000 instructions,
 * and agents repeat the same call with the same credential all session
 * long; each worker thread remembers the last few answers (detectors/memo.h,
 * keyed by every input byte the answer depends on, so a changed purpose,
 * scope, tool, rule or resource never reuses an old answer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "detectors/detector.h"
#include "detectors/env.h"
#include "detectors/helpers.h"
#include "detectors/memo.h"
#include "detectors/reason.h"


#define FOUND_MAX 16
#define FOUND_WHERE 40
#define NAME_MAX_LEN 128 /* longer ids are folded on their first bytes */
#define WORDS_MAX 16

/* Per-session memory of found credentials. Invariant: n <= FOUND_MAX; slot
 * `next` is overwritten next once full; hashes are of folded names. */
struct found {
  uint64_t hash[FOUND_MAX];
  char where[FOUND_MAX][FOUND_WHERE];
  uint8_t n;
  uint8_t next;
};

struct ctx {
  float purpose_mismatch;
  float purpose_mismatch_destructive;
  float environment_mismatch;
  float found;
  float found_and_misused;
  bool scan_results;
  size_t scan_bytes;
};

static const char *const allowed_keys[] = {"enabled",
                                           "weight",
                                           "threshold",
                                           "half_life_s",
                                           "purpose_mismatch",
                                           "purpose_mismatch_destructive",
                                           "environment_mismatch",
                                           "found",
                                           "found_and_misused",
                                           "scan_results",
                                           "scan_bytes",
                                           NULL};

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/* Hash of a name folded to lowercase with '-', '.', ' ' as '_'. */
static uint64_t fold_hash(sr_str s) {
  char buf[NAME_MAX_LEN];
  size_t n = SR_MIN(s.n, sizeof(buf));
  for (size_t i = 0; i < n; i++) {
    char c = lower(s.p[i]);
    buf[i] = (c == '-' || c == '.' || c == ' ') ? '_' : c;
  }
  return XXH3_64bits(buf, n);
}

static void remember(struct found *f, sr_str name, sr_str where) {
  uint64_t h = fold_hash(name);
  for (size_t i = 0; i < f->n; i++)
    if (f->hash[i] == h) return;
  size_t slot;
  if (f->n < FOUND_MAX) {
    slot = f->n++;
  } else {
    slot = f->next;
    f->next = (uint8_t)((f->next + 1) % FOUND_MAX);
  }
  f->hash[slot] = h;
  /* Keep the end of a long path: the file name says more than the root. */
  if (where.n < FOUND_WHERE) {
    sr_str_copy(f->where[slot], FOUND_WHERE, where);
  } else {
    size_t keep = FOUND_WHERE - 4;
    memcpy(f->where[slot], "...", 3);
    memcpy(f->where[slot] + 3, where.p + where.n - keep, keep);
    f->where[slot][FOUND_WHERE - 1] = '\0';
  }
}

static const char *lookup(const struct found *f, sr_str id) {
  if (f->n == 0) return NULL; /* most sessions find none: no hash */
  uint64_t h = fold_hash(id);
  for (size_t i = 0; i < f->n; i++)
    if (f->hash[i] == h) return f->where[i];
  return NULL;
}

/* Whether the lowercase part s (k bytes) is at name[i]. */
static inline bool part_at(sr_str name, size_t i, const char *s, size_t k) {
  if (i + k > name.n) return false;
  for (size_t j = 1; j < k; j++)
    if (lower(name.p[i + j]) != s[j]) return false;
  return true;
}
#define PART(lit) part_at(name, i, lit, sizeof(lit) - 1)

/* A secret's name holds token, secret, passw, credential, apikey, api_key,
 * api-key, auth, private_key or access_key, or ends in "key". Each part is
 * tried where its first letter is: one pass over the name. */
static bool secret_name(sr_str name) {
  /* The parts' first letters, either case: every name before every '=' and
   * ':' of every result is read, and most of its bytes start no part. */
  static const uint8_t first[256] = {['t'] = 1, ['T'] = 1, ['s'] = 1,
                                     ['S'] = 1, ['p'] = 1, ['P'] = 1,
                                     ['c'] = 1, ['C'] = 1, ['a'] = 1,
                                     ['A'] = 1};
  for (size_t i = 0; i < name.n; i++) {
    if (!first[(unsigned char)name.p[i]]) continue;
    bool hit;
    switch (lower(name.p[i])) {
      case 't':
        hit = PART("token");
        break;
      case 's':
        hit = PART("secret");
        break;
      case 'p':
        hit = PART("passw") || PART("private_key");
        break;
      case 'c':
        hit = PART("credential");
        break;
      case 'a':
        hit = PART("apikey") || PART("api_key") || PART("api-key") ||
              PART("auth") || PART("access_key");
        break;
      default:
        continue;
    }
    if (hit) return true;
  }
  return name.n >= 3 && lower(name.p[name.n - 3]) == 'k' &&
         lower(name.p[name.n - 2]) == 'e' && lower(name.p[name.n - 1]) == 'y';
}
#undef PART

/* [A-Za-z0-9_.-]: read once per byte of every result, so a table. */
static inline bool name_char(char c) {
  static const uint8_t tab[128] = {
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
      0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
      0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
  };
  unsigned char u = (unsigned char)c;
  return u < 128 && tab[u];
}

/* Where a result's credentials are said to be found: the call's target,
 * else "output of <tool>". Built only when one is found: most results
 * hold none, and this costs a copy. */
static sr_str result_where(char *buf, size_t cap, const struct sr_event *ev,
                           const struct sr_op *op) {
  if (op->target_id.n) {
    sr_str_copy(buf, cap, op->target_id);
  } else {
    struct sr_reason r = sr_reason_start(buf, cap);
    sr_reason_str(&r, "output of ");
    sr_reason_view(&r, ev->tool, FOUND_WHERE - 11);
  }
  return sr_str_from(buf);
}

#if defined(__SSE2__)
/* Bit j set when p[j] is '=' or ':', for j < 16. */
static inline unsigned signs16(const char *p) {
  const __m128i eq = _mm_set1_epi8('='), colon = _mm_set1_epi8(':');
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  return (unsigned)_mm_movemask_epi8(
      _mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, colon)));
}

/* Bit j set when p[j] is a name byte [A-Za-z0-9_.-], for j < 16. */
static inline unsigned name_chars16(const char *p) {
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  __m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20)); /* letters: a-z */
  __m128i in = _mm_or_si128(
      _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
                    _mm_cmplt_epi8(l, _mm_set1_epi8('z' + 1))),
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
  in = _mm_or_si128(
      in, _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('-' - 1)),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8('.' + 1))),
                       _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
  return (unsigned)_mm_movemask_epi8(in);
}
#endif

/* Where the run of name bytes ending before p[e] (e <= n) starts, looked
 * for at most 65 bytes back (a longer name is refused whatever its
 * start). Read back sixteen bytes at a time where SSE2 is there, the
 * first sixteen of the text once fewer are left: every '=' and ':' of
 * every completed call's result is read back to its name. */
static size_t name_start(const char *p, size_t n, size_t e) {
  size_t b = e;
#if defined(__SSE2__)
  while (b >= 16 && e - b <= 64) {
    unsigned other = ~name_chars16(p + b - 16) & 0xffffu;
    if (other) return b - 16 + (size_t)(32 - __builtin_clz(other));
    b -= 16;
  }
  if (b > 0 && n >= 16 && e - b <= 64) { /* b < 16: p[0, b) left */
    unsigned other = ~name_chars16(p) & ((1u << b) - 1);
    return other ? (size_t)(32 - __builtin_clz(other)) : 0;
  }
#else
  (void)n;
#endif
  while (b > 0 && e - b <= 64 && name_char(p[b - 1])) b--;
  return b;
}

/* Offset of the first '=' or ':' in p[i..n), or n; sixteen bytes at a time
 * where SSE2 is there, the last sixteen overlapping the ones before. */
static size_t next_assignment(const char *p, size_t n, size_t i) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    unsigned m = signs16(p + i);
    if (m) return i + (size_t)__builtin_ctz(m);
  }
  if (i < n && n >= 16) {
    unsigned m = signs16(p + n - 16) >> (i - (n - 16));
    return m ? i + (size_t)__builtin_ctz(m) : n;
  }
#endif
  for (; i < n; i++)
    if (p[i] == '=' || p[i] == ':') return i;
  return n;
}

/* Remembers names of secret-looking assignments in a tool result:
 * NAME=..., NAME: ..., "NAME": ... (a name of [A-Za-z0-9_.-], at most one
 * quote and blanks before the sign). The value is never looked at. Read
 * from each '=' and ':' backwards to its name, in text order: results are
 * read for every completed call, and signs are far fewer than bytes. */
static void scan_result(struct found *f, sr_str text, const struct sr_event *ev,
                        const struct sr_op *op) {
  const char *p = text.p;
  size_t n = text.n;
  char where[FOUND_WHERE];
  sr_str w = SR_STR_NULL;
  for (size_t k = next_assignment(p, n, 0); k < n;
       k = next_assignment(p, n, k + 1)) {
    size_t e = k;
    while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
    if (e > 0 && (p[e - 1] == '"' || p[e - 1] == '\'')) e--;
    size_t b = name_start(p, n, e);
    sr_str name = {p + b, e - b};
    if (name.n < 3 || name.n > 64 || !secret_name(name)) continue;
    if (!w.p) w = result_where(where, sizeof where, ev, op);
    remember(f, name, w);
  }
}

/* Words of a name: split at non-alphanumerics and at lower->Upper. */
static size_t split_words(sr_str s, sr_str *out, size_t n, size_t cap) {
  size_t i = 0;
  while (i < s.n && n < cap) {
    while (i < s.n && !alnum(s.p[i])) i++;
    size_t start = i;
    while (i < s.n && alnum(s.p[i])) {
      i++;
      if (i < s.n && s.p[i] >= 'A' && s.p[i] <= 'Z' && s.p[i - 1] >= 'a' &&
          s.p[i - 1] <= 'z')
        break;
    }
    if (i > start) out[n++] = (sr_str){s.p + start, i - start};
  }
  return n;
}

/* The last segment of "railway.volumeDelete" or "mcp__db__query". */
static sr_str last_segment(sr_str s) {
  size_t cut = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.p[i] == '.' || s.p[i] == '/') cut = i + 1;
    if (s.p[i] == '_' && i + 1 < s.n && s.p[i + 1] == '_') cut = i + 2;
  }
  return (sr_str){s.p + cut, s.n - cut};
}

static bool word_in(sr_str w, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (sr_str_eq_nocase(w, list[i])) return true;
  return false;
}

static const char *const generic_words[] = {
    "management", "manage",     "managing",    "managed", "access",
    "token",      "tokens",     "key",         "keys",    "for",
    "and",        "the",        "only",        "api",     "cli",
    "use",        "used",       "with",        "from",    "into",
    "ops",        "operation",  "operations",  "task",    "tasks",
    "work",       "credential", "credentials", "service", "account",
    "automation", "script",     "scripts",     "read",    "write",
    "readonly",   "custom",     "handling"};
static const char *const wildcard_words[] = {
    "all",  "everything", "any",   "general",       "admin",
    "full", "root",       "owner", "administration"};

static bool words_match(sr_str a, sr_str b) {
  if (a.n > 3 && lower(a.p[a.n - 1]) == 's') a.n--;
  if (b.n > 3 && lower(b.p[b.n - 1]) == 's') b.n--;
  size_t k = SR_MIN(a.n, b.n);
  if (a.n != b.n && k < 4) return false;
  for (size_t i = 0; i < k; i++)
    if (lower(a.p[i]) != lower(b.p[i])) return false;
  return true;
}

enum fit { FIT_UNKNOWN, FIT_YES, FIT_NO };

/* A scope that names the call's resource explicitly ("volume:delete" for a
 * volume deletion) was provisioned for exactly this kind of call, whatever
 * the purpose text says; "*" and bare action words name nothing. */
static bool scope_names_resource(const struct sr_credential *cr,
                                 const struct sr_op *op) {
  if (!op->resource) return false;
  sr_str res = sr_str_from(op->resource);
  for (uint32_t i = 0; i < cr->n_scopes; i++) {
    sr_str sc = cr->scopes[i];
    sr_str parts[WORDS_MAX];
    size_t n = split_words(sc, parts, 0, WORDS_MAX);
    for (size_t j = 0; j < n; j++)
      if (parts[j].n >= 3 && words_match(parts[j], res)) return true;
  }
  return false;
}

static enum fit purpose_fit(sr_str purpose, const struct sr_event *ev,
                            const struct sr_op *op) {
  if (purpose.n == 0) return FIT_UNKNOWN;
  if (!op->resource && !op->needed_scope) return FIT_UNKNOWN;
  if (scope_names_resource(&op->credential, op)) return FIT_YES;
  sr_str pw[WORDS_MAX];
  size_t np = split_words(purpose, pw, 0, WORDS_MAX);
  size_t content = 0;
  for (size_t i = 0; i < np; i++) {
    if (word_in(pw[i], wildcard_words, SR_ARRAY_LEN(wildcard_words)))
      return FIT_YES;
    if (pw[i].n >= 3 &&
        !word_in(pw[i], generic_words, SR_ARRAY_LEN(generic_words)))
      pw[content++] = pw[i];
  }
  if (content == 0) return FIT_UNKNOWN;

  sr_str ow[WORDS_MAX * 2];
  size_t no = 0;
  if (op->resource)
    no = split_words(sr_str_from(op->resource), ow, no, SR_ARRAY_LEN(ow));
  if (op->needed_scope) {
    sr_str ns = sr_str_from(op->needed_scope);
    const char *colon = memchr(ns.p, ':', ns.n);
    if (colon) ns.n = (size_t)(colon - ns.p);
    no = split_words(ns, ow, no, SR_ARRAY_LEN(ow));
  }
  no = split_words(last_segment(ev->tool), ow, no, SR_ARRAY_LEN(ow));
  if (op->rule)
    no = split_words(last_segment(sr_str_from(op->rule)), ow, no,
                     SR_ARRAY_LEN(ow));
  for (size_t i = 0; i < content; i++)
    for (size_t j = 0; j < no; j++)
      if (words_match(pw[i], ow[j])) return FIT_YES;
  return FIT_NO;
}

/* purpose_fit through the thread's memo (NULL: none), keyed by every
 * input purpose_fit reads. */
static enum fit purpose_fit_memo(struct sr_memo *m, sr_str purpose,
                                 const struct sr_event *ev,
                                 const struct sr_op *op) {
  if (purpose.n == 0) return FIT_UNKNOWN;
  if (!op->resource && !op->needed_scope) return FIT_UNKNOWN;
  if (!m) return purpose_fit(purpose, ev, op);
  const struct sr_credential *cr = &op->credential;
  struct sr_memo_key k;
  sr_memo_key_start(&k);
  sr_memo_key_add(&k, purpose.p, purpose.n, false);
  sr_memo_key_add(&k, ev->tool.p, ev->tool.n, false);
  sr_memo_key_cstr(&k, op->resource);
  sr_memo_key_cstr(&k, op->needed_scope);
  sr_memo_key_cstr(&k, op->rule);
  for (uint32_t i = 0; i < cr->n_scopes; i++)
    sr_memo_key_add(&k, cr->scopes[i].p, cr->scopes[i].n, false);
  uint8_t fit = FIT_UNKNOWN;
  bool hit;
  struct sr_memo_slot *slot = sr_memo_find(m, &k, &fit, sizeof fit, &hit);
  if (hit) return (enum fit)fit;
  fit = (uint8_t)purpose_fit(purpose, ev, op);
  if (slot) sr_memo_store(m, slot, &k, &fit, sizeof fit);
  return (enum fit)fit;
}

static enum fit env_fit(const struct sr_credential *cr, sr_str env) {
  if (cr->n_environments == 0 || env.n == 0) return FIT_UNKNOWN;
  for (uint32_t i = 0; i < cr->n_environments; i++) {
    sr_str e = cr->environments[i];
    if (sr_str_eq_cstr(e, "*") || sr_str_eq_nocase(e, "all") ||
        sr_str_eq_nocase(e, "any") || sr_env_eq(e, env))
      return FIT_YES;
  }
  return FIT_NO;
}

static void *cred_init(const struct sr_conf_node *section, char *err,
                       size_t errlen) {
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "credential_misuse: out of memory");
    return NULL;
  }
  long long bytes;
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_detector_conf_score(section, "purpose_mismatch", 0.7,
                             &c->purpose_mismatch, err, errlen) != 0 ||
      sr_detector_conf_score(section, "purpose_mismatch_destructive", 0.9,
                             &c->purpose_mismatch_destructive, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "environment_mismatch", 0.6,
                             &c->environment_mismatch, err, errlen) != 0 ||
      sr_detector_conf_score(section, "found", 0.6, &c->found, err, errlen) !=
          0 ||
      sr_detector_conf_score(section, "found_and_misused", 0.95,
                             &c->found_and_misused, err, errlen) != 0 ||
      sr_conf_get_bool(section, "scan_results", true, &c->scan_results, err,
                       errlen) != 0 ||
      sr_conf_get_int(section, "scan_bytes", 65536, 0, SR_TEXT_MAX, &bytes, err,
                      errlen) != 0) {
    free(c);
    return NULL;
  }
  c->scan_bytes = (size_t)bytes;
  return c;
}

/* What the call did, for the reason: the needed scope, else the resource,
 * else the rule, else the tool. */
static void op_label(struct sr_reason *r, const struct sr_event *ev,
                     const struct sr_op *op) {
  if (op->needed_scope)
    sr_reason_strn(r, op->needed_scope, 48);
  else if (op->resource)
    sr_reason_strn(r, op->resource, 48);
  else if (op->rule)
    sr_reason_strn(r, op->rule, 48);
  else
    sr_reason_view(r, ev->tool, 48);
}

static float cred_score(const void *ctx, void *thread_scratch,
                        const struct sr_detect_input *in, void *session_scratch,
                        char *reason, size_t reasonlen) {
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  const struct sr_op *op = in->op;
  struct found *f = session_scratch;

  if (ev->type == SR_EV_FILE_ACCESS) {
    for (uint32_t i = 0; i < ev->credentials_found.n; i++)
      if (ev->credentials_found.v[i].n)
        remember(f, ev->credentials_found.v[i], ev->path);
    return 0;
  }
  if (ev->type != SR_EV_TOOL_CALL) return 0;

  float score = 0;
  const struct sr_credential *cr = &op->credential;
  const char *found_in = NULL;
  enum fit pfit = FIT_UNKNOWN, efit = FIT_UNKNOWN;
  sr_str env = SR_STR_NULL;
  bool destructive = op->destructive > 0 || op->verb == SR_VERB_DELETE;
  if (cr->id.n) {
    /* The session's found credentials are read last: their count loads
     * while the purpose and environment are judged. */
    sr_det_prefetch(&f->n, 1);
    env = sr_env_canonical(op->environment);
    pfit = purpose_fit_memo(thread_scratch, cr->purpose, ev, op);
    efit = env_fit(cr, env);
    found_in = lookup(f, cr->id);
    float a = 0, p = 0, e = 0;
    if (pfit == FIT_NO)
      p = destructive ? c->purpose_mismatch_destructive : c->purpose_mismatch;
    if (efit == FIT_NO) e = c->environment_mismatch;
    a = SR_MAX(p, e);
    if (p > 0 && e > 0) a = SR_MAX(a, 1 - (1 - p) * (1 - e));
    score = a;
    if (found_in) score = a > 0 ? SR_MAX(a, c->found_and_misused) : c->found;
  }

  /* After judging this call's credential: what its own result reveals is
   * found from now on. */
  if (c->scan_results && ev->result.n && ev->phase == SR_PHASE_COMPLETED) {
    sr_str text = {ev->result.p, SR_MIN(ev->result.n, c->scan_bytes)};
    scan_result(f, text, ev, op);
  }

  if (score > 1) score = 1;
  if (!(score > 0)) return 0;
  if (score < in->reason_floor) return score;

  struct sr_reason r = sr_reason_start(reason, reasonlen);
  sr_reason_str(&r, "credential ");
  sr_reason_view(&r, cr->id, 40);
  if (pfit == FIT_NO) {
    sr_reason_str(&r, " provisioned for '");
    sr_reason_view(&r, cr->purpose, 48);
    sr_reason_str(&r, "' used for ");
    op_label(&r, ev, op);
    if (destructive) sr_reason_str(&r, " (destructive)");
  }
  if (efit == FIT_NO) {
    sr_reason_str(&r, pfit == FIT_NO ? " on " : " used on ");
    sr_reason_view(&r, env, 24);
    sr_reason_str(&r, " outside its environments (");
    sr_reason_view(&r, cr->environments[0], 24);
    sr_reason_str(&r, cr->n_environments > 1 ? ", ...)" : ")");
  }
  if (found_in && pfit != FIT_NO && efit != FIT_NO) {
    sr_reason_str(&r, " used for ");
    op_label(&r, ev, op);
  }
  if (found_in) {
    sr_reason_str(&r, "; found in ");
    sr_reason_str(&r, found_in);
    sr_reason_str(&r, " rather than handed to the session");
  }
  return score;
}

static void cred_destroy(void *ctx) {
  free(ctx);
}

static void *cred_thread_create(const void *ctx) {
  (void)ctx;
  return calloc(1, sizeof(struct sr_memo));
}

static void cred_thread_destroy(void *memo) {
  free(memo);
}

const struct sr_detector sr_detector_credential_misuse = {
    .version = SR_DETECTOR_VERSION,
    .name = "credential_misuse",
    .description =
        "a credential used outside its provisioned purpose or "
        "environment, or one the session found in a file",
    .session_size = sizeof(struct found),
    .init = cred_init,
    .thread_create = cred_thread_create,
    .thread_destroy = cred_thread_destroy,
    .score = cred_score,
    .destroy = cred_destroy,
    .kinds = SR_KIND_CALLS | SR_KIND_FILE_ACCESS,
};
