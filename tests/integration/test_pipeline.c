/*
 * End to end through Kafka: the real `stackrisk run` binary against the
 * embedded broker (librdkafka's mock cluster, real sockets), fed the
 * PocketOS session, its benign twin, a protobuf event and malformed input;
 * commands read back from the control topic, dead letters from the DLQ.
 *
 * The tests share one broker and one stackrisk process (CK_NOFORK), in
 * order; the last one stops the process with SIGTERM and checks exit 0.
 * An outage case runs its own process on a three-broker cluster whose
 * brokers it can take down, with the HTTP API on, for /healthz.
 */
#include <check.h>
#include <stdlib.h>

#include "aggregator/command.h"
#include "core/kafka.h"
#include "enforce/control.h"
#include "harness.h"
#include "schemas/stackrisk.pb-c.h"
#include "tests/http_client.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif
#ifndef SR_BINARY
#define SR_BINARY "build/stackrisk"
#endif

#define MAX_SEEN 2048

static struct sr_broker *broker;
static rd_kafka_t *mock_rk; /* owns `mock` in the outage case */
static rd_kafka_mock_cluster_t *mock;
static const char *brokers;
static char group[64];
static pid_t proc;
static rd_kafka_t *producer;
static struct sr_control_reader *reader;
static struct sr_command *seen;
static size_t n_seen;
static char log_path[256];
static int http_port; /* the outage case's /healthz and /metrics */

/* `stackrisk run` on `brokers`, its group, state and log named by `name`;
 * with the HTTP API on a free port when `http`. */
static void spawn(const char *name, bool http) {
  char err[512];
  snprintf(log_path, sizeof log_path, "stackrisk-%s-%d.log", name,
           (int)getpid());
  unlink(log_path);
  char state[64];
  snprintf(group, sizeof group, "%s-%d", name, (int)getpid());
  snprintf(state, sizeof state, "stackrisk-%s-%d.db", name, (int)getpid());
  h_remove_db(state);
  char *argv[] = {SR_BINARY,
                  "run",
                  "--brokers",
                  (char *)brokers,
                  "--config",
                  SR_TEST_DATA "/integration/stackrisk.yaml",
                  "--group",
                  group,
                  "--state",
                  state,
                  http ? "--http" : NULL,
                  "127.0.0.1:0",
                  NULL};
  proc = h_spawn(argv, log_path);
  ck_assert_int_gt(proc, 0);
  if (http) {
    http_port = h_wait_http_port(log_path, 30000);
    ck_assert_msg(http_port > 0, "no HTTP address (log: %s)", log_path);
  }
  producer = h_producer(brokers);
  ck_assert_ptr_nonnull(producer);
  reader = sr_control_reader_create(brokers, "test-reader", "stackrisk.control",
                                    true, NULL, 10000, err, sizeof err);
  ck_assert_msg(reader, "control reader: %s", err);
  seen = calloc(MAX_SEEN, sizeof *seen);
  n_seen = 0;
}

static void setup(void) {
  char err[512];
  const char *topics[] = {"stackrisk.events", "stackrisk.control",
                          "stackrisk.dlq"};
  broker = sr_broker_create(1, topics, 3, 4, err, sizeof err);
  ck_assert_msg(broker, "broker: %s", err);
  brokers = sr_broker_bootstraps(broker);
  spawn("it", false);
}

/* Three brokers: the control topic led by broker 3, the input, the dead
 * letters and the group's coordinator by broker 1, so broker 3 can fail
 * alone. */
static void setup_outage(void) {
  const char *topics[] = {"stackrisk.events", "stackrisk.control",
                          "stackrisk.dlq"};
  const int leaders[] = {1, 3, 1};
  mock = h_mock_cluster(3, topics, leaders, 3, 4, &mock_rk);
  ck_assert_ptr_nonnull(mock);
  brokers = rd_kafka_mock_cluster_bootstraps(mock);
  char g[64];
  snprintf(g, sizeof g, "it-outage-%d", (int)getpid());
  rd_kafka_mock_coordinator_set(mock, "group", g, 1);
  spawn("it-outage", true);
}

static void teardown(void) {
  if (proc > 0) kill(proc, SIGTERM);
  if (proc > 0) h_wait_exit(proc, 30000);
  proc = 0;
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

/* A read-only gated call after a session's events: its verdict arriving
 * proves every earlier event of the session was processed (same partition,
 * same worker, in order). */
static void produce_sentinel(const char *session, const char *call,
                             long long ts) {
  char line[512];
  snprintf(line, sizeof line,
           "{\"type\":\"tool_call\",\"session_id\":\"%s\",\"ts_ms\":%lld,"
           "\"phase\":\"requested\",\"call_id\":\"%s\",\"tool\":\"Read\","
           "\"arguments\":{\"file_path\":\"README.md\"},\"want_verdict\":true}",
           session, ts, call);
  ck_assert_int_eq(h_produce(producer, "stackrisk.events", session, line,
                             strlen(line)), 0);
  rd_kafka_flush(producer, 5000);
}

START_TEST(pocketos_call_is_blocked) {
  ck_assert_int_gt(h_produce_file(producer, "stackrisk.events",
                                  SR_TEST_DATA "/sessions/pocketos.jsonl"),
                   10);
  /* The first group join on the mock broker takes ~3 s. */
  const struct sr_command *c =
      wait_command("sess-pocketos-1", "call-volume-delete", 60000);
  ck_assert_msg(c, "no command for call-volume-delete (log: %s)", log_path);
  ck_assert_msg(c->action == SR_ACTION_BLOCK || c->action == SR_ACTION_KILL,
                "action %s", sr_action_name(c->action));
  ck_assert_uint_ge(c->depth, 3);
  ck_assert_str_eq(c->session_id, "sess-pocketos-1");
  ck_assert_int_eq((int)strlen(c->command_id), SR_COMMAND_ID_LEN);
  bool destructive = false;
  for (uint32_t i = 0; i < c->n_dims; i++)
    destructive |= !strcmp(c->dims[i].name, "destructive");
  ck_assert_msg(destructive, "destructive is not among the elevated dims");
}
END_TEST

START_TEST(benign_twin_is_allowed) {
  ck_assert_int_gt(
      h_produce_file(producer, "stackrisk.events",
                     SR_TEST_DATA "/sessions/pocketos_benign_twin.jsonl"),
      5);
  produce_sentinel("sess-pocketos-twin-1", "sentinel-twin", 1776675800000LL);
  ck_assert_msg(wait_command("sess-pocketos-twin-1", "sentinel-twin", 30000),
                "no verdict for the sentinel (log: %s)", log_path);
  const struct sr_command *c =
      wait_command("sess-pocketos-twin-1", "call-domain-create", 0);
  ck_assert_msg(c, "the gated customDomainCreate call got no verdict");
  ck_assert_str_eq(sr_action_name(c->action), "ALLOW");
  for (size_t i = 0; i < n_seen; i++)
    if (!strcmp(seen[i].session_id, "sess-pocketos-twin-1"))
      ck_assert_msg(seen[i].action == SR_ACTION_ALLOW,
                    "benign twin got %s on %s (rule %s)",
                    sr_action_name(seen[i].action), seen[i].call_id,
                    seen[i].rule);
}
END_TEST

START_TEST(protobuf_event_gets_a_verdict) {
  Stackrisk__V1__Event start = STACKRISK__V1__EVENT__INIT;
  start.type = STACKRISK__V1__EVENT_TYPE__SESSION_START;
  start.session_id = "sess-proto-1";
  start.event_id = "ev-proto-1";
  start.ts_ms = 1776000000000LL;
  start.mode = STACKRISK__V1__MODE__PLAN;
  start.environment = "staging";
  Stackrisk__V1__Event call = STACKRISK__V1__EVENT__INIT;
  call.type = STACKRISK__V1__EVENT_TYPE__TOOL_CALL;
  call.session_id = "sess-proto-1";
  call.event_id = "ev-proto-2";
  call.ts_ms = 1776000005000LL;
  call.phase = STACKRISK__V1__PHASE__REQUESTED;
  call.call_id = "call-proto-rm";
  call.tool = "Bash";
  call.arguments = "{\"command\":\"rm -rf /srv/postgres/data\"}";
  call.environment = "production";
  call.want_verdict = 1;
  uint8_t buf[1024];
  size_t n = stackrisk__v1__event__pack(&start, buf);
  ck_assert_int_eq(h_produce(producer, "stackrisk.events", "sess-proto-1", buf, n), 0);
  n = stackrisk__v1__event__pack(&call, buf);
  ck_assert_int_eq(h_produce(producer, "stackrisk.events", "sess-proto-1", buf, n), 0);
  rd_kafka_flush(producer, 5000);
  const struct sr_command *c =
      wait_command("sess-proto-1", "call-proto-rm", 30000);
  ck_assert_msg(c, "no verdict for the protobuf call");
  ck_assert_msg(c->action >= SR_ACTION_ESCALATE,
                "rm -rf on production in plan mode got %s",
                sr_action_name(c->action));
  ck_assert_str_eq(c->event_id, "ev-proto-2");
}
END_TEST

START_TEST(malformed_input_is_dead_lettered_and_the_stream_goes_on) {
  static const char *const bad_json[] = {
      "{\"type\":\"tool_call\",\"session_id\":\"sess-bad\",\"ts_ms\":\"soon\"}",
      "{\"type\":\"tool_call\",\"tool\":\"Bash\"}",
      "this is not json",
  };
  for (size_t i = 0; i < 3; i++)
    ck_assert_int_eq(h_produce(producer, "stackrisk.events", "sess-bad",
                               bad_json[i], strlen(bad_json[i])), 0);
  /* A protobuf Event cut in the middle of its session_id field. */
  Stackrisk__V1__Event ev = STACKRISK__V1__EVENT__INIT;
  ev.type = STACKRISK__V1__EVENT_TYPE__TOOL_CALL;
  ev.session_id = "sess-bad-protobuf";
  uint8_t pb[128];
  size_t n = stackrisk__v1__event__pack(&ev, pb);
  ck_assert_int_eq(h_produce(producer, "stackrisk.events", "sess-bad", pb, n - 4), 0);
  /* Over the configured 64 KiB bound. */
  size_t big_len = 70000;
  char *big = malloc(big_len + 1);
  int k = snprintf(big, big_len, "{\"type\":\"agent_message\",\"session_id\":"
                                 "\"sess-bad\",\"text\":\"");
  memset(big + k, 'a', big_len - (size_t)k - 2);
  memcpy(big + big_len - 2, "\"}", 2);
  ck_assert_int_eq(h_produce(producer, "stackrisk.events", "sess-bad", big, big_len), 0);
  free(big);
  /* Stamped three years after its record was written: event time would
   * jump ahead for good, and rows two retentions behind it would go. */
  char future[256];
  k = snprintf(future, sizeof future,
               "{\"type\":\"agent_message\",\"session_id\":\"sess-bad\","
               "\"ts_ms\":%lld,\"role\":\"user\",\"text\":\"hi\"}",
               (long long)time(NULL) * 1000 + 3 * 365 * 86400000LL);
  ck_assert_int_eq(
      h_produce(producer, "stackrisk.events", "sess-bad", future, (size_t)k),
      0);
  /* The stream goes on: a good event after the bad ones gets its verdict. */
  produce_sentinel("sess-bad", "after-bad", 1776000000000LL);
  ck_assert_msg(wait_command("sess-bad", "after-bad", 30000),
                "no verdict after the malformed messages");

  static const char *const reasons[] = {
      "ts_ms", "session_id", "JSON", "protobuf", "exceeds", "max_future_s"};
  bool found[6] = {0};
  rd_kafka_t *dlq = h_reader(brokers, "stackrisk.dlq");
  ck_assert_ptr_nonnull(dlq);
  int records = 0;
  long long deadline = h_now_ms() + 20000;
  while (records < 6 && h_now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(dlq, 100);
    if (!m) continue;
    if (!m->err) {
      char reason[512], off[32];
      h_header(m, "stackrisk.error", reason, sizeof reason);
      h_header(m, "stackrisk.offset", off, sizeof off);
      ck_assert_msg(reason[0], "dead letter without a reason header");
      ck_assert_msg(off[0], "dead letter without a source offset");
      for (int i = 0; i < 6; i++)
        if (strstr(reason, reasons[i])) found[i] = true;
      records++;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy(dlq);
  ck_assert_int_eq(records, 6);
  for (int i = 0; i < 6; i++)
    ck_assert_msg(found[i], "no dead letter whose reason mentions '%s'",
                  reasons[i]);
}
END_TEST

START_TEST(sigterm_stops_cleanly) {
  ck_assert_int_eq(kill(proc, SIGTERM), 0);
  int rc = h_wait_exit(proc, 30000);
  proc = 0;
  ck_assert_msg(rc == 0, "stackrisk run exited with %d (log: %s)", rc, log_path);
  char *log = h_read_file(log_path, NULL);
  ck_assert_ptr_nonnull(log);
  ck_assert_msg(strstr(log, "embedded Kafka broker") == NULL,
                "run started its own broker despite --brokers");
  ck_assert_msg(strstr(log, "6 dead letters"), "stop summary missing: %s", log);
  free(log);
}
END_TEST

/*
 * The broker leading the control topic goes down, then the PocketOS session
 * arrives. Its BLOCK is decided but cannot be delivered, so its events must
 * not count as done: the state checkpoint holding them waits (and says so),
 * and the group's offsets stay where they were, so a crash now would read
 * them again. Once the broker is back the command arrives and the offsets
 * are committed. Nothing lost.
 */
START_TEST(control_outage_holds_offsets_and_loses_no_command) {
  /* Everything before the outage is answered and committed. */
  produce_sentinel("sess-outage-ready", "call-ready", h_wall_ms());
  ck_assert_msg(wait_command("sess-outage-ready", "call-ready", 60000),
                "no verdict before the outage (log: %s)", log_path);
  ck_assert_msg(h_wait_committed(brokers, group, "stackrisk.events", 4, 60000),
                "offsets not committed before the outage (log: %s)", log_path);

  ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 3), 0);
  ck_assert_int_gt(h_produce_file(producer, "stackrisk.events",
                                  SR_TEST_DATA "/sessions/pocketos.jsonl"),
                   10);
  char line[256];
  ck_assert_msg(h_wait_line(log_path, "waits for its commands to reach Kafka",
                            line, sizeof line, 60000),
                "the checkpoint never waited for its commands (log: %s)",
                log_path);
  ck_assert_msg(!h_committed_to_end(brokers, group, "stackrisk.events", 4),
                "input offsets committed while their command was "
                "undelivered (log: %s)",
                log_path);

  ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 3), 0);
  const struct sr_command *c =
      wait_command("sess-pocketos-1", "call-volume-delete", 60000);
  ck_assert_msg(c, "no command after the outage (log: %s)", log_path);
  ck_assert_msg(c->action == SR_ACTION_BLOCK || c->action == SR_ACTION_KILL,
                "action %s", sr_action_name(c->action));
  ck_assert_msg(h_wait_committed(brokers, group, "stackrisk.events", 4, 60000),
                "offsets not committed after the outage (log: %s)", log_path);
}
END_TEST

/* The status of GET /healthz, once it is `want` or at the deadline. */
static int wait_healthz(int want, int timeout_ms, char *body, size_t cap) {
  long long deadline = h_now_ms() + timeout_ms;
  int status = 0;
  do {
    struct hc_response r = hc_get(http_port, "/healthz", NULL);
    status = r.status;
    snprintf(body, cap, "%s", r.body ? r.body : "");
    hc_free(&r);
    if (status == want) break;
    struct timespec ts = {0, 200 * 1000000};
    nanosleep(&ts, NULL);
  } while (h_now_ms() < deadline);
  return status;
}

/*
 * Every broker goes down. After SR_KAFKA_UNREACHABLE_MS without reaching
 * one, and not before, /healthz answers 503 naming the client, the log
 * says once what waits, and /metrics shows no broker up. Once they are
 * back, /healthz is 200 again, the log says so, and calls get verdicts.
 */
START_TEST(kafka_unreachable_turns_healthz_503_until_it_is_back) {
  char body[512], line[512];
  ck_assert_int_eq(wait_healthz(200, 30000, body, sizeof body), 200);
  long long down_at = h_now_ms();
  for (int b = 1; b <= 3; b++)
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, b), 0);
  ck_assert_msg(wait_healthz(503, 60000, body, sizeof body) == 503,
                "/healthz stayed 200 with every broker down (log: %s)",
                log_path);
  ck_assert_int_ge(h_now_ms() - down_at, SR_KAFKA_UNREACHABLE_MS - 1000);
  ck_assert_msg(strstr(body, "Kafka unreachable: the ") &&
                    strstr(body, "client has reached none of its brokers"),
                "%s", body);
  ck_assert_msg(h_wait_line(log_path,
                            "kafka: the events consumer has reached none of "
                            "its brokers for ",
                            line, sizeof line, 30000),
                "no warning (log: %s)", log_path);
  ck_assert_msg(strstr(line, "events are not read"), "%s", line);
  struct hc_response m = hc_get(http_port, "/metrics", NULL);
  ck_assert_int_eq(m.status, 200);
  ck_assert_msg(
      strstr(m.body,
             "stackrisk_kafka_brokers_up{client=\"events-consumer\"} 0\n"),
      "%s", m.body);
  hc_free(&m);

  for (int b = 1; b <= 3; b++)
    ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, b), 0);
  ck_assert_msg(wait_healthz(200, 60000, body, sizeof body) == 200,
                "/healthz still %s after the brokers came back (log: %s)", body,
                log_path);
  ck_assert_msg(h_wait_line(log_path,
                            "kafka: the events consumer reaches its brokers "
                            "again (",
                            line, sizeof line, 30000),
                "no notice of the recovery (log: %s)", log_path);
  produce_sentinel("sess-after-unreachable", "call-after", h_wall_ms());
  ck_assert_msg(wait_command("sess-after-unreachable", "call-after", 60000),
                "no verdict after the brokers came back (log: %s)", log_path);
}
END_TEST

int main(void) {
  Suite *s = suite_create("pipeline");
  TCase *tc = tcase_create("end-to-end");
  tcase_set_timeout(tc, 240);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, pocketos_call_is_blocked);
  tcase_add_test(tc, benign_twin_is_allowed);
  tcase_add_test(tc, protobuf_event_gets_a_verdict);
  tcase_add_test(tc, malformed_input_is_dead_lettered_and_the_stream_goes_on);
  tcase_add_test(tc, sigterm_stops_cleanly);
  suite_add_tcase(s, tc);
  TCase *out = tcase_create("outage");
  tcase_set_timeout(out, 240);
  tcase_add_unchecked_fixture(out, setup_outage, teardown);
  tcase_add_test(out, control_outage_holds_offsets_and_loses_no_command);
  tcase_add_test(out, kafka_unreachable_turns_healthz_503_until_it_is_back);
  suite_add_tcase(s, out);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
