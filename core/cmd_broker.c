/*
 * `stackrisk broker`: the embedded Kafka broker alone (librdkafka's mock
 * cluster on 127.0.0.1), with stackrisk's topics created, so that several
 * stackrisk processes and any Kafka client (kcat, other languages) can share
 * one broker in demos and tests. Prints the bootstrap address on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/engine.h"
#include "core/log.h"

static void usage(FILE *f) {
  fputs("usage: stackrisk broker [OPTIONS]\n"
        "\n"
        "Run the embedded Kafka broker until SIGINT/SIGTERM. Prints\n"
        "'stackrisk: embedded Kafka broker at HOST:PORT' on stdout once ready.\n"
        "\n"
        "  -c, --config FILE     take topic names and partitions from FILE\n"
        "  -p, --partitions N    partitions per topic (default 8)\n"
        "  -n, --brokers-count N brokers in the cluster (default 1)\n"
        "  -t, --topic NAME      create one more topic (repeatable)\n"
        "      --log-level L     error, warn, info (default), debug\n"
        "  -h, --help            this text\n",
        f);
}

int sr_cmd_broker(int argc, char **argv, volatile sig_atomic_t *stop) {
  enum { O_LOG = 256 };
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"partitions", required_argument, NULL, 'p'},
      {"brokers-count", required_argument, NULL, 'n'},
      {"topic", required_argument, NULL, 't'},
      {"log-level", required_argument, NULL, O_LOG},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL;
  const char *extra[16];
  size_t n_extra = 0;
  long partitions = 0, nbrokers = 1;
  char *end;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:p:n:t:h", opts, NULL)) != -1) {
    switch (c) {
      case 'c': config = optarg; break;
      case 'p':
        partitions = strtol(optarg, &end, 10);
        if (*end || partitions < 1 || partitions > 256) {
          fprintf(stderr, "stackrisk broker: --partitions: expected 1-256, "
                          "got '%s'\n", optarg);
          return 2;
        }
        break;
      case 'n':
        nbrokers = strtol(optarg, &end, 10);
        if (*end || nbrokers < 1 || nbrokers > 16) {
          fprintf(stderr, "stackrisk broker: --brokers-count: expected 1-16, "
                          "got '%s'\n", optarg);
          return 2;
        }
        break;
      case 't':
        if (n_extra == SR_ARRAY_LEN(extra)) {
          fprintf(stderr, "stackrisk broker: at most %zu --topic\n",
                  SR_ARRAY_LEN(extra));
          return 2;
        }
        extra[n_extra++] = optarg;
        break;
      case O_LOG:
        if (sr_cli_log_level(optarg)) return 2;
        break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  char err[1024];
  struct sr_engine *engine = sr_engine_create(config, err, sizeof err);
  if (!engine) {
    fprintf(stderr, "stackrisk broker: %s\n", err);
    return 1;
  }
  const struct sr_settings *s = &engine->settings;
  /* Every topic `stackrisk run` reads or writes, as its embedded broker
   * creates them: one created on first use would get the mock's own
   * partition count, not the one asked for. */
  const char *topics[5 + SR_ARRAY_LEN(extra)] = {
      s->topic_events, s->topic_control, s->topic_dlq};
  size_t n_topics = 3;
  if (engine->otlp.enabled) {
    topics[n_topics++] = engine->otlp.topic;
    topics[n_topics++] = engine->otlp.repartition_topic;
  }
  for (size_t i = 0; i < n_extra; i++) topics[n_topics++] = extra[i];
  struct sr_broker *b = sr_broker_create(
      (int)nbrokers, topics, n_topics,
      (int)(partitions ? partitions : s->partitions), err, sizeof err);
  if (!b) {
    fprintf(stderr, "stackrisk broker: %s\n", err);
    sr_engine_destroy(engine);
    return 1;
  }
  printf("stackrisk: embedded Kafka broker at %s\n", sr_broker_bootstraps(b));
  fflush(stdout);
  while (!*stop) pause();
  SR_INFO("broker stopping");
  sr_broker_destroy(b);
  sr_engine_destroy(engine);
  return 0;
}
