/*
 * Engine setup from a configuration file: the shipped example loads and
 * means what it says; mistakes are reported with file, line and key.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/engine.h"

#ifndef SR_SOURCE_DIR
#define SR_SOURCE_DIR "."
#endif

static char path[64];

static const char *write_tmp(const char *yaml) {
  snprintf(path, sizeof path, "/tmp/sr-engine-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
  close(fd);
  return path;
}

START_TEST(example_config_loads) {
  char err[512] = "";
  struct sr_engine *e =
      sr_engine_create(SR_SOURCE_DIR "/config/stackrisk.yaml", err, sizeof err);
  ck_assert_msg(e, "example config: %s", err);
  ck_assert_str_eq(e->settings.group, "stackrisk");
  ck_assert_str_eq(e->settings.topic_events, "stackrisk.events");
  ck_assert_int_eq(e->settings.workers, 2);
  ck_assert_int_ge(sr_detectors_count(e->dets), 6);
  ck_assert_int_ge(sr_detectors_find(e->dets, "blast_radius"), 0);
  sr_engine_destroy(e);
}
END_TEST

START_TEST(defaults_without_a_file) {
  char err[512] = "";
  struct sr_engine *e = sr_engine_create(NULL, err, sizeof err);
  ck_assert_msg(e, "%s", err);
  ck_assert_ptr_null(e->settings.brokers);
  ck_assert_str_eq(e->settings.topic_control, "stackrisk.control");
  ck_assert_str_eq(e->settings.topic_dlq, "stackrisk.dlq");
  ck_assert_int_eq(e->settings.max_message_bytes, 1048576);
  sr_engine_destroy(e);
}
END_TEST

START_TEST(settings_and_kafka_properties_are_read) {
  char err[512] = "";
  const char *p = write_tmp(
      "kafka:\n"
      "  brokers: k1:9092\n"
      "  topics: {events: in, control: out}\n"
      "  properties:\n"
      "    fetch.wait.max.ms: 10\n"
      "processing:\n"
      "  workers: 4\n"
      "state:\n"
      "  path: /var/lib/stackrisk/state.db\n"
      "  retention_s: 3600\n");
  struct sr_engine *e = sr_engine_create(p, err, sizeof err);
  ck_assert_msg(e, "%s", err);
  ck_assert_str_eq(e->settings.state_path, "/var/lib/stackrisk/state.db");
  ck_assert_int_eq(e->settings.retention_s, 3600);
  ck_assert_int_eq(e->settings.idle_eviction_s, 900);
  ck_assert_str_eq(e->settings.brokers, "k1:9092");
  ck_assert_str_eq(e->settings.topic_events, "in");
  ck_assert_str_eq(e->settings.topic_control, "out");
  ck_assert_str_eq(e->settings.topic_dlq, "stackrisk.dlq");
  ck_assert_int_eq(e->settings.workers, 4);
  ck_assert_int_eq((int)e->settings.props.n, 1);
  ck_assert_str_eq(e->settings.props.key[0], "fetch.wait.max.ms");
  ck_assert_str_eq(e->settings.props.value[0], "10");
  sr_engine_destroy(e);
  unlink(p);
}
END_TEST

START_TEST(errors_name_line_and_key) {
  static const struct {
    const char *yaml;
    const char *fragment;
  } bad[] = {
      {"polciy:\n  block: {risk: 2}\n", ":1: "},
      {"processing:\n  workers: 0\n", ":2: processing.workers"},
      {"processing:\n  workers: many\n", "processing.workers"},
      {"kafka:\n  topics:\n    event: x\n", ":3: "},
      {"policy:\n  rules:\n    - name: r\n      action: BLOCK\n      all: "
       "{destructiv: 0.5}\n",
       "destructiv"},
      {"detectors:\n  destructive:\n    tresh: 0.5\n", "tresh"},
      {"state:\n  retention_days: 3\n", "retention_days"},
      {"state:\n  idle_eviction_s: -1\n", ":2: state.idle_eviction_s"},
      /* librdkafka's settings are checked as they are read, in its words */
      {"kafka:\n  offset_reset: earlest\n",
       ":2: kafka.offset_reset: Invalid value \"earlest\""},
      {"kafka:\n  properties:\n    security.protocl: ssl\n",
       ":3: kafka.properties.security.protocl: No such configuration property"},
      {"kafka:\n  properties:\n    fetch.wait.max.ms: soon\n",
       ":3: kafka.properties.fetch.wait.max.ms: "},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[512] = "";
    const char *p = write_tmp(bad[i].yaml);
    struct sr_engine *e = sr_engine_create(p, err, sizeof err);
    ck_assert_msg(e == NULL, "accepted: %s", bad[i].yaml);
    ck_assert_msg(strstr(err, p) && strstr(err, bad[i].fragment),
                  "error '%s' lacks the file or '%s'", err, bad[i].fragment);
    unlink(p);
  }
}
END_TEST

START_TEST(missing_file_is_reported) {
  char err[512] = "";
  ck_assert_ptr_null(sr_engine_create("/nonexistent/sr.yaml", err, sizeof err));
  ck_assert_msg(strstr(err, "/nonexistent/sr.yaml"), "%s", err);
}
END_TEST

START_TEST(http_settings_are_read) {
  char err[512] = "";
  const char *p = write_tmp(
      "http:\n  listen: 0.0.0.0:9000\n  token_file: /etc/stackrisk/token\n");
  struct sr_engine *e = sr_engine_create(p, err, sizeof err);
  ck_assert_msg(e, "%s", err);
  ck_assert_str_eq(e->settings.http_listen, "0.0.0.0:9000");
  ck_assert_str_eq(e->settings.http_token_file, "/etc/stackrisk/token");
  sr_engine_destroy(e);
  unlink(p);
  p = write_tmp("http:\n  lisen: 8080\n");
  ck_assert_ptr_null(sr_engine_create(p, err, sizeof err));
  ck_assert_msg(strstr(err, "lisen"), "%s", err);
  unlink(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("engine");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 120); /* the catalogue compiles per engine */
  tcase_add_test(tc, example_config_loads);
  tcase_add_test(tc, defaults_without_a_file);
  tcase_add_test(tc, settings_and_kafka_properties_are_read);
  tcase_add_test(tc, errors_name_line_and_key);
  tcase_add_test(tc, missing_file_is_reported);
  tcase_add_test(tc, http_settings_are_read);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
