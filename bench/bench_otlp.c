/*
 * bench_otlp: OTLP decode throughput on one thread, in spans/s, for what
 * the repartition stage does per message (everything but Kafka):
 *
 *  baseline   protobuf-c unpack of the TracesData alone (no mapping): the
 *             floor any otlp_proto decoder pays;
 *  otlp_proto sr_otlp_decode: unpack + wire check + attribute scan + span
 *             mapping + event-time sort;
 *  otlp_json  the same spans as OTLP/JSON;
 *  stage      otlp_proto decode + every event re-encoded as
 *             stackrisk.v1.Event (what is produced to the internal topic).
 *
 * The corpus is generated with a fixed seed: messages of --batch spans,
 * sessions of 10 spans each (an invoke_agent root, 7 execute_tool spans
 * with JSON-string arguments and results, 2 chat spans), as the GenAI
 * conventions describe them. Each case runs --rounds times over the whole
 * corpus; the median is printed, one line per case, with its ratio to the
 * baseline of the same run. A hash of every mapped event is printed, and
 * the JSON form must reproduce it, so a fast but wrong build is caught.
 *
 * usage: bench_otlp [--size SPANS] [--batch N] [--rounds R] [--seed X]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "core/arena.h"
#include "core/buf.h"
#include "ingest/otlp.h"
#include "ingest/repartition.h"
#include "schemas/otlp.pb-c.h"

typedef Stackrisk__Otlp__V1__KeyValue KV;
typedef Stackrisk__Otlp__V1__AnyValue AV;
typedef Stackrisk__Otlp__V1__Span SP;

struct msg {
  uint8_t *pb;
  size_t pb_len;
  char *json;
  size_t json_len;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Generation: strings live in a growing arena freed at exit. ------------*/

static struct sr_arena *gen;

static char *gstr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *gstr(const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  char *p = sr_arena_alloc(gen, (size_t)n + 1);
  memcpy(p, tmp, (size_t)n + 1);
  return p;
}

static KV *kv(const char *k, const char *v) {
  KV *p = sr_arena_alloc(gen, sizeof *p);
  AV *a = sr_arena_alloc(gen, sizeof *a);
  stackrisk__otlp__v1__key_value__init(p);
  stackrisk__otlp__v1__any_value__init(a);
  p->key = (ProtobufCBinaryData){strlen(k), (uint8_t *)k};
  a->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE;
  a->string_value = (ProtobufCBinaryData){strlen(v), (uint8_t *)v};
  p->value = a;
  return p;
}

static void json_bytes_hex(struct sr_buf *b, const char *name,
                           ProtobufCBinaryData d) {
  static const char hx[] = "0123456789abcdef";
  sr_buf_printf(b, "\"%s\":\"", name);
  for (size_t i = 0; i < d.len; i++) {
    char c[2] = {hx[d.data[i] >> 4], hx[d.data[i] & 15]};
    sr_buf_append(b, c, 2);
  }
  sr_buf_puts(b, "\"");
}

/* OTLP/JSON of one span (string attributes only, as generated). */
static void span_json(struct sr_buf *b, const SP *s) {
  sr_buf_puts(b, "{");
  json_bytes_hex(b, "traceId", s->trace_id);
  sr_buf_puts(b, ",");
  json_bytes_hex(b, "spanId", s->span_id);
  if (s->parent_span_id.len) {
    sr_buf_puts(b, ",");
    json_bytes_hex(b, "parentSpanId", s->parent_span_id);
  }
  sr_buf_puts(b, ",\"name\":");
  sr_buf_json_string(b, (sr_str){(const char *)s->name.data, s->name.len});
  sr_buf_printf(b,
                ",\"kind\":%d,\"startTimeUnixNano\":\"%llu\","
                "\"endTimeUnixNano\":\"%llu\",\"attributes\":[",
                s->kind, (unsigned long long)s->start_time_unix_nano,
                (unsigned long long)s->end_time_unix_nano);
  for (size_t i = 0; i < s->n_attributes; i++) {
    const KV *a = s->attributes[i];
    sr_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
    sr_buf_json_string(b, (sr_str){(const char *)a->key.data, a->key.len});
    sr_buf_puts(b, ",\"value\":{\"stringValue\":");
    sr_buf_json_string(b, (sr_str){(const char *)a->value->string_value.data,
                                   a->value->string_value.len});
    sr_buf_puts(b, "}}");
  }
  sr_buf_printf(b, "],\"status\":{\"code\":%d}}",
                s->status ? s->status->code : 0);
}

static const char *const tools[] = {"run_terminal_cmd", "read_file",
                                    "grep_search", "railway.graphql",
                                    "edit_file"};

static struct msg make_msg(uint64_t *seed, size_t batch, size_t first_session) {
  SP **spans = sr_arena_alloc(gen, batch * sizeof *spans);
  char *sid = NULL;
  uint8_t *trace = NULL;
  uint64_t t0 = 0;
  for (size_t i = 0; i < batch; i++) {
    size_t pos = i % 10;
    if (pos == 0) {
      sid = gstr("sess-bench-%zu", first_session + i / 10);
      trace = sr_arena_alloc(gen, 16);
      for (int k = 0; k < 16; k++) trace[k] = (uint8_t)rng(seed);
      trace[0] |= 1;
      t0 = 1776000000000000000ULL + (rng(seed) % 1000000) * 1000000000ULL;
    }
    SP *s = sr_arena_alloc(gen, sizeof *s);
    stackrisk__otlp__v1__span__init(s);
    uint8_t *id = sr_arena_alloc(gen, 8);
    uint64_t v = rng(seed) | 1;
    memcpy(id, &v, 8);
    s->trace_id = (ProtobufCBinaryData){16, trace};
    s->span_id = (ProtobufCBinaryData){8, id};
    if (pos) s->parent_span_id = spans[i - pos]->span_id;
    s->start_time_unix_nano = t0 + pos * 1000000000ULL;
    s->end_time_unix_nano = s->start_time_unix_nano + 400000000ULL;
    s->kind = 1;
    s->attributes = sr_arena_alloc(gen, 8 * sizeof *s->attributes);
    KV **a = s->attributes;
    size_t n = 0;
    if (pos == 0) {
      s->name = (ProtobufCBinaryData){20, (uint8_t *)"invoke_agent planner"};
      s->end_time_unix_nano = t0 + 11000000000ULL;
      a[n++] = kv("gen_ai.operation.name", "invoke_agent");
      a[n++] = kv("gen_ai.agent.id", "planner");
      a[n++] = kv("gen_ai.conversation.id", sid);
      a[n++] = kv("stackrisk.session.mode", rng(seed) % 10 ? "default" : "plan");
      a[n++] = kv("stackrisk.session.task", "migrate the staging database");
    } else if (pos == 4 || pos == 8) {
      s->name = (ProtobufCBinaryData){11, (uint8_t *)"chat claude"};
      a[n++] = kv("gen_ai.operation.name", "chat");
      a[n++] = kv("gen_ai.conversation.id", sid);
      a[n++] = kv("gen_ai.output.messages",
                  gstr("[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\","
                       "\"content\":\"Next I will check service %llu.\"}]}]",
                       (unsigned long long)(rng(seed) % 1000)));
    } else {
      const char *tool = tools[rng(seed) % SR_ARRAY_LEN(tools)];
      char *name = gstr("execute_tool %s", tool);
      s->name = (ProtobufCBinaryData){strlen(name), (uint8_t *)name};
      a[n++] = kv("gen_ai.operation.name", "execute_tool");
      a[n++] = kv("gen_ai.tool.name", tool);
      a[n++] = kv("gen_ai.tool.call.id",
                  gstr("call_%016llx", (unsigned long long)rng(seed)));
      a[n++] = kv("gen_ai.tool.call.arguments",
                  gstr("{\"command\":\"ls -la /srv/app-%llu && cat "
                       "config/%llu.yaml\",\"is_background\":false}",
                       (unsigned long long)(rng(seed) % 100),
                       (unsigned long long)(rng(seed) % 100)));
      a[n++] = kv("gen_ai.tool.call.result",
                  gstr("total 48\ndrwxr-xr-x  6 app app 4096 Nov 21 %02llu:12 ."
                       "\n-rw-r--r--  1 app app  812 Nov 21 09:40 config.yaml"
                       "\nreplicas: %llu\nimage: registry/app:%llu",
                       (unsigned long long)(rng(seed) % 24),
                       (unsigned long long)(rng(seed) % 9),
                       (unsigned long long)(rng(seed) % 500)));
    }
    s->n_attributes = n;
    spans[i] = s;
  }
  Stackrisk__Otlp__V1__ScopeSpans ss = STACKRISK__OTLP__V1__SCOPE_SPANS__INIT;
  ss.n_spans = batch;
  ss.spans = spans;
  Stackrisk__Otlp__V1__ScopeSpans *ssp = &ss;
  KV *res[] = {kv("service.name", "bench-agent"),
               kv("deployment.environment.name", "staging")};
  Stackrisk__Otlp__V1__Resource r = STACKRISK__OTLP__V1__RESOURCE__INIT;
  r.n_attributes = 2;
  r.attributes = res;
  Stackrisk__Otlp__V1__ResourceSpans rs =
      STACKRISK__OTLP__V1__RESOURCE_SPANS__INIT;
  rs.resource = &r;
  rs.n_scope_spans = 1;
  rs.scope_spans = &ssp;
  Stackrisk__Otlp__V1__ResourceSpans *rsp = &rs;
  Stackrisk__Otlp__V1__TracesData td = STACKRISK__OTLP__V1__TRACES_DATA__INIT;
  td.n_resource_spans = 1;
  td.resource_spans = &rsp;
  struct msg m;
  m.pb_len = stackrisk__otlp__v1__traces_data__get_packed_size(&td);
  m.pb = malloc(m.pb_len);
  stackrisk__otlp__v1__traces_data__pack(&td, m.pb);
  size_t cap = 4 * m.pb_len + 4096;
  m.json = malloc(cap);
  struct sr_buf b = sr_buf_init(m.json, cap);
  sr_buf_puts(&b,
              "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
              "\"service.name\",\"value\":{\"stringValue\":\"bench-agent\"}},"
              "{\"key\":\"deployment.environment.name\",\"value\":{"
              "\"stringValue\":\"staging\"}}]},\"scopeSpans\":[{\"spans\":[");
  for (size_t i = 0; i < batch; i++) {
    if (i) sr_buf_puts(&b, ",");
    span_json(&b, spans[i]);
  }
  sr_buf_puts(&b, "]}]}]}");
  if (b.overflow) abort();
  m.json_len = b.len;
  return m;
}

/* Cases ------------------------------------------------------------------*/

enum which { BASELINE, PROTO, JSON, STAGE };

static void *arena_alloc(void *a, size_t n) {
  return sr_arena_alloc(a, n ? n : 1);
}

static void arena_free(void *a, void *p) {
  (void)a;
  (void)p;
}

/* One pass over the corpus; returns seconds, adds to *spans and *hash. */
static double pass(enum which w, const struct msg *msgs, size_t n,
                   struct sr_otlp_decoder *dec, struct sr_arena *arena,
                   uint64_t *spans, uint64_t *hash) {
  char err[512];
  struct sr_otlp_batch b;
  struct sr_decode_opts opts = {8 << 20, 0};
  XXH64_state_t *h = XXH64_createState();
  XXH64_reset(h, 42);
  double t = now_s();
  for (size_t i = 0; i < n; i++) {
    sr_arena_reset(arena);
    if (w == BASELINE) {
      /* the same arena allocator the decoder gives protobuf-c */
      ProtobufCAllocator alloc = {arena_alloc, arena_free, arena};
      Stackrisk__Otlp__V1__TracesData *td =
          stackrisk__otlp__v1__traces_data__unpack(&alloc, msgs[i].pb_len,
                                                   msgs[i].pb);
      if (!td) abort();
      *spans += td->resource_spans[0]->scope_spans[0]->n_spans;
      continue;
    }
    const void *p = w == JSON ? (const void *)msgs[i].json : msgs[i].pb;
    size_t len = w == JSON ? msgs[i].json_len : msgs[i].pb_len;
    if (sr_otlp_decode(dec, p, len, &opts, arena, &b, err, sizeof err)) {
      fprintf(stderr, "bench_otlp: message %zu: %s\n", i, err);
      exit(1);
    }
    *spans += b.n_spans;
    for (size_t k = 0; k < b.n_events; k++) {
      const struct sr_event *e = b.events[k];
      if (w == STAGE) {
        sr_str pb;
        if (sr_repartition_encode(e, arena, &pb)) abort();
        XXH64_update(h, &pb.n, sizeof pb.n);
      } else {
        XXH64_update(h, e->event_id.p, e->event_id.n);
        XXH64_update(h, e->session_id.p, e->session_id.n);
        XXH64_update(h, e->arguments.p, e->arguments.n);
        XXH64_update(h, e->result.p, e->result.n);
        XXH64_update(h, e->text.p, e->text.n);
        XXH64_update(h, &e->ts_ms, sizeof e->ts_ms);
      }
    }
  }
  t = now_s() - t;
  *hash = XXH64_digest(h);
  XXH64_freeState(h);
  return t;
}

int main(int argc, char **argv) {
  size_t size = 200000, batch = 100;
  int rounds = 5;
  uint64_t seed = 42;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) size = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "usage: bench_otlp [--size SPANS] [--batch N] "
                      "[--rounds R] [--seed X]\n");
      return 2;
    }
  }
  if (batch < 10 || batch % 10 || rounds < 1 || rounds > 99 || size < batch) {
    fprintf(stderr, "bench_otlp: --batch must be a multiple of 10, --rounds "
                    "1-99, --size at least --batch\n");
    return 2;
  }
  char err[512];
  struct sr_otlp_config cfg;
  if (sr_otlp_config_read(NULL, &cfg, err, sizeof err)) return 1;
  struct sr_otlp_decoder *dec = sr_otlp_decoder_create(&cfg, err, sizeof err);
  gen = sr_arena_create((size / 10 + 1) * 16384 + (64u << 20));
  struct sr_arena *arena = sr_arena_create(64u << 20);
  if (!dec || !gen || !arena) {
    fprintf(stderr, "bench_otlp: out of memory\n");
    return 1;
  }
  size_t n = size / batch;
  struct msg *msgs = calloc(n, sizeof *msgs);
  uint64_t s = seed;
  size_t pb_bytes = 0, json_bytes = 0;
  for (size_t i = 0; i < n; i++) {
    msgs[i] = make_msg(&s, batch, i * batch / 10);
    pb_bytes += msgs[i].pb_len;
    json_bytes += msgs[i].json_len;
  }
  printf("corpus: %zu spans in %zu messages of %zu, %.0f bytes/span "
         "otlp_proto, %.0f otlp_json, seed %llu\n",
         n * batch, n, batch, (double)pb_bytes / (n * batch),
         (double)json_bytes / (n * batch), (unsigned long long)seed);

  static const char *const names[] = {
      "baseline protobuf-c unpack only", "otlp_proto decode + map",
      "otlp_json decode + map", "stage: otlp_proto decode + map + re-encode"};
  double rate[4][99], ratio[4][99];
  uint64_t hash[4] = {0};
  for (int r = 0; r < rounds; r++) {
    for (int w = BASELINE; w <= STAGE; w++) {
      uint64_t spans = 0;
      double t = pass((enum which)w, msgs, n, dec, arena, &spans, &hash[w]);
      rate[w][r] = (double)spans / t;
    }
    for (int w = BASELINE; w <= STAGE; w++)
      ratio[w][r] = rate[w][r] / rate[BASELINE][r];
  }
  for (int w = BASELINE; w <= STAGE; w++) {
    double m = median(rate[w], rounds), q = median(ratio[w], rounds);
    printf("%-44s %10.0f spans/s  %6.0f ns/span  ratio %.2f\n", names[w], m,
           1e9 / m, q);
  }
  printf("result hash %016llx (otlp_json %s)\n", (unsigned long long)hash[PROTO],
         hash[PROTO] == hash[JSON] ? "identical" : "DIFFERS");
  int rc = hash[PROTO] == hash[JSON] ? 0 : 1;
  for (size_t i = 0; i < n; i++) {
    free(msgs[i].pb);
    free(msgs[i].json);
  }
  free(msgs);
  sr_arena_destroy(arena);
  sr_arena_destroy(gen);
  sr_otlp_decoder_destroy(dec);
  return rc;
}
