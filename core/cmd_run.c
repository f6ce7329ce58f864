/*
 * `stackrisk run`: the main job. Consumer thread (this one) → N worker
 * threads → control and dead-letter topics. Without --brokers it first
 * starts the embedded broker (librdkafka's mock cluster) and prints its
 * address, so the whole system runs on one machine with nothing installed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/engine.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "ingest/consumer.h"
#include "query/reader.h"

static void usage(FILE *f) {
  fputs(
      "usage: stackrisk run [OPTIONS]\n"
      "\n"
      "Consume events, score and stack risk per session, publish commands.\n"
      "Stops cleanly on SIGINT/SIGTERM: finishes what it consumed, commits\n"
      "offsets, exits 0.\n"
      "\n"
      "  -c, --config FILE       configuration (YAML); see config/stackrisk.yaml\n"
      "  -b, --brokers LIST      Kafka bootstrap servers (host:port,...);\n"
      "                          without it an embedded broker is started and\n"
      "                          its address printed on stdout\n"
      "  -g, --group ID          consumer group (default stackrisk)\n"
      "  -w, --workers N         worker threads, 1-64 (default 2)\n"
      "      --events-topic T    input topic (default stackrisk.events)\n"
      "      --control-topic T   command topic (default stackrisk.control)\n"
      "      --dlq-topic T       dead-letter topic (default stackrisk.dlq)\n"
      "  -s, --state PATH        state database (SQLite): session state, input\n"
      "                          offsets and the audit log; resumes from it\n"
      "                          (default ./stackrisk-state.db, or state.path\n"
      "                          of the config; \"\" runs without one)\n"
      "      --signing-key FILE  secret key commands are signed with (default:\n"
      "                          signing.private_key, else\n"
      "                          ~/.config/stackrisk/signing.key, generated\n"
      "                          with its .pub on first start)\n"
      "  -X  KEY=VALUE           any librdkafka property, for both the\n"
      "                          consumer and the producer (repeatable)\n"
      "      --http ADDR         serve the query API, /metrics and the\n"
      "                          dashboard on ADDR: PORT or :PORT (127.0.0.1),\n"
      "                          or ADDR:PORT for another interface\n"
      "      --http-token-file F bearer token for the API (first line of F)\n"
      "      --log-level L       error, warn, info (default), debug\n"
      "  -h, --help              this text\n",
      f);
}

struct run_args {
  const char *config;
  const char *brokers;
  const char *group;
  const char *events, *control, *dlq;
  const char *state;
  const char *signing_key;
  long workers;
  struct sr_kafka_props xprops;
  const char *http, *http_token_file;
};

static int parse(int argc, char **argv, struct run_args *a) {
  enum { O_EVENTS = 256, O_CONTROL, O_DLQ, O_LOG, O_HTTP, O_TOKEN, O_KEY };
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"brokers", required_argument, NULL, 'b'},
      {"group", required_argument, NULL, 'g'},
      {"workers", required_argument, NULL, 'w'},
      {"state", required_argument, NULL, 's'},
      {"events-topic", required_argument, NULL, O_EVENTS},
      {"control-topic", required_argument, NULL, O_CONTROL},
      {"dlq-topic", required_argument, NULL, O_DLQ},
      {"log-level", required_argument, NULL, O_LOG},
      {"http", required_argument, NULL, O_HTTP},
      {"http-token-file", required_argument, NULL, O_TOKEN},
      {"signing-key", required_argument, NULL, O_KEY},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  char err[256];
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:b:g:w:s:X:h", opts, NULL)) != -1) {
    switch (c) {
      case 'c': a->config = optarg; break;
      case 'b': a->brokers = optarg; break;
      case 'g': a->group = optarg; break;
      case 's': a->state = optarg; break;
      case 'w': {
        char *end;
        a->workers = strtol(optarg, &end, 10);
        if (*end || a->workers < 1 || a->workers > SR_WORKERS_MAX) {
          fprintf(stderr, "stackrisk run: --workers: expected 1-%d, got '%s'\n",
                  SR_WORKERS_MAX, optarg);
          return 2;
        }
        break;
      }
      case 'X':
        if (sr_kafka_props_add_kv(&a->xprops, optarg, err, sizeof err)) {
          fprintf(stderr, "stackrisk run: -X: %s\n", err);
          return 2;
        }
        break;
      case O_EVENTS: a->events = optarg; break;
      case O_CONTROL: a->control = optarg; break;
      case O_DLQ: a->dlq = optarg; break;
      case O_HTTP: a->http = optarg; break;
      case O_TOKEN: a->http_token_file = optarg; break;
      case O_KEY: a->signing_key = optarg; break;
      case O_LOG:
        if (sr_cli_log_level(optarg)) return 2;
        break;
      case 'h': usage(stdout); return -1;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "stackrisk run: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  return 0;
}

/* Command-line flags win over the file. */
static void apply_args(struct sr_settings *s, struct run_args *a) {
  if (a->brokers) s->brokers = a->brokers;
  if (a->group) s->group = a->group;
  if (a->events) s->topic_events = a->events;
  if (a->control) s->topic_control = a->control;
  if (a->dlq) s->topic_dlq = a->dlq;
  if (a->signing_key) s->signing_key = a->signing_key;
  if (a->workers) s->workers = a->workers;
  if (a->http) s->http_listen = a->http;
  if (a->http_token_file) s->http_token_file = a->http_token_file;
  if (a->state) s->state_path = a->state;
  for (size_t i = 0; i < a->xprops.n && s->props.n < SR_KAFKA_PROPS_MAX; i++) {
    s->props.key[s->props.n] = a->xprops.key[i];
    s->props.value[s->props.n++] = a->xprops.value[i];
  }
}

int sr_cmd_run(int argc, char **argv, volatile sig_atomic_t *stop) {
  struct run_args args = {0};
  int rc = parse(argc, argv, &args);
  if (rc) return rc < 0 ? 0 : rc;

  char err[1024];
  struct sr_pipeline *p = NULL;
  struct sr_engine *engine = sr_engine_create(args.config, err, sizeof err);
  if (!engine) goto fail;
  apply_args(&engine->settings, &args);
  p = sr_pipeline_create(engine, stop, err, sizeof err);
  if (!p) goto fail;
  if (sr_pipeline_embedded(p)) {
    printf("stackrisk: embedded Kafka broker at %s\n", sr_pipeline_brokers(p));
    fflush(stdout);
  }
  if (sr_pipeline_http_url(p)) {
    printf("stackrisk: HTTP API at %s\n", sr_pipeline_http_url(p));
    fflush(stdout);
  }
  if (sr_pipeline_run(p, stop) != SR_OK) {
    snprintf(err, sizeof err, "the Kafka consumer failed (see above)");
    goto fail;
  }
  struct sr_pipeline_stats st;
  sr_pipeline_stats(p, &st);
  SR_INFO("stopped: %llu events, %llu dead letters, commands: %llu allow, "
          "%llu escalate, %llu block, %llu kill; OTLP: %llu spans, %llu "
          "dead letters",
          (unsigned long long)st.events, (unsigned long long)st.dead_letters,
          (unsigned long long)st.commands[SR_ACTION_ALLOW],
          (unsigned long long)st.commands[SR_ACTION_ESCALATE],
          (unsigned long long)st.commands[SR_ACTION_BLOCK],
          (unsigned long long)st.commands[SR_ACTION_KILL],
          (unsigned long long)st.otlp_spans,
          (unsigned long long)st.otlp_dead_letters);
  sr_pipeline_destroy(p);
  sr_engine_destroy(engine);
  return 0;
fail:
  fprintf(stderr, "stackrisk run: %s\n", err);
  sr_pipeline_destroy(p);
  sr_engine_destroy(engine);
  return 1;
}
