/*
 * JSON-lines decoder: one object per message, fields as in events.md.
 *
 * The decoder is a table walk over the pull reader (json.h): each known key
 * maps to a row saying what JSON type it takes, where in sr_event it lands
 * and what bound applies; nested objects (scope, estimate, target,
 * credential) have their own small tables with the same rows. Unknown keys
 * are skipped by the reader without building anything. Strings stay views
 * into the message unless they carry escapes. A compact member with a
 * known key (nearly all of them) is recognised from the sixteen bytes that
 * lead it, compared as two words against the row's `,"name":` (comma,
 * quotes and colon included), before any scan for the key's closing quote;
 * the rest goes through the reader's general path.
 *
 * Choices worth knowing:
 *  - a field whose value is null counts as not given: producers that emit
 *    every optional field (null when unset) are common and harmless;
 *  - a type error on a value that is not even valid JSON reports the syntax
 *    error instead, so the reason points at the real fault;
 *  - enum words are matched without regard to case, so the protobuf
 *    spellings (READ_ONLY, CO_LOCATED) work in JSON too;
 *  - `ts_ms` wins over `ts` whatever their order;
 *  - a repeated `session_id` key is an error: the router reads the first
 *    occurrence (sr_decode_peek_session), so accepting a different later one
 *    would hand the event to a worker that does not own its session.
 *    Other repeated keys follow the usual last-one-wins.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ingest/decode.h"
#include "ingest/decode_internal.h"
#include "ingest/json.h"

enum kind {
  K_STR,     /* string, up to `limit` bytes */
  K_SESSION, /* session_id: a string, given once */
  K_LIST,    /* list of strings, each up to `limit` bytes */
  K_SCOPES,  /* credential.scopes: a list that also sets scopes_given */
  K_INT,
  K_NUM,
  K_BOOL,
  K_TYPE,
  K_MODE,
  K_PHASE,
  K_BACKUPS,
  K_DECISION,
  K_TS_MS,
  K_TS,   /* RFC 3339 text */
  K_ARGS, /* object or array as raw text, or a string */
  K_SCOPE,
  K_ESTIMATE,
  K_TARGET,
  K_CRED, /* object, or a bare string id */
};

/* One known key of an object: its name, JSON shape, and the offset of its
 * destination in the struct the table describes. */
struct field {
  const char *name;
  uint64_t pat[2]; /* `,"name":`, little-endian words, zero past it */
  uint64_t msk[2]; /* the bytes of pat that belong to it */
  uint32_t sig;    /* KEY_SIG of name */
  uint8_t len;
  uint8_t lead; /* length of `,"name":` */
  uint8_t kind;
  uint16_t k2; /* the first two bytes of the name: pat >> 16 */
  uint16_t off;
  uint32_t limit;
};

/* Length, first and last byte of a key in one word: one comparison rules
 * out nearly every wrong table row. */
#define KEY_SIG(len, first, last)                            \
  ((uint32_t)(len) | (uint32_t)(unsigned char)(first) << 8 | \
   (uint32_t)(unsigned char)(last) << 16)

_Static_assert(sizeof(struct sr_event) <= UINT16_MAX,
               "struct field keeps 16-bit offsets");

/* The lead text `,"name":` of a name, padded so that any eight bytes of
 * its first sixteen can be read at compile time; its length. */
#define LEAD_PAD(nm) ",\"" nm "\":\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define LEAD_LEN(nm) (sizeof(nm) + 3)
#define BYTE_OF(m, at, i) ((uint64_t)(unsigned char)(m)[(at) + (i)] << 8 * (i))
#define WORD_AT(m, at)                                         \
  (BYTE_OF(m, at, 0) | BYTE_OF(m, at, 1) | BYTE_OF(m, at, 2) | \
   BYTE_OF(m, at, 3) | BYTE_OF(m, at, 4) | BYTE_OF(m, at, 5) | \
   BYTE_OF(m, at, 6) | BYTE_OF(m, at, 7))
/* The bytes of the first and the second word that a lead of n bytes
 * (six or more) fills; every shift stays below 64. */
#define MASK0(n) (~0ull >> 8 * (8 - SR_MIN((n), 8)))
#define MASK1(n) ((n) <= 8 ? 0 : ~0ull >> 8 * (16 - SR_MIN(SR_MAX((n), 9), 16)))

/* A lead of more than sixteen bytes (names of thirteen or more) gets a NUL
 * for its ',': compact_key never matches it, and the general path reads
 * such members (credentials_found, parent_agent_id: rare). */
#define LEAD_WORD0(nm) \
  (WORD_AT(LEAD_PAD(nm), 0) & (LEAD_LEN(nm) > 16 ? ~0xFFull : ~0ull))
#define FIELD(nm, k, type, member, lim)                                     \
  {                                                                         \
    nm, {LEAD_WORD0(nm), WORD_AT(LEAD_PAD(nm), 8)},                         \
        {MASK0(LEAD_LEN(nm)), MASK1(LEAD_LEN(nm))},                         \
        KEY_SIG(sizeof(nm) - 1, nm[0], nm[sizeof(nm) - 2]), sizeof(nm) - 1, \
        LEAD_LEN(nm), k, (uint16_t)(WORD_AT(LEAD_PAD(nm), 0) >> 16),        \
        offsetof(type, member), lim                                         \
  }
#define EV(nm, k, member, lim) FIELD(nm, k, struct sr_event, member, lim)

/* In the order of events.md, which producers tend to follow (see lookup),
 * with the tool_call fields, the bulk of every stream, right after the
 * common ones: `environment` is in its tool_call place, after `target`.
 * `ts` (the alternative to `ts_ms`) and `parent_agent_id` (sub-agents only)
 * come last, so that the row predicted after `ts_ms` and after `agent_id`
 * is the one most events send next. */
static const struct field EVENT_FIELDS[] = {
    EV("type", K_TYPE, type, 0),
    EV("session_id", K_SESSION, session_id, SR_SESSION_ID_MAX),
    EV("event_id", K_STR, event_id, SR_ID_MAX),
    EV("ts_ms", K_TS_MS, ts_ms, 0),
    EV("agent_id", K_STR, agent_id, SR_ID_MAX),
    EV("phase", K_PHASE, phase, 0),
    EV("call_id", K_STR, call_id, SR_ID_MAX),
    EV("tool", K_STR, tool, SR_NAME_MAX),
    EV("arguments", K_ARGS, arguments, SR_TEXT_MAX),
    EV("target", K_TARGET, target, 0),
    EV("environment", K_STR, environment, SR_NAME_MAX),
    EV("credential", K_CRED, credential, 0),
    EV("want_verdict", K_BOOL, want_verdict, 0),
    EV("result", K_STR, result, SR_TEXT_MAX),
    EV("task", K_STR, task, SR_TEXT_MAX),
    EV("mode", K_MODE, mode, 0),
    EV("scope", K_SCOPE, scope_environments, 0),
    EV("estimate", K_ESTIMATE, estimate, 0),
    EV("role", K_STR, role, SR_NAME_MAX),
    EV("text", K_STR, text, SR_TEXT_MAX),
    EV("path", K_STR, path, SR_NAME_MAX),
    EV("op", K_STR, op, SR_NAME_MAX),
    EV("credentials_found", K_LIST, credentials_found, SR_ID_MAX),
    EV("decision", K_DECISION, decision, 0),
    EV("approver", K_STR, approver, SR_NAME_MAX),
    EV("ts", K_TS, ts_ms, 0),
    EV("parent_agent_id", K_STR, parent_agent_id, SR_ID_MAX),
    EV("cost_usd", K_NUM, cost_usd, 0),
};

/* scope's lists live in sr_event itself. */
static const struct field SCOPE_FIELDS[] = {
    EV("environments", K_LIST, scope_environments, SR_NAME_MAX),
    EV("domains", K_LIST, scope_domains, SR_NAME_MAX),
    EV("resources", K_LIST, scope_resources, SR_NAME_MAX),
};

static const struct field ESTIMATE_FIELDS[] = {
    FIELD("steps", K_INT, struct sr_estimate, steps, 0),
    FIELD("seconds", K_INT, struct sr_estimate, seconds, 0),
    FIELD("cost_usd", K_NUM, struct sr_estimate, cost_usd, 0),
};

/* A target id is a resource name (a path, an ARN, a URL), hence the name
 * bound rather than the id bound. */
static const struct field TARGET_FIELDS[] = {
    FIELD("id", K_STR, struct sr_target, id, SR_NAME_MAX),
    FIELD("kind", K_STR, struct sr_target, kind, SR_NAME_MAX),
    FIELD("environment", K_STR, struct sr_target, environment, SR_NAME_MAX),
    FIELD("backups", K_BACKUPS, struct sr_target, backups, 0),
};

static const struct field CRED_FIELDS[] = {
    FIELD("id", K_STR, struct sr_credential_ref, id, SR_ID_MAX),
    FIELD("scopes", K_SCOPES, struct sr_credential_ref, scopes, SR_NAME_MAX),
    FIELD("purpose", K_STR, struct sr_credential_ref, purpose, SR_NAME_MAX),
    FIELD("environments", K_LIST, struct sr_credential_ref, environments,
          SR_NAME_MAX),
};

/* An enum word, with its quoted text `"word"` as two masked little-endian
 * words, as struct field keeps its lead. */
struct word {
  const char *s;
  uint8_t len;
  int v;
  uint64_t pat[2];
  uint64_t msk[2];
};

#define QUOTED_PAD(w) "\"" w "\"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define QUOTED_LEN(w) (sizeof(w) + 1)
#define WORD(w, v)                                                \
  {                                                               \
    w, sizeof(w) - 1, v,                                          \
        {WORD_AT(QUOTED_PAD(w), 0), WORD_AT(QUOTED_PAD(w), 8)}, { \
      MASK0(QUOTED_LEN(w)), MASK1(QUOTED_LEN(w))                  \
    }                                                             \
  }
/* Words up to this long have all of `"word"` in the sixteen bytes compared
 * by enum_quoted; longer ones are read by enum_exact alone. */
#define WORD_QUOTED_MAX 14

static const struct word TYPE_WORDS[] = {
    WORD("tool_call", SR_EV_TOOL_CALL),
    WORD("agent_message", SR_EV_AGENT_MESSAGE),
    WORD("session_start", SR_EV_SESSION_START),
    WORD("file_access", SR_EV_FILE_ACCESS),
    WORD("approval", SR_EV_APPROVAL),
};
static const struct word MODE_WORDS[] = {
    WORD("default", SR_MODE_DEFAULT),     WORD("plan", SR_MODE_PLAN),
    WORD("read_only", SR_MODE_READ_ONLY), WORD("read-only", SR_MODE_READ_ONLY),
    WORD("readonly", SR_MODE_READ_ONLY),
};
static const struct word PHASE_WORDS[] = {
    WORD("requested", SR_PHASE_REQUESTED),
    WORD("completed", SR_PHASE_COMPLETED),
    WORD("failed", SR_PHASE_FAILED),
};
static const struct word BACKUPS_WORDS[] = {
    WORD("co-located", SR_BACKUPS_CO_LOCATED),
    WORD("co_located", SR_BACKUPS_CO_LOCATED),
    WORD("colocated", SR_BACKUPS_CO_LOCATED),
    WORD("off-site", SR_BACKUPS_OFF_SITE),
    WORD("off_site", SR_BACKUPS_OFF_SITE),
    WORD("offsite", SR_BACKUPS_OFF_SITE),
    WORD("none", SR_BACKUPS_NONE),
};

struct ctx {
  struct sr_json j;
  struct sr_event *ev;
  char *err;
  size_t errlen;
  int64_t ts_text_ms;
  bool ts_ms_given;
  bool ts_text_given;
  bool session_given;
};

/*
 * Finds key in tab, starting at *hint and wrapping around. Producers write
 * the keys of every event in the same order, so the entry after the
 * previous match is often the one; otherwise the signature comparison makes
 * each wrong row cost one comparison.
 */
static inline const struct field *lookup(const struct field *tab, size_t n,
                                         const struct field **hint,
                                         sr_str key) {
  if (key.n == 0 || key.n > UINT8_MAX) return NULL;
  uint32_t sig = KEY_SIG(key.n, key.p[0], key.p[key.n - 1]);
  const struct field *f, *end = tab + n, *from = *hint;
  for (f = from; f < end; f++) {
    if (f->sig == sig && sr_mem_eq(f->name, key.p, key.n)) goto found;
  }
  for (f = tab; f < from; f++) {
    if (f->sig == sig && sr_mem_eq(f->name, key.p, key.n)) goto found;
  }
  return NULL;
found:
  *hint = f + 1 < end ? f + 1 : tab;
  return f;
}

/* Whether sixteen bytes, as little-endian words w0 and w1, hold pattern
 * pat wherever msk has its bytes (struct field's leads, struct word's
 * quoted words). */
static inline bool masked_eq16(const uint64_t pat[2], const uint64_t msk[2],
                               uint64_t w0, uint64_t w1) {
  return (((w0 ^ pat[0]) & msk[0]) | ((w1 ^ pat[1]) & msk[1])) == 0;
}

/* Whether the lead of f (`,"name":`) opens the sixteen bytes whose words
 * are w (from sr_json_member_lead). */
static inline bool lead_at(const struct field *f, const uint64_t w[2]) {
  return masked_eq16(f->pat, f->msk, w[0], w[1]);
}

/*
 * The row of tab named by the next member when the member is compact
 * (`,"name":`, or `"name":` for the first) and its key is known, read
 * straight from the bytes: the sixteen from the member's ',' are compared
 * as two words with each candidate row's lead, which checks the comma, both
 * quotes and the colon with the name; no scan for the closing quote, no
 * signature to build. Rows are tried from *hint on, as by lookup, and the
 * cursor is left on the value. first says no member has been read yet.
 * NULL with the reader untouched for everything else (the closing brace, an
 * unknown or escaped key, a name of thirteen bytes or more, blanks, the last
 * sixteen bytes of the buffer): the general path reads it.
 * @locality hot path
 */
static inline __attribute__((always_inline)) const struct field *compact_key(
    struct sr_json *j, const struct field *tab, size_t n,
    const struct field **hint, bool first) {
  uint64_t w[2];
  const unsigned char *q = sr_json_member_lead(j, first, w);
  if (!q) return NULL;
  const struct field *f = *hint, *stop = tab + n, *from = *hint;
  if (lead_at(f, w)) goto found; /* the usual answer */
  /* No member follows (the object's '}', most often): no row can match. */
  if ((uint8_t)w[0] != ',') return NULL;
  /* The other rows: those whose name opens with the same two bytes. */
  uint16_t k2 = (uint16_t)(w[0] >> 16);
  for (f = from + 1; f < stop; f++) {
    if (f->k2 == k2 && lead_at(f, w)) goto found;
  }
  for (f = tab; f < from; f++) {
    if (f->k2 == k2 && lead_at(f, w)) goto found;
  }
  return NULL;
found:
  *hint = f + 1 < stop ? f + 1 : tab;
  sr_json_member_take(j, q, f->lead, first);
  return f;
}

static const char *name_of(char *buf, const char *prefix, const struct field *f,
                           long idx) {
  return sr_decode_field_name(buf, SR_DECODE_FIELD_NAME_MAX, prefix, f->name,
                              idx);
}

/* The value at the cursor has JSON type t where `expected` was wanted. */
static int type_error(struct ctx *c, const struct field *f, const char *prefix,
                      long idx, const char *expected, enum sr_json_type t) {
  /* Broken JSON is the real fault when the value does not even parse. */
  int rc = sr_json_skip(&c->j, NULL);
  if (rc) return rc;
  char name[SR_DECODE_FIELD_NAME_MAX];
  return sr_decode_errf(
      c->err, c->errlen, SR_EINVAL, "field '%s': expected %s, got %s",
      name_of(name, prefix, f, idx), expected, sr_json_type_name(t));
}

/* Called on item SR_LIST_MAX+1: counts the rest so the reason says how long
 * the list was. */
static int list_overflow(struct ctx *c, const struct field *f,
                         const char *prefix) {
  size_t n = SR_LIST_MAX;
  int rc;
  do {
    rc = sr_json_skip(&c->j, NULL);
    if (rc) return rc;
    n++;
  } while ((rc = sr_json_array_next(&c->j)) > 0);
  if (rc < 0) return rc;
  char name[SR_DECODE_FIELD_NAME_MAX];
  return sr_decode_err_list_bound(c->err, c->errlen,
                                  name_of(name, prefix, f, -1), n);
}

/* A compact list of at most SR_LIST_MAX plain strings within the bound of
 * f, `["a","b"]` (most lists), read in one pass without the reader's array
 * calls into l; false with the reader untouched for anything else, which
 * read_list then reads from its '[' and reports. @locality hot path */
static inline bool plain_list(struct sr_json *j, const struct field *f,
                              struct sr_str_list *l) {
  const char *at = j->p;
  size_t n = 0;
  if (!sr_json_at(j, '[') || j->depth >= SR_JSON_MAX_DEPTH) return false;
  j->p++;
  if (!sr_json_at(j, ']')) {
    for (;;) {
      if (n == SR_LIST_MAX || !sr_json_plain_string(j, &l->v[n]) ||
          l->v[n].n > f->limit) {
        j->p = at;
        return false;
      }
      n++;
      if (sr_json_at(j, ']')) break;
      if (!sr_json_at(j, ',')) {
        j->p = at;
        return false;
      }
      j->p++;
    }
  }
  j->p++;
  l->n = n;
  return true;
}

/* Items are read as plain strings when they are (compact JSON); the peek
 * and the general read report everything else. */
static int read_list(struct ctx *c, const struct field *f, const char *prefix,
                     struct sr_str_list *l) {
  int rc = sr_json_array_begin(&c->j);
  if (rc) return rc;
  l->n = 0;
  while ((rc = sr_json_array_next(&c->j)) > 0) {
    if (l->n == SR_LIST_MAX) return list_overflow(c, f, prefix);
    sr_str *item = &l->v[l->n];
    if (!sr_json_plain_string(&c->j, item)) {
      enum sr_json_type t = sr_json_peek(&c->j);
      if (t != SR_JSON_STRING) {
        return type_error(c, f, prefix, (long)l->n, "a string", t);
      }
      rc = sr_json_string(&c->j, item);
      if (rc) return rc;
    }
    if (item->n > f->limit) {
      char name[SR_DECODE_FIELD_NAME_MAX];
      return sr_decode_err_str_bound(c->err, c->errlen,
                                     name_of(name, prefix, f, (long)l->n),
                                     item->n, f->limit);
    }
    l->n++;
  }
  return rc;
}

static int read_int(struct ctx *c, const struct field *f, const char *prefix,
                    int64_t *out) {
  sr_str text;
  bool integral;
  int rc = sr_json_number(&c->j, &text, &integral);
  if (rc) return rc;
  rc = sr_json_to_int64(text, out);
  if (rc == 0) return 0;
  char name[SR_DECODE_FIELD_NAME_MAX], val[48];
  name_of(name, prefix, f, -1);
  if (rc == SR_EBOUND) {
    return sr_decode_errf(c->err, c->errlen, SR_EINVAL,
                          "field '%s': integer %s out of range", name,
                          sr_decode_quote(val, sizeof val, text));
  }
  return sr_decode_errf(c->err, c->errlen, SR_EINVAL,
                        "field '%s': expected an integer, got %s", name,
                        sr_decode_quote(val, sizeof val, text));
}

/* "field 'x': <what> '<value>'", kept out of the callers so that their
 * common path has no buffers to set up. */
static int value_error(struct ctx *c, const struct field *f, const char *prefix,
                       const char *what, sr_str s) {
  char name[SR_DECODE_FIELD_NAME_MAX], val[72];
  return sr_decode_errf(c->err, c->errlen, SR_EINVAL, "field '%s': %s '%s'",
                        name_of(name, prefix, f, -1), what,
                        sr_decode_quote(val, sizeof val, s));
}

/* The words of each enum kind, and how an unknown one is reported. */
struct enum_kind {
  const struct word *words;
  size_t n;
  const char *unknown;
};

static const struct enum_kind ENUM_KINDS[] = {
    [K_TYPE] = {TYPE_WORDS, SR_ARRAY_LEN(TYPE_WORDS), "unknown event type"},
    [K_MODE] = {MODE_WORDS, SR_ARRAY_LEN(MODE_WORDS), "unknown mode"},
    [K_PHASE] = {PHASE_WORDS, SR_ARRAY_LEN(PHASE_WORDS), "unknown phase"},
    [K_BACKUPS] = {BACKUPS_WORDS, SR_ARRAY_LEN(BACKUPS_WORDS),
                   "unknown backups location"},
};

/* Every enum destination is stored as an int. */
_Static_assert(sizeof(enum sr_event_type) == sizeof(int) &&
                   sizeof(enum sr_mode) == sizeof(int) &&
                   sizeof(enum sr_phase) == sizeof(int) &&
                   sizeof(enum sr_backups) == sizeof(int),
               "enum fields are int-sized");

/* Stores the enum word s of field f (K_TYPE, K_MODE, K_PHASE, K_BACKUPS)
 * when it is spelled exactly as in the table, as producers nearly always
 * write it; false otherwise. Makes no call, so it inlines into the fast
 * path. */
static inline bool enum_exact(const struct field *f, char *base, sr_str s) {
  const struct enum_kind *e = &ENUM_KINDS[f->kind];
  for (size_t i = 0; i < e->n; i++) {
    if (e->words[i].len == s.n && sr_mem_eq(e->words[i].s, s.p, s.n)) {
      memcpy(base + f->off, &e->words[i].v, sizeof(int));
      return true;
    }
  }
  return false;
}

/* Stores the enum word of field f (K_TYPE, K_MODE, K_PHASE, K_BACKUPS) at
 * the cursor when the value is one of its words spelled exactly, quotes and
 * all, in the sixteen bytes there (compared as two words per enum word, no
 * scan for the closing quote), and leaves the cursor after it; false with
 * the reader untouched otherwise, for the string read and enum_exact or
 * apply_enum. @locality hot path */
static inline bool enum_quoted(struct sr_json *j, const struct field *f,
                               char *base) {
  const struct enum_kind *e = &ENUM_KINDS[f->kind];
  const unsigned char *p = (const unsigned char *)j->p;
  if ((const unsigned char *)j->end - p < 16) return false;
  uint64_t w0 = sr_json_le64(p), w1 = sr_json_le64(p + 8);
  for (size_t i = 0; i < e->n; i++) {
    const struct word *wd = &e->words[i];
    if (wd->len <= WORD_QUOTED_MAX && masked_eq16(wd->pat, wd->msk, w0, w1)) {
      memcpy(base + f->off, &wd->v, sizeof(int));
      j->p = (const char *)p + wd->len + 2;
      return true;
    }
  }
  return false;
}

/* Stores the enum word s of field f, in any case; else the error. */
static int apply_enum(struct ctx *c, const struct field *f, char *base,
                      const char *prefix, sr_str s) {
  const struct enum_kind *e = &ENUM_KINDS[f->kind];
  if (enum_exact(f, base, s)) return 0;
  for (size_t i = 0; i < e->n; i++) {
    if (sr_str_eq_nocase(s, e->words[i].s)) {
      memcpy(base + f->off, &e->words[i].v, sizeof(int));
      return 0;
    }
  }
  return value_error(c, f, prefix, e->unknown, s);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  /* H. Hinnant's algorithm: proleptic Gregorian, no tables, no locale. */
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/*
 * RFC 3339 date-time: 2026-11-20T10:00:00Z, 2026-11-20T10:00:00.250+02:00.
 * Lower-case t/z and a space for T are accepted (RFC 3339, section 5.6
 * note); fractions past milliseconds are truncated; a leap second rolls into
 * the next minute.
 */
static bool parse_rfc3339(sr_str s, int64_t *out_ms) {
  static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31};
  const char *p = s.p, *e = s.p + s.n;
  if (s.n < 20) return false;
  int y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
  int h = digits(p + 11, 2), mi = digits(p + 14, 2), se = digits(p + 17, 2);
  if (p[4] != '-' || p[7] != '-' ||
      (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || p[13] != ':' ||
      p[16] != ':') {
    return false;
  }
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || se < 0 || se > 60) {
    return false;
  }
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[mo - 1] + (mo == 2 && leap)) return false;
  p += 19;
  int ms = 0, nd = 0;
  if (p < e && *p == '.') {
    p++;
    for (; p < e && *p >= '0' && *p <= '9'; p++, nd++) {
      if (nd < 3) ms = ms * 10 + (*p - '0');
    }
    if (nd == 0) return false;
    for (; nd < 3; nd++) ms *= 10;
  }
  if (p >= e) return false;
  int offset_min = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    if (e - p < 6 || p[3] != ':') return false;
    int oh = digits(p + 1, 2), om = digits(p + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset_min = (*p == '-' ? -1 : 1) * (oh * 60 + om);
    p += 6;
  } else {
    return false;
  }
  if (p != e) return false;
  int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                 h * 3600 + mi * 60 + se - (int64_t)offset_min * 60;
  *out_ms = secs * 1000 + ms;
  return true;
}

static int decode_object(struct ctx *c, const struct field *tab, size_t n,
                         char *base, const char *prefix);

/* Kinds whose value is a JSON string (K_ARGS and K_CRED also take one). */
static bool takes_string(uint8_t kind) {
  switch ((enum kind)kind) {
    case K_STR:
    case K_SESSION:
    case K_TYPE:
    case K_MODE:
    case K_PHASE:
    case K_BACKUPS:
    case K_DECISION:
    case K_TS:
    case K_ARGS:
    case K_CRED:
      return true;
    default:
      return false;
  }
}

static int too_long(struct ctx *c, const struct field *f, const char *prefix,
                    size_t n, size_t limit) {
  char name[SR_DECODE_FIELD_NAME_MAX];
  return sr_decode_err_str_bound(c->err, c->errlen,
                                 name_of(name, prefix, f, -1), n, limit);
}

/* Stores the string s as the view of field f, within its bound. */
static inline int store_view(struct ctx *c, const struct field *f, char *base,
                             const char *prefix, sr_str s) {
  if (s.n > f->limit) return too_long(c, f, prefix, s.n, f->limit);
  *(sr_str *)(void *)(base + f->off) = s;
  return 0;
}

/* Stores the string value s (already read and unescaped) of field f, whose
 * kind takes_string. Shared by the general path and the plain-member fast
 * path, so both give the same event and the same errors. */
static int apply_string(struct ctx *c, const struct field *f, char *base,
                        const char *prefix, sr_str s) {
  switch ((enum kind)f->kind) {
    case K_STR:
    case K_SESSION:
    case K_ARGS:
      return store_view(c, f, base, prefix, s);
    case K_CRED:
      /* A bare id: the credential registry knows the rest. */
      if (s.n > SR_ID_MAX) return too_long(c, f, prefix, s.n, SR_ID_MAX);
      memset(&c->ev->credential, 0, sizeof c->ev->credential);
      c->ev->credential.id = s;
      return 0;
    case K_TYPE:
    case K_MODE:
    case K_PHASE:
    case K_BACKUPS:
      return apply_enum(c, f, base, prefix, s);
    case K_DECISION:
      if (!sr_decode_decision(s, (sr_str *)(void *)(base + f->off))) {
        return value_error(c, f, prefix, "unknown decision", s);
      }
      return 0;
    case K_TS:
      if (!parse_rfc3339(s, &c->ts_text_ms)) {
        return value_error(c, f, prefix, "invalid RFC 3339 time", s);
      }
      c->ts_text_given = true;
      return 0;
    default:
      assert(!"apply_string: the kind does not take a string");
      return SR_EINVAL;
  }
}

static const char *expected_for(uint8_t kind) {
  switch ((enum kind)kind) {
    case K_TS:
      return "an RFC 3339 string";
    case K_ARGS:
    case K_CRED:
      return "an object or a string";
    default:
      return "a string";
  }
}

static int decode_field(struct ctx *c, const struct field *f, char *base,
                        const char *prefix) {
  enum sr_json_type t = sr_json_peek(&c->j);
  char *dst = base + f->off;
  char name[SR_DECODE_FIELD_NAME_MAX];
  int rc;

  if (f->kind == K_SESSION) {
    if (c->session_given) {
      return sr_decode_errf(c->err, c->errlen, SR_EINVAL,
                            "field 'session_id': given more than once");
    }
    c->session_given = true;
  }
  if (t == SR_JSON_NULL) return sr_json_null(&c->j);

  if (takes_string(f->kind)) {
    if (t == SR_JSON_STRING) {
      sr_str s;
      rc = sr_json_string(&c->j, &s);
      return rc ? rc : apply_string(c, f, base, prefix, s);
    }
    if (f->kind == K_ARGS && (t == SR_JSON_OBJECT || t == SR_JSON_ARRAY)) {
      sr_str *out = (sr_str *)(void *)dst;
      rc = sr_json_skip(&c->j, out);
      if (rc) return rc;
      if (out->n > f->limit) return too_long(c, f, prefix, out->n, f->limit);
      return 0;
    }
    if (f->kind == K_CRED && t == SR_JSON_OBJECT) {
      assert(prefix == NULL);
      return decode_object(c, CRED_FIELDS, SR_ARRAY_LEN(CRED_FIELDS),
                           (char *)&c->ev->credential, f->name);
    }
    return type_error(c, f, prefix, -1, expected_for(f->kind), t);
  }

  switch ((enum kind)f->kind) {
    case K_LIST:
    case K_SCOPES:
      if (t != SR_JSON_ARRAY) {
        return type_error(c, f, prefix, -1, "a list of strings", t);
      }
      rc = read_list(c, f, prefix, (struct sr_str_list *)(void *)dst);
      if (rc == 0 && f->kind == K_SCOPES) {
        ((struct sr_credential_ref *)(void *)base)->scopes_given = true;
      }
      return rc;

    case K_INT:
    case K_TS_MS:
      if (t != SR_JSON_NUMBER) {
        return type_error(c, f, prefix, -1, "an integer", t);
      }
      rc = read_int(c, f, prefix, (int64_t *)(void *)dst);
      if (rc == 0 && f->kind == K_TS_MS) c->ts_ms_given = true;
      return rc;

    case K_NUM: {
      sr_str text;
      bool integral;
      if (t != SR_JSON_NUMBER)
        return type_error(c, f, prefix, -1, "a number", t);
      rc = sr_json_number(&c->j, &text, &integral);
      if (rc) return rc;
      if (sr_json_to_double(text, (double *)(void *)dst)) {
        return sr_decode_errf(c->err, c->errlen, SR_EINVAL,
                              "field '%s': number out of range",
                              name_of(name, prefix, f, -1));
      }
      return 0;
    }

    case K_BOOL:
      if (t != SR_JSON_TRUE && t != SR_JSON_FALSE) {
        return type_error(c, f, prefix, -1, "a boolean", t);
      }
      return sr_json_bool(&c->j, (bool *)(void *)dst);

    case K_SCOPE:
    case K_ESTIMATE:
    case K_TARGET:
      assert(prefix == NULL); /* only one level of nesting */
      if (t != SR_JSON_OBJECT)
        return type_error(c, f, prefix, -1, "an object", t);
      if (f->kind == K_SCOPE) {
        return decode_object(c, SCOPE_FIELDS, SR_ARRAY_LEN(SCOPE_FIELDS),
                             (char *)c->ev, f->name);
      }
      if (f->kind == K_ESTIMATE) {
        c->ev->estimate.present = true;
        return decode_object(c, ESTIMATE_FIELDS, SR_ARRAY_LEN(ESTIMATE_FIELDS),
                             (char *)&c->ev->estimate, f->name);
      }
      return decode_object(c, TARGET_FIELDS, SR_ARRAY_LEN(TARGET_FIELDS),
                           (char *)&c->ev->target, f->name);

    default:
      break;
  }
  assert(!"unhandled field kind");
  return SR_EINVAL;
}

/*
 * The cursor of decode_object's fast path lives in a copy of the reader
 * local to it, which the compiler keeps in registers: through c->j, each
 * member's cursor went to memory and back twice (the stores to the event
 * may alias it), a store-to-load forwarding delay on the serial chain from
 * one member to the next. c->j is brought up to date (to_ctx) before every
 * read out of line, and the copy (from_ctx) after it.
 */
static inline void to_ctx(struct ctx *c, const struct sr_json *j) {
  c->j.p = j->p;
  c->j.depth = j->depth;
  c->j.more = j->more;
}

static inline void from_ctx(struct sr_json *j, const struct ctx *c) {
  j->p = c->j.p;
  j->depth = c->j.depth;
  j->more = c->j.more;
}

/*
 * The value of f read at once when it has the plain shape of compact JSON
 * (most values of every event): a string without escapes for a field that
 * takes one, an integer of at most eighteen digits, a list of such strings
 * (plain_list). j is decode_object's copy of the reader. Sets *rc and
 * returns true; otherwise false with the reader untouched, for
 * decode_field, which peeks at the type and reports every error. A
 * session_id given twice goes to decode_field, which refuses it.
 */
static inline bool decode_plain(struct ctx *c, struct sr_json *j,
                                const struct field *f, char *base,
                                const char *prefix, int *rc) {
  sr_str s;
  if (f->kind == K_STR) { /* most members: tested before the jump table */
    if (!sr_json_plain_string(j, &s)) return false;
    *rc = store_view(c, f, base, prefix, s);
    return true;
  }
  switch ((enum kind)f->kind) {
    case K_SESSION:
      if (c->session_given || !sr_json_plain_string(j, &s)) return false;
      c->session_given = true;
      *rc = store_view(c, f, base, prefix, s);
      return true;
    case K_ARGS:
      if (sr_json_plain_flat(j, (sr_str *)(void *)(base + f->off))) {
        size_t n = ((sr_str *)(void *)(base + f->off))->n;
        *rc = n > f->limit ? too_long(c, f, prefix, n, f->limit) : 0;
        return true;
      }
      if (sr_json_at(j, '{') || sr_json_at(j, '[')) {
        sr_str *out = (sr_str *)(void *)(base + f->off);
        to_ctx(c, j);
        *rc = sr_json_skip(&c->j, out);
        from_ctx(j, c);
        if (*rc == 0 && out->n > f->limit)
          *rc = too_long(c, f, prefix, out->n, f->limit);
        return true;
      }
      /* a string */
      __attribute__((fallthrough));
    case K_STR:
      if (!sr_json_plain_string(j, &s)) return false;
      *rc = store_view(c, f, base, prefix, s);
      return true;
    case K_TYPE:
    case K_MODE:
    case K_PHASE:
    case K_BACKUPS:
      if (enum_quoted(j, f, base)) {
        *rc = 0;
        return true;
      }
      if (!sr_json_plain_string(j, &s)) return false;
      *rc = enum_exact(f, base, s) ? 0 : apply_enum(c, f, base, prefix, s);
      return true;
    case K_CRED:
      if (sr_json_at(j, '{')) {
        assert(prefix == NULL);
        to_ctx(c, j);
        *rc = decode_object(c, CRED_FIELDS, SR_ARRAY_LEN(CRED_FIELDS),
                            (char *)&c->ev->credential, f->name);
        from_ctx(j, c);
        return true;
      }
      /* a bare id */
      __attribute__((fallthrough));
    case K_DECISION:
    case K_TS:
      if (!sr_json_plain_string(j, &s)) return false;
      *rc = apply_string(c, f, base, prefix, s);
      return true;
    case K_LIST:
    case K_SCOPES:
      if (!plain_list(j, f, (struct sr_str_list *)(void *)(base + f->off)))
        return false;
      if (f->kind == K_SCOPES)
        ((struct sr_credential_ref *)(void *)base)->scopes_given = true;
      *rc = 0;
      return true;
    case K_INT:
    case K_TS_MS:
      if (!sr_json_plain_int(j, (int64_t *)(void *)(base + f->off))) {
        return false;
      }
      if (f->kind == K_TS_MS) c->ts_ms_given = true;
      *rc = 0;
      return true;
    default:
      return false;
  }
}

/* Members of compact JSON are read by the inline fast paths of json.h on
 * the local copy j; anything else (blanks, escapes, a bad byte) by the
 * general reader on c->j, which reports it. The first member's key is read
 * before the loop, so that the loop's has no flag to test. */
static int decode_object(struct ctx *c, const struct field *tab, size_t n,
                         char *base, const char *prefix) {
  sr_str key;
  const struct field *hint = tab;
  int rc;
  if (!sr_json_plain_open(&c->j) && (rc = sr_json_object_begin(&c->j)))
    return rc;
  struct sr_json j = c->j;
  const struct field *f = compact_key(&j, tab, n, &hint, true);
  for (;; f = compact_key(&j, tab, n, &hint, false)) {
    if (!f) {
      if (!sr_json_plain_key(&j, &key)) {
        if (sr_json_plain_close(&j)) {
          to_ctx(c, &j);
          return 0;
        }
        to_ctx(c, &j);
        rc = sr_json_object_next(&c->j, &key);
        from_ctx(&j, c);
        if (rc <= 0) return rc;
      }
      f = lookup(tab, n, &hint, key);
    }
    if (!f) {
      to_ctx(c, &j);
      rc = sr_json_skip(&c->j, NULL);
      from_ctx(&j, c);
    } else if (!decode_plain(c, &j, f, base, prefix, &rc)) {
      to_ctx(c, &j);
      rc = decode_field(c, f, base, prefix);
      from_ctx(&j, c);
    }
    if (rc) return rc;
  }
}

/*
 * Asks for every cache line of the message (up to PREFETCH_MAX bytes) at
 * once. The reader walks a message as one serial chain, each member's
 * position known only once the previous value's end is found; a line not
 * yet in cache stalls that chain, one line after the other, unless all of
 * them are already on their way. @locality hot path
 */
#define PREFETCH_MAX 1024
static inline void prefetch_message(const void *buf, size_t len) {
  const char *p = (const char *)((uintptr_t)buf & ~(uintptr_t)63);
  const char *end = (const char *)buf + SR_MIN(len, PREFETCH_MAX);
  for (; p < end; p += 64) __builtin_prefetch(p, 0, 3);
}

int sr_decode_json(const void *buf, size_t len,
                   const struct sr_decode_opts *opts, struct sr_arena *arena,
                   struct sr_event *ev, char *err, size_t errlen) {
  int rc = sr_decode_check_size(len, opts, err, errlen);
  if (rc) return rc;
  prefetch_message(buf, len);
  sr_decode_reset_event(ev);
  /* Member by member: an initializer would clear the reader too, twice. */
  struct ctx c;
  c.ev = ev;
  c.err = err;
  c.errlen = errlen;
  c.ts_text_ms = 0;
  c.ts_ms_given = c.ts_text_given = c.session_given = false;
  sr_json_init(&c.j, buf, len, arena, err, errlen);
  if ((len == 0 || *(const char *)buf != '{') &&
      sr_json_peek(&c.j) != SR_JSON_OBJECT) {
    return sr_decode_errf(err, errlen, SR_EINVAL, "not a JSON object");
  }
  rc = decode_object(&c, EVENT_FIELDS, SR_ARRAY_LEN(EVENT_FIELDS), (char *)ev,
                     NULL);
  if (rc) return rc;
  rc = sr_json_finish(&c.j);
  if (rc) return rc;
  /* As the protobuf decoder refuses: ids are copied into C strings (a
   * command for session "a\u0000b" would read as one for session "a", and
   * be signed so), and both wire forms must give the same event or the
   * same error. Only an escaped string can hold one: no cost otherwise. */
  if (c.j.nul)
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "a string contains a NUL byte (\\u0000)");
  if (c.ts_ms_given) {
    ev->ts_given = true;
  } else if (c.ts_text_given) {
    ev->ts_ms = c.ts_text_ms;
    ev->ts_given = true;
  }
  return sr_decode_finish(buf, len, opts, arena, ev, err, errlen);
}
