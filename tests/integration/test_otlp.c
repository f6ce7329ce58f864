/*
 * OTLP end to end: the real `stackrisk run` binary against the mock broker,
 * fed the bytes the real OpenTelemetry JS SDK wrote (tests/data/otlp) on
 * `otlp_spans`, as the Collector's Kafka exporter would: otlp_proto keyed by
 * trace id, otlp_json not keyed. The spans go through the repartition stage
 * (stackrisk.repartition, keyed by session) into the stateful stage, and
 * the commands come back on the control topic:
 *  - the PocketOS session in GenAI conventions: BLOCK or KILL on the
 *    volumeDelete call, with the span's stable event id;
 *  - its benign twin in OpenInference conventions: once every offset of
 *    both stages is committed, nothing stronger than ALLOW;
 *  - a batch holding one span without a tool name: that span alone is
 *    dead-lettered with its id in the reason, the others still get their
 *    command; a message that is not OTLP is dead-lettered whole;
 *  - two instances in one group: a session whose spans arrive on different
 *    OTLP partitions (so through both OTLP stages) is still judged in one
 *    place, with everything it declared;
 *  - three instances: sessions that start on stackrisk.events and call
 *    through OTLP are judged where their start was seen, and topics with
 *    unequal partition counts are reported;
 *  - the broker leading the internal topic goes down: the OTLP offsets are
 *    held back until the events are delivered, then nothing is missing.
 * Each test case has its own broker and processes; tests within a case
 * share them (CK_NOFORK), in order.
 */
#include <check.h>
#include <stdlib.h>

#include "aggregator/command.h"
#include "core/kafka.h"
#include "enforce/control.h"
#include "harness.h"
#include "schemas/otlp.pb-c.h"
#include "schemas/stackrisk.pb-c.h"
#include "tests/http_client.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif
#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define MAX_SEEN 1024
#define GENAI_TRACE "a1b2c3d4000000000000000000001002"

static struct sr_broker *broker;
static const char *brokers;
static pid_t procs[3];
static int n_procs;
static rd_kafka_t *producer;
static struct sr_control_reader *reader;
static struct sr_command *seen;
static size_t n_seen;
static char log_paths[3][256], group[64], otlp_group[80];
#define log_path log_paths[0]

static const char *const topics[] = {"stackrisk.events", "stackrisk.control",
                                     "stackrisk.dlq", "otlp_spans",
                                     "stackrisk.repartition"};
static rd_kafka_t *mock_rk; /* owns `mock` when a test builds its own */
static rd_kafka_mock_cluster_t *mock;

/* n `stackrisk run` processes in one consumer group on `brokers`. */
static void spawn(int n, const char *name, const char *log_level) {
  char err[512];
  snprintf(group, sizeof group, "%s-%d", name, (int)getpid());
  snprintf(otlp_group, sizeof otlp_group, "%s-otlp", group);
  n_procs = n;
  for (int i = 0; i < n; i++) {
    snprintf(log_paths[i], sizeof log_paths[i], "stackrisk-%s-%d-%d.log", name,
             (int)getpid(), i);
    unlink(log_paths[i]);
    /* Each instance its own state database, fresh: a stale one would
     * resume from offsets of an earlier run. */
    char state[96];
    snprintf(state, sizeof state, "stackrisk-%s-%d-%d.db", name, (int)getpid(),
             i);
    h_remove_db(state);
    char *argv[] = {
        SR_BINARY,         "run",      "--brokers",
        (char *)brokers,   "--config", SR_TEST_DATA "/integration/otlp.yaml",
        "--group",         group,      "--log-level",
        (char *)log_level, "--state",  state,
        "--http",          ":0",       NULL};
    procs[i] = h_spawn(argv, log_paths[i]);
    ck_assert_int_gt(procs[i], 0);
  }
  producer = h_producer(brokers);
  ck_assert_ptr_nonnull(producer);
  reader = sr_control_reader_create(brokers, "test-reader", "stackrisk.control",
                                    true, NULL, 10000, err, sizeof err);
  ck_assert_msg(reader, "control reader: %s", err);
  seen = calloc(MAX_SEEN, sizeof *seen);
  n_seen = 0;
}

/* The embedded broker with the five topics, and n processes. */
static void start(int n, const char *name) {
  char err[512];
  broker = sr_broker_create(1, topics, 5, 4, err, sizeof err);
  ck_assert_msg(broker, "broker: %s", err);
  brokers = sr_broker_bootstraps(broker);
  spawn(n, name, "info");
}

static void setup(void) { start(1, "otlp-it"); }
static void setup_two(void) { start(2, "otlp-scale"); }
static void setup_three(void) {
  start(3, "otlp-three");
}

static void teardown(void) {
  for (int i = 0; i < n_procs; i++) {
    if (procs[i] > 0) kill(procs[i], SIGTERM);
    if (procs[i] > 0) h_wait_exit(procs[i], 30000);
    procs[i] = 0;
  }
  sr_control_reader_destroy(reader);
  rd_kafka_destroy(producer);
  sr_broker_destroy(broker);
  broker = NULL;
  if (mock_rk) {
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_rk);
    mock_rk = NULL;
  }
  free(seen);
}

/* Three brokers: the internal topic led by broker 3, everything else (and
 * both group coordinators) by broker 1, so broker 3 can fail alone. */
static void setup_outage(void) {
  const int leaders[] = {1, 1, 1, 1, 3};
  mock = h_mock_cluster(3, topics, leaders, 5, 4, &mock_rk);
  ck_assert_ptr_nonnull(mock);
  brokers = rd_kafka_mock_cluster_bootstraps(mock);
  char g[80];
  snprintf(g, sizeof g, "otlp-outage-%d", (int)getpid());
  rd_kafka_mock_coordinator_set(mock, "group", g, 1);
  strcat(g, "-otlp");
  rd_kafka_mock_coordinator_set(mock, "group", g, 1);
  spawn(1, "otlp-outage", "debug");
}

/* Reads commands until one for (session, call) arrives; NULL on timeout. */
static const struct sr_command *wait_command(const char *session,
                                             const char *call, int timeout_ms) {
  for (size_t i = 0; i < n_seen; i++)
    if (!strcmp(seen[i].session_id, session) && !strcmp(seen[i].call_id, call))
      return &seen[i];
  long long deadline = h_now_ms() + timeout_ms;
  char err[256];
  while (h_now_ms() < deadline && n_seen < MAX_SEEN) {
    struct sr_command *c = &seen[n_seen];
    if (sr_control_reader_next(reader, 100, c, err, sizeof err) != 0) continue;
    n_seen++;
    if (!strcmp(c->session_id, session) && !strcmp(c->call_id, call)) return c;
  }
  return NULL;
}

static void produce_file(const char *name, const char *key) {
  char path[512];
  size_t len;
  snprintf(path, sizeof path, "%s/otlp/%s", SR_TEST_DATA, name);
  char *data = h_read_file(path, &len);
  ck_assert_msg(data, "cannot read %s", path);
  ck_assert_int_eq(h_produce(producer, "otlp_spans", key, data, len), 0);
  rd_kafka_flush(producer, 5000);
  free(data);
}

static void wait_committed(const char *grp, const char *topic) {
  ck_assert_msg(h_wait_committed(brokers, grp, topic, 4, 60000),
                "group %s did not commit %s to its end (log: %s)", grp, topic,
                log_path);
}

/* Every command published so far: the control topic read up to its high
 * watermarks. */
static void read_all_commands(void) {
  char err[256];
  rd_kafka_t *rk = h_reader(brokers, "stackrisk.control");
  int64_t hi[4], pos[4] = {0};
  for (int p = 0; p < 4; p++) {
    int64_t lo;
    ck_assert_int_eq(rd_kafka_query_watermark_offsets(rk, "stackrisk.control",
                                                      p, &lo, &hi[p], 5000),
                     0);
  }
  n_seen = 0;
  long long deadline = h_now_ms() + 20000;
  for (;;) {
    bool all = true;
    for (int p = 0; p < 4; p++) all &= pos[p] >= hi[p];
    if (all) break;
    ck_assert_msg(h_now_ms() < deadline, "control topic not read to its end");
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err && m->partition >= 0 && m->partition < 4) {
      pos[m->partition] = m->offset + 1;
      if (n_seen < MAX_SEEN &&
          sr_command_decode(m->payload, m->len, &seen[n_seen], err,
                            sizeof err) == 0)
        n_seen++;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy(rk);
}

START_TEST(genai_pocketos_call_is_blocked) {
  /* otlp_proto, keyed by trace id like partition_traces_by_id: true */
  produce_file("pocketos_genai.bin", GENAI_TRACE);
  /* Two first group joins on the mock broker take ~3 s each. */
  const struct sr_command *c =
      wait_command("sess-otlp-pocketos-1", "call-volume-delete", 60000);
  ck_assert_msg(c, "no command for the volumeDelete span (log: %s)", log_path);
  ck_assert_msg(c->action == SR_ACTION_BLOCK || c->action == SR_ACTION_KILL,
                "action %s (rule %s)", sr_action_name(c->action), c->rule);
  ck_assert_uint_ge(c->depth, 3);
  bool destructive = false, mode = false;
  for (uint32_t i = 0; i < c->n_dims; i++) {
    destructive |= !strcmp(c->dims[i].name, "destructive");
    mode |= !strcmp(c->dims[i].name, "mode_violation");
  }
  ck_assert_msg(destructive && mode,
                "destructive and mode_violation are not both elevated");
  /* The event id is the span's: a replay of otlp_spans gives the same. */
  ck_assert_msg(strncmp(c->event_id, "otlp:" GENAI_TRACE ":", 38) == 0 &&
                    strstr(c->event_id, ":requested"),
                "event id %s", c->event_id);
}
END_TEST

START_TEST(openinference_twin_gets_nothing_stronger_than_allow) {
  produce_file("twin_openinference.json", NULL); /* otlp_json, no key */
  /* Both stages done: the OTLP stage committed otlp_spans (its events were
   * delivered first), then the stateful stage committed the repartition
   * topic (its commands were delivered first). */
  wait_committed(otlp_group, "otlp_spans");
  wait_committed(group, "stackrisk.repartition");
  /* The twin did go through: its 10 events are on the internal topic,
   * keyed by its session. */
  rd_kafka_t *rk = h_reader(brokers, "stackrisk.repartition");
  int twin = 0;
  long long deadline = h_now_ms() + 10000;
  while (twin < 10 && h_now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err && m->key_len == 16 && !memcmp(m->key, "sess-otlp-twin-1", 16))
      twin++;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy(rk);
  ck_assert_int_eq(twin, 10);
  read_all_commands();
  for (size_t i = 0; i < n_seen; i++)
    if (!strcmp(seen[i].session_id, "sess-otlp-twin-1"))
      ck_assert_msg(seen[i].action == SR_ACTION_ALLOW,
                    "benign twin got %s on %s (rule %s)",
                    sr_action_name(seen[i].action), seen[i].call_id,
                    seen[i].rule);
}
END_TEST

/* Test-side span builders (plain protobuf-c, as any OTLP producer). */
static Stackrisk__Otlp__V1__KeyValue *kv(Stackrisk__Otlp__V1__KeyValue *k,
                                         Stackrisk__Otlp__V1__AnyValue *v,
                                         const char *key, const char *val) {
  stackrisk__otlp__v1__key_value__init(k);
  stackrisk__otlp__v1__any_value__init(v);
  k->key = (ProtobufCBinaryData){strlen(key), (uint8_t *)key};
  v->value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_STRING_VALUE;
  v->string_value = (ProtobufCBinaryData){strlen(val), (uint8_t *)val};
  k->value = v;
  return k;
}

START_TEST(bad_span_is_dead_lettered_and_its_batch_goes_on) {
  static uint8_t trace[16] = {0xbb, [15] = 1};
  static uint8_t ids[3][8] = {{[7] = 0xa1}, {[7] = 0xb2}, {[7] = 0xc3}};
  Stackrisk__Otlp__V1__Span sp[3];
  Stackrisk__Otlp__V1__Span *spp[3];
  Stackrisk__Otlp__V1__KeyValue k[8], *ka[3][4];
  Stackrisk__Otlp__V1__AnyValue v[8], args_v;
  Stackrisk__Otlp__V1__KeyValue cmd_k, *cmd_kp = &cmd_k;
  Stackrisk__Otlp__V1__AnyValue cmd_v;
  Stackrisk__Otlp__V1__KeyValueList args_l =
      STACKRISK__OTLP__V1__KEY_VALUE_LIST__INIT;
  static const char *names[3] = {"invoke_agent ops-bot", "execute_tool Bash",
                                 "execute_tool"};
  for (int i = 0; i < 3; i++) {
    stackrisk__otlp__v1__span__init(&sp[i]);
    sp[i].trace_id = (ProtobufCBinaryData){16, trace};
    sp[i].span_id = (ProtobufCBinaryData){8, ids[i]};
    if (i) sp[i].parent_span_id = (ProtobufCBinaryData){8, ids[0]};
    sp[i].name = (ProtobufCBinaryData){strlen(names[i]), (uint8_t *)names[i]};
    sp[i].start_time_unix_nano = (1776000000000ULL + 1000u * i) * 1000000u;
    sp[i].end_time_unix_nano = sp[i].start_time_unix_nano + 500000000u;
    sp[i].attributes = ka[i];
    spp[i] = &sp[i];
  }
  /* the agent: session, plan mode, staging */
  ka[0][0] = kv(&k[0], &v[0], "gen_ai.conversation.id", "sess-otlp-bad-1");
  ka[0][1] = kv(&k[1], &v[1], "stackrisk.session.mode", "plan");
  ka[0][2] = kv(&k[2], &v[2], "stackrisk.session.environment", "staging");
  sp[0].n_attributes = 3;
  /* a good tool span: structured arguments (a kvlist), on production */
  ka[1][0] = kv(&k[3], &v[3], "gen_ai.tool.call.id", "call-otlp-rm");
  ka[1][1] = kv(&k[4], &v[4], "stackrisk.environment", "production");
  kv(&cmd_k, &cmd_v, "command", "rm -rf /srv/postgres/data");
  args_l.n_values = 1;
  args_l.values = &cmd_kp;
  ka[1][2] = kv(&k[5], &args_v, "gen_ai.tool.call.arguments", "");
  args_v.value_case = STACKRISK__OTLP__V1__ANY_VALUE__VALUE_KVLIST_VALUE;
  args_v.kvlist_value = &args_l;
  sp[1].n_attributes = 3;
  /* the bad one: a tool span without any tool name */
  ka[2][0] = kv(&k[6], &v[6], "gen_ai.operation.name", "execute_tool");
  sp[2].n_attributes = 1;
  Stackrisk__Otlp__V1__ScopeSpans ss = STACKRISK__OTLP__V1__SCOPE_SPANS__INIT;
  ss.n_spans = 3;
  ss.spans = spp;
  Stackrisk__Otlp__V1__ScopeSpans *ssp = &ss;
  Stackrisk__Otlp__V1__ResourceSpans rs =
      STACKRISK__OTLP__V1__RESOURCE_SPANS__INIT;
  rs.n_scope_spans = 1;
  rs.scope_spans = &ssp;
  Stackrisk__Otlp__V1__ResourceSpans *rsp = &rs;
  Stackrisk__Otlp__V1__TracesData td = STACKRISK__OTLP__V1__TRACES_DATA__INIT;
  td.n_resource_spans = 1;
  td.resource_spans = &rsp;
  uint8_t buf[4096];
  size_t n = stackrisk__otlp__v1__traces_data__pack(&td, buf);
  ck_assert_int_eq(h_produce(producer, "otlp_spans", NULL, buf, n), 0);
  static const char junk[] = "\x0a\xff\x01not otlp";
  ck_assert_int_eq(h_produce(producer, "otlp_spans", NULL, junk,
                             sizeof junk - 1), 0);
  rd_kafka_flush(producer, 5000);

  const struct sr_command *c =
      wait_command("sess-otlp-bad-1", "call-otlp-rm", 30000);
  ck_assert_msg(c, "the good span of the batch got no command (log: %s)",
                log_path);
  ck_assert_msg(c->action >= SR_ACTION_ESCALATE,
                "rm -rf on production in plan mode got %s",
                sr_action_name(c->action));

  rd_kafka_t *dlq = h_reader(brokers, "stackrisk.dlq");
  bool span_letter = false, whole_letter = false;
  long long deadline = h_now_ms() + 20000;
  while (!(span_letter && whole_letter) && h_now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(dlq, 100);
    if (!m) continue;
    char reason[512], topic[64];
    h_header(m, "stackrisk.error", reason, sizeof reason);
    h_header(m, "stackrisk.topic", topic, sizeof topic);
    if (!m->err && !strcmp(topic, "otlp_spans")) {
      if (strstr(reason, "span 00000000000000c3") &&
          strstr(reason, "tool name")) {
        Stackrisk__Otlp__V1__TracesData *one =
            stackrisk__otlp__v1__traces_data__unpack(NULL, m->len, m->payload);
        ck_assert_ptr_nonnull(one);
        Stackrisk__Otlp__V1__ScopeSpans *s1 =
            one->resource_spans[0]->scope_spans[0];
        ck_assert_uint_eq(s1->n_spans, 1);
        ck_assert_uint_eq(s1->spans[0]->span_id.data[7], 0xc3);
        stackrisk__otlp__v1__traces_data__free_unpacked(one, NULL);
        span_letter = true;
      } else if (strstr(reason, "invalid otlp_proto")) {
        ck_assert_uint_eq(m->len, sizeof junk - 1);
        whole_letter = true;
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy(dlq);
  ck_assert_msg(span_letter, "no dead letter for the span without a tool");
  ck_assert_msg(whole_letter, "no dead letter for the message that is not "
                              "OTLP");

  /* Both dead letters are counted where an operator looks: /metrics. */
  int port = h_wait_http_port(log_path, 5000);
  ck_assert_msg(port > 0, "run printed no HTTP address (log %s)", log_path);
  struct hc_response r = {0};
  deadline = h_now_ms() + 10000;
  bool counted = false;
  while (!counted && h_now_ms() < deadline) {
    hc_free(&r);
    r = hc_get(port, "/metrics", NULL);
    counted =
        r.status == 200 && r.body &&
        strstr(r.body, "stackrisk_dead_letters_total{stage=\"otlp\"} 2\n") &&
        strstr(r.body, "stackrisk_decode_errors_total{stage=\"otlp\"} 1\n") &&
        /* earlier tests of the case fed the same process */
        strstr(r.body, "stackrisk_otlp_messages_total ") &&
        !strstr(r.body, "stackrisk_otlp_messages_total 0\n") &&
        strstr(r.body, "stackrisk_otlp_spans_total ") &&
        !strstr(r.body, "stackrisk_otlp_spans_total 0\n");
  }
  ck_assert_msg(counted, "/metrics does not count the OTLP dead letters:\n%s",
                r.body ? r.body : "(no response)");
  hc_free(&r);
  /* and logged at WARN (the process runs at info), with where and why */
  char *log = h_read_file(log_path, NULL);
  ck_assert_msg(log && strstr(log, "WARN otlp: dead letter otlp_spans [") &&
                    strstr(log, "invalid otlp_proto") &&
                    strstr(log, "tool name"),
                "dead letters not logged at WARN:\n%s", log);
  free(log);
}
END_TEST

/* A TracesData holding span `id` alone (parent `parent`, 0 = root) of the
 * scale-out trace, with string attributes given as NULL-terminated
 * key/value pairs; returns its length in buf. */
static size_t one_span(uint8_t *buf, size_t cap, uint8_t id, uint8_t parent,
                       const char *name, uint64_t start_ms,
                       const char *const *attrs) {
  static uint8_t trace[16] = {0xcc, [15] = 2};
  uint8_t sid[8] = {[7] = id}, pid[8] = {[7] = parent};
  Stackrisk__Otlp__V1__KeyValue k[8], *kp[8];
  Stackrisk__Otlp__V1__AnyValue v[8];
  Stackrisk__Otlp__V1__Span sp, *spp = &sp;
  stackrisk__otlp__v1__span__init(&sp);
  sp.trace_id = (ProtobufCBinaryData){16, trace};
  sp.span_id = (ProtobufCBinaryData){8, sid};
  if (parent) sp.parent_span_id = (ProtobufCBinaryData){8, pid};
  sp.name = (ProtobufCBinaryData){strlen(name), (uint8_t *)name};
  sp.start_time_unix_nano = start_ms * 1000000u;
  sp.end_time_unix_nano = (start_ms + 300) * 1000000u;
  for (; attrs[2 * sp.n_attributes]; sp.n_attributes++) {
    size_t i = sp.n_attributes;
    kp[i] = kv(&k[i], &v[i], attrs[2 * i], attrs[2 * i + 1]);
  }
  sp.attributes = kp;
  Stackrisk__Otlp__V1__ScopeSpans ss = STACKRISK__OTLP__V1__SCOPE_SPANS__INIT;
  ss.n_spans = 1;
  ss.spans = &spp;
  Stackrisk__Otlp__V1__ScopeSpans *ssp = &ss;
  Stackrisk__Otlp__V1__ResourceSpans rs =
      STACKRISK__OTLP__V1__RESOURCE_SPANS__INIT;
  rs.n_scope_spans = 1;
  rs.scope_spans = &ssp;
  Stackrisk__Otlp__V1__ResourceSpans *rsp = &rs;
  Stackrisk__Otlp__V1__TracesData td = STACKRISK__OTLP__V1__TRACES_DATA__INIT;
  td.n_resource_spans = 1;
  td.resource_spans = &rsp;
  ck_assert_uint_le(stackrisk__otlp__v1__traces_data__get_packed_size(&td),
                    cap);
  return stackrisk__otlp__v1__traces_data__pack(&td, buf);
}

static void produce_to(int32_t partition, const void *v, size_t len) {
  ck_assert_int_eq(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("otlp_spans"),
                                     RD_KAFKA_V_PARTITION(partition),
                                     RD_KAFKA_V_VALUE((void *)v, len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_END),
                   0);
  rd_kafka_flush(producer, 5000);
}

/* Partitions an instance owns, from its log: its OTLP stage's (stage
 * "otlp: ") or its stateful stage's (stage ""). */
static int owned(const char *path, const char *stage) {
  char *log = h_read_file(path, NULL), assigned[64], revoked[64];
  snprintf(assigned, sizeof assigned, "INFO %sassigned %%d partition", stage);
  snprintf(revoked, sizeof revoked, "INFO %srevoked %%d partition", stage);
  int n = 0;
  for (const char *p = log; p && (p = strstr(p, "INFO ")); p++) {
    int k;
    if (sscanf(p, assigned, &k) == 1) n += k;
    if (sscanf(p, revoked, &k) == 1) n -= k;
  }
  free(log);
  return n;
}

static int otlp_owned(const char *path) {
  return owned(path, "otlp: ");
}

static void wait_log(const char *path, const char *text) {
  long long deadline = h_now_ms() + 60000;
  for (;;) {
    char *log = h_read_file(path, NULL);
    bool found = log && strstr(log, text);
    free(log);
    if (found) return;
    ck_assert_msg(h_now_ms() < deadline, "'%s' never appeared in %s", text,
                  path);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
}

/*
 * The broker leading the internal topic goes down after spans were
 * consumed: the OTLP stage holds their offsets back (a crash now would
 * consume them again), and once the broker is back the events are
 * delivered, the offsets committed and the command issued. Nothing lost.
 */
START_TEST(broker_outage_holds_offsets_and_loses_nothing) {
  long long deadline = h_now_ms() + 60000;
  while (otlp_owned(log_path) != 4) {
    ck_assert_msg(h_now_ms() < deadline, "OTLP stage never assigned (%s)",
                  log_path);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
  ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 3), 0);
  produce_file("pocketos_genai.bin", GENAI_TRACE);
  wait_log(log_path, "input offsets held back");
  ck_assert_msg(!h_committed_to_end(brokers, otlp_group, "otlp_spans", 4),
                "OTLP offsets committed before the events were delivered");
  ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 3), 0);
  wait_committed(otlp_group, "otlp_spans");
  const struct sr_command *c =
      wait_command("sess-otlp-pocketos-1", "call-volume-delete", 60000);
  ck_assert_msg(c, "no command after the outage (log: %s)", log_path);
  ck_assert_msg(c->action == SR_ACTION_BLOCK || c->action == SR_ACTION_KILL,
                "action %s", sr_action_name(c->action));
}
END_TEST

/*
 * Two instances in one group: the session's start (plan mode) arrives on
 * one OTLP partition, its calls on the three others, so at least one call
 * is consumed by the other instance's OTLP stage. Every call is still
 * judged with the session's plan mode known: the repartition topic brought
 * all of the session's events to the one owner of its partition.
 */
START_TEST(two_instances_aggregate_a_session_in_one_place) {
  /* Both OTLP stages own two partitions each before anything is sent. */
  long long deadline = h_now_ms() + 60000;
  while (otlp_owned(log_paths[0]) != 2 || otlp_owned(log_paths[1]) != 2) {
    ck_assert_msg(h_now_ms() < deadline,
                  "the OTLP stages did not split the 4 partitions (%s, %s)",
                  log_paths[0], log_paths[1]);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
  uint8_t buf[2048];
  static const char *const root[] = {
      "gen_ai.operation.name", "invoke_agent",
      "gen_ai.conversation.id", "sess-otlp-scale-1",
      "stackrisk.session.mode", "plan",
      "stackrisk.session.environment", "staging", NULL};
  produce_to(0, buf, one_span(buf, sizeof buf, 1, 0, "invoke_agent ops",
                              1776100000000ULL, root));
  /* The start is on the internal topic before any call is sent, so it
   * precedes them in the session's partition. */
  wait_committed(otlp_group, "otlp_spans");
  static const char *const calls[3] = {"call-scale-1", "call-scale-2",
                                       "call-scale-3"};
  for (int i = 0; i < 3; i++) {
    const char *tool[] = {"gen_ai.operation.name", "execute_tool",
                          "gen_ai.tool.name", "Bash",
                          "gen_ai.conversation.id", "sess-otlp-scale-1",
                          "gen_ai.tool.call.id", calls[i],
                          "gen_ai.tool.call.arguments",
                          "{\"command\":\"rm -rf /srv/postgres/data\"}",
                          "stackrisk.environment", "production", NULL};
    produce_to(1 + i, buf,
               one_span(buf, sizeof buf, (uint8_t)(2 + i), 1,
                        "execute_tool Bash", 1776100001000ULL + 1000u * i,
                        tool));
  }
  for (int i = 0; i < 3; i++) {
    const struct sr_command *c =
        wait_command("sess-otlp-scale-1", calls[i], 60000);
    ck_assert_msg(c, "no command for %s (logs: %s, %s)", calls[i],
                  log_paths[0], log_paths[1]);
    bool mode = false;
    for (uint32_t d = 0; d < c->n_dims; d++)
      mode |= !strcmp(c->dims[d].name, "mode_violation");
    ck_assert_msg(mode,
                  "%s was judged without the session's plan mode (%s, rule "
                  "%s)",
                  calls[i], sr_action_name(c->action), c->rule);
  }
}
END_TEST

/*
 * Three instances in one group, and sessions that arrive both ways: each
 * declares its start (plan mode, staging) on stackrisk.events, as a
 * harness's own producer or `stackrisk gate` would, and its calls come as
 * OTLP spans through the internal topic. A session's partition of both
 * topics must belong to one instance, or the call is judged by an instance
 * that never saw the start. Sessions on every partition; three instances,
 * since two split 4 + 4 partitions evenly enough to line up by chance.
 */
START_TEST(a_session_arriving_both_ways_is_judged_in_one_place) {
  /* Both stages of every instance settled before anything is sent: the
   * 4 OTLP partitions and the 8 of the stateful stage all owned, each
   * instance holding some of both. */
  long long deadline = h_now_ms() + 60000;
  for (;;) {
    int otlp = 0, main = 0;
    bool everyone = true;
    for (int i = 0; i < 3; i++) {
      int o = otlp_owned(log_paths[i]), m = owned(log_paths[i], "");
      otlp += o, main += m;
      everyone &= o > 0 && m > 0;
    }
    if (otlp == 4 && main == 8 && everyone) break;
    ck_assert_msg(h_now_ms() < deadline,
                  "the instances did not split the partitions (%s, %s, %s)",
                  log_paths[0], log_paths[1], log_paths[2]);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
  enum { SESSIONS = 12 };
  char ids[SESSIONS][32], calls[SESSIONS][32], line[512];
  bool partition_seen[4] = {false};
  for (int i = 0; i < SESSIONS; i++) {
    snprintf(ids[i], sizeof ids[i], "sess-mixed-%d", i);
    snprintf(calls[i], sizeof calls[i], "call-mixed-%d", i);
    partition_seen[rd_kafka_msg_partitioner_murmur2(
        NULL, ids[i], strlen(ids[i]), 4, NULL, NULL)] = true;
    snprintf(line, sizeof line,
             "{\"type\":\"session_start\",\"session_id\":\"%s\","
             "\"ts_ms\":1776200000000,\"mode\":\"plan\","
             "\"environment\":\"staging\","
             "\"scope\":{\"environments\":[\"staging\"]}}",
             ids[i]);
    ck_assert_int_eq(
        h_produce(producer, "stackrisk.events", ids[i], line, strlen(line)), 0);
  }
  for (int p = 0; p < 4; p++)
    ck_assert_msg(partition_seen[p], "no session on partition %d", p);
  rd_kafka_flush(producer, 5000);
  wait_committed(group, "stackrisk.events");
  uint8_t buf[2048];
  for (int i = 0; i < SESSIONS; i++) {
    const char *tool[] = {"gen_ai.operation.name",
                          "execute_tool",
                          "gen_ai.tool.name",
                          "Bash",
                          "gen_ai.conversation.id",
                          ids[i],
                          "gen_ai.tool.call.id",
                          calls[i],
                          "gen_ai.tool.call.arguments",
                          "{\"command\":\"rm -rf /srv/postgres/data\"}",
                          "stackrisk.environment",
                          "production",
                          NULL};
    produce_to(
        i % 4, buf,
        one_span(buf, sizeof buf, (uint8_t)(10 + i), 0, "execute_tool Bash",
                 1776200001000ULL + 1000u * i, tool));
  }
  for (int i = 0; i < SESSIONS; i++) {
    const struct sr_command *c = wait_command(ids[i], calls[i], 60000);
    ck_assert_msg(c, "no command for %s (logs: %s, %s, %s)", calls[i],
                  log_paths[0], log_paths[1], log_paths[2]);
    bool mode = false;
    for (uint32_t d = 0; d < c->n_dims; d++)
      mode |= !strcmp(c->dims[d].name, "mode_violation");
    ck_assert_msg(mode,
                  "%s was judged without its session's plan mode, declared "
                  "on stackrisk.events (%s, rule %s; logs: %s, %s, %s)",
                  calls[i], sr_action_name(c->action), c->rule, log_paths[0],
                  log_paths[1], log_paths[2]);
  }
}
END_TEST

/* Sharing the main group would tie the two stages' rebalances together
 * and split assignments between unrelated subscriptions: refused. */
START_TEST(otlp_group_must_differ_from_the_main_group) {
  char cfg[128], out[160];
  snprintf(cfg, sizeof cfg, "otlp-same-group-%d.yaml", (int)getpid());
  snprintf(out, sizeof out, "otlp-same-group-%d.log", (int)getpid());
  FILE *f = fopen(cfg, "w");
  ck_assert_ptr_nonnull(f);
  fputs("otlp:\n  group: shared\n", f);
  fclose(f);
  unlink(out);
  char *argv[] = {SR_BINARY, "run",     "--brokers", (char *)brokers,
                  "--config", cfg,      "--group",   "shared",
                  "--state",  "",       NULL};
  pid_t pid = h_spawn(argv, out);
  ck_assert_int_eq(h_wait_exit(pid, 30000), 1);
  char *log = h_read_file(out, NULL);
  ck_assert_msg(log && strstr(log, "otlp.group must differ"), "%s", log);
  free(log);
  unlink(cfg);
}
END_TEST

/* Topics that cannot be co-partitioned (4 partitions of the events, 2 of
 * the internal topic): the instance says what goes wrong with two. */
START_TEST(unequal_partition_counts_are_reported) {
  char err[256], out[160];
  const char *const four[] = {"stackrisk.events", "stackrisk.control",
                              "stackrisk.dlq", "otlp_spans"};
  struct sr_broker *b = sr_broker_create(1, four, 4, 4, err, sizeof err);
  ck_assert_msg(b, "broker: %s", err);
  ck_assert_int_eq(sr_broker_topic_create(b, "stackrisk.repartition", 2), 0);
  snprintf(out, sizeof out, "otlp-unequal-%d.log", (int)getpid());
  unlink(out);
  char *argv[] = {SR_BINARY,   "run",
                  "--brokers", (char *)sr_broker_bootstraps(b),
                  "--config",  SR_TEST_DATA "/integration/otlp.yaml",
                  "--group",   "unequal",
                  "--state",   "",
                  NULL};
  pid_t pid = h_spawn(argv, out);
  char line[512];
  bool warned = h_wait_line(out, "WARN assigned stackrisk.events [", line,
                            sizeof line, 30000);
  kill(pid, SIGTERM);
  ck_assert_int_eq(h_wait_exit(pid, 30000), 0);
  sr_broker_destroy(b);
  ck_assert_msg(warned, "no warning (log: %s)", out);
  ck_assert_msg(strstr(line, "but not stackrisk.repartition [") &&
                    strstr(line, "same partition count"),
                "%s", line);
  unlink(out);
}
END_TEST

START_TEST(sigterm_stops_cleanly) {
  ck_assert_int_eq(kill(procs[0], SIGTERM), 0);
  int rc = h_wait_exit(procs[0], 30000);
  procs[0] = 0;
  ck_assert_msg(rc == 0, "stackrisk run exited with %d (log: %s)", rc,
                log_path);
  char *log = h_read_file(log_path, NULL);
  ck_assert_ptr_nonnull(log);
  /* 10 + 6 spans of the fixtures, 3 of the bad batch; 2 dead letters */
  ck_assert_msg(strstr(log, "OTLP: 19 spans, 2 dead letters"),
                "stop summary missing: %s", log);
  free(log);
}
END_TEST

int main(void) {
  Suite *s = suite_create("otlp");
  TCase *tc = tcase_create("end-to-end");
  tcase_set_timeout(tc, 240);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, genai_pocketos_call_is_blocked);
  tcase_add_test(tc, openinference_twin_gets_nothing_stronger_than_allow);
  tcase_add_test(tc, bad_span_is_dead_lettered_and_its_batch_goes_on);
  tcase_add_test(tc, otlp_group_must_differ_from_the_main_group);
  tcase_add_test(tc, unequal_partition_counts_are_reported);
  tcase_add_test(tc, sigterm_stops_cleanly);
  suite_add_tcase(s, tc);
  TCase *two = tcase_create("scale-out");
  tcase_set_timeout(two, 240);
  tcase_add_unchecked_fixture(two, setup_two, teardown);
  tcase_add_test(two, two_instances_aggregate_a_session_in_one_place);
  suite_add_tcase(s, two);
  TCase *three = tcase_create("three instances");
  tcase_set_timeout(three, 240);
  tcase_add_unchecked_fixture(three, setup_three, teardown);
  tcase_add_test(three, a_session_arriving_both_ways_is_judged_in_one_place);
  suite_add_tcase(s, three);
  TCase *out = tcase_create("outage");
  tcase_set_timeout(out, 240);
  tcase_add_unchecked_fixture(out, setup_outage, teardown);
  tcase_add_test(out, broker_outage_holds_offsets_and_loses_nothing);
  suite_add_tcase(s, out);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
