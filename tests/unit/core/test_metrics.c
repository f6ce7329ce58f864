/*
 * Tests of core/metrics.c: what /metrics reports is the sum of every
 * worker's shard, the latency histogram is cumulative with the right
 * bucket for each duration, a NULL shard (a worker outside a pipeline)
 * counts nothing and does not crash, the sessions gauge is the last value
 * each worker reported, and the lag table is a copy replaced as a whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

START_TEST(shards_are_summed) {
  struct sr_metrics *m = sr_metrics_create();
  ck_assert_ptr_nonnull(m);
  struct sr_metrics_shard *a = sr_metrics_shard(m, 0), *b = sr_metrics_shard(m, 63);
  ck_assert_ptr_null(sr_metrics_shard(m, 64));
  ck_assert_uint_eq((uintptr_t)a % 64, 0);
  ck_assert_uint_eq((uintptr_t)sr_metrics_shard(m, 1) % 64, 0);
  sr_metrics_event(a, 2);
  sr_metrics_event(a, 2);
  sr_metrics_event(b, 2);
  sr_metrics_event(b, 1);
  sr_metrics_event(b, 99); /* out of range: counted as kind 0, not past the array */
  sr_metrics_decode_error(a);
  sr_metrics_dead_letter(a);
  sr_metrics_dead_letter(b);
  sr_metrics_command(a, 4);
  sr_metrics_command(b, 4);
  sr_metrics_command(b, 1);
  sr_metrics_processed(a, sr_metrics_clock_ns(a));
  sr_metrics_processed(b, sr_metrics_clock_ns(b));
  sr_metrics_processed(a, sr_metrics_clock_ns(a));
  sr_metrics_sessions(a, 10);
  sr_metrics_sessions(b, 5);
  sr_metrics_sessions(a, 7); /* a gauge: replaces 10 */
  struct sr_metrics_snapshot *s = malloc(sizeof *s);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->events[2], 3);
  ck_assert_uint_eq(s->events[1], 1);
  ck_assert_uint_eq(s->events[0], 1);
  ck_assert_uint_eq(s->decode_errors, 1);
  ck_assert_uint_eq(s->dead_letters, 2);
  ck_assert_uint_eq(s->commands[4], 2);
  ck_assert_uint_eq(s->commands[1], 1);
  ck_assert_uint_eq(s->sessions, 12);
  ck_assert_uint_eq(s->latency_count, 3);
  /* The OTLP stage's counters are copied as they are. */
  ck_assert_uint_eq(s->otlp.dead_spans, 0);
  struct sr_metrics_otlp *o = sr_metrics_otlp(m);
  atomic_fetch_add(&o->messages, 4);
  atomic_fetch_add(&o->spans, 19);
  atomic_fetch_add(&o->dead_spans, 3);
  atomic_fetch_add(&o->dead_messages, 1);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->otlp.messages, 4);
  ck_assert_uint_eq(s->otlp.spans, 19);
  ck_assert_uint_eq(s->otlp.dead_spans, 3);
  ck_assert_uint_eq(s->otlp.dead_messages, 1);
  free(s);
  uint64_t events, dead, commands[SR_METRICS_ACTIONS];
  sr_metrics_totals(m, &events, &dead, commands);
  ck_assert_uint_eq(events, 5); /* every kind, both shards */
  ck_assert_uint_eq(dead, 2);
  ck_assert_uint_eq(commands[4], 2);
  ck_assert_uint_eq(commands[1], 1);
  ck_assert_uint_eq(commands[0], 0);
  sr_metrics_destroy(m);
}
END_TEST

START_TEST(null_shard_counts_nothing) {
  sr_metrics_event(NULL, 1);
  sr_metrics_decode_error(NULL);
  sr_metrics_dead_letter(NULL);
  sr_metrics_command(NULL, 1);
  ck_assert_uint_eq(sr_metrics_clock_ns(NULL), 0);
  sr_metrics_processed(NULL, 0);
  sr_metrics_sessions(NULL, 5);
  sr_metrics_destroy(NULL);
}
END_TEST

START_TEST(histogram_is_cumulative_with_the_right_buckets) {
  struct sr_metrics *m = sr_metrics_create();
  struct sr_metrics_shard *a = sr_metrics_shard(m, 3);
  uint64_t now = sr_metrics_clock_ns(a);
  sr_metrics_processed(a, now - 2000000000ull); /* 2 s: only +Inf */
  now = sr_metrics_clock_ns(a);
  sr_metrics_processed(a, now - 600000000ull); /* 0.6 s: le=1 */
  struct sr_metrics_snapshot *s = malloc(sizeof *s);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->latency_count, 2);
  ck_assert_uint_eq(s->latency[SR_METRICS_BUCKETS - 1], 2);
  ck_assert_uint_eq(sr_metrics_bucket_ns[SR_METRICS_BUCKETS - 2], 1000000000ull);
  ck_assert_uint_eq(s->latency[SR_METRICS_BUCKETS - 2], 1); /* le=1 s */
  ck_assert_uint_eq(s->latency[SR_METRICS_BUCKETS - 3], 0); /* le=0.25 s */
  for (int b = 1; b < SR_METRICS_BUCKETS; b++)
    ck_assert_uint_ge(s->latency[b], s->latency[b - 1]);
  ck_assert_uint_ge(s->latency_sum_ns, 2600000000ull);
  free(s);
  sr_metrics_destroy(m);
}
END_TEST

START_TEST(lag_table_is_replaced_and_copied) {
  struct sr_metrics *m = sr_metrics_create();
  char topic[32] = "stackrisk.events";
  struct sr_metrics_lag rows[2] = {{topic, 0, 5, 0}, {topic, 3, 0, 9}};
  sr_metrics_set_lag(m, SR_LAG_STATEFUL, rows, 2);
  strcpy(topic, "changed");
  struct sr_metrics_snapshot *s = malloc(sizeof *s);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_lag, 2);
  ck_assert_str_eq(s->lag[0].topic, "stackrisk.events");
  ck_assert_int_eq(s->lag[1].partition, 3);
  ck_assert_int_eq(s->lag[0].lag, 5);
  ck_assert_int_eq(s->lag[1].restoring, 9);
  sr_metrics_set_lag(m, SR_LAG_STATEFUL, rows, 1);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_lag, 1);
  ck_assert_str_eq(s->lag[0].topic, "changed");
  struct sr_metrics_lag *many = calloc(SR_METRICS_PARTITIONS + 10, sizeof *many);
  for (size_t i = 0; i < SR_METRICS_PARTITIONS + 10; i++)
    many[i] = (struct sr_metrics_lag){"t", (int32_t)i, 1};
  sr_metrics_set_lag(m, SR_LAG_STATEFUL, many, SR_METRICS_PARTITIONS + 10);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_lag, SR_METRICS_PARTITIONS);
  /* Each source replaces its own rows; the snapshot holds both. */
  sr_metrics_set_lag(m, SR_LAG_STATEFUL, rows, 1);
  struct sr_metrics_lag otlp = {"otlp_spans", 2, 7};
  sr_metrics_set_lag(m, SR_LAG_OTLP, &otlp, 1);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_lag, 2);
  ck_assert_str_eq(s->lag[0].topic, "changed");
  ck_assert_str_eq(s->lag[1].topic, "otlp_spans");
  ck_assert_int_eq(s->lag[1].lag, 7);
  sr_metrics_set_lag(m, SR_LAG_STATEFUL, rows, 0);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_lag, 1);
  ck_assert_str_eq(s->lag[0].topic, "otlp_spans");
  free(many);
  free(s);
  sr_metrics_destroy(m);
}
END_TEST

/* A client is in the snapshot once its statistics came; the longest
 * unreachable one is the one /healthz names; claims stop at the table's
 * size. */
START_TEST(kafka_rows_say_which_client_reaches_no_broker) {
  struct sr_metrics *m = sr_metrics_create();
  struct sr_metrics_kafka *consumer =
      sr_metrics_kafka_claim(m, "events-consumer");
  struct sr_metrics_kafka *producer =
      sr_metrics_kafka_claim(m, "commands-producer");
  ck_assert_ptr_nonnull(consumer);
  struct sr_metrics_snapshot *s = malloc(sizeof *s);
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_kafka, 0); /* no statistics yet */
  char client[SR_METRICS_CLIENT_MAX] = "";
  ck_assert_int_eq(sr_metrics_kafka_unreachable(m, 5000, client, sizeof client),
                   0);

  atomic_store(&consumer->brokers_up, 0);
  atomic_store(&consumer->brokers_known, 3);
  atomic_store(&consumer->unreachable_since_ms, 1000);
  atomic_store(&producer->brokers_up, 0);
  atomic_store(&producer->unreachable_since_ms, 3000);
  ck_assert_int_eq(
      sr_metrics_kafka_unreachable(m, 13000, client, sizeof client), 12000);
  ck_assert_str_eq(client, "events-consumer");
  sr_metrics_snapshot(m, s);
  ck_assert_uint_eq(s->n_kafka, 2);
  ck_assert_str_eq(s->kafka[0].client, "events-consumer");
  ck_assert_int_eq(s->kafka[0].brokers_known, 3);
  ck_assert_int_gt(s->kafka[0].unreachable_ms, 0);

  atomic_store(&consumer->unreachable_since_ms, 0);
  atomic_store(&producer->unreachable_since_ms, 0);
  atomic_store(&producer->brokers_up, 1);
  ck_assert_int_eq(
      sr_metrics_kafka_unreachable(m, 13000, client, sizeof client), 0);
  sr_metrics_snapshot(m, s);
  ck_assert_int_eq(s->kafka[1].brokers_up, 1);
  ck_assert_int_eq(s->kafka[1].unreachable_ms, 0);

  for (int i = 2; i < SR_METRICS_KAFKA_CLIENTS; i++)
    ck_assert_ptr_nonnull(sr_metrics_kafka_claim(m, "x"));
  ck_assert_ptr_null(sr_metrics_kafka_claim(m, "one too many"));
  free(s);
  sr_metrics_destroy(m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("metrics");
  tcase_add_test(tc, shards_are_summed);
  tcase_add_test(tc, null_shard_counts_nothing);
  tcase_add_test(tc, histogram_is_cumulative_with_the_right_buckets);
  tcase_add_test(tc, lag_table_is_replaced_and_copied);
  tcase_add_test(tc, kafka_rows_say_which_client_reaches_no_broker);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
