/*
 * Decoder front door: picks the wire form of a message, finds its session id
 * for routing, and holds the rules both wire forms share (bounds, required
 * fields, the default event id), so that a JSON line and a protobuf message
 * carrying the same event decode to the same sr_event or fail with the same
 * reason.
 *
 * The session peek runs on the consumer thread for every message, before
 * the message is handed to the worker that owns the session, so it builds
 * nothing: a raw wire walk for protobuf, a top-level key scan for JSON. It
 * must agree with the full decode on which id a message carries, or one
 * session's state would be touched by two workers: protobuf-c keeps the
 * last occurrence of a repeated field, so the protobuf walk does too; the
 * JSON decoder rejects a repeated session_id, so the JSON scan may stop at
 * the first.
 */
#include "ingest/decode.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ingest/decode_internal.h"
#include "ingest/json.h"

int sr_decode_errf(char *err, size_t errlen, int rc, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* Zeroes n bytes at p with sixteen-byte stores: the sizes are constants,
 * so the loop unrolls into a few stores, where memset (or the `rep stos`
 * the compiler turns a constant memset of a few hundred bytes into) costs a
 * start-up and a step per eight bytes. */
static inline __attribute__((always_inline)) void zero_span(char *p, size_t n) {
  size_t i = 0;
#ifdef __SSE2__
  const __m128i z = _mm_setzero_si128();
#pragma GCC unroll 16
  for (; i + 16 <= n; i += 16) _mm_storeu_si128((__m128i *)(void *)(p + i), z);
#endif
  memset(p + i, 0, n - i);
}

/* Zeroes the members of ev in [from, to). */
#define ZERO_SPAN(ev, from, to) \
  zero_span((char *)(ev) + (from), (size_t)(to) - (size_t)(from))
#define AT(member) offsetof(struct sr_event, member)
#define AFTER(member) (AT(member) + sizeof(((struct sr_event *)0)->member))

void sr_decode_reset_event(struct sr_event *ev) {
  /* In the order the lists appear in struct sr_event; a list's count is its
   * last member, so only its items are left as they were. */
  ZERO_SPAN(ev, 0, AT(scope_environments));
  ev->scope_environments.n = 0;
  ZERO_SPAN(ev, AFTER(scope_environments), AT(scope_domains));
  ev->scope_domains.n = 0;
  ZERO_SPAN(ev, AFTER(scope_domains), AT(scope_resources));
  ev->scope_resources.n = 0;
  ZERO_SPAN(ev, AFTER(scope_resources), AT(credential.scopes));
  ev->credential.scopes.n = 0;
  ZERO_SPAN(ev, AFTER(credential.scopes), AT(credential.environments));
  ev->credential.environments.n = 0;
  ZERO_SPAN(ev, AFTER(credential.environments), AT(credentials_found));
  ev->credentials_found.n = 0;
  ZERO_SPAN(ev, AFTER(credentials_found), sizeof *ev);
}

#undef AFTER
#undef AT
#undef ZERO_SPAN

int sr_decode_err_size(size_t len, const struct sr_decode_opts *opts, char *err,
                       size_t errlen) {
  return sr_decode_errf(err, errlen, SR_EBOUND,
                        "message of %zu bytes exceeds the limit of %zu", len,
                        sr_decode_max_bytes(opts));
}

const char *sr_decode_field_name(char *buf, size_t cap, const char *prefix,
                                 const char *name, long idx) {
  int n = snprintf(buf, cap, "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
                   name);
  if (idx >= 0 && n >= 0 && (size_t)n < cap) {
    snprintf(buf + n, cap - (size_t)n, "[%ld]", idx);
  }
  return buf;
}

int sr_decode_err_str_bound(char *err, size_t errlen, const char *field,
                            size_t n, size_t limit) {
  return sr_decode_errf(err, errlen, SR_EBOUND,
                        "field '%s': value of %zu bytes exceeds the limit of "
                        "%zu",
                        field, n, limit);
}

int sr_decode_err_list_bound(char *err, size_t errlen, const char *field,
                             size_t n) {
  return sr_decode_errf(err, errlen, SR_EBOUND,
                        "field '%s': list of %zu items exceeds the limit of %d",
                        field, n, SR_LIST_MAX);
}

const char *sr_decode_quote(char *buf, size_t cap, sr_str v) {
  assert(cap >= 8);
  size_t room = cap - 4; /* "..." and NUL */
  size_t n = SR_MIN(v.n, room);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v.p[i];
    buf[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
  }
  if (v.n > room) {
    memcpy(buf + n, "...", 3);
    n += 3;
  }
  buf[n] = '\0';
  return buf;
}

bool sr_decode_decision(sr_str v, sr_str *canonical) {
  if (sr_str_eq_nocase(v, "approve")) {
    *canonical = SR_STR_LIT("approve");
    return true;
  }
  if (sr_str_eq_nocase(v, "deny")) {
    *canonical = SR_STR_LIT("deny");
    return true;
  }
  return false;
}

/* The event id of a message that carries none: the hash of its bytes, in
 * the arena. Same bytes, same id: a redelivered or replayed message
 * deduplicates like one that carried its own id. Out of line, so that
 * sr_decode_finish's common path (an id given) saves no registers. */
static __attribute__((noinline)) int default_event_id(
    const void *buf, size_t len, struct sr_arena *arena, struct sr_event *ev,
    char *err, size_t errlen) {
  static const char hex[] = "0123456789abcdef";
  char *id = sr_arena_alloc(arena, 32);
  if (!id) {
    return sr_decode_errf(err, errlen, SR_ENOMEM, "decoder arena exhausted");
  }
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(buf, len));
  for (size_t i = 0; i < sizeof c.digest; i++) {
    id[2 * i] = hex[c.digest[i] >> 4];
    id[2 * i + 1] = hex[c.digest[i] & 15];
  }
  ev->event_id = (sr_str){id, 32};
  return 0;
}

int sr_decode_check_future(const struct sr_decode_opts *opts, int64_t ts_ms,
                           char *err, size_t errlen) {
  if (!opts || opts->written_ms <= 0 || opts->max_future_ms <= 0 ||
      ts_ms <= opts->written_ms ||
      ts_ms - opts->written_ms <= opts->max_future_ms)
    return 0;
  return sr_decode_errf(
      err, errlen, SR_EINVAL,
      "event time %lld is %lld s after the input was "
      "written (%lld), more than processing.max_future_s "
      "(%lld s) allows: a wrong clock, or not "
      "milliseconds since 1970?",
      (long long)ts_ms, (long long)((ts_ms - opts->written_ms) / 1000),
      (long long)opts->written_ms, (long long)(opts->max_future_ms / 1000));
}

int sr_decode_finish(const void *buf, size_t len,
                     const struct sr_decode_opts *opts, struct sr_arena *arena,
                     struct sr_event *ev, char *err, size_t errlen) {
  if (ev->type == SR_EV_NONE) {
    return sr_decode_errf(err, errlen, SR_EINVAL, "missing 'type'");
  }
  if (sr_str_empty(ev->session_id)) {
    return sr_decode_errf(err, errlen, SR_EINVAL, "missing 'session_id'");
  }
  if (ev->cost_usd != 0 && !(ev->cost_usd > 0 && ev->cost_usd <= SR_COST_MAX)) {
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "field 'cost_usd': expected an amount in USD from 0 "
                          "to %g",
                          SR_COST_MAX);
  }
  if (sr_str_empty(ev->event_id)) {
    int rc = default_event_id(buf, len, arena, ev, err, errlen);
    if (rc) return rc;
  }
  if (!ev->ts_given) ev->ts_ms = opts ? opts->fallback_ts_ms : 0;
  int rc = sr_decode_check_future(opts, ev->ts_ms, err, errlen);
  if (rc) return rc;
  ev->raw = (sr_str){(const char *)buf, len};
  ev->partition = -1;
  ev->offset = -1;
  return 0;
}

enum sr_wire_format sr_decode_sniff(const void *buf, size_t len) {
  const char *p = buf;
  for (size_t i = 0; i < len; i++) {
    char c = p[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{' ? SR_WIRE_JSON : SR_WIRE_PROTOBUF;
  }
  return SR_WIRE_PROTOBUF;
}

/*
 * Whether a message that failed as protobuf was meant as text: printable
 * ASCII and blanks in its first 64 bytes (a protobuf Event opens with a
 * field tag, below 0x20 for every field it is likely to open with). Sets
 * *first to its first non-blank byte.
 */
static bool looks_like_text(const void *buf, size_t len, char *first) {
  const unsigned char *p = buf;
  size_t n = SR_MIN(len, 64);
  *first = '\0';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = p[i];
    bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!blank && (c < 0x20 || c >= 0x7F)) return false;
    if (!blank && !*first) *first = (char)c;
  }
  return *first != '\0';
}

int sr_decode_event(const void *buf, size_t len,
                    const struct sr_decode_opts *opts, struct sr_arena *arena,
                    struct sr_event *ev, char *err, size_t errlen) {
  char first;
  /* A JSON line nearly always opens with its brace. */
  if ((len > 0 && *(const char *)buf == '{') ||
      sr_decode_sniff(buf, len) == SR_WIRE_JSON) {
    return sr_decode_json(buf, len, opts, arena, ev, err, errlen);
  }
  int rc = sr_decode_protobuf(buf, len, opts, arena, ev, err, errlen);
  if (rc == SR_EINVAL && looks_like_text(buf, len, &first)) {
    /* Text that is not a JSON object: say so, rather than blame the
     * protobuf decoder the sender never meant to use. */
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "not a JSON object (text starting with '%c') and "
                          "not a protobuf stackrisk.v1.Event",
                          first);
  }
  return rc;
}

const char *sr_event_type_name(enum sr_event_type t) {
  switch (t) {
    case SR_EV_NONE:
      return "none";
    case SR_EV_SESSION_START:
      return "session_start";
    case SR_EV_TOOL_CALL:
      return "tool_call";
    case SR_EV_AGENT_MESSAGE:
      return "agent_message";
    case SR_EV_FILE_ACCESS:
      return "file_access";
    case SR_EV_APPROVAL:
      return "approval";
  }
  return "unknown";
}

static int peek_protobuf(const uint8_t *p, const uint8_t *end, sr_str *out) {
  sr_str found = SR_STR_NULL;
  while (p < end) {
    uint64_t tag, n;
    if (!sr_decode_wire_varint(&p, end, &tag) || (tag >> 3) == 0)
      return SR_ENOTFOUND;
    switch (tag & 7) {
      case 0: /* varint */
        if (!sr_decode_wire_varint(&p, end, &n)) return SR_ENOTFOUND;
        break;
      case 1: /* fixed64 */
        if (end - p < 8) return SR_ENOTFOUND;
        p += 8;
        break;
      case 2: /* length-delimited */
        if (!sr_decode_wire_varint(&p, end, &n) || n > (uint64_t)(end - p)) {
          return SR_ENOTFOUND;
        }
        if (tag >> 3 == 2) found = (sr_str){(const char *)p, (size_t)n};
        p += n;
        break;
      case 5: /* fixed32 */
        if (end - p < 4) return SR_ENOTFOUND;
        p += 4;
        break;
      default: /* groups (unused by Event) and invalid wire types */
        return SR_ENOTFOUND;
    }
  }
  if (found.n == 0 || found.n > SR_SESSION_ID_MAX) return SR_ENOTFOUND;
  *out = found;
  return 0;
}

/* Whether a raw JSON key spells "session_id", escapes and all. */
static bool key_is_session_id(sr_str raw, bool escaped) {
  const sr_str want = SR_STR_LIT("session_id");
  if (!escaped) return sr_str_eq(raw, want);
  char tmp[16];
  size_t n = sr_json_unescape(raw, tmp, sizeof tmp);
  return n != SIZE_MAX && sr_str_eq((sr_str){tmp, n}, want);
}

static int peek_json(const void *buf, size_t len, char *scratch, sr_str *out) {
  struct sr_json j;
  sr_str k, v;
  bool esc;
  int rc;
  sr_json_init(&j, buf, len, NULL, NULL, 0);
  if (sr_json_object_begin(&j)) return SR_ENOTFOUND;
  while ((rc = sr_json_object_next_raw(&j, &k, &esc)) > 0) {
    if (!key_is_session_id(k, esc)) {
      /* A plain string is skipped by its own scan, cheaper than the
       * general skip: the router runs this on every message. */
      if (!sr_json_plain_string(&j, &v) && sr_json_skip(&j, NULL))
        return SR_ENOTFOUND;
      continue;
    }
    if (sr_json_peek(&j) != SR_JSON_STRING) return SR_ENOTFOUND;
    if (sr_json_string_raw(&j, &v, &esc)) return SR_ENOTFOUND;
    if (esc) {
      size_t n = sr_json_unescape(v, scratch, SR_SESSION_ID_MAX);
      if (n == SIZE_MAX) return SR_ENOTFOUND;
      v = (sr_str){scratch, n};
    }
    if (v.n == 0 || v.n > SR_SESSION_ID_MAX) return SR_ENOTFOUND;
    *out = v;
    return 0;
  }
  return SR_ENOTFOUND;
}

/* k == "session_id", without a call to memcmp. */
static inline bool key_is_session_id_plain(sr_str k) {
  return k.n == 10 && sr_mem_eq(k.p, "session_id", 10);
}

/*
 * The common JSON line in a few steps: it opens with '{' and its members
 * up to session_id are compact ("key":"value", no blank), their keys and
 * string values without escape or control byte. Returns 1 with *out set,
 * 0 when session_id is there but not a usable id (as peek_json says), -1
 * at the first member that is anything else, for peek_json to read the
 * line from the start. It reads nothing peek_json would read otherwise:
 * plain keys and strings are what peek_json's general calls read them as,
 * so both agree on every line. @locality consumer thread
 */
static int peek_json_plain(const void *buf, size_t len, sr_str *out) {
  const unsigned char *lo = buf, *end = lo + len, *p = lo + 1;
  const bool wide = sr_json_wide_ok();
  /* `"session_id":"` as two little-endian words, the second masked to its
   * six bytes: a member that opens so is the one, its key not scanned. */
  static const unsigned char lead[16] = "\"session_id\":\"";
  const uint64_t lead0 = sr_json_le64(lead), lead1 = sr_json_le64(lead + 8);
  const uint64_t mask1 = 0xFFFFFFFFFFFFull;
  for (;;) {
    /* `"key":"`, then the value's closing quote */
    const unsigned char *k;
    bool sid = end - p >= 16 && sr_json_le64(p) == lead0 &&
               ((sr_json_le64(p + 8) ^ lead1) & mask1) == 0;
    if (sid) {
      k = p + 11;
    } else {
      if (p >= end || *p != '"') return -1;
      k = sr_json_find_special(lo, p + 1, end, wide);
      if (end - k < 3 || k[0] != '"' || k[1] != ':' || k[2] != '"') return -1;
    }
    const unsigned char *v = sr_json_find_special(lo, k + 3, end, wide);
    if (v >= end || *v != '"') return -1;
    if (sid || key_is_session_id_plain(
                   (sr_str){(const char *)p + 1, (size_t)(k - (p + 1))})) {
      size_t n = (size_t)(v - (k + 3));
      if (n == 0 || n > SR_SESSION_ID_MAX) return 0;
      *out = (sr_str){(const char *)k + 3, n};
      return 1;
    }
    p = v + 1;
    if (p >= end || *p != ',') return -1;
    p++;
  }
}

int sr_decode_peek_session(const void *buf, size_t len, char *scratch,
                           sr_str *out) {
  if (len > 0 && *(const char *)buf == '{') {
    int rc = peek_json_plain(buf, len, out);
    if (rc >= 0) return rc ? SR_OK : SR_ENOTFOUND;
    return peek_json(buf, len, scratch, out);
  }
  if (sr_decode_sniff(buf, len) == SR_WIRE_JSON) {
    return peek_json(buf, len, scratch, out);
  }
  if (len == 0) return SR_ENOTFOUND;
  const uint8_t *p = buf;
  return peek_protobuf(p, p + len, out);
}
