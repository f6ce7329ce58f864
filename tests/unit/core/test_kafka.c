/*
 * Tests of core/kafka.c's producer against the embedded broker (librdkafka's
 * mock cluster on real sockets): what the pipeline relies on when it
 * publishes commands.
 */
#include <check.h>
#include <stdio.h>
#include <time.h>

#include "core/kafka.h"
#include "core/sr.h"

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Milliseconds from sending one record to its acknowledgement. */
static long long first_delivery_ms(struct sr_producer *p, const char *topic) {
  long long t0 = now_ms();
  ck_assert_int_eq(sr_producer_send(p, topic, -1, "k", 1, "v", 1, NULL, 0),
                   SR_OK);
  while (sr_producer_outstanding(p) > 0) {
    sr_producer_poll(p, 5);
    ck_assert_msg(now_ms() - t0 < 10000, "record not delivered in 10 s");
  }
  ck_assert_int_eq(sr_producer_failed(p), 0);
  return now_ms() - t0;
}

/* librdkafka 2.0.2 learns a new topic's partitions about a second after
 * its first record; a verdict must not wait that long on a fresh start. */
START_TEST(known_topic_first_record_is_not_held) {
  char err[512];
  const char *topics[] = {"stackrisk.control"};
  struct sr_broker *b = sr_broker_create(1, topics, 1, 4, err, sizeof err);
  ck_assert_msg(b, "broker: %s", err);
  struct sr_kafka_props props = {0};
  struct sr_producer *p =
      sr_producer_create(sr_broker_bootstraps(b), &props, 0, err, sizeof err);
  ck_assert_msg(p, "producer: %s", err);
  sr_producer_know_topics(p, topics, 1, 5000, NULL);
  long long ms = first_delivery_ms(p, "stackrisk.control");
  ck_assert_msg(ms < 400, "first record delivered after %lld ms", ms);
  sr_producer_destroy(p, 1000);
  sr_broker_destroy(b);
}
END_TEST

/* Asking for more topics than exist is not fatal: the producer goes on
 * with the topics it has. */
START_TEST(unknown_topic_is_not_fatal) {
  char err[512];
  const char *topics[] = {"stackrisk.control"};
  struct sr_broker *b = sr_broker_create(1, topics, 1, 1, err, sizeof err);
  ck_assert_msg(b, "broker: %s", err);
  struct sr_kafka_props props = {0};
  struct sr_producer *p =
      sr_producer_create(sr_broker_bootstraps(b), &props, 0, err, sizeof err);
  ck_assert_msg(p, "producer: %s", err);
  const char *asked[] = {"stackrisk.control", "no.such.topic.here", "a", "b",
                         "c"};
  sr_producer_know_topics(p, asked, SR_ARRAY_LEN(asked), 2000, NULL);
  ck_assert_int_lt(first_delivery_ms(p, "stackrisk.control"), 10000);
  sr_producer_destroy(p, 1000);
  sr_broker_destroy(b);
}
END_TEST

/* Records go out through the handles know_topics keeps, to each of the
 * topics it was told (more than it keeps: the rest go by name) and to a
 * topic it was not told; and the producer still closes (librdkafka's
 * destroy waits for every topic handle to be released). */
START_TEST(known_and_other_topics_are_all_delivered) {
  char err[512];
  enum { N = SR_PRODUCER_TOPICS_MAX + 2 };
  char names[N + 1][32];
  const char *topics[N + 1];
  for (size_t i = 0; i <= N; i++) {
    snprintf(names[i], sizeof names[i], "ut.topic.%zu", i);
    topics[i] = names[i];
  }
  struct sr_broker *b = sr_broker_create(1, topics, N + 1, 2, err, sizeof err);
  ck_assert_msg(b, "broker: %s", err);
  struct sr_kafka_props props = {0};
  struct sr_producer *p =
      sr_producer_create(sr_broker_bootstraps(b), &props, 0, err, sizeof err);
  ck_assert_msg(p, "producer: %s", err);
  sr_producer_know_topics(p, topics, N, 5000, NULL); /* not the last one */
  for (size_t i = 0; i <= N; i++)
    ck_assert_int_lt(first_delivery_ms(p, topics[i]), 10000);
  sr_producer_destroy(p, 1000);
  sr_broker_destroy(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("kafka");
  TCase *tc = tcase_create("producer");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, known_topic_first_record_is_not_held);
  tcase_add_test(tc, unknown_topic_is_not_fatal);
  tcase_add_test(tc, known_and_other_topics_are_all_delivered);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
