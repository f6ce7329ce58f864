/*
 * Tests of query/prom.c: the /metrics text a Prometheus server scrapes.
 * Every family has HELP and TYPE, events and commands carry their kind and
 * action by name, the histogram's buckets are in seconds and cumulative,
 * label values are escaped, and every sample line has the shape
 * `name{labels} value`.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/command.h"
#include "ingest/event.h"
#include "query/prom.h"

static char *render(struct sr_metrics_snapshot *s) {
  char *text = malloc(SR_PROM_MAX);
  struct sr_buf b = sr_buf_init(text, SR_PROM_MAX);
  sr_prom_render(s, &b);
  ck_assert(!b.overflow);
  return text;
}

START_TEST(families_and_values) {
  struct sr_metrics_snapshot *s = calloc(1, sizeof *s);
  s->events[SR_EV_TOOL_CALL] = 12;
  s->events[SR_EV_SESSION_START] = 1;
  s->decode_errors = 2;
  s->dead_letters = 3;
  s->otlp.messages = 5;
  s->otlp.spans = 19;
  s->otlp.dead_spans = 3;
  s->otlp.dead_messages = 1;
  s->commands[SR_ACTION_KILL] = 1;
  s->commands[SR_ACTION_ALLOW] = 4;
  s->sessions = 9;
  for (int b = 0; b < SR_METRICS_BUCKETS; b++) s->latency[b] = b < 3 ? 1 : 5;
  s->latency_count = 5;
  s->latency_sum_ns = 1500000000;
  snprintf(s->lag[0].topic, sizeof s->lag[0].topic, "stackrisk.events");
  s->lag[0].partition = 7;
  s->lag[0].lag = 42;
  s->lag[0].restoring = 17;
  s->n_lag = 1;
  snprintf(s->kafka[0].client, sizeof s->kafka[0].client, "events-consumer");
  s->kafka[0].brokers_up = 0;
  s->kafka[0].brokers_known = 3;
  s->kafka[0].unreachable_ms = 12500;
  s->n_kafka = 1;
  char *t = render(s);
  const char *want[] = {
      "# TYPE stackrisk_events_total counter\n",
      "stackrisk_events_total{kind=\"tool_call\"} 12\n",
      "stackrisk_events_total{kind=\"session_start\"} 1\n",
      "stackrisk_events_total{kind=\"approval\"} 0\n",
      "stackrisk_decode_errors_total{stage=\"worker\"} 2\n",
      "stackrisk_decode_errors_total{stage=\"otlp\"} 1\n",
      "stackrisk_dead_letters_total{stage=\"worker\"} 3\n",
      "stackrisk_dead_letters_total{stage=\"otlp\"} 4\n",
      "stackrisk_otlp_messages_total 5\n",
      "stackrisk_otlp_spans_total 19\n",
      "stackrisk_commands_total{action=\"KILL\"} 1\n",
      "stackrisk_commands_total{action=\"ALLOW\"} 4\n",
      "stackrisk_commands_total{action=\"ESCALATE\"} 0\n",
      "# TYPE stackrisk_consumer_lag gauge\n",
      "stackrisk_consumer_lag{topic=\"stackrisk.events\",partition=\"7\"} 42\n",
      "# TYPE stackrisk_partition_restoring_messages gauge\n",
      "stackrisk_partition_restoring_messages{topic=\"stackrisk.events\","
      "partition=\"7\"} 17\n",
      "# TYPE stackrisk_kafka_brokers_up gauge\n",
      "stackrisk_kafka_brokers_up{client=\"events-consumer\"} 0\n",
      "# TYPE stackrisk_kafka_unreachable_seconds gauge\n",
      "stackrisk_kafka_unreachable_seconds{client=\"events-consumer\"} "
      "12.500\n",
      "# TYPE stackrisk_processing_seconds histogram\n",
      "stackrisk_processing_seconds_bucket{le=\"1e-05\"} 1\n",
      "stackrisk_processing_seconds_bucket{le=\"0.001\"} 5\n",
      "stackrisk_processing_seconds_bucket{le=\"+Inf\"} 5\n",
      "stackrisk_processing_seconds_sum 1.500000000\n",
      "stackrisk_processing_seconds_count 5\n",
      "# TYPE stackrisk_sessions_in_memory gauge\n",
      "stackrisk_sessions_in_memory 9\n",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(t, want[i]), "missing: %s\nin:\n%s", want[i], t);
  ck_assert_ptr_null(strstr(t, "kind=\"none\""));
  ck_assert_ptr_null(strstr(t, "action=\"NONE\""));
  /* Every line is a comment or `name[{...}] value`. */
  for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#') {
      ck_assert(!strncmp(line, "# HELP stackrisk_", 17) ||
                !strncmp(line, "# TYPE stackrisk_", 17));
      continue;
    }
    ck_assert_msg(!strncmp(line, "stackrisk_", 10), "%s", line);
    char *sp = strrchr(line, ' ');
    ck_assert_ptr_nonnull(sp);
    char *end;
    strtod(sp + 1, &end);
    ck_assert_msg(*end == '\0' && end > sp + 1, "bad value in '%s'", line);
  }
  free(t);
  free(s);
}
END_TEST

START_TEST(label_values_are_escaped) {
  struct sr_metrics_snapshot *s = calloc(1, sizeof *s);
  snprintf(s->lag[0].topic, sizeof s->lag[0].topic, "we\"ird\\topic\nx");
  s->n_lag = 1;
  char *t = render(s);
  ck_assert_ptr_nonnull(strstr(t, "topic=\"we\\\"ird\\\\topic\\nx\""));
  free(t);
  free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prom");
  TCase *tc = tcase_create("prom");
  tcase_add_test(tc, families_and_values);
  tcase_add_test(tc, label_values_are_escaped);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
