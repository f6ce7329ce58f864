/*
 * OTLP decoder and span mapping (see otlp.h for what maps to what).
 *
 * Shape: bytes → TracesData (protobuf-c into the arena for otlp_proto,
 * otlp_json.c for OTLP/JSON) → a flat array of span references → events.
 * Three passes over the spans:
 *   1. flatten, and scan each span's attributes once against every
 *      configured key (a small hash table built at setup maps a key to the
 *      fields it feeds and its rank there), keeping the best-ranked value
 *      per field; classify the span;
 *   2. index span ids, so a span finds its parent (sessions are inherited
 *      from ancestors, agents are found above a span);
 *   3. map each span to zero, one or two events, or to a reject.
 * Then the events are sorted by event time: a parent span ends after its
 * children and is exported after them, yet the session it starts must come
 * first.
 *
 * Before protobuf-c sees otlp_proto bytes, a walk over the wire checks the
 * structure and bounds the nesting depth (AnyValue nests without limit on
 * the wire, and protobuf-c recurses), and names the fault when there is one.
 */
#include "ingest/otlp.h"

#include <assert.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/buf.h"
#include "ingest/decode_internal.h"
#include "ingest/otlp_internal.h"

typedef Stackrisk__Otlp__V1__ResourceSpans pb_rs;
typedef Stackrisk__Otlp__V1__ScopeSpans pb_ss;
typedef Stackrisk__Otlp__V1__Span pb_span;
typedef Stackrisk__Otlp__V1__KeyValue pb_kv;
typedef Stackrisk__Otlp__V1__AnyValue pb_any;

#define MAX_DEPTH 32     /* message nesting accepted on the wire */
#define PARENT_HOPS 64   /* ancestors walked for a session or an agent */
#define KEY_SLOTS 512    /* power of two, > 2 * fields * keys */
#define KEY_FIELDS_MAX 4 /* fields one attribute key may feed */

/* Configuration ------------------------------------------------------------*/

static const char *const field_names[SR_OTLP_FIELDS] = {
    [SR_OTLP_SESSION_ID] = "session_id",
    [SR_OTLP_SPAN_KIND] = "span_kind",
    [SR_OTLP_TOOL] = "tool",
    [SR_OTLP_CALL_ID] = "call_id",
    [SR_OTLP_ARGUMENTS] = "arguments",
    [SR_OTLP_RESULT] = "result",
    [SR_OTLP_AGENT_ID] = "agent_id",
    [SR_OTLP_TEXT] = "text",
    [SR_OTLP_TASK] = "task",
    [SR_OTLP_MODE] = "mode",
    [SR_OTLP_SESSION_ENVIRONMENT] = "session_environment",
    [SR_OTLP_SCOPE_ENVIRONMENTS] = "scope_environments",
    [SR_OTLP_SCOPE_DOMAINS] = "scope_domains",
    [SR_OTLP_SCOPE_RESOURCES] = "scope_resources",
    [SR_OTLP_ENVIRONMENT] = "environment",
    [SR_OTLP_CREDENTIAL] = "credential",
    [SR_OTLP_TARGET_ID] = "target_id",
    [SR_OTLP_TARGET_KIND] = "target_kind",
    [SR_OTLP_TARGET_ENVIRONMENT] = "target_environment",
    [SR_OTLP_TARGET_BACKUPS] = "target_backups",
    [SR_OTLP_COST_USD] = "cost_usd",
    [SR_OTLP_ESTIMATE_STEPS] = "estimate_steps",
    [SR_OTLP_ESTIMATE_SECONDS] = "estimate_seconds",
    [SR_OTLP_ESTIMATE_COST_USD] = "estimate_cost_usd",
    [SR_OTLP_INPUT_TOKENS] = "input_tokens",
    [SR_OTLP_OUTPUT_TOKENS] = "output_tokens",
    [SR_OTLP_MODEL] = "model",
};

/* The conventions: OpenTelemetry GenAI first, then OpenInference, Langfuse
 * and OpenLLMetry. Fields no convention covers read stackrisk.* keys. */
static const char *const default_keys[SR_OTLP_FIELDS][SR_OTLP_KEYS_MAX] = {
    [SR_OTLP_SESSION_ID] = {"gen_ai.conversation.id", "session.id",
                            "langfuse.session.id",
                            "traceloop.association.properties.session_id"},
    [SR_OTLP_SPAN_KIND] = {"gen_ai.operation.name", "openinference.span.kind",
                           "traceloop.span.kind"},
    [SR_OTLP_TOOL] = {"gen_ai.tool.name", "tool.name", "traceloop.entity.name"},
    [SR_OTLP_CALL_ID] = {"gen_ai.tool.call.id", "tool.id", "tool_call.id"},
    [SR_OTLP_ARGUMENTS] = {"gen_ai.tool.call.arguments", "input.value",
                           "traceloop.entity.input"},
    [SR_OTLP_RESULT] = {"gen_ai.tool.call.result", "output.value",
                        "traceloop.entity.output"},
    [SR_OTLP_AGENT_ID] = {"gen_ai.agent.id", "gen_ai.agent.name", "agent.name",
                          "traceloop.entity.name"},
    [SR_OTLP_TEXT] = {"gen_ai.output.messages", "output.value",
                      "traceloop.entity.output"},
    [SR_OTLP_TASK] = {"stackrisk.session.task", "input.value",
                      "gen_ai.input.messages", "traceloop.entity.input"},
    [SR_OTLP_MODE] = {"stackrisk.session.mode"},
    [SR_OTLP_SESSION_ENVIRONMENT] = {"stackrisk.session.environment",
                                     "deployment.environment.name",
                                     "deployment.environment"},
    [SR_OTLP_SCOPE_ENVIRONMENTS] = {"stackrisk.session.scope.environments"},
    [SR_OTLP_SCOPE_DOMAINS] = {"stackrisk.session.scope.domains"},
    [SR_OTLP_SCOPE_RESOURCES] = {"stackrisk.session.scope.resources"},
    [SR_OTLP_ENVIRONMENT] = {"stackrisk.environment"},
    [SR_OTLP_CREDENTIAL] = {"stackrisk.credential.id"},
    [SR_OTLP_TARGET_ID] = {"stackrisk.target.id"},
    [SR_OTLP_TARGET_KIND] = {"stackrisk.target.kind"},
    [SR_OTLP_TARGET_ENVIRONMENT] = {"stackrisk.target.environment"},
    [SR_OTLP_TARGET_BACKUPS] = {"stackrisk.target.backups"},
    [SR_OTLP_COST_USD] = {"llm.cost.total", "stackrisk.cost_usd"},
    [SR_OTLP_ESTIMATE_STEPS] = {"stackrisk.session.estimate.steps"},
    [SR_OTLP_ESTIMATE_SECONDS] = {"stackrisk.session.estimate.seconds"},
    [SR_OTLP_ESTIMATE_COST_USD] = {"stackrisk.session.estimate.cost_usd"},
    [SR_OTLP_INPUT_TOKENS] = {"gen_ai.usage.input_tokens",
                              "llm.token_count.prompt",
                              "gen_ai.usage.prompt_tokens"},
    [SR_OTLP_OUTPUT_TOKENS] = {"gen_ai.usage.output_tokens",
                               "llm.token_count.completion",
                               "gen_ai.usage.completion_tokens"},
    [SR_OTLP_MODEL] = {"gen_ai.response.model", "gen_ai.request.model",
                       "llm.model_name"},
};

const char *sr_otlp_field_name(enum sr_otlp_field f) {
  assert(f < SR_OTLP_FIELDS);
  return field_names[f];
}

/* token_prices: {MODEL_GLOB: {input: USD, output: USD}, ...}, per million
 * tokens, in the order written (the first match wins). */
static int read_prices(const struct sr_conf_node *prices,
                       struct sr_otlp_config *cfg, char *err, size_t errlen) {
  static const char *const keys[] = {"input", "output", NULL};
  if (!prices) return SR_OK;
  if (sr_conf_kind(prices) != SR_CONF_MAP)
    return sr_conf_error(prices, err, errlen,
                         "expected a map of model name patterns to "
                         "{input: USD, output: USD} per million tokens");
  if (sr_conf_len(prices) > SR_OTLP_PRICES_MAX)
    return sr_conf_error(prices, err, errlen, "more than %d models",
                         SR_OTLP_PRICES_MAX);
  for (size_t i = 0; i < sr_conf_len(prices); i++) {
    const struct sr_conf_node *e = sr_conf_at(prices, i);
    struct sr_otlp_price *p = &cfg->prices[cfg->n_prices++];
    p->model = sr_conf_key_at(prices, i);
    if (sr_conf_kind(e) != SR_CONF_MAP)
      return sr_conf_error(e, err, errlen,
                           "expected {input: USD, output: USD} per million "
                           "tokens");
    if (sr_conf_check_keys(e, keys, err, errlen) ||
        sr_conf_get_double(e, "input", 0, 0, 1e6, &p->input_usd, err,
                           errlen) ||
        sr_conf_get_double(e, "output", 0, 0, 1e6, &p->output_usd, err,
                           errlen))
      return SR_EINVAL;
  }
  return SR_OK;
}

int sr_otlp_config_read(const struct sr_conf_node *otlp,
                        struct sr_otlp_config *cfg, char *err, size_t errlen) {
  static const char *const keys[] = {
      "enabled",   "topic",     "repartition_topic", "group",
      "session_from_trace_id",  "linger_ms",         "attributes",
      "token_prices",           NULL};
  memset(cfg, 0, sizeof *cfg);
  if (sr_conf_check_keys(otlp, keys, err, errlen) ||
      sr_conf_get_bool(otlp, "enabled", true, &cfg->enabled, err, errlen) ||
      sr_conf_get_string(otlp, "topic", "otlp_spans", &cfg->topic, err,
                         errlen) ||
      sr_conf_get_string(otlp, "repartition_topic", "stackrisk.repartition",
                         &cfg->repartition_topic, err, errlen) ||
      sr_conf_get_string(otlp, "group", NULL, &cfg->group, err, errlen) ||
      sr_conf_get_bool(otlp, "session_from_trace_id", true,
                       &cfg->session_from_trace_id, err, errlen) ||
      sr_conf_get_int(otlp, "linger_ms", 5, 0, 1000, &cfg->linger_ms, err,
                      errlen))
    return SR_EINVAL;
  if (!*cfg->topic || !*cfg->repartition_topic)
    return sr_conf_error(otlp, err, errlen,
                         "topic and repartition_topic must not be empty");
  if (strcmp(cfg->topic, cfg->repartition_topic) == 0)
    return sr_conf_error(otlp, err, errlen,
                         "repartition_topic must differ from topic '%s'",
                         cfg->topic);
  const struct sr_conf_node *attrs = sr_conf_get(otlp, "attributes");
  const char *allowed[SR_OTLP_FIELDS + 1];
  for (size_t f = 0; f < SR_OTLP_FIELDS; f++) allowed[f] = field_names[f];
  allowed[SR_OTLP_FIELDS] = NULL;
  if (sr_conf_check_keys(attrs, allowed, err, errlen)) return SR_EINVAL;
  for (size_t f = 0; f < SR_OTLP_FIELDS; f++) {
    struct sr_otlp_keys *k = &cfg->keys[f];
    const char **list = NULL;
    size_t n = 0;
    if (sr_conf_get_strings(attrs, field_names[f], &list, SR_OTLP_KEYS_MAX,
                            &n, err, errlen))
      return SR_EINVAL;
    if (sr_conf_get(attrs, field_names[f])) { /* given: [] disables it */
      for (size_t i = 0; i < n; i++) {
        if (!*list[i])
          return sr_conf_error(sr_conf_get(attrs, field_names[f]), err,
                               errlen, "attribute keys must not be empty");
        k->key[i] = list[i];
      }
      k->n = n;
      continue;
    }
    for (size_t i = 0; i < SR_OTLP_KEYS_MAX && default_keys[f][i]; i++)
      k->key[k->n++] = default_keys[f][i];
  }
  return read_prices(sr_conf_get(otlp, "token_prices"), cfg, err, errlen);
}

/* Decoder ------------------------------------------------------------------*/

struct key_entry {
  sr_str key;
  uint8_t n;
  uint8_t field[KEY_FIELDS_MAX];
  uint8_t rank[KEY_FIELDS_MAX];
};

struct sr_otlp_decoder {
  const struct sr_otlp_config *cfg;
  struct key_entry entries[SR_OTLP_FIELDS * SR_OTLP_KEYS_MAX];
  size_t n_entries;
  uint16_t slots[KEY_SLOTS]; /* entry index + 1; 0 = empty */
  char *scratch;             /* SR_TEXT_MAX + 1: values rendered as JSON */
};

static const struct key_entry *key_find(const struct sr_otlp_decoder *d,
                                        const void *p, size_t n) {
  if (!n) return NULL; /* configured keys are never empty */
  size_t h = (size_t)XXH3_64bits(p, n) & (KEY_SLOTS - 1);
  for (;;) {
    uint16_t e = d->slots[h];
    if (!e) return NULL;
    const struct key_entry *ke = &d->entries[e - 1];
    if (ke->key.n == n && memcmp(ke->key.p, p, n) == 0) return ke;
    h = (h + 1) & (KEY_SLOTS - 1);
  }
}

struct sr_otlp_decoder *sr_otlp_decoder_create(const struct sr_otlp_config *cfg,
                                               char *err, size_t errlen) {
  struct sr_otlp_decoder *d = calloc(1, sizeof *d);
  if (!d || !(d->scratch = malloc(SR_TEXT_MAX + 1))) {
    snprintf(err, errlen, "out of memory");
    sr_otlp_decoder_destroy(d);
    return NULL;
  }
  d->cfg = cfg;
  for (size_t f = 0; f < SR_OTLP_FIELDS; f++) {
    for (size_t r = 0; r < cfg->keys[f].n; r++) {
      const char *k = cfg->keys[f].key[r];
      struct key_entry *ke = (struct key_entry *)key_find(d, k, strlen(k));
      if (!ke) {
        ke = &d->entries[d->n_entries++];
        ke->key = sr_str_from(k);
        size_t h = (size_t)XXH3_64bits(k, ke->key.n) & (KEY_SLOTS - 1);
        while (d->slots[h]) h = (h + 1) & (KEY_SLOTS - 1);
        d->slots[h] = (uint16_t)d->n_entries;
      }
      if (ke->n == KEY_FIELDS_MAX) {
        snprintf(err, errlen,
                 "otlp.attributes: '%s' is used by more than %d fields", k,
                 KEY_FIELDS_MAX);
        sr_otlp_decoder_destroy(d);
        return NULL;
      }
      ke->field[ke->n] = (uint8_t)f;
      ke->rank[ke->n++] = (uint8_t)r;
    }
  }
  return d;
}

void sr_otlp_decoder_destroy(struct sr_otlp_decoder *d) {
  if (!d) return;
  free(d->scratch);
  free(d);
}

/* Attributes of one span or resource: the best-ranked value per field. */
struct attrs {
  const pb_any *v[SR_OTLP_FIELDS];
  const char *key[SR_OTLP_FIELDS]; /* the key it was found under */
  uint8_t rank[SR_OTLP_FIELDS];
};

static void scan(const struct sr_otlp_decoder *d, pb_kv *const *kv, size_t n,
                 struct attrs *a) {
  memset(a->v, 0, sizeof a->v);
  for (size_t i = 0; i < n; i++) {
    const pb_any *v = kv[i]->value;
    if (!v || v->value_case == STACKRISK__OTLP__V1__ANY_VALUE__VALUE__NOT_SET)
      continue;
    const struct key_entry *ke = key_find(d, kv[i]->key.data, kv[i]->key.len);
    if (!ke) continue;
    for (uint8_t j = 0; j < ke->n; j++) {
      uint8_t f = ke->field[j];
      if (a->v[f] && ke->rank[j] >= a->rank[f]) continue;
      a->v[f] = v;
      a->key[f] = d->cfg->keys[f].key[ke->rank[j]];
      a->rank[f] = ke->rank[j];
    }
  }
}

enum span_kind { K_OTHER, K_TOOL, K_AGENT, K_LLM };

struct sr_otlp_span_ref {
  const pb_span *span;
  const pb_rs *rs;
  const pb_ss *ss;
  const struct attrs *res; /* the resource's attributes */
  struct attrs at;
  uint32_t parent; /* index + 1 in the batch; 0 = none found */
  uint8_t kind;
  bool ids_ok;
};

/* Wire check ---------------------------------------------------------------*/

static unsigned wire_type_of(ProtobufCType t) {
  switch (t) {
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
      return 1;
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
      return 5;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
      return 2;
    default:
      return 0;
  }
}

/* Structure and nesting of one message; a fault is described in why. */
static bool wire_ok(const uint8_t *base, const uint8_t *p, const uint8_t *end,
                    const ProtobufCMessageDescriptor *desc, int depth,
                    char *why, size_t whylen) {
  if (depth > MAX_DEPTH) {
    snprintf(why, whylen, "nested deeper than %d at byte %zu", MAX_DEPTH,
             (size_t)(p - base));
    return false;
  }
  while (p < end) {
    const uint8_t *at = p;
    uint64_t tag, n;
    if (!sr_decode_wire_varint(&p, end, &tag) || (tag >> 3) == 0 ||
        (tag >> 3) > UINT32_MAX) {
      snprintf(why, whylen, "bad field tag at byte %zu", (size_t)(at - base));
      return false;
    }
    unsigned wt = (unsigned)(tag & 7);
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3));
    if (fd && wt != wire_type_of(fd->type) &&
        !(wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED)) {
      snprintf(why, whylen, "field '%s.%s' has wire type %u at byte %zu",
               desc->short_name, fd->name, wt, (size_t)(at - base));
      return false;
    }
    bool ok = true;
    switch (wt) {
      case 0:
        ok = sr_decode_wire_varint(&p, end, &n);
        break;
      case 1:
      case 5: {
        size_t w = wt == 1 ? 8 : 4;
        ok = (size_t)(end - p) >= w;
        if (ok) p += w;
        break;
      }
      case 2:
        ok = sr_decode_wire_varint(&p, end, &n) && n <= (uint64_t)(end - p);
        if (ok && fd && fd->type == PROTOBUF_C_TYPE_MESSAGE &&
            !wire_ok(base, p, p + n, fd->descriptor, depth + 1, why, whylen))
          return false;
        if (ok) p += n;
        break;
      default:
        snprintf(why, whylen, "unsupported wire type %u at byte %zu", wt,
                 (size_t)(at - base));
        return false;
    }
    if (!ok) {
      snprintf(why, whylen, "field %s.#%llu truncated at byte %zu",
               desc->short_name, (unsigned long long)(tag >> 3),
               (size_t)(at - base));
      return false;
    }
  }
  return true;
}

struct pb_arena {
  struct sr_arena *arena;
  bool exhausted;
};

static void *pb_alloc(void *data, size_t size) {
  struct pb_arena *pa = data;
  void *p = sr_arena_alloc(pa->arena, size ? size : 1);
  if (!p) pa->exhausted = true;
  return p;
}

static void pb_free(void *data, void *ptr) {
  (void)data;
  (void)ptr;
}

static int unpack_proto(const void *buf, size_t len, struct sr_arena *arena,
                        sr_otlp_traces **out, char *err, size_t errlen) {
  const uint8_t *b = len ? buf : (const uint8_t *)"";
  char why[160];
  if (!wire_ok(b, b, b + len, &stackrisk__otlp__v1__traces_data__descriptor,
               0, why, sizeof why))
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "invalid otlp_proto: %zu bytes do not decode as an "
                          "OTLP TracesData (%s)",
                          len, why);
  struct pb_arena pa = {arena, false};
  ProtobufCAllocator alloc = {pb_alloc, pb_free, &pa};
  *out = stackrisk__otlp__v1__traces_data__unpack(&alloc, len, b);
  if (*out) return 0;
  if (pa.exhausted)
    return sr_decode_errf(err, errlen, SR_ENOMEM, "decoder arena exhausted");
  return sr_decode_errf(err, errlen, SR_EINVAL,
                        "invalid otlp_proto: %zu bytes do not decode as an "
                        "OTLP TracesData",
                        len);
}

/* Mapping helpers ----------------------------------------------------------*/

/* Per-decode state. */
struct map {
  struct sr_otlp_decoder *d;
  struct sr_arena *arena;
  const struct sr_decode_opts *opts;
  struct sr_otlp_span_ref *refs;
  size_t n;
  uint32_t *index; /* open addressing on span id: ref index + 1 */
  size_t index_cap;
  struct sr_otlp_batch *out;
  struct sr_event *store; /* events in emission order */
  char sid[17];  /* hex id of the span being mapped */
};

static void hex(char *dst, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    dst[2 * i] = digits[p[i] >> 4];
    dst[2 * i + 1] = digits[p[i] & 15];
  }
  dst[2 * n] = '\0';
}

static bool id_valid(ProtobufCBinaryData id, size_t want) {
  if (id.len != want) return false;
  for (size_t i = 0; i < want; i++)
    if (id.data[i]) return true;
  return false;
}

static char *arena_strdup(struct sr_arena *a, const char *s, size_t n) {
  char *p = sr_arena_alloc(a, n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* Lists the span as rejected with a reason; SR_ENOMEM if even that fails. */
static int reject(struct map *m, uint32_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(struct map *m, uint32_t i, const char *fmt, ...) {
  char why[512];
  int k = snprintf(why, sizeof why, "span %s: ", m->sid);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why + k, sizeof why - (size_t)k, fmt, ap);
  va_end(ap);
  char *r = arena_strdup(m->arena, why, strlen(why));
  if (!r) return SR_ENOMEM;
  struct sr_otlp_reject *rj = &m->out->rejects[m->out->n_rejects++];
  rj->span = i;
  rj->reason = r;
  return 1;
}

static void render_json(struct sr_buf *b, const pb_any *v, int depth);

static void render_kvs(struct sr_buf *b, pb_kv *const *kv, size_t n,
                       int depth) {
  sr_buf_puts(b, "{");
  for (size_t i = 0; i < n; i++) {
    if (i) sr_buf_puts(b, ",");
    sr_buf_json_string(b, (sr_str){(const char *)kv[i]->key.data,
                                   kv[i]->key.len});
    sr_buf_puts(b, ":");
    render_json(b, kv[i]->value, depth + 1);
  }
  sr_buf_puts(b, "}");
}

static void render_base64(struct sr_buf *b, ProtobufCBinaryData d) {
  static const char tbl[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  sr_buf_puts(b, "\"");
  for (size_t i = 0; i < d.len; i += 3) {
    uint32_t v = (uint32_t)d.data[i] << 16;
    if (i + 1 < d.len) v |= (uint32_t)d.data[i + 1] << 8;
    if (i + 2 < d.len) v |= d.data[i + 2];
    char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63],
                 i + 1 < d.len ? tbl[v >> 6 & 63] : '=',
                 i + 2 < d.len ? tbl[v & 63] : '='};
    sr_buf_append(b, q, 4);
  }
  sr_buf_puts(b, "\"");
}

/* An AnyValue as JSON text: kvlist → object, array → array, bytes →
 * base64 string. Depth is bounded by the wire check and the JSON reader. */
static void render_json(struct sr_buf *b, const pb_any *v, int depth) {
  if (!v || depth > MAX_DEPTH) {
    sr_buf_puts(b, "null");
    return;
  }
  switch (v->value_case) {
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE:
      sr_buf_json_string(b, (sr_str){(const char *)v->string_value.data,
                                     v->string_value.len});
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_BOOL_VALUE:
      sr_buf_puts(b, v->bool_value ? "true" : "false");
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_INT_VALUE:
      sr_buf_printf(b, "%lld", (long long)v->int_value);
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
      if (isfinite(v->double_value))
        sr_buf_printf(b, "%.17g", v->double_value);
      else
        sr_buf_puts(b, "null");
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_ARRAY_VALUE: {
      const Stackrisk__Otlp__V1__ArrayValue *a = v->array_value;
      sr_buf_puts(b, "[");
      for (size_t i = 0; a && i < a->n_values; i++) {
        if (i) sr_buf_puts(b, ",");
        render_json(b, a->values[i], depth + 1);
      }
      sr_buf_puts(b, "]");
      break;
    }
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
      if (v->kvlist_value)
        render_kvs(b, v->kvlist_value->values, v->kvlist_value->n_values,
                   depth);
      else
        sr_buf_puts(b, "{}");
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_BYTES_VALUE:
      render_base64(b, v->bytes_value);
      break;
    default:
      sr_buf_puts(b, "null");
      break;
  }
}

/*
 * The value of field f as text: a string attribute as it is (a JSON string
 * stays JSON text), an integer in decimal, anything structured as JSON.
 * Empty when absent. Returns 0, 1 after rejecting the span (bound, NUL
 * byte), or SR_ENOMEM.
 */
static int text_of(struct map *m, uint32_t i, const struct attrs *a,
                   enum sr_otlp_field f, size_t limit, sr_str *out) {
  const pb_any *v = a->v[f];
  *out = SR_STR_NULL;
  if (!v) return 0;
  if (v->value_case == STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE) {
    sr_str s = {(const char *)v->string_value.data, v->string_value.len};
    if (s.n > limit)
      return reject(m, i,
                    "attribute '%s': value of %zu bytes exceeds the limit of "
                    "%zu",
                    a->key[f], s.n, limit);
    if (s.n && memchr(s.p, 0, s.n))
      return reject(m, i, "attribute '%s': string contains a NUL byte",
                    a->key[f]);
    *out = s;
    return 0;
  }
  struct sr_buf b = sr_buf_init(m->d->scratch, SR_MIN(limit, SR_TEXT_MAX) + 1);
  if (v->value_case == STACKRISK__OTLP__V1__ANY_VALUE__VALUE_INT_VALUE)
    sr_buf_printf(&b, "%lld", (long long)v->int_value);
  else
    render_json(&b, v, 0);
  if (b.overflow)
    return reject(m, i, "attribute '%s': value exceeds the limit of %zu bytes",
                  a->key[f], limit);
  char *p = arena_strdup(m->arena, b.p, b.len);
  if (!p) return SR_ENOMEM;
  *out = (sr_str){p, b.len};
  return 0;
}

/* A string list field: an array of strings, or one string. */
static int list_of(struct map *m, uint32_t i, const struct attrs *a,
                   enum sr_otlp_field f, struct sr_str_list *out) {
  const pb_any *v = a->v[f];
  out->n = 0;
  if (!v) return 0;
  if (v->value_case == STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE) {
    int rc = text_of(m, i, a, f, SR_NAME_MAX, &out->v[0]);
    if (rc == 0 && out->v[0].n) out->n = 1;
    return rc;
  }
  if (v->value_case != STACKRISK__OTLP__V1__ANY_VALUE__VALUE_ARRAY_VALUE ||
      !v->array_value)
    return reject(m, i, "attribute '%s': expected an array of strings",
                  a->key[f]);
  const Stackrisk__Otlp__V1__ArrayValue *arr = v->array_value;
  if (arr->n_values > SR_LIST_MAX)
    return reject(m, i,
                  "attribute '%s': list of %zu items exceeds the limit of %d",
                  a->key[f], arr->n_values, SR_LIST_MAX);
  for (size_t k = 0; k < arr->n_values; k++) {
    const pb_any *e = arr->values[k];
    if (e->value_case != STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE)
      return reject(m, i, "attribute '%s'[%zu]: expected a string", a->key[f],
                    k);
    sr_str s = {(const char *)e->string_value.data, e->string_value.len};
    if (s.n > SR_NAME_MAX || (s.n && memchr(s.p, 0, s.n)))
      return reject(m, i, "attribute '%s'[%zu]: too long or holds a NUL byte",
                    a->key[f], k);
    out->v[out->n++] = s;
  }
  return 0;
}

/* Field f from the span, else from its resource. */
static const struct attrs *span_or_resource(const struct sr_otlp_span_ref *r,
                                            enum sr_otlp_field f) {
  return r->at.v[f] || !r->res ? &r->at : r->res;
}

static bool prefixed(ProtobufCBinaryData name, const char *prefix,
                     sr_str *rest) {
  size_t n = strlen(prefix);
  if (name.len <= n || memcmp(name.data, prefix, n) != 0) return false;
  *rest = (sr_str){(const char *)name.data + n, name.len - n};
  return true;
}

static enum span_kind classify(const struct sr_otlp_span_ref *r) {
  const pb_any *v = r->at.v[SR_OTLP_SPAN_KIND];
  sr_str rest;
  if (v && v->value_case == STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE) {
    static const struct {
      const char *word;
      enum span_kind kind;
    } words[] = {
        {"execute_tool", K_TOOL},  {"tool", K_TOOL},
        {"invoke_agent", K_AGENT}, {"create_agent", K_AGENT},
        {"agent", K_AGENT},        {"workflow", K_AGENT},
        {"chat", K_LLM},           {"generate_content", K_LLM},
        {"text_completion", K_LLM}, {"llm", K_LLM},
    };
    sr_str s = {(const char *)v->string_value.data, v->string_value.len};
    for (size_t k = 0; k < SR_ARRAY_LEN(words); k++)
      if (sr_str_eq_nocase(s, words[k].word)) return words[k].kind;
    return K_OTHER;
  }
  if (prefixed(r->span->name, "execute_tool ", &rest)) return K_TOOL;
  if (prefixed(r->span->name, "invoke_agent ", &rest)) return K_AGENT;
  if (prefixed(r->span->name, "chat ", &rest)) return K_LLM;
  return K_OTHER;
}

static uint64_t span_key(ProtobufCBinaryData id) {
  uint64_t k;
  memcpy(&k, id.data, 8);
  return k;
}

static void index_spans(struct map *m) {
  for (uint32_t i = 0; i < m->n; i++) {
    const pb_span *s = m->refs[i].span;
    if (!m->refs[i].ids_ok) continue;
    size_t h = (size_t)XXH3_64bits(s->span_id.data, 8) & (m->index_cap - 1);
    while (m->index[h]) h = (h + 1) & (m->index_cap - 1);
    m->index[h] = i + 1;
  }
  for (uint32_t i = 0; i < m->n; i++) {
    const pb_span *s = m->refs[i].span;
    if (!m->refs[i].ids_ok || s->parent_span_id.len != 8) continue;
    uint64_t want = span_key(s->parent_span_id);
    size_t h = (size_t)XXH3_64bits(s->parent_span_id.data, 8) &
               (m->index_cap - 1);
    for (uint32_t e; (e = m->index[h]); h = (h + 1) & (m->index_cap - 1)) {
      const pb_span *p = m->refs[e - 1].span;
      if (e - 1 != i && span_key(p->span_id) == want &&
          memcmp(p->trace_id.data, s->trace_id.data, 16) == 0) {
        m->refs[i].parent = e;
        break;
      }
    }
  }
}

/* The nearest agent span strictly above span i (index + 1), or 0. */
static uint32_t agent_above(const struct map *m, uint32_t i) {
  uint32_t p = m->refs[i].parent;
  for (int hops = 0; p && hops < PARENT_HOPS; hops++) {
    if (m->refs[p - 1].kind == K_AGENT) return p;
    p = m->refs[p - 1].parent;
  }
  return 0;
}

/* An agent span's id: its agent id attribute, else the name after
 * "invoke_agent ", else the span name; a name holding a NUL byte rejects
 * span i, as an attribute's would. */
static int agent_name(struct map *m, uint32_t i, uint32_t a, sr_str *out) {
  const struct sr_otlp_span_ref *r = &m->refs[a];
  int rc = text_of(m, i, &r->at, SR_OTLP_AGENT_ID, SR_ID_MAX, out);
  if (rc || out->n) return rc;
  sr_str rest;
  if (prefixed(r->span->name, "invoke_agent ", &rest))
    *out = rest;
  else
    *out = (sr_str){(const char *)r->span->name.data, r->span->name.len};
  if (out->n > SR_ID_MAX) out->n = SR_ID_MAX;
  if (out->n && memchr(out->p, 0, out->n))
    return reject(m, i, "agent span name contains a NUL byte");
  return 0;
}

/* Session: the span, then its ancestors, then the resource, then the trace
 * id. Returns 0, 1 (rejected) or SR_ENOMEM. */
static int session_of(struct map *m, uint32_t i, sr_str *out) {
  const struct sr_otlp_span_ref *r = &m->refs[i];
  const struct attrs *a = NULL;
  uint32_t p = i + 1;
  for (int hops = 0; p && hops < PARENT_HOPS; hops++) {
    if (m->refs[p - 1].at.v[SR_OTLP_SESSION_ID]) {
      a = &m->refs[p - 1].at;
      break;
    }
    p = m->refs[p - 1].parent;
  }
  if (!a && r->res && r->res->v[SR_OTLP_SESSION_ID]) a = r->res;
  if (a) {
    int rc = text_of(m, i, a, SR_OTLP_SESSION_ID, SR_SESSION_ID_MAX, out);
    if (rc || out->n) return rc;
  }
  if (!m->d->cfg->session_from_trace_id)
    return reject(m, i, "no session id (none of the otlp.attributes."
                        "session_id keys on the span, its parents or its "
                        "resource)");
  char *h = sr_arena_alloc(m->arena, 33);
  if (!h) return SR_ENOMEM;
  hex(h, r->span->trace_id.data, 16);
  *out = (sr_str){h, 32};
  return 0;
}

static sr_str event_id(struct map *m, const pb_span *s, const char *phase) {
  size_t n = 5 + 32 + 1 + 16 + 1 + strlen(phase);
  char *p = sr_arena_alloc(m->arena, n + 1);
  if (!p) return SR_STR_NULL;
  memcpy(p, "otlp:", 5);
  hex(p + 5, s->trace_id.data, 16);
  p[37] = ':';
  hex(p + 38, s->span_id.data, 8);
  p[54] = ':';
  memcpy(p + 55, phase, strlen(phase) + 1);
  return (sr_str){p, n};
}

static int64_t ms_of(uint64_t ns, int64_t fallback) {
  return ns ? (int64_t)(ns / 1000000u) : fallback;
}

/* A new event for span i, common fields filled; NULL when out of arena. */
static struct sr_event *emit(struct map *m, uint32_t i, enum sr_event_type t,
                             const char *phase, uint64_t ts_ns, sr_str session,
                             sr_str agent, sr_str parent_agent) {
  const pb_span *s = m->refs[i].span;
  size_t k = m->out->n_events;
  struct sr_event *ev = &m->store[k];
  memset(ev, 0, sizeof *ev);
  ev->type = t;
  ev->session_id = session;
  ev->event_id = event_id(m, s, phase);
  if (!ev->event_id.p) return NULL;
  int64_t fb = m->opts ? m->opts->fallback_ts_ms : 0;
  ev->ts_ms = ms_of(ts_ns ? ts_ns : s->start_time_unix_nano, fb);
  ev->ts_given = true;
  ev->agent_id = agent;
  ev->parent_agent_id = parent_agent;
  ev->partition = -1;
  ev->offset = -1;
  m->out->n_events++;
  return ev;
}

static bool parse_mode(sr_str s, enum sr_mode *out) {
  static const struct {
    const char *word;
    enum sr_mode mode;
  } modes[] = {{"default", SR_MODE_DEFAULT},    {"plan", SR_MODE_PLAN},
               {"read_only", SR_MODE_READ_ONLY}, {"read-only", SR_MODE_READ_ONLY},
               {"readonly", SR_MODE_READ_ONLY}};
  for (size_t k = 0; k < SR_ARRAY_LEN(modes); k++)
    if (sr_str_eq_nocase(s, modes[k].word)) {
      *out = modes[k].mode;
      return true;
    }
  return false;
}

static bool parse_backups(sr_str s, enum sr_backups *out) {
  static const struct {
    const char *word;
    enum sr_backups b;
  } words[] = {{"co-located", SR_BACKUPS_CO_LOCATED},
               {"co_located", SR_BACKUPS_CO_LOCATED},
               {"off-site", SR_BACKUPS_OFF_SITE},
               {"off_site", SR_BACKUPS_OFF_SITE},
               {"none", SR_BACKUPS_NONE}};
  for (size_t k = 0; k < SR_ARRAY_LEN(words); k++)
    if (sr_str_eq_nocase(s, words[k].word)) {
      *out = words[k].b;
      return true;
    }
  return false;
}

#define TRY(expr)             \
  do {                        \
    int rc_ = (expr);         \
    if (rc_) return rc_;      \
  } while (0)

/*
 * A number field: an integer or double attribute, or a string that is one
 * number (some SDKs only set strings). 0 when absent; a value outside
 * [0, max], or not whole when whole is asked, rejects the span. Returns 0,
 * 1 after rejecting the span, or SR_ENOMEM.
 */
static int number_of(struct map *m, uint32_t i, const struct attrs *a,
                     enum sr_otlp_field f, double max, bool whole,
                     double *out) {
  const pb_any *v = a->v[f];
  *out = 0;
  if (!v) return 0;
  double x;
  switch (v->value_case) {
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_INT_VALUE:
      x = (double)v->int_value;
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
      x = v->double_value;
      break;
    case STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE: {
      char text[64], *end;
      size_t n = v->string_value.len;
      if (n == 0 || n >= sizeof text)
        return reject(m, i, "attribute '%s': expected a number", a->key[f]);
      memcpy(text, v->string_value.data, n);
      text[n] = '\0';
      x = strtod(text, &end);
      if (end != text + n)
        return reject(m, i, "attribute '%s': expected a number", a->key[f]);
      break;
    }
    default:
      return reject(m, i, "attribute '%s': expected a number", a->key[f]);
  }
  if (!(x >= 0 && x <= max) || (whole && x != floor(x)))
    return reject(m, i, "attribute '%s': expected a %s from 0 to %g",
                  a->key[f], whole ? "whole number" : "number", max);
  *out = x;
  return 0;
}

/* The estimate_* fields, each from the span or (for a session's start)
 * its resource; present when any is there. */
static int estimate_of(struct map *m, uint32_t i, bool with_resource,
                       struct sr_estimate *out) {
  static const struct {
    enum sr_otlp_field field;
    double max;
    bool whole;
  } parts[] = {{SR_OTLP_ESTIMATE_STEPS, 1e12, true},
               {SR_OTLP_ESTIMATE_SECONDS, 1e12, true},
               {SR_OTLP_ESTIMATE_COST_USD, SR_COST_MAX, false}};
  const struct sr_otlp_span_ref *r = &m->refs[i];
  double v[SR_ARRAY_LEN(parts)];
  *out = (struct sr_estimate){0};
  for (size_t k = 0; k < SR_ARRAY_LEN(parts); k++) {
    enum sr_otlp_field f = parts[k].field;
    const struct attrs *a = with_resource ? span_or_resource(r, f) : &r->at;
    TRY(number_of(m, i, a, f, parts[k].max, parts[k].whole, &v[k]));
    if (a->v[f]) out->present = true;
  }
  out->steps = (int64_t)v[0];
  out->seconds = (int64_t)v[1];
  out->cost_usd = v[2];
  return 0;
}

/* What span i cost: its cost_usd attribute, else its token counts at the
 * first configured price whose glob matches its model; 0 when neither. */
static int spend_of(struct map *m, uint32_t i, double *out) {
  const struct attrs *a = &m->refs[i].at;
  const struct sr_otlp_config *cfg = m->d->cfg;
  TRY(number_of(m, i, a, SR_OTLP_COST_USD, SR_COST_MAX, false, out));
  if (a->v[SR_OTLP_COST_USD] || !cfg->n_prices) return 0;
  double tin, tout;
  sr_str model;
  TRY(number_of(m, i, a, SR_OTLP_INPUT_TOKENS, 1e12, true, &tin));
  TRY(number_of(m, i, a, SR_OTLP_OUTPUT_TOKENS, 1e12, true, &tout));
  TRY(text_of(m, i, a, SR_OTLP_MODEL, SR_NAME_MAX, &model));
  char name[256];
  if ((!tin && !tout) || !model.n || model.n >= sizeof name) return 0;
  memcpy(name, model.p, model.n);
  name[model.n] = '\0';
  for (size_t k = 0; k < cfg->n_prices; k++) {
    const struct sr_otlp_price *p = &cfg->prices[k];
    if (fnmatch(p->model, name, 0) != 0) continue;
    *out = (tin * p->input_usd + tout * p->output_usd) / 1e6;
    if (*out > SR_COST_MAX)
      return reject(m, i, "tokens of model '%s' cost more than %g USD", name,
                    SR_COST_MAX);
    return 0;
  }
  return 0;
}

/* Comma-separated configured keys of a field, for a reason. */
static const char *keys_list(const struct sr_otlp_config *cfg,
                             enum sr_otlp_field f, char *buf, size_t cap) {
  struct sr_buf b = sr_buf_init(buf, cap);
  for (size_t k = 0; k < cfg->keys[f].n; k++) {
    if (k) sr_buf_puts(&b, ", ");
    sr_buf_puts(&b, cfg->keys[f].key[k]);
  }
  return b.len ? buf : "none configured";
}

static int map_tool(struct map *m, uint32_t i, sr_str session, sr_str agent,
                    sr_str parent_agent) {
  const struct sr_otlp_span_ref *r = &m->refs[i];
  const pb_span *s = r->span;
  sr_str tool, call, args, result, env, cred, tid, tkind, tenv, tback, rest;
  TRY(text_of(m, i, &r->at, SR_OTLP_TOOL, SR_NAME_MAX, &tool));
  if (!tool.n && prefixed(s->name, "execute_tool ", &rest)) {
    if (memchr(rest.p, 0, rest.n))
      return reject(m, i, "span name: tool name contains a NUL byte");
    tool = rest;
  }
  if (!tool.n || tool.n > SR_NAME_MAX) {
    char keys[256];
    return reject(m, i,
                  "tool span without a tool name (looked for attributes %s "
                  "and an 'execute_tool NAME' span name)",
                  keys_list(m->d->cfg, SR_OTLP_TOOL, keys, sizeof keys));
  }
  TRY(text_of(m, i, &r->at, SR_OTLP_CALL_ID, SR_ID_MAX, &call));
  TRY(text_of(m, i, &r->at, SR_OTLP_ARGUMENTS, SR_TEXT_MAX, &args));
  TRY(text_of(m, i, &r->at, SR_OTLP_RESULT, SR_TEXT_MAX, &result));
  TRY(text_of(m, i, span_or_resource(r, SR_OTLP_ENVIRONMENT),
              SR_OTLP_ENVIRONMENT, SR_NAME_MAX, &env));
  TRY(text_of(m, i, &r->at, SR_OTLP_CREDENTIAL, SR_ID_MAX, &cred));
  TRY(text_of(m, i, &r->at, SR_OTLP_TARGET_ID, SR_NAME_MAX, &tid));
  TRY(text_of(m, i, &r->at, SR_OTLP_TARGET_KIND, SR_NAME_MAX, &tkind));
  TRY(text_of(m, i, &r->at, SR_OTLP_TARGET_ENVIRONMENT, SR_NAME_MAX, &tenv));
  TRY(text_of(m, i, &r->at, SR_OTLP_TARGET_BACKUPS, SR_NAME_MAX, &tback));
  double cost;
  TRY(spend_of(m, i, &cost));
  enum sr_backups backups = SR_BACKUPS_UNKNOWN;
  if (tback.n && !parse_backups(tback, &backups))
    return reject(m, i,
                  "attribute '%s': unknown backups location (co-located, "
                  "off-site or none)",
                  r->at.key[SR_OTLP_TARGET_BACKUPS]);
  if (!call.n) { /* the span id correlates the two phases */
    char *c = sr_arena_alloc(m->arena, 17);
    if (!c) return SR_ENOMEM;
    memcpy(c, m->sid, 17);
    call = (sr_str){c, 16};
  }
  bool failed = s->status && s->status->code == 2;
  struct sr_event *req = emit(m, i, SR_EV_TOOL_CALL, "requested",
                              s->start_time_unix_nano, session, agent,
                              parent_agent);
  if (!req) return SR_ENOMEM;
  req->phase = SR_PHASE_REQUESTED;
  req->call_id = call;
  req->tool = tool;
  req->arguments = args;
  req->environment = env;
  req->credential.id = cred;
  req->target.id = tid;
  req->target.kind = tkind;
  req->target.environment = tenv;
  req->target.backups = backups;
  struct sr_event *done = emit(m, i, SR_EV_TOOL_CALL,
                               failed ? "failed" : "completed",
                               s->end_time_unix_nano, session, agent,
                               parent_agent);
  if (!done) return SR_ENOMEM;
  done->phase = failed ? SR_PHASE_FAILED : SR_PHASE_COMPLETED;
  done->call_id = call;
  done->tool = tool;
  done->environment = env;
  done->credential.id = cred;
  done->target = req->target;
  done->result = result;
  done->cost_usd = cost;
  if (failed && !result.n && s->status->message.len &&
      s->status->message.len <= SR_TEXT_MAX &&
      !memchr(s->status->message.data, 0, s->status->message.len))
    done->result = (sr_str){(const char *)s->status->message.data,
                            s->status->message.len};
  return 0;
}

static int map_session_start(struct map *m, uint32_t i, sr_str session,
                             sr_str agent) {
  const struct sr_otlp_span_ref *r = &m->refs[i];
  sr_str task, mode, env;
  struct sr_str_list envs, domains, resources;
  TRY(text_of(m, i, &r->at, SR_OTLP_TASK, SR_TEXT_MAX, &task));
  TRY(text_of(m, i, span_or_resource(r, SR_OTLP_MODE), SR_OTLP_MODE,
              SR_NAME_MAX, &mode));
  TRY(text_of(m, i, span_or_resource(r, SR_OTLP_SESSION_ENVIRONMENT),
              SR_OTLP_SESSION_ENVIRONMENT, SR_NAME_MAX, &env));
  TRY(list_of(m, i, span_or_resource(r, SR_OTLP_SCOPE_ENVIRONMENTS),
              SR_OTLP_SCOPE_ENVIRONMENTS, &envs));
  TRY(list_of(m, i, span_or_resource(r, SR_OTLP_SCOPE_DOMAINS),
              SR_OTLP_SCOPE_DOMAINS, &domains));
  TRY(list_of(m, i, span_or_resource(r, SR_OTLP_SCOPE_RESOURCES),
              SR_OTLP_SCOPE_RESOURCES, &resources));
  struct sr_estimate estimate;
  TRY(estimate_of(m, i, true, &estimate));
  enum sr_mode md = SR_MODE_UNSET;
  if (mode.n && !parse_mode(mode, &md))
    return reject(m, i,
                  "attribute '%s': unknown mode (default, plan or read_only)",
                  span_or_resource(r, SR_OTLP_MODE)->key[SR_OTLP_MODE]);
  struct sr_event *ev =
      emit(m, i, SR_EV_SESSION_START, "start", r->span->start_time_unix_nano,
           session, agent, SR_STR_NULL);
  if (!ev) return SR_ENOMEM;
  ev->task = task;
  ev->mode = md;
  ev->environment = env;
  ev->scope_environments = envs;
  ev->scope_domains = domains;
  ev->scope_resources = resources;
  ev->estimate = estimate;
  return 0;
}

static int map_message(struct map *m, uint32_t i, const char *role,
                       sr_str session, sr_str agent, sr_str parent_agent) {
  const struct sr_otlp_span_ref *r = &m->refs[i];
  sr_str text;
  double cost;
  struct sr_estimate estimate;
  TRY(text_of(m, i, &r->at, SR_OTLP_TEXT, SR_TEXT_MAX, &text));
  TRY(spend_of(m, i, &cost));
  TRY(estimate_of(m, i, false, &estimate));
  if (!text.n && !cost && !estimate.present) {
    m->out->n_ignored++;
    return 0;
  }
  struct sr_event *ev =
      emit(m, i, SR_EV_AGENT_MESSAGE, "message", r->span->end_time_unix_nano,
           session, agent, parent_agent);
  if (!ev) return SR_ENOMEM;
  ev->role = sr_str_from(role);
  ev->text = text;
  ev->cost_usd = cost;
  ev->estimate = estimate;
  return 0;
}

/* Span i → events or a reject. 0, or SR_ENOMEM. */
static int map_span(struct map *m, uint32_t i) {
  struct sr_otlp_span_ref *r = &m->refs[i];
  const pb_span *s = r->span;
  if (s->span_id.len == 8)
    hex(m->sid, s->span_id.data, 8);
  else
    snprintf(m->sid, sizeof m->sid, "#%u", i);
  if (r->kind == K_OTHER) {
    m->out->n_ignored++;
    return 0;
  }
  if (!r->ids_ok) {
    int rc = reject(m, i,
                    "invalid %s (a trace id is 16 bytes, a span id 8, not "
                    "all zero)",
                    id_valid(s->trace_id, 16) ? "span id" : "trace id");
    return rc < 0 ? rc : 0;
  }
  /* Its events take the span's start and end times: the later bounds both. */
  char why[256];
  int64_t fb = m->opts ? m->opts->fallback_ts_ms : 0;
  int64_t start = ms_of(s->start_time_unix_nano, fb),
          end = ms_of(s->end_time_unix_nano, fb);
  if (sr_decode_check_future(m->opts, SR_MAX(start, end), why, sizeof why)) {
    int rc = reject(m, i, "%s", why);
    return rc < 0 ? rc : 0;
  }
  sr_str session, agent = SR_STR_NULL, parent_agent = SR_STR_NULL;
  int rc = session_of(m, i, &session);
  uint32_t self_agent = r->kind == K_AGENT ? i + 1 : agent_above(m, i);
  uint32_t up = self_agent ? agent_above(m, self_agent - 1) : 0;
  if (!rc && self_agent) rc = agent_name(m, i, self_agent - 1, &agent);
  if (!rc && up) rc = agent_name(m, i, up - 1, &parent_agent);
  if (!rc && !self_agent && r->res)
    rc = text_of(m, i, r->res, SR_OTLP_AGENT_ID, SR_ID_MAX, &agent);
  if (!rc) {
    switch (r->kind) {
      case K_TOOL:
        rc = map_tool(m, i, session, agent, parent_agent);
        break;
      case K_AGENT:
        rc = up ? map_message(m, i, "subagent", session, agent, parent_agent)
                : map_session_start(m, i, session, agent);
        break;
      default:
        rc = map_message(m, i, "assistant", session, agent, parent_agent);
        break;
    }
  }
  return rc < 0 ? rc : 0;
}

struct order {
  int64_t ts;
  uint32_t rank; /* session starts before anything at the same time */
  uint32_t seq;
};

static int cmp_order(const void *a, const void *b) {
  const struct order *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Event-time order, stable; the events stay where they are, only the
 * pointers are sorted (an sr_event is a few kilobytes). */
static int sort_events(struct map *m) {
  size_t n = m->out->n_events;
  struct order *o = sr_arena_alloc(m->arena, (n ? n : 1) * sizeof *o);
  if (!o) return SR_ENOMEM;
  for (size_t k = 0; k < n; k++) {
    o[k].ts = m->store[k].ts_ms;
    o[k].rank = m->store[k].type == SR_EV_SESSION_START ? 0 : 1;
    o[k].seq = (uint32_t)k;
  }
  qsort(o, n, sizeof *o, cmp_order);
  for (size_t k = 0; k < n; k++) m->out->events[k] = &m->store[o[k].seq];
  return 0;
}

/*
 * Whether a message is otlp_json: its first non-blank byte is '{'. But
 * otlp_proto opens with field 1's tag, 0x0A, a newline to that rule, and a
 * first ResourceSpans of 123 bytes puts '{' right after it; so a message
 * that opens with a blank is JSON only when it is not well-formed
 * protobuf. (The Collector's otlp_json opens with '{' itself.)
 */
static bool is_json(const void *buf, size_t len) {
  const uint8_t *b = buf;
  char why[160];
  if (sr_decode_sniff(buf, len) != SR_WIRE_JSON) return false;
  return b[0] == '{' ||
         !wire_ok(b, b, b + len, &stackrisk__otlp__v1__traces_data__descriptor,
                  0, why, sizeof why);
}

static int arena_full(char *err, size_t errlen) {
  return sr_decode_errf(err, errlen, SR_ENOMEM, "decoder arena exhausted");
}

int sr_otlp_decode(struct sr_otlp_decoder *d, const void *buf, size_t len,
                   const struct sr_decode_opts *opts, struct sr_arena *arena,
                   struct sr_otlp_batch *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int rc = sr_decode_check_size(len, opts, err, errlen);
  if (rc) return rc;
  sr_otlp_traces *td = NULL;
  rc = is_json(buf, len)
           ? sr_otlp_json_unpack(buf, len, arena, &td, err, errlen)
           : unpack_proto(buf, len, arena, &td, err, errlen);
  if (rc) return rc;

  /* Pass 1: flatten, scan attributes, classify. */
  size_t n = 0, n_res = td->n_resource_spans;
  for (size_t a = 0; a < td->n_resource_spans; a++)
    for (size_t b = 0; b < td->resource_spans[a]->n_scope_spans; b++)
      n += td->resource_spans[a]->scope_spans[b]->n_spans;
  struct map m = {.d = d, .arena = arena, .opts = opts, .n = n, .out = out};
  m.index_cap = 16;
  while (m.index_cap < 2 * n) m.index_cap *= 2;
  m.refs = sr_arena_alloc(arena, (n ? n : 1) * sizeof *m.refs);
  m.index = sr_arena_alloc(arena, m.index_cap * sizeof *m.index);
  m.store = sr_arena_alloc(arena, (2 * n + 1) * sizeof *m.store);
  struct attrs *res = sr_arena_alloc(arena, (n_res + 1) * sizeof *res);
  out->events = sr_arena_alloc(arena, (2 * n + 1) * sizeof *out->events);
  out->rejects = sr_arena_alloc(arena, (n + 1) * sizeof *out->rejects);
  if (!m.refs || !m.index || !m.store || !res || !out->events || !out->rejects)
    return arena_full(err, errlen);
  memset(m.index, 0, m.index_cap * sizeof *m.index);
  size_t k = 0;
  for (size_t a = 0; a < td->n_resource_spans; a++) {
    const pb_rs *rs = td->resource_spans[a];
    const struct attrs *ra = NULL;
    if (rs->resource) {
      scan(d, rs->resource->attributes, rs->resource->n_attributes, &res[a]);
      ra = &res[a];
    }
    for (size_t b = 0; b < rs->n_scope_spans; b++) {
      const pb_ss *ss = rs->scope_spans[b];
      for (size_t c = 0; c < ss->n_spans; c++, k++) {
        struct sr_otlp_span_ref *r = &m.refs[k];
        r->span = ss->spans[c];
        r->rs = rs;
        r->ss = ss;
        r->res = ra;
        r->parent = 0;
        r->ids_ok = id_valid(r->span->trace_id, 16) &&
                    id_valid(r->span->span_id, 8);
        scan(d, r->span->attributes, r->span->n_attributes, &r->at);
        r->kind = (uint8_t)classify(r);
      }
    }
  }
  out->n_spans = n;
  out->spans = m.refs;

  /* Pass 2: parents. Pass 3: events. */
  index_spans(&m);
  for (uint32_t i = 0; i < n; i++)
    if (map_span(&m, i)) return arena_full(err, errlen);
  if (sort_events(&m)) return arena_full(err, errlen);
  return 0;
}

int sr_otlp_encode_span(const struct sr_otlp_batch *b, uint32_t i,
                        struct sr_arena *arena, sr_str *out) {
  assert(i < b->n_spans);
  const struct sr_otlp_span_ref *r = &b->spans[i];
  pb_span *span = (pb_span *)r->span;
  pb_ss ss = STACKRISK__OTLP__V1__SCOPE_SPANS__INIT;
  ss.scope = r->ss->scope;
  ss.schema_url = r->ss->schema_url;
  ss.n_spans = 1;
  ss.spans = &span;
  pb_ss *ssp = &ss;
  pb_rs rs = STACKRISK__OTLP__V1__RESOURCE_SPANS__INIT;
  rs.resource = r->rs->resource;
  rs.schema_url = r->rs->schema_url;
  rs.n_scope_spans = 1;
  rs.scope_spans = &ssp;
  pb_rs *rsp = &rs;
  sr_otlp_traces td = STACKRISK__OTLP__V1__TRACES_DATA__INIT;
  td.n_resource_spans = 1;
  td.resource_spans = &rsp;
  size_t n = stackrisk__otlp__v1__traces_data__get_packed_size(&td);
  uint8_t *p = sr_arena_alloc(arena, n ? n : 1);
  if (!p) return SR_ENOMEM;
  stackrisk__otlp__v1__traces_data__pack(&td, p);
  *out = (sr_str){(const char *)p, n};
  return 0;
}
