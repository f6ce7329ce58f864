/*
 * `stackrisk watch`: print the commands on the control topic as JSON lines,
 * for people at a terminal and for scripts. Exits on SIGINT/SIGTERM, after
 * --count commands, or after --timeout-ms without one.
 *
 * Every command is verified against the public key first: one that is
 * unsigned, forged or expired is not printed on stdout but reported on
 * stderr, so a script reading stdout only ever sees what stackrisk issued.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cli.h"
#include "core/log.h"
#include "enforce/client.h"
#include "enforce/control.h"

static void usage(FILE *f) {
  fputs(
      "usage: stackrisk watch --brokers LIST [OPTIONS]\n"
      "       stackrisk watch --config FILE [OPTIONS]\n"
      "\n"
      "Print commands from the control topic as JSON lines (one per line,\n"
      "the form of `stackrisk replay`).\n"
      "\n"
      "  -c, --config FILE       brokers, control topic, Kafka properties\n"
      "                          and signing.public_key from the config\n"
      "                          file (the flags below win)\n"
      "  -b, --brokers LIST      Kafka bootstrap servers (required without\n"
      "                          kafka.brokers in --config)\n"
      "  -t, --topic T           control topic (default stackrisk.control)\n"
      "      --from-beginning    print retained commands too (default: only\n"
      "                          commands published from now on)\n"
      "  -s, --session ID        only this session's commands\n"
      "  -n, --count N           exit 0 after N commands\n"
      "      --timeout-ms MS     exit 3 when MS pass without a command\n"
      "      --public-key FILE   verify commands with this key (default:\n"
      "                          ~/.config/stackrisk/signing.pub)\n"
      "      --include-expired   print genuine commands past their\n"
      "                          expires_at_ms too (reviewing history)\n"
      "  -X  KEY=VALUE           any librdkafka property (repeatable)\n"
      "      --log-level L       error, warn, info (default), debug\n"
      "  -h, --help              this text\n",
      f);
}

int sr_cmd_watch(int argc, char **argv, volatile sig_atomic_t *stop) {
  enum { O_FROM = 256, O_TIMEOUT, O_LOG, O_PK, O_EXPIRED };
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"brokers", required_argument, NULL, 'b'},
      {"topic", required_argument, NULL, 't'},
      {"from-beginning", no_argument, NULL, O_FROM},
      {"session", required_argument, NULL, 's'},
      {"count", required_argument, NULL, 'n'},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT},
      {"log-level", required_argument, NULL, O_LOG},
      {"public-key", required_argument, NULL, O_PK},
      {"include-expired", no_argument, NULL, O_EXPIRED},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL, *brokers = NULL, *topic = NULL, *session = NULL;
  bool from_beginning = false, include_expired = false;
  const char *public_key = NULL;
  long count = 0, timeout_ms = 0;
  struct sr_kafka_props props = {0};
  char err[1024], *end;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:b:t:s:n:X:h", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        config = optarg;
        break;
      case 'b': brokers = optarg; break;
      case 't': topic = optarg; break;
      case 's': session = optarg; break;
      case O_FROM: from_beginning = true; break;
      case O_PK: public_key = optarg; break;
      case O_EXPIRED: include_expired = true; break;
      case 'n':
      case O_TIMEOUT: {
        long v = strtol(optarg, &end, 10);
        if (*end || v < 1) {
          fprintf(stderr, "stackrisk watch: --%s: expected a positive number, "
                          "got '%s'\n", c == 'n' ? "count" : "timeout-ms",
                  optarg);
          return 2;
        }
        *(c == 'n' ? &count : &timeout_ms) = v;
        break;
      }
      case 'X':
        if (sr_kafka_props_add_kv(&props, optarg, err, sizeof err)) {
          fprintf(stderr, "stackrisk watch: -X: %s\n", err);
          return 2;
        }
        break;
      case O_LOG:
        if (sr_cli_log_level(optarg)) return 2;
        break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  struct sr_client_conf cc;
  if (sr_client_conf_load(config, &cc, err, sizeof err)) {
    fprintf(stderr, "stackrisk watch: %s\n", err);
    sr_client_conf_clear(&cc);
    return 1;
  }
  sr_client_conf_override(&cc, brokers, public_key, NULL, topic, &props);
  if (!cc.brokers) {
    fprintf(stderr,
            "stackrisk watch: --brokers is required (or kafka.brokers "
            "in --config)\n");
    sr_client_conf_clear(&cc);
    return 2;
  }
  struct sr_verifier *v = sr_client_verifier(cc.public_key, err, sizeof err);
  if (!v) {
    fprintf(stderr, "stackrisk watch: %s\n", err);
    sr_client_conf_clear(&cc);
    return 1;
  }
  /* --timeout-ms counts from now: brokers that do not answer at all are
   * the longest silence. */
  int64_t quiet_until = sr_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
  /* Ctrl-C while brokers keep the reader's set-up waiting ends watch at
   * once; from the reading loop on it ends it cleanly (exit 0). */
  struct sigaction saved[2];
  sr_cli_signals_default(saved);
  struct sr_control_reader *r = sr_control_reader_create(
      cc.brokers, "stackrisk-watch", cc.control_topic, from_beginning,
      &cc.props, timeout_ms ? (int)timeout_ms : 10000, err, sizeof err);
  sr_cli_signals_restore(saved);
  if (!r) {
    bool late = timeout_ms && sr_clock_ms(CLOCK_MONOTONIC) >= quiet_until;
    if (late)
      fprintf(stderr, "stackrisk watch: no command within %ld ms: %s\n",
              timeout_ms, err);
    else
      fprintf(stderr, "stackrisk watch: %s\n", err);
    sr_verifier_destroy(v);
    sr_client_conf_clear(&cc);
    return late ? 3 : 1;
  }
  struct sr_command *cmd = malloc(sizeof *cmd);
  char *line = malloc(65536);
  long seen = 0;
  int rc = 0;
  while (!*stop && cmd && line) {
    /* By the clock: errors the reader reports (brokers gone) are no
     * command either. */
    if (timeout_ms && sr_clock_ms(CLOCK_MONOTONIC) >= quiet_until) {
      rc = 3;
      break;
    }
    int e = sr_control_reader_next(r, 100, cmd, err, sizeof err);
    if (e == SR_ETIMEOUT) continue;
    if (e) {
      SR_WARN("%s", err);
      continue;
    }
    quiet_until = sr_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
    if (session && strcmp(session, cmd->session_id) != 0) continue;
    enum sr_sig_status st = sr_verifier_check(
        v, cmd, NULL, NULL,
        include_expired ? INT64_MIN : sr_clock_ms(CLOCK_REALTIME), err,
        sizeof err);
    if (st != SR_SIG_OK) {
      fprintf(stderr, "stackrisk watch: %s\n", err);
      continue;
    }
    int n = sr_command_to_json(cmd, line, 65536);
    if (n > 0) {
      fwrite(line, 1, (size_t)n, stdout);
      fputc('\n', stdout);
      fflush(stdout);
    }
    if (count && ++seen >= count) break;
  }
  free(line);
  free(cmd);
  sr_control_reader_destroy(r);
  sr_verifier_destroy(v);
  sr_client_conf_clear(&cc);
  return rc;
}
