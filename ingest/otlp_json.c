/*
 * OTLP/JSON → TracesData (the protobuf-c structures of schemas/otlp.proto,
 * built in the arena), so that the otlp_json and otlp_proto encodings share
 * one mapping (otlp.c).
 *
 * What OTLP/JSON differs in from the proto3 JSON mapping, and is accepted
 * here (opentelemetry-proto docs/specification.md, "JSON Protobuf
 * Encoding"): trace and span ids are hex, not base64; enums are integers
 * (names are accepted too, as the Collector's older encoders wrote them);
 * 64-bit integers arrive as decimal strings or as numbers; keys are
 * lowerCamelCase (snake_case is accepted, as protobuf JSON parsers do);
 * unknown keys are ignored, and a null value counts as absent.
 *
 * Repeated fields grow by doubling in the arena: the old array is simply
 * left behind, which costs at most the size of the final one again.
 * Nesting is bounded by the JSON reader (SR_JSON_MAX_DEPTH).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest/decode_internal.h"
#include "ingest/json.h"
#include "ingest/otlp_internal.h"

typedef Stackrisk__Otlp__V1__ResourceSpans pb_rs;
typedef Stackrisk__Otlp__V1__ScopeSpans pb_ss;
typedef Stackrisk__Otlp__V1__Span pb_span;
typedef Stackrisk__Otlp__V1__SpanEvent pb_sevent;
typedef Stackrisk__Otlp__V1__KeyValue pb_kv;
typedef Stackrisk__Otlp__V1__AnyValue pb_any;

struct ctx {
  struct sr_json j;
  struct sr_arena *arena;
  char *err;
  size_t errlen;
};

struct vec {
  void **v;
  size_t n, cap;
};

static int fail(struct ctx *c, const char *field, const char *what) {
  return sr_decode_errf(c->err, c->errlen, SR_EINVAL,
                        "invalid otlp_json at byte %zu: field '%s': %s",
                        sr_json_offset(&c->j), field, what);
}

/* The reader has already written its own reason ("invalid JSON at byte
 * ..."); only an arena failure needs saying. */
static int reader_error(struct ctx *c, int rc) {
  if (rc == SR_ENOMEM)
    return sr_decode_errf(c->err, c->errlen, SR_ENOMEM,
                          "decoder arena exhausted");
  return rc;
}

static void *alloc(struct ctx *c, size_t n) {
  return sr_arena_alloc(c->arena, n);
}

static int push(struct ctx *c, struct vec *v, void *p) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 4;
    void **nv = alloc(c, cap * sizeof *nv);
    if (!nv) return reader_error(c, SR_ENOMEM);
    if (v->n) memcpy(nv, v->v, v->n * sizeof *nv);
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = p;
  return 0;
}

static bool key_is(sr_str k, const char *camel, const char *snake) {
  return sr_str_eq_cstr(k, camel) || (snake && sr_str_eq_cstr(k, snake));
}

/* True (and the null consumed) when the next value is null. */
static bool take_null(struct ctx *c) {
  if (sr_json_peek(&c->j) != SR_JSON_NULL) return false;
  return sr_json_null(&c->j) == 0;
}

static int read_bytes_str(struct ctx *c, const char *field,
                          ProtobufCBinaryData *out) {
  sr_str s;
  if (sr_json_peek(&c->j) != SR_JSON_STRING)
    return fail(c, field, "expected a string");
  int rc = sr_json_string(&c->j, &s);
  if (rc) return reader_error(c, rc);
  out->data = (uint8_t *)s.p;
  out->len = s.n;
  return 0;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int read_hex(struct ctx *c, const char *field,
                    ProtobufCBinaryData *out) {
  sr_str s;
  if (sr_json_peek(&c->j) != SR_JSON_STRING)
    return fail(c, field, "expected a hex string");
  int rc = sr_json_string(&c->j, &s);
  if (rc) return reader_error(c, rc);
  if (s.n % 2) return fail(c, field, "expected an even number of hex digits");
  uint8_t *b = s.n ? alloc(c, s.n / 2) : NULL;
  if (s.n && !b) return reader_error(c, SR_ENOMEM);
  for (size_t i = 0; i < s.n; i += 2) {
    int hi = hexval(s.p[i]), lo = hexval(s.p[i + 1]);
    if (hi < 0 || lo < 0) return fail(c, field, "expected hex digits");
    b[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  out->data = b;
  out->len = s.n / 2;
  return 0;
}

static int b64val(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+' || ch == '-') return 62;
  if (ch == '/' || ch == '_') return 63;
  return -1;
}

/* proto3 JSON bytes: base64, standard or URL-safe, padding optional. */
static int read_base64(struct ctx *c, const char *field,
                       ProtobufCBinaryData *out) {
  sr_str s;
  if (sr_json_peek(&c->j) != SR_JSON_STRING)
    return fail(c, field, "expected a base64 string");
  int rc = sr_json_string(&c->j, &s);
  if (rc) return reader_error(c, rc);
  while (s.n && s.p[s.n - 1] == '=') s.n--;
  uint8_t *b = alloc(c, s.n * 3 / 4 + 1);
  if (!b) return reader_error(c, SR_ENOMEM);
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < s.n; i++) {
    int v = b64val(s.p[i]);
    if (v < 0) return fail(c, field, "expected base64");
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      b[n++] = (uint8_t)(acc >> bits);
    }
  }
  out->data = b;
  out->len = n;
  return 0;
}

/* A decimal integer from a JSON string or number (64-bit values are sent
 * as strings). */
static int read_int(struct ctx *c, const char *field, bool is_unsigned,
                    uint64_t *out) {
  sr_str t;
  int rc;
  bool neg = false;
  enum sr_json_type ty = sr_json_peek(&c->j);
  if (ty == SR_JSON_STRING) {
    rc = sr_json_string(&c->j, &t);
  } else if (ty == SR_JSON_NUMBER) {
    bool integral;
    rc = sr_json_number(&c->j, &t, &integral);
    if (!rc && !integral) {
      int64_t v;
      if (sr_json_to_int64(t, &v) || (is_unsigned && v < 0))
        return fail(c, field, "expected an integer");
      *out = (uint64_t)v;
      return 0;
    }
  } else {
    return fail(c, field, "expected an integer (number or decimal string)");
  }
  if (rc) return reader_error(c, rc);
  size_t i = 0;
  if (t.n && t.p[0] == '-' && !is_unsigned) {
    neg = true;
    i = 1;
  }
  if (i == t.n) return fail(c, field, "expected an integer");
  uint64_t v = 0;
  for (; i < t.n; i++) {
    if (t.p[i] < '0' || t.p[i] > '9')
      return fail(c, field, "expected a decimal integer");
    unsigned d = (unsigned)(t.p[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return fail(c, field, "integer overflow");
    v = v * 10 + d;
  }
  if (!is_unsigned && v > (uint64_t)INT64_MAX + neg)
    return fail(c, field, "integer overflow");
  *out = neg ? (uint64_t)0 - v : v;
  return 0;
}

/* An enum as its number or its name (names[i] is the name of value i). */
static int read_enum(struct ctx *c, const char *field,
                     const char *const *names, size_t n, int32_t *out) {
  if (sr_json_peek(&c->j) == SR_JSON_STRING) {
    sr_str s;
    int rc = sr_json_string(&c->j, &s);
    if (rc) return reader_error(c, rc);
    for (size_t i = 0; i < n; i++)
      if (sr_str_eq_cstr(s, names[i])) {
        *out = (int32_t)i;
        return 0;
      }
    bool digits = s.n > 0;
    for (size_t i = 0; i < s.n; i++) digits &= s.p[i] >= '0' && s.p[i] <= '9';
    if (!digits || s.n > 9) return fail(c, field, "unknown enum name");
    int32_t v = 0;
    for (size_t i = 0; i < s.n; i++) v = v * 10 + (s.p[i] - '0');
    *out = v;
    return 0;
  }
  uint64_t v;
  int rc = read_int(c, field, false, &v);
  if (rc) return rc;
  if ((int64_t)v < INT32_MIN || (int64_t)v > INT32_MAX)
    return fail(c, field, "enum value out of range");
  *out = (int32_t)(int64_t)v;
  return 0;
}

static int read_double(struct ctx *c, const char *field, double *out) {
  if (sr_json_peek(&c->j) == SR_JSON_STRING) { /* "NaN", "Infinity" */
    sr_str s;
    int rc = sr_json_string(&c->j, &s);
    if (rc) return reader_error(c, rc);
    if (sr_str_eq_cstr(s, "NaN")) *out = NAN;
    else if (sr_str_eq_cstr(s, "Infinity")) *out = INFINITY;
    else if (sr_str_eq_cstr(s, "-Infinity")) *out = -INFINITY;
    else if (sr_json_to_double(s, out)) return fail(c, field, "expected a number");
    return 0;
  }
  sr_str t;
  bool integral;
  if (sr_json_peek(&c->j) != SR_JSON_NUMBER)
    return fail(c, field, "expected a number");
  int rc = sr_json_number(&c->j, &t, &integral);
  if (rc) return reader_error(c, rc);
  if (sr_json_to_double(t, out)) return fail(c, field, "number too long");
  return 0;
}

static int read_kvs(struct ctx *c, const char *field, size_t *n,
                    pb_kv ***out);

static int read_any(struct ctx *c, pb_any *v);

/* {"values": [AnyValue...]} */
static int read_array(struct ctx *c, Stackrisk__Otlp__V1__ArrayValue **out) {
  Stackrisk__Otlp__V1__ArrayValue *a = alloc(c, sizeof *a);
  if (!a) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__array_value__init(a);
  struct vec vals = {0};
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (!sr_str_eq_cstr(k, "values")) {
      if ((rc = sr_json_skip(&c->j, NULL))) return reader_error(c, rc);
      continue;
    }
    if ((rc = sr_json_array_begin(&c->j))) return reader_error(c, rc);
    while ((rc = sr_json_array_next(&c->j)) > 0) {
      pb_any *v = alloc(c, sizeof *v);
      if (!v) return reader_error(c, SR_ENOMEM);
      if ((rc = read_any(c, v)) || (rc = push(c, &vals, v))) return rc;
    }
    if (rc < 0) return reader_error(c, rc);
  }
  if (rc < 0) return reader_error(c, rc);
  a->n_values = vals.n;
  a->values = (pb_any **)vals.v;
  *out = a;
  return 0;
}

static int read_kvlist(struct ctx *c,
                       Stackrisk__Otlp__V1__KeyValueList **out) {
  Stackrisk__Otlp__V1__KeyValueList *l = alloc(c, sizeof *l);
  if (!l) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__key_value_list__init(l);
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (sr_str_eq_cstr(k, "values")) {
      if ((rc = read_kvs(c, "kvlistValue.values", &l->n_values, &l->values)))
        return rc;
    } else if ((rc = sr_json_skip(&c->j, NULL))) {
      return reader_error(c, rc);
    }
  }
  if (rc < 0) return reader_error(c, rc);
  *out = l;
  return 0;
}

/* {"stringValue": ...} and the other members of the oneof; the last one
 * wins, as in protobuf. An empty object is an unset value. */
static int read_any(struct ctx *c, pb_any *v) {
  stackrisk__otlp__v1__any_value__init(v);
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (key_is(k, "stringValue", "string_value")) {
      rc = read_bytes_str(c, "stringValue", &v->string_value);
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE;
    } else if (key_is(k, "boolValue", "bool_value")) {
      bool b;
      rc = sr_json_bool(&c->j, &b);
      if (rc) return fail(c, "boolValue", "expected true or false");
      v->bool_value = b;
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_BOOL_VALUE;
    } else if (key_is(k, "intValue", "int_value")) {
      uint64_t u;
      rc = read_int(c, "intValue", false, &u);
      v->int_value = (int64_t)u;
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_INT_VALUE;
    } else if (key_is(k, "doubleValue", "double_value")) {
      rc = read_double(c, "doubleValue", &v->double_value);
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
    } else if (key_is(k, "arrayValue", "array_value")) {
      rc = read_array(c, &v->array_value);
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
    } else if (key_is(k, "kvlistValue", "kvlist_value")) {
      rc = read_kvlist(c, &v->kvlist_value);
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_KVLIST_VALUE;
    } else if (key_is(k, "bytesValue", "bytes_value")) {
      rc = read_base64(c, "bytesValue", &v->bytes_value);
      v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_BYTES_VALUE;
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  return rc < 0 ? reader_error(c, rc) : 0;
}

/* [{"key": ..., "value": {...}}, ...] */
static int read_kvs(struct ctx *c, const char *field, size_t *n,
                    pb_kv ***out) {
  struct vec kvs = {0};
  sr_str k;
  int rc;
  if (sr_json_peek(&c->j) != SR_JSON_ARRAY)
    return fail(c, field, "expected an array of key/value objects");
  if ((rc = sr_json_array_begin(&c->j))) return reader_error(c, rc);
  while ((rc = sr_json_array_next(&c->j)) > 0) {
    pb_kv *kv = alloc(c, sizeof *kv);
    if (!kv) return reader_error(c, SR_ENOMEM);
    stackrisk__otlp__v1__key_value__init(kv);
    if (sr_json_peek(&c->j) != SR_JSON_OBJECT)
      return fail(c, field, "expected a key/value object");
    if ((rc = sr_json_object_begin(&c->j))) return reader_error(c, rc);
    while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
      if (take_null(c)) continue;
      if (sr_str_eq_cstr(k, "key")) {
        rc = read_bytes_str(c, "key", &kv->key);
      } else if (sr_str_eq_cstr(k, "value")) {
        kv->value = alloc(c, sizeof *kv->value);
        if (!kv->value) return reader_error(c, SR_ENOMEM);
        if (sr_json_peek(&c->j) != SR_JSON_OBJECT)
          return fail(c, "value", "expected an AnyValue object");
        rc = read_any(c, kv->value);
      } else {
        rc = sr_json_skip(&c->j, NULL);
        if (rc) return reader_error(c, rc);
      }
      if (rc) return rc;
    }
    if (rc < 0) return reader_error(c, rc);
    if ((rc = push(c, &kvs, kv))) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  *n = kvs.n;
  *out = (pb_kv **)kvs.v;
  return 0;
}

static const char *const span_kinds[] = {
    "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
static const char *const status_codes[] = {
    "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};

static int read_status(struct ctx *c, Stackrisk__Otlp__V1__Status **out) {
  Stackrisk__Otlp__V1__Status *st = alloc(c, sizeof *st);
  if (!st) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__status__init(st);
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (sr_str_eq_cstr(k, "message")) {
      rc = read_bytes_str(c, "status.message", &st->message);
    } else if (sr_str_eq_cstr(k, "code")) {
      rc = read_enum(c, "status.code", status_codes,
                     SR_ARRAY_LEN(status_codes), &st->code);
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  *out = st;
  return 0;
}

static int read_span_event(struct ctx *c, pb_sevent **out) {
  pb_sevent *e = alloc(c, sizeof *e);
  if (!e) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__span_event__init(e);
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (key_is(k, "timeUnixNano", "time_unix_nano")) {
      rc = read_int(c, "events.timeUnixNano", true, &e->time_unix_nano);
    } else if (sr_str_eq_cstr(k, "name")) {
      rc = read_bytes_str(c, "events.name", &e->name);
    } else if (sr_str_eq_cstr(k, "attributes")) {
      rc = read_kvs(c, "events.attributes", &e->n_attributes, &e->attributes);
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  *out = e;
  return 0;
}

static int read_span(struct ctx *c, pb_span **out) {
  pb_span *s = alloc(c, sizeof *s);
  if (!s) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__span__init(s);
  struct vec events = {0};
  sr_str k;
  int rc;
  if (sr_json_peek(&c->j) != SR_JSON_OBJECT)
    return fail(c, "spans", "expected span objects");
  if ((rc = sr_json_object_begin(&c->j))) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (key_is(k, "traceId", "trace_id")) {
      rc = read_hex(c, "traceId", &s->trace_id);
    } else if (key_is(k, "spanId", "span_id")) {
      rc = read_hex(c, "spanId", &s->span_id);
    } else if (key_is(k, "parentSpanId", "parent_span_id")) {
      rc = read_hex(c, "parentSpanId", &s->parent_span_id);
    } else if (key_is(k, "traceState", "trace_state")) {
      rc = read_bytes_str(c, "traceState", &s->trace_state);
    } else if (sr_str_eq_cstr(k, "name")) {
      rc = read_bytes_str(c, "name", &s->name);
    } else if (sr_str_eq_cstr(k, "kind")) {
      rc = read_enum(c, "kind", span_kinds, SR_ARRAY_LEN(span_kinds),
                     &s->kind);
    } else if (key_is(k, "startTimeUnixNano", "start_time_unix_nano")) {
      rc = read_int(c, "startTimeUnixNano", true, &s->start_time_unix_nano);
    } else if (key_is(k, "endTimeUnixNano", "end_time_unix_nano")) {
      rc = read_int(c, "endTimeUnixNano", true, &s->end_time_unix_nano);
    } else if (sr_str_eq_cstr(k, "attributes")) {
      rc = read_kvs(c, "attributes", &s->n_attributes, &s->attributes);
    } else if (sr_str_eq_cstr(k, "status")) {
      rc = read_status(c, &s->status);
    } else if (sr_str_eq_cstr(k, "events")) {
      if ((rc = sr_json_array_begin(&c->j))) return reader_error(c, rc);
      while ((rc = sr_json_array_next(&c->j)) > 0) {
        pb_sevent *e = NULL;
        if ((rc = read_span_event(c, &e)) || (rc = push(c, &events, e)))
          return rc;
      }
      if (rc < 0) return reader_error(c, rc);
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  s->n_events = events.n;
  s->events = (pb_sevent **)events.v;
  *out = s;
  return 0;
}

static int read_scope(struct ctx *c,
                      Stackrisk__Otlp__V1__InstrumentationScope **out) {
  Stackrisk__Otlp__V1__InstrumentationScope *s = alloc(c, sizeof *s);
  if (!s) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__instrumentation_scope__init(s);
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (sr_str_eq_cstr(k, "name")) {
      rc = read_bytes_str(c, "scope.name", &s->name);
    } else if (sr_str_eq_cstr(k, "version")) {
      rc = read_bytes_str(c, "scope.version", &s->version);
    } else if (sr_str_eq_cstr(k, "attributes")) {
      rc = read_kvs(c, "scope.attributes", &s->n_attributes, &s->attributes);
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  *out = s;
  return 0;
}

static int read_scope_spans(struct ctx *c, pb_ss **out) {
  pb_ss *ss = alloc(c, sizeof *ss);
  if (!ss) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__scope_spans__init(ss);
  struct vec spans = {0};
  sr_str k;
  int rc;
  if (sr_json_peek(&c->j) != SR_JSON_OBJECT)
    return fail(c, "scopeSpans", "expected objects");
  if ((rc = sr_json_object_begin(&c->j))) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (sr_str_eq_cstr(k, "scope")) {
      rc = read_scope(c, &ss->scope);
    } else if (sr_str_eq_cstr(k, "spans")) {
      if (sr_json_peek(&c->j) != SR_JSON_ARRAY)
        return fail(c, "spans", "expected an array");
      if ((rc = sr_json_array_begin(&c->j))) return reader_error(c, rc);
      while ((rc = sr_json_array_next(&c->j)) > 0) {
        pb_span *s = NULL;
        if ((rc = read_span(c, &s)) || (rc = push(c, &spans, s))) return rc;
      }
      if (rc < 0) return reader_error(c, rc);
    } else if (key_is(k, "schemaUrl", "schema_url")) {
      rc = read_bytes_str(c, "schemaUrl", &ss->schema_url);
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  ss->n_spans = spans.n;
  ss->spans = (pb_span **)spans.v;
  *out = ss;
  return 0;
}

static int read_resource(struct ctx *c, Stackrisk__Otlp__V1__Resource **out) {
  Stackrisk__Otlp__V1__Resource *r = alloc(c, sizeof *r);
  if (!r) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__resource__init(r);
  sr_str k;
  int rc = sr_json_object_begin(&c->j);
  if (rc) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (sr_str_eq_cstr(k, "attributes")) {
      rc = read_kvs(c, "resource.attributes", &r->n_attributes,
                    &r->attributes);
      if (rc) return rc;
    } else if ((rc = sr_json_skip(&c->j, NULL))) {
      return reader_error(c, rc);
    }
  }
  if (rc < 0) return reader_error(c, rc);
  *out = r;
  return 0;
}

static int read_resource_spans(struct ctx *c, pb_rs **out) {
  pb_rs *rs = alloc(c, sizeof *rs);
  if (!rs) return reader_error(c, SR_ENOMEM);
  stackrisk__otlp__v1__resource_spans__init(rs);
  struct vec scopes = {0};
  sr_str k;
  int rc;
  if (sr_json_peek(&c->j) != SR_JSON_OBJECT)
    return fail(c, "resourceSpans", "expected objects");
  if ((rc = sr_json_object_begin(&c->j))) return reader_error(c, rc);
  while ((rc = sr_json_object_next(&c->j, &k)) > 0) {
    if (take_null(c)) continue;
    if (sr_str_eq_cstr(k, "resource")) {
      rc = read_resource(c, &rs->resource);
    } else if (key_is(k, "scopeSpans", "scope_spans")) {
      if (sr_json_peek(&c->j) != SR_JSON_ARRAY)
        return fail(c, "scopeSpans", "expected an array");
      if ((rc = sr_json_array_begin(&c->j))) return reader_error(c, rc);
      while ((rc = sr_json_array_next(&c->j)) > 0) {
        pb_ss *ss = NULL;
        if ((rc = read_scope_spans(c, &ss)) || (rc = push(c, &scopes, ss)))
          return rc;
      }
      if (rc < 0) return reader_error(c, rc);
    } else if (key_is(k, "schemaUrl", "schema_url")) {
      rc = read_bytes_str(c, "schemaUrl", &rs->schema_url);
    } else {
      rc = sr_json_skip(&c->j, NULL);
      if (rc) return reader_error(c, rc);
    }
    if (rc) return rc;
  }
  if (rc < 0) return reader_error(c, rc);
  rs->n_scope_spans = scopes.n;
  rs->scope_spans = (pb_ss **)scopes.v;
  *out = rs;
  return 0;
}

int sr_otlp_json_unpack(const void *buf, size_t len, struct sr_arena *arena,
                        sr_otlp_traces **out, char *err, size_t errlen) {
  struct ctx c = {.arena = arena, .err = err, .errlen = errlen};
  sr_json_init(&c.j, buf, len, arena, err, errlen);
  sr_otlp_traces *td = alloc(&c, sizeof *td);
  if (!td) return reader_error(&c, SR_ENOMEM);
  stackrisk__otlp__v1__traces_data__init(td);
  struct vec rss = {0};
  sr_str k;
  int rc;
  if (sr_json_peek(&c.j) != SR_JSON_OBJECT)
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "invalid otlp_json: expected a TracesData object");
  if ((rc = sr_json_object_begin(&c.j))) return reader_error(&c, rc);
  while ((rc = sr_json_object_next(&c.j, &k)) > 0) {
    if (take_null(&c)) continue;
    if (key_is(k, "resourceSpans", "resource_spans")) {
      if (sr_json_peek(&c.j) != SR_JSON_ARRAY)
        return fail(&c, "resourceSpans", "expected an array");
      if ((rc = sr_json_array_begin(&c.j))) return reader_error(&c, rc);
      while ((rc = sr_json_array_next(&c.j)) > 0) {
        pb_rs *rs = NULL;
        if ((rc = read_resource_spans(&c, &rs)) || (rc = push(&c, &rss, rs)))
          return rc;
      }
      if (rc < 0) return reader_error(&c, rc);
    } else if ((rc = sr_json_skip(&c.j, NULL))) {
      return reader_error(&c, rc);
    }
  }
  if (rc < 0) return reader_error(&c, rc);
  if ((rc = sr_json_finish(&c.j))) return reader_error(&c, rc);
  td->n_resource_spans = rss.n;
  td->resource_spans = (pb_rs **)rss.v;
  *out = td;
  return 0;
}
