/*
 * Tests of core/kafka.c's producer against the embedded broker (librdkafka's
 * mock cluster on real sockets): what the pipeline relies on when it
 * publishes commands.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
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

/* A typo in --brokers is refused at once, naming the entry at fault,
 * instead of librdkafka retrying "localhost:0" for ever; every shape
 * librdkafka takes is accepted. */
START_TEST(bootstrap_lists_are_checked) {
  static const char *const good[] = {"localhost:9092",
                                     "a:1,b:2",
                                     "a:1, b:2 ,",
                                     "kafka-0.kafka.svc",
                                     "SSL://broker:9093",
                                     "[::1]:9092",
                                     "PLAINTEXT://[fe80::1]",
                                     "::1",
                                     "127.0.0.1:65535"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    char err[512] = "";
    ck_assert_msg(sr_kafka_check_bootstrap(good[i], err, sizeof err) == SR_OK,
                  "'%s' refused: %s", good[i], err);
  }
  static const char *const bad[][2] = {
      {":", "':' names no host"},
      {"a:1,:9092", "':9092' names no host"},
      {"localhost:x", "has port 'x', not a number from 1 to 65535"},
      {"localhost:", "has port '', not a number"},
      {"h:0", "has port '0'"},
      {"h:70000", "has port '70000'"},
      {"h:9092x", "has port '9092x'"},
      {"[::1", "opens an IPv6 address with '[' but has no ']'"},
      {"[::1]9092", "has '9092' after its address"},
      {"[]:9092", "names no host"},
      {" , ", "no broker in it"},
      {"", "no broker in it"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char err[512] = "";
    ck_assert_int_eq(sr_kafka_check_bootstrap(bad[i][0], err, sizeof err),
                     SR_EINVAL);
    ck_assert_msg(strstr(err, bad[i][1]), "'%s': got \"%s\"", bad[i][0], err);
    ck_assert_msg(strstr(err, "Kafka bootstrap servers"), "%s", err);
  }
  char err[512] = "";
  ck_assert_ptr_null(
      sr_kafka_conf_new(":", "t", NULL, 0, NULL, err, sizeof err));
  ck_assert_msg(strstr(err, "names no host"), "%s", err);
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
  tc = tcase_create("bootstrap");
  tcase_add_test(tc, bootstrap_lists_are_checked);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
