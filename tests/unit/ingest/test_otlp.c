/*
 * OTLP decoder and span mapping: the fixtures written by the real
 * OpenTelemetry JS SDK (tests/data/otlp) map onto the events a harness
 * would have sent natively; every convention (GenAI, OpenInference,
 * OpenLLMetry), the session precedence, structured and string arguments,
 * error status, parent/child agents; the span that cannot be mapped is
 * rejected with its id while the others of its batch still map; bad bytes
 * and broken bounds fail with a reason.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "ingest/otlp.h"
#include "schemas/otlp.pb-c.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

typedef Stackrisk__Otlp__V1__KeyValue KV;
typedef Stackrisk__Otlp__V1__AnyValue AV;
typedef Stackrisk__Otlp__V1__Span SP;

static struct sr_otlp_config cfg;
static struct sr_otlp_decoder *dec;
static struct sr_arena *arena;
static struct sr_otlp_batch b;
static char err[512];
static struct sr_decode_opts opts = {0, 1700000000000LL};
static uint8_t buf[1 << 16];
static size_t len;

/* Builders: a bump pool, so the test leaks nothing. */
static char pool[1 << 20];
static size_t pool_used;

static void *palloc(size_t n) {
  n = (n + 15) & ~(size_t)15;
  ck_assert_uint_le(pool_used + n, sizeof pool);
  void *p = pool + pool_used;
  pool_used += n;
  memset(p, 0, n);
  return p;
}

static ProtobufCBinaryData bin(const char *s) {
  return (ProtobufCBinaryData){strlen(s), (uint8_t *)s};
}

static AV *av_str(const char *s) {
  AV *v = palloc(sizeof *v);
  stackrisk__otlp__v1__any_value__init(v);
  v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE;
  v->string_value = bin(s);
  return v;
}

static AV *av_int(int64_t i) {
  AV *v = palloc(sizeof *v);
  stackrisk__otlp__v1__any_value__init(v);
  v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_INT_VALUE;
  v->int_value = i;
  return v;
}

static AV *av_double(double d) {
  AV *v = palloc(sizeof *v);
  stackrisk__otlp__v1__any_value__init(v);
  v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
  v->double_value = d;
  return v;
}

static KV *kv(const char *k, AV *v) {
  KV *p = palloc(sizeof *p);
  stackrisk__otlp__v1__key_value__init(p);
  p->key = bin(k);
  p->value = v;
  return p;
}

static KV *kvs(const char *k, const char *v) { return kv(k, av_str(v)); }

/* A kvlist AnyValue of n KVs given as varargs. */
static AV *av_kvlist(size_t n, ...) {
  AV *v = palloc(sizeof *v);
  stackrisk__otlp__v1__any_value__init(v);
  Stackrisk__Otlp__V1__KeyValueList *l = palloc(sizeof *l);
  stackrisk__otlp__v1__key_value_list__init(l);
  l->values = palloc(n * sizeof *l->values);
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) l->values[i] = va_arg(ap, KV *);
  va_end(ap);
  l->n_values = n;
  v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_KVLIST_VALUE;
  v->kvlist_value = l;
  return v;
}

static AV *av_strs(size_t n, ...) {
  AV *v = palloc(sizeof *v);
  stackrisk__otlp__v1__any_value__init(v);
  Stackrisk__Otlp__V1__ArrayValue *a = palloc(sizeof *a);
  stackrisk__otlp__v1__array_value__init(a);
  a->values = palloc(n * sizeof *a->values);
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) a->values[i] = av_str(va_arg(ap, const char *));
  va_end(ap);
  a->n_values = n;
  v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
  v->array_value = a;
  return v;
}

/* Span `id` of trace `trace` under span `parent` (0 = root), times in ms,
 * then a NULL-terminated list of attributes. */
static SP *span(uint8_t trace, uint8_t id, uint8_t parent, const char *name,
                uint64_t start_ms, uint64_t end_ms, ...) {
  SP *s = palloc(sizeof *s);
  stackrisk__otlp__v1__span__init(s);
  uint8_t *t = palloc(16), *sid = palloc(8);
  t[15] = trace;
  t[0] = 0xab;
  sid[7] = id;
  s->trace_id = (ProtobufCBinaryData){16, t};
  s->span_id = (ProtobufCBinaryData){8, sid};
  if (parent) {
    uint8_t *p = palloc(8);
    p[7] = parent;
    s->parent_span_id = (ProtobufCBinaryData){8, p};
  }
  s->name = bin(name);
  s->start_time_unix_nano = start_ms * 1000000u;
  s->end_time_unix_nano = end_ms * 1000000u;
  s->attributes = palloc(32 * sizeof *s->attributes);
  va_list ap;
  va_start(ap, end_ms);
  for (KV *a; (a = va_arg(ap, KV *));) s->attributes[s->n_attributes++] = a;
  va_end(ap);
  return s;
}

static void set_error(SP *s) {
  s->status = palloc(sizeof *s->status);
  stackrisk__otlp__v1__status__init(s->status);
  s->status->code = 2;
  s->status->message = bin("exit code 1");
}

/* Packs a TracesData of one resource (attributes `res`, NULL-terminated
 * array or NULL) holding `spans` (NULL-terminated) into buf. */
static size_t pack(KV **res, SP **spans) {
  Stackrisk__Otlp__V1__ScopeSpans ss = STACKRISK__OTLP__V1__SCOPE_SPANS__INIT;
  while (spans[ss.n_spans]) ss.n_spans++;
  ss.spans = spans;
  Stackrisk__Otlp__V1__ScopeSpans *ssp = &ss;
  Stackrisk__Otlp__V1__Resource r = STACKRISK__OTLP__V1__RESOURCE__INIT;
  Stackrisk__Otlp__V1__ResourceSpans rs =
      STACKRISK__OTLP__V1__RESOURCE_SPANS__INIT;
  if (res) {
    while (res[r.n_attributes]) r.n_attributes++;
    r.attributes = res;
    rs.resource = &r;
  }
  rs.n_scope_spans = 1;
  rs.scope_spans = &ssp;
  Stackrisk__Otlp__V1__ResourceSpans *rsp = &rs;
  Stackrisk__Otlp__V1__TracesData td = STACKRISK__OTLP__V1__TRACES_DATA__INIT;
  td.n_resource_spans = 1;
  td.resource_spans = &rsp;
  ck_assert_uint_le(stackrisk__otlp__v1__traces_data__get_packed_size(&td),
                    sizeof buf);
  len = stackrisk__otlp__v1__traces_data__pack(&td, buf);
  return len;
}

static int decode_with(struct sr_otlp_decoder *d, const void *p, size_t n) {
  sr_arena_reset(arena);
  err[0] = '\0';
  return sr_otlp_decode(d, p, n, &opts, arena, &b, err, sizeof err);
}

static int decode(const void *p, size_t n) {
  return decode_with(dec, p, n);
}

/* A decoder of the configuration yaml (the body of an `otlp:` section),
 * read into *c from *conf: both must outlive the decoder. */
static struct sr_otlp_decoder *decoder_of(const char *yaml,
                                          struct sr_conf **conf,
                                          struct sr_otlp_config *c) {
  *conf = sr_conf_load_string(yaml, "test.yaml", err, sizeof err);
  ck_assert_msg(*conf, "%s", err);
  ck_assert_int_eq(sr_otlp_config_read(sr_conf_root(*conf), c, err, sizeof err),
                   0);
  struct sr_otlp_decoder *d = sr_otlp_decoder_create(c, err, sizeof err);
  ck_assert_msg(d, "%s", err);
  return d;
}

static int decode_file(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/otlp/%s", SR_TEST_DATA, name);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f, "cannot open %s", path);
  len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  ck_assert_uint_gt(len, 0);
  return decode(buf, len);
}

static bool eq(sr_str s, const char *want) { return sr_str_eq_cstr(s, want); }

#define ck_str(s, want)                                                     \
  ck_assert_msg(eq((s), (want)), "%s: got '%.*s', want '%s'", #s, (int)(s).n, \
                (s).p ? (s).p : "", (want))

/* The first event of the batch for call `call` in `phase`. */
static const struct sr_event *find_call(const char *call, enum sr_phase ph) {
  for (size_t i = 0; i < b.n_events; i++)
    if (b.events[i]->type == SR_EV_TOOL_CALL && eq(b.events[i]->call_id, call) &&
        b.events[i]->phase == ph)
      return b.events[i];
  ck_abort_msg("no %d event for call %s", (int)ph, call);
  return NULL;
}

static void setup(void) {
  ck_assert_int_eq(sr_otlp_config_read(NULL, &cfg, err, sizeof err), 0);
  dec = sr_otlp_decoder_create(&cfg, err, sizeof err);
  ck_assert_ptr_nonnull(dec);
  arena = sr_arena_create(4 << 20);
  pool_used = 0;
}

static void teardown(void) {
  sr_otlp_decoder_destroy(dec);
  sr_arena_destroy(arena);
}

/* Fixtures from the real SDK ----------------------------------------------*/

START_TEST(genai_fixture_maps_the_pocketos_session) {
  ck_assert_int_eq(decode_file("pocketos_genai.bin"), 0);
  ck_assert_uint_eq(b.n_spans, 10);
  ck_assert_uint_eq(b.n_rejects, 0);
  /* The root agent span ends (and is exported) last, yet its session start
   * comes first: events are in event-time order. */
  ck_assert_int_eq(b.events[0]->type, SR_EV_SESSION_START);
  const struct sr_event *st = b.events[0];
  ck_str(st->session_id, "sess-otlp-pocketos-1");
  ck_assert_int_eq(st->mode, SR_MODE_PLAN);
  ck_str(st->environment, "staging");
  ck_assert_uint_eq(st->scope_environments.n, 1);
  ck_str(st->scope_environments.v[0], "staging");
  ck_str(st->task, "fix the staging credential mismatch in the deploy config");
  ck_str(st->agent_id, "cursor-agent");
  for (size_t i = 1; i < b.n_events; i++) {
    ck_assert_int_ge(b.events[i]->ts_ms, b.events[i - 1]->ts_ms);
    ck_str(b.events[i]->session_id, "sess-otlp-pocketos-1");
  }

  const struct sr_event *del =
      find_call("call-volume-delete", SR_PHASE_REQUESTED);
  ck_str(del->tool, "railway.graphql");
  ck_assert_ptr_nonnull(
      memmem(del->arguments.p, del->arguments.n, "volumeDelete", 12));
  ck_str(del->credential.id, "railway-domains-token");
  ck_str(del->environment, "production");
  ck_assert_int_eq(del->ts_ms, 1776465665000LL + 32170);
  ck_str(del->agent_id, "cursor-agent");
  ck_assert_uint_eq(del->parent_agent_id.n, 0);
  /* "otlp:" trace ":" span ":" phase, all hex: stable across replays. */
  ck_assert_uint_eq(del->event_id.n, 5 + 32 + 1 + 16 + 1 + 9);
  ck_assert_int_eq(memcmp(del->event_id.p, "otlp:a1b2c3d4", 13), 0);
  ck_assert_int_eq(memcmp(del->event_id.p + del->event_id.n - 10,
                          ":requested", 10), 0);
  const struct sr_event *done =
      find_call("call-volume-delete", SR_PHASE_COMPLETED);
  ck_str(done->result, "{\"data\":{\"volumeDelete\":true}}");
  ck_assert_int_eq(done->ts_ms, 1776465665000LL + 32990);
}
END_TEST

START_TEST(genai_fixture_sub_agent_and_error_status) {
  ck_assert_int_eq(decode_file("pocketos_genai.bin"), 0);
  /* Tools the sub-agent ran belong to it, under the orchestrator. */
  const struct sr_event *grep =
      find_call("call_GrT3yo55qk5chYqO4KJwNOWY", SR_PHASE_REQUESTED);
  ck_str(grep->tool, "grep_search");
  ck_str(grep->agent_id, "repo-explorer");
  ck_str(grep->parent_agent_id, "cursor-agent");
  ck_str(grep->arguments,
         "{\"query\":\"RAILWAY_TOKEN\",\"include_pattern\":\"*.{sh,json,yml,"
         "toml}\"}");
  /* Status code 2 → a failed phase, with the result. */
  const struct sr_event *f =
      find_call("call_yp0shsrRM5w1Tnz6lbanUa3O", SR_PHASE_FAILED);
  ck_str(f->result, "Unauthorized. Please login with `railway login`");
  /* The sub-agent's report is a message from it to the orchestrator. */
  bool sub = false, llm = false;
  for (size_t i = 0; i < b.n_events; i++) {
    const struct sr_event *e = b.events[i];
    if (e->type != SR_EV_AGENT_MESSAGE) continue;
    if (eq(e->role, "subagent")) {
      sub = true;
      ck_str(e->agent_id, "repo-explorer");
      ck_str(e->parent_agent_id, "cursor-agent");
      ck_assert_ptr_nonnull(memmem(e->text.p, e->text.n, "setup-domains", 13));
    } else {
      llm |= eq(e->role, "assistant") && eq(e->agent_id, "cursor-agent");
    }
  }
  ck_assert(sub && llm);
}
END_TEST

START_TEST(openinference_fixture_maps_the_twin) {
  ck_assert_int_eq(decode_file("twin_openinference.bin"), 0);
  ck_assert_uint_eq(b.n_spans, 6);
  ck_assert_uint_eq(b.n_rejects, 0);
  ck_assert_int_eq(b.events[0]->type, SR_EV_SESSION_START);
  ck_str(b.events[0]->session_id, "sess-otlp-twin-1");
  ck_str(b.events[0]->task,
         "add custom domain app.example.com to the production web service");
  ck_assert_int_eq(b.events[0]->mode, SR_MODE_DEFAULT);
  ck_assert_uint_eq(b.events[0]->scope_domains.n, 1);
  ck_str(b.events[0]->agent_id, "domain-agent");
  const struct sr_event *c = find_call("call-domain-create", SR_PHASE_REQUESTED);
  ck_str(c->tool, "railway.graphql");
  ck_assert_ptr_nonnull(
      memmem(c->arguments.p, c->arguments.n, "customDomainCreate", 18));
  ck_str(c->session_id, "sess-otlp-twin-1");
  c = find_call("call-domain-create", SR_PHASE_COMPLETED);
  ck_str(c->result, "{\"data\":{\"customDomainCreate\":{\"id\":\"cd-41e9\"}}}");
  /* 4 tools × 2 + session start + the LLM's message */
  ck_assert_uint_eq(b.n_events, 10);
}
END_TEST

/* The same spans as otlp_json give the same events as otlp_proto. */
static void same_in_both_forms(const char *name) {
  char bin_name[128], json_name[128];
  snprintf(bin_name, sizeof bin_name, "%s.bin", name);
  snprintf(json_name, sizeof json_name, "%s.json", name);
  ck_assert_int_eq(decode_file(bin_name), 0);
  struct sr_arena *keep = arena;
  struct sr_otlp_batch pb = b;
  arena = sr_arena_create(4 << 20);
  static uint8_t jbuf[1 << 16];
  char path[512];
  snprintf(path, sizeof path, "%s/otlp/%s", SR_TEST_DATA, json_name);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  size_t n = fread(jbuf, 1, sizeof jbuf, f);
  fclose(f);
  ck_assert_msg(decode(jbuf, n) == 0, "%s", err);
  ck_assert_uint_eq(b.n_events, pb.n_events);
  for (size_t i = 0; i < b.n_events; i++) {
    const struct sr_event *x = pb.events[i], *y = b.events[i];
    ck_assert_int_eq(x->type, y->type);
    ck_assert_int_eq(x->phase, y->phase);
    ck_assert_int_eq(x->ts_ms, y->ts_ms);
    ck_assert(sr_str_eq(x->event_id, y->event_id));
    ck_assert(sr_str_eq(x->session_id, y->session_id));
    ck_assert(sr_str_eq(x->tool, y->tool));
    ck_assert(sr_str_eq(x->arguments, y->arguments));
    ck_assert(sr_str_eq(x->result, y->result));
    ck_assert(sr_str_eq(x->agent_id, y->agent_id));
    ck_assert(sr_str_eq(x->parent_agent_id, y->parent_agent_id));
    ck_assert(sr_str_eq(x->text, y->text));
  }
  sr_arena_destroy(arena);
  arena = keep;
}

START_TEST(json_and_proto_forms_agree) {
  same_in_both_forms("pocketos_genai");
  same_in_both_forms("twin_openinference");
}
END_TEST

/* Conventions and precedence ----------------------------------------------*/

START_TEST(structured_arguments_become_json) {
  SP *spans[] = {
      span(1, 1, 0, "execute_tool Bash", 1000, 2000,
           kvs("gen_ai.operation.name", "execute_tool"),
           kvs("gen_ai.tool.name", "Bash"),
           kvs("gen_ai.conversation.id", "s1"),
           kv("gen_ai.tool.call.arguments",
              av_kvlist(3, kvs("command", "rm -rf \"/srv\""),
                        kv("timeout", av_int(30)),
                        kv("flags", av_strs(2, "-v", "-x")))),
           kv("gen_ai.tool.call.result",
              av_kvlist(1, kv("exit_code", av_int(0)))),
           NULL),
      NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  const struct sr_event *e = b.events[0];
  ck_assert_int_eq(e->phase, SR_PHASE_REQUESTED);
  ck_str(e->arguments,
         "{\"command\":\"rm -rf \\\"/srv\\\"\",\"timeout\":30,\"flags\":[\"-v\","
         "\"-x\"]}");
  ck_str(b.events[1]->result, "{\"exit_code\":0}");
  /* No call id attribute: the span id correlates the phases. */
  ck_str(e->call_id, "0000000000000001");
  ck_assert(sr_str_eq(e->call_id, b.events[1]->call_id));
}
END_TEST

START_TEST(error_status_fails_the_call) {
  SP *s = span(9, 1, 0, "execute_tool Bash", 1000, 2500,
               kvs("gen_ai.conversation.id", "s9"), NULL);
  set_error(s);
  SP *spans[] = {s, NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  ck_assert_uint_eq(b.n_events, 2);
  ck_assert_int_eq(b.events[1]->phase, SR_PHASE_FAILED);
  ck_assert_int_eq(b.events[1]->ts_ms, 2500);
  /* no result attribute: the status message stands in */
  ck_str(b.events[1]->result, "exit code 1");
  ck_assert_int_eq(memcmp(b.events[1]->event_id.p + b.events[1]->event_id.n - 7,
                          ":failed", 7), 0);
}
END_TEST

START_TEST(openllmetry_tool_span) {
  SP *spans[] = {
      span(2, 1, 0, "run_sql.tool", 1000, 1500,
           kvs("traceloop.span.kind", "tool"),
           kvs("traceloop.entity.name", "run_sql"),
           kvs("traceloop.entity.input", "{\"sql\":\"DROP TABLE users\"}"),
           kvs("traceloop.entity.output", "ok"),
           kvs("traceloop.association.properties.session_id", "sess-tl"),
           NULL),
      NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  ck_assert_uint_eq(b.n_events, 2);
  ck_str(b.events[0]->session_id, "sess-tl");
  ck_str(b.events[0]->tool, "run_sql");
  ck_str(b.events[0]->arguments, "{\"sql\":\"DROP TABLE users\"}");
  ck_str(b.events[1]->result, "ok");
}
END_TEST

/* The spend and the plan: what planning_fallacy compares. */
START_TEST(cost_and_estimates) {
  KV *res[] = {kv("stackrisk.session.estimate.steps", av_int(12)), NULL};
  SP *spans[] = {
      span(3, 1, 0, "invoke_agent ops", 1000, 9000,
           kvs("gen_ai.conversation.id", "s-cost"),
           kv("stackrisk.session.estimate.cost_usd", av_double(2.5)), NULL),
      span(3, 2, 1, "chat claude", 1100, 1400,
           kv("gen_ai.output.messages", av_str("Checking the volumes.")),
           kv("llm.cost.total", av_double(0.125)), NULL),
      span(3, 3, 1, "chat claude", 1500, 1600,
           kv("llm.cost.total", av_double(0.5)),
           kv("stackrisk.session.estimate.cost_usd", av_int(8)), NULL),
      span(3, 4, 1, "execute_tool web_search", 1700, 1800,
           kvs("stackrisk.cost_usd", "0.25"), NULL),
      NULL};
  ck_assert_int_eq(decode(buf, pack(res, spans)), 0);
  ck_assert_uint_eq(b.n_rejects, 0);
  ck_assert_uint_eq(b.n_events, 5);
  const struct sr_event *st = b.events[0];
  ck_assert_int_eq(st->type, SR_EV_SESSION_START);
  ck_assert(st->estimate.present);
  ck_assert_int_eq(st->estimate.steps, 12); /* from the resource */
  ck_assert_double_eq(st->estimate.cost_usd, 2.5);
  ck_assert_int_eq(b.events[1]->type, SR_EV_AGENT_MESSAGE);
  ck_assert_double_eq(b.events[1]->cost_usd, 0.125);
  ck_assert(!b.events[1]->estimate.present);
  /* A model turn with no output still reports its spend and its re-plan. */
  ck_assert_int_eq(b.events[2]->type, SR_EV_AGENT_MESSAGE);
  ck_assert_double_eq(b.events[2]->cost_usd, 0.5);
  ck_assert(b.events[2]->estimate.present);
  ck_assert_double_eq(b.events[2]->estimate.cost_usd, 8);
  ck_assert_double_eq(find_call("0000000000000004", SR_PHASE_REQUESTED)
                          ->cost_usd, 0);
  ck_assert_double_eq(find_call("0000000000000004", SR_PHASE_COMPLETED)
                          ->cost_usd, 0.25);

  SP *bad[] = {
      span(4, 1, 0, "chat a", 1000, 1100, kvs("session.id", "s"),
           kvs("llm.cost.total", "a lot"), NULL),
      span(4, 2, 0, "chat b", 1000, 1100, kvs("session.id", "s"),
           kv("llm.cost.total", av_double(-1)), NULL),
      span(4, 3, 0, "invoke_agent c", 1000, 1100, kvs("session.id", "s"),
           kv("stackrisk.session.estimate.steps", av_double(2.5)), NULL),
      span(4, 4, 0, "chat d", 1000, 1100, kvs("session.id", "s"), NULL),
      NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, bad)), 0);
  ck_assert_uint_eq(b.n_rejects, 3);
  ck_assert_uint_eq(b.n_events, 0);
  ck_assert_uint_eq(b.n_ignored, 1); /* no output, no spend, no plan */
  ck_assert_str_eq(b.rejects[0].reason,
                   "span 0000000000000001: attribute 'llm.cost.total': "
                   "expected a number");
  ck_assert_str_eq(b.rejects[1].reason,
                   "span 0000000000000002: attribute 'llm.cost.total': "
                   "expected a number from 0 to 1e+09");
  ck_assert_str_eq(b.rejects[2].reason,
                   "span 0000000000000003: attribute "
                   "'stackrisk.session.estimate.steps': expected a whole "
                   "number from 0 to 1e+12");
}
END_TEST

START_TEST(session_precedence) {
  KV *res[] = {kvs("session.id", "from-resource"), NULL};
  SP *spans[] = {
      /* both on the span: gen_ai.conversation.id wins over session.id */
      span(3, 1, 0, "execute_tool a", 1000, 1100,
           kvs("session.id", "oi"), kvs("gen_ai.conversation.id", "genai"),
           NULL),
      /* langfuse beats traceloop */
      span(3, 2, 0, "execute_tool b", 1000, 1100,
           kvs("traceloop.association.properties.session_id", "tl"),
           kvs("langfuse.session.id", "lf"), NULL),
      /* nothing on the span: its parent's, before the resource's */
      span(3, 3, 1, "execute_tool c", 1000, 1100, NULL),
      /* nothing on the span or above it: the resource's */
      span(3, 4, 0, "execute_tool d", 1000, 1100, NULL),
      NULL};
  ck_assert_int_eq(decode(buf, pack(res, spans)), 0);
  ck_str(find_call("0000000000000001", SR_PHASE_REQUESTED)->session_id,
         "genai");
  ck_str(find_call("0000000000000002", SR_PHASE_REQUESTED)->session_id, "lf");
  ck_str(find_call("0000000000000003", SR_PHASE_REQUESTED)->session_id,
         "genai");
  ck_str(find_call("0000000000000004", SR_PHASE_REQUESTED)->session_id,
         "from-resource");
}
END_TEST

START_TEST(trace_id_is_the_last_resort) {
  SP *spans[] = {span(4, 1, 0, "execute_tool Read", 1000, 1100, NULL), NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  ck_str(b.events[0]->session_id, "ab000000000000000000000000000004");
  /* Without the fallback the span has no session: rejected. */
  cfg.session_from_trace_id = false;
  ck_assert_int_eq(decode(buf, len), 0);
  ck_assert_uint_eq(b.n_events, 0);
  ck_assert_uint_eq(b.n_rejects, 1);
  ck_assert_ptr_nonnull(strstr(b.rejects[0].reason, "no session id"));
}
END_TEST

START_TEST(other_spans_are_ignored) {
  SP *spans[] = {span(5, 1, 0, "GET /api", 1000, 1100,
                      kvs("http.request.method", "GET"),
                      kvs("session.id", "s"), NULL),
                 span(5, 2, 0, "chat gpt", 1000, 1100,
                      kvs("gen_ai.operation.name", "chat"), NULL),
                 NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  /* the HTTP span, and the chat span without any output */
  ck_assert_uint_eq(b.n_events, 0);
  ck_assert_uint_eq(b.n_ignored, 2);
  ck_assert_uint_eq(b.n_rejects, 0);
}
END_TEST

START_TEST(attributes_are_configurable) {
  struct sr_conf *conf;
  struct sr_otlp_config c2;
  struct sr_otlp_decoder *d2 = decoder_of(
      "attributes:\n"
      "  session_id: [acme.thread]\n"
      "  tool: [acme.tool]\n"
      "  arguments: []\n",
      &conf, &c2);
  SP *spans[] = {span(6, 1, 0, "x", 1000, 1100,
                      kvs("gen_ai.operation.name", "execute_tool"),
                      kvs("acme.thread", "t-9"), kvs("acme.tool", "deploy"),
                      kvs("gen_ai.tool.call.arguments", "{}"),
                      kvs("gen_ai.conversation.id", "ignored"), NULL),
                 NULL};
  ck_assert_int_eq(decode_with(d2, buf, pack(NULL, spans)), 0);
  ck_str(b.events[0]->session_id, "t-9");
  ck_str(b.events[0]->tool, "deploy");
  ck_assert_uint_eq(b.events[0]->arguments.n, 0);
  ck_assert_str_eq(c2.topic, "otlp_spans");
  sr_otlp_decoder_destroy(d2);
  sr_conf_destroy(conf);
}
END_TEST

/* GenAI spans count tokens, not money: the configured prices turn them into
 * spend. */
START_TEST(tokens_priced_by_model) {
  struct sr_conf *conf;
  struct sr_otlp_config c2;
  struct sr_otlp_decoder *d2 = decoder_of(
      "token_prices:\n"
      "  claude-sonnet-4*: {input: 3.0, output: 15.0}\n"
      "  '*': {input: 1.0, output: 1.0}\n",
      &conf, &c2);
  ck_assert_uint_eq(c2.n_prices, 2);
  SP *spans[] = {
      span(5, 1, 0, "chat claude", 1000, 1100, kvs("session.id", "s5"),
           kvs("gen_ai.response.model", "claude-sonnet-4-5-20250929"),
           kv("gen_ai.usage.input_tokens", av_int(120000)),
           kv("gen_ai.usage.output_tokens", av_int(2000)), NULL),
      span(5, 2, 0, "chat other", 1200, 1300, kvs("session.id", "s5"),
           kvs("gen_ai.request.model", "gpt-5"),
           kv("gen_ai.usage.input_tokens", av_int(500000)), NULL),
      /* A cost the SDK reported wins over the price. */
      span(5, 3, 0, "chat priced", 1400, 1500, kvs("session.id", "s5"),
           kvs("gen_ai.response.model", "claude-sonnet-4-5"),
           kv("gen_ai.usage.input_tokens", av_int(1000000)),
           kv("llm.cost.total", av_double(0.25)), NULL),
      /* Tokens without a model: no price applies. */
      span(5, 4, 0, "chat anon", 1600, 1700, kvs("session.id", "s5"),
           kv("gen_ai.usage.input_tokens", av_int(1000)), NULL),
      NULL};
  ck_assert_int_eq(decode_with(d2, buf, pack(NULL, spans)), 0);
  ck_assert_uint_eq(b.n_rejects, 0);
  ck_assert_uint_eq(b.n_events, 3);
  ck_assert_double_eq_tol(b.events[0]->cost_usd, 0.39, 1e-12);
  ck_assert_double_eq_tol(b.events[1]->cost_usd, 0.5, 1e-12);
  ck_assert_double_eq(b.events[2]->cost_usd, 0.25);
  ck_assert_uint_eq(b.n_ignored, 1);
  sr_otlp_decoder_destroy(d2);
  sr_conf_destroy(conf);

  /* Without prices, tokens are not spend. */
  ck_assert_int_eq(decode(buf, len), 0);
  ck_assert_uint_eq(b.n_events, 1);
  ck_assert_double_eq(b.events[0]->cost_usd, 0.25);
}
END_TEST

START_TEST(config_errors_name_the_key) {
  struct sr_conf *conf = sr_conf_load_string("attributes:\n  sesion_id: [x]\n",
                                             "bad.yaml", err, sizeof err);
  struct sr_otlp_config c2;
  ck_assert_int_eq(sr_otlp_config_read(sr_conf_root(conf), &c2, err,
                                       sizeof err), SR_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "sesion_id"));
  sr_conf_destroy(conf);
  conf = sr_conf_load_string("repartition_topic: otlp_spans\n", "bad.yaml", err,
                             sizeof err);
  ck_assert_int_eq(sr_otlp_config_read(sr_conf_root(conf), &c2, err,
                                       sizeof err), SR_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "must differ"));
  sr_conf_destroy(conf);
  static const char *const bad_prices[][2] = {
      {"token_prices: [3, 15]\n", "token_prices"},
      {"token_prices:\n  gpt-5: 3\n", "token_prices.gpt-5"},
      {"token_prices:\n  gpt-5: {input: -1}\n", "input"},
      {"token_prices:\n  gpt-5: {in: 3}\n", "in"},
  };
  for (size_t i = 0; i < sizeof bad_prices / sizeof bad_prices[0]; i++) {
    conf = sr_conf_load_string(bad_prices[i][0], "bad.yaml", err, sizeof err);
    ck_assert_ptr_nonnull(conf);
    ck_assert_int_eq(sr_otlp_config_read(sr_conf_root(conf), &c2, err,
                                         sizeof err), SR_EINVAL);
    ck_assert_msg(strstr(err, "bad.yaml:") && strstr(err, bad_prices[i][1]),
                  "%s", err);
    sr_conf_destroy(conf);
  }
}
END_TEST

/* Bad spans and bad bytes --------------------------------------------------*/

START_TEST(bad_span_is_rejected_and_the_others_map) {
  SP *bad = span(7, 2, 0, "tool call", 1100, 1200,
                 kvs("gen_ai.operation.name", "execute_tool"),
                 kvs("gen_ai.conversation.id", "s7"), NULL);
  SP *spans[] = {span(7, 1, 0, "execute_tool Read", 1000, 1100,
                      kvs("gen_ai.conversation.id", "s7"), NULL),
                 bad,
                 span(7, 3, 0, "execute_tool Write", 1200, 1300,
                      kvs("gen_ai.conversation.id", "s7"), NULL),
                 NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  ck_assert_uint_eq(b.n_events, 4);
  ck_assert_uint_eq(b.n_rejects, 1);
  ck_assert_ptr_nonnull(strstr(b.rejects[0].reason, "span 0000000000000002"));
  ck_assert_ptr_nonnull(strstr(b.rejects[0].reason, "without a tool name"));
  ck_assert_ptr_nonnull(strstr(b.rejects[0].reason, "gen_ai.tool.name"));
  /* Its dead letter is the span alone, decodable as TracesData. */
  sr_str one;
  ck_assert_int_eq(sr_otlp_encode_span(&b, b.rejects[0].span, arena, &one), 0);
  Stackrisk__Otlp__V1__TracesData *td = stackrisk__otlp__v1__traces_data__unpack(
      NULL, one.n, (const uint8_t *)one.p);
  ck_assert_ptr_nonnull(td);
  ck_assert_uint_eq(td->n_resource_spans, 1);
  ck_assert_uint_eq(td->resource_spans[0]->scope_spans[0]->n_spans, 1);
  ck_assert_uint_eq(td->resource_spans[0]->scope_spans[0]->spans[0]->span_id
                        .data[7], 2);
  stackrisk__otlp__v1__traces_data__free_unpacked(td, NULL);
}
END_TEST

/* A span ending further ahead of its record's time than max_future_ms
 * allows is dead-lettered alone: its events would move event time ahead
 * for good. */
START_TEST(span_far_ahead_of_its_record_is_rejected) {
  SP *spans[] = {span(10, 1, 0, "execute_tool Read", 1000, 1100,
                      kvs("gen_ai.conversation.id", "s10"), NULL),
                 span(10, 2, 0, "execute_tool Write", 1200, 1700000,
                      kvs("gen_ai.conversation.id", "s10"), NULL),
                 NULL};
  opts.written_ms = 1000000;
  opts.max_future_ms = 600000;
  int rc = decode(buf, pack(NULL, spans));
  opts.written_ms = opts.max_future_ms = 0;
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(b.n_events, 2);
  ck_assert_uint_eq(b.n_rejects, 1);
  ck_assert_msg(strstr(b.rejects[0].reason,
                       "span 0000000000000002: event "
                       "time 1700000 is 700 s after") &&
                    strstr(b.rejects[0].reason, "max_future_s"),
                "%s", b.rejects[0].reason);
}
END_TEST

START_TEST(invalid_ids_bounds_nul_and_enums) {
  SP *zero = span(8, 1, 0, "execute_tool a", 1000, 1100, NULL);
  memset((uint8_t *)zero->trace_id.data, 0, 16);
  char big[SR_SESSION_ID_MAX + 2];
  memset(big, 's', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  static const char nul[] = "rm\0 -rf /";
  AV *hidden = av_str("");
  hidden->string_value = (ProtobufCBinaryData){sizeof nul - 1, (uint8_t *)nul};
  SP *spans[] = {
      zero,
      span(8, 2, 0, "execute_tool b", 1000, 1100, kvs("session.id", big), NULL),
      span(8, 3, 0, "execute_tool c", 1000, 1100,
           kv("gen_ai.tool.call.arguments", hidden), NULL),
      span(8, 4, 0, "invoke_agent x", 1000, 1100,
           kvs("stackrisk.session.mode", "yolo"), NULL),
      NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  ck_assert_uint_eq(b.n_events, 0);
  ck_assert_uint_eq(b.n_rejects, 4);
  ck_assert_ptr_nonnull(strstr(b.rejects[0].reason, "invalid trace id"));
  ck_assert_ptr_nonnull(strstr(b.rejects[1].reason, "'session.id'"));
  ck_assert_ptr_nonnull(strstr(b.rejects[1].reason, "exceeds the limit"));
  ck_assert_ptr_nonnull(strstr(b.rejects[2].reason, "NUL byte"));
  ck_assert_ptr_nonnull(strstr(b.rejects[3].reason, "unknown mode"));
}
END_TEST

/* A span name stands in for a missing tool name or agent id; a NUL in it
 * would hide what follows once the event is re-encoded for the stateful
 * stage (C strings), as in an attribute. */
START_TEST(nul_in_span_name_rejects_the_span) {
  static const char tool[] = "execute_tool ls\0; rm -rf /";
  static const char agent[] = "invoke_agent ops\0-root";
  SP *t = span(9, 1, 0, "", 1000, 1100, NULL);
  t->name = (ProtobufCBinaryData){sizeof tool - 1, (uint8_t *)tool};
  SP *a = span(9, 2, 0, "", 1000, 1200, NULL);
  a->name = (ProtobufCBinaryData){sizeof agent - 1, (uint8_t *)agent};
  SP *spans[] = {t, a, NULL};
  ck_assert_int_eq(decode(buf, pack(NULL, spans)), 0);
  ck_assert_uint_eq(b.n_events, 0);
  ck_assert_uint_eq(b.n_rejects, 2);
  ck_assert_ptr_nonnull(strstr(b.rejects[0].reason, "NUL byte"));
  ck_assert_ptr_nonnull(strstr(b.rejects[1].reason, "NUL byte"));
}
END_TEST

/* otlp_proto opens with field 1's tag, 0x0A, a newline; when the first
 * ResourceSpans is 123 bytes long its length byte is '{', so the message
 * opens with "\n{" like a JSON text after a blank line. It is protobuf. */
START_TEST(proto_that_opens_like_json_is_proto) {
  char name[128] = "execute_tool ";
  for (size_t n = strlen(name); n < sizeof name - 1; n++) {
    SP *spans[] = {span(10, 1, 0, name, 1000, 1100, NULL), NULL};
    if (pack(NULL, spans) == 2 + 123) break;
    name[n] = 'x';
    name[n + 1] = '\0';
  }
  ck_assert_uint_eq(len, 2 + 123);
  ck_assert(buf[0] == '\n' && buf[1] == '{');
  ck_assert_msg(decode(buf, len) == 0, "%s", err);
  ck_assert_uint_eq(b.n_spans, 1);
  ck_assert_uint_eq(b.n_events, 2);
}
END_TEST

START_TEST(bad_bytes_fail_the_message_with_a_reason) {
  static const uint8_t garbage[] = {0x0a, 0x50, 0x01, 0x02};
  ck_assert_int_eq(decode(garbage, sizeof garbage), SR_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "invalid otlp_proto"));
  ck_assert_ptr_nonnull(strstr(err, "truncated"));
  /* A truncated fixture. */
  ck_assert_int_eq(decode_file("pocketos_genai.bin"), 0);
  ck_assert_int_eq(decode(buf, len - 7), SR_EINVAL);
  /* Nesting far past any real attribute: refused before protobuf-c
   * recurses into it. */
  /* TracesData.resource_spans > ResourceSpans.resource >
   * Resource.attributes > KeyValue.value > AnyValue.array_value >
   * ArrayValue.values > AnyValue.array_value > ... built inside out. */
  static uint8_t deep[4096];
  size_t at = sizeof deep, levels = 200;
  for (size_t i = levels; i-- > 0;) {
    size_t inner = sizeof deep - at;
    uint8_t tag = i < 3 ? 0x0a : i == 3 ? 0x12 : (i % 2 ? 0x0a : 0x2a);
    uint8_t var[2];
    size_t vn = 0;
    var[vn++] = (uint8_t)(inner < 128 ? inner : (inner & 0x7f) | 0x80);
    if (inner >= 128) var[vn++] = (uint8_t)(inner >> 7);
    at -= vn;
    memcpy(deep + at, var, vn);
    deep[--at] = tag;
  }
  size_t n = sizeof deep - at;
  memmove(deep, deep + at, n);
  ck_assert_int_eq(decode(deep, n), SR_EINVAL);
  ck_assert_msg(strstr(err, "nested deeper"), "%s", err);
  opts.max_message_bytes = 1024;
  ck_assert_int_eq(decode_file("pocketos_genai.bin"), SR_EBOUND);
  ck_assert_ptr_nonnull(strstr(err, "exceeds the limit"));
  opts.max_message_bytes = 0;
}
END_TEST

START_TEST(arena_exhausted_is_reported) {
  sr_arena_destroy(arena);
  arena = sr_arena_create(2048);
  ck_assert_int_eq(decode_file("pocketos_genai.bin"), SR_ENOMEM);
  ck_assert_str_eq(err, "decoder arena exhausted");
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("otlp");
  TCase *fx = tcase_create("fixtures");
  tcase_add_checked_fixture(fx, setup, teardown);
  tcase_add_test(fx, genai_fixture_maps_the_pocketos_session);
  tcase_add_test(fx, genai_fixture_sub_agent_and_error_status);
  tcase_add_test(fx, openinference_fixture_maps_the_twin);
  tcase_add_test(fx, json_and_proto_forms_agree);
  suite_add_tcase(s, fx);
  TCase *map = tcase_create("mapping");
  tcase_add_checked_fixture(map, setup, teardown);
  tcase_add_test(map, structured_arguments_become_json);
  tcase_add_test(map, error_status_fails_the_call);
  tcase_add_test(map, openllmetry_tool_span);
  tcase_add_test(map, cost_and_estimates);
  tcase_add_test(map, tokens_priced_by_model);
  tcase_add_test(map, session_precedence);
  tcase_add_test(map, trace_id_is_the_last_resort);
  tcase_add_test(map, other_spans_are_ignored);
  tcase_add_test(map, attributes_are_configurable);
  tcase_add_test(map, config_errors_name_the_key);
  tcase_add_test(map, proto_that_opens_like_json_is_proto);
  suite_add_tcase(s, map);
  TCase *bad = tcase_create("reject");
  tcase_add_checked_fixture(bad, setup, teardown);
  tcase_add_test(bad, bad_span_is_rejected_and_the_others_map);
  tcase_add_test(bad, span_far_ahead_of_its_record_is_rejected);
  tcase_add_test(bad, invalid_ids_bounds_nul_and_enums);
  tcase_add_test(bad, nul_in_span_name_rejects_the_span);
  tcase_add_test(bad, bad_bytes_fail_the_message_with_a_reason);
  tcase_add_test(bad, arena_exhausted_is_reported);
  suite_add_tcase(s, bad);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
