/*
 * `stackrisk approve CALL_ID` / `stackrisk deny CALL_ID`: a person's decision
 * on an escalated call. Publishes an `approval` event (docs/events.md) keyed
 * by the call's session; the processor answers it with ALLOW "approved by X"
 * or BLOCK "denied by X", which releases or refuses the gate holding the
 * call. The session is looked up from the call's ESCALATE on the control
 * topic unless --session is given. Then the command that answers the
 * decision is printed, once it verifies.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/log.h"
#include "enforce/client.h"
#include "enforce/control.h"

static void usage(FILE *f, const char *verb) {
  fprintf(
      f,
      "usage: stackrisk %s CALL_ID --brokers LIST [OPTIONS]\n"
      "\n"
      "%s an escalated tool call: publish an approval event; the gate\n"
      "holding the call answers %s. Prints the resulting command.\n"
      "\n"
      "  -c, --config FILE       kafka and signing sections of the config\n"
      "  -b, --brokers LIST      Kafka bootstrap servers\n"
      "  -s, --session ID        the call's session (default: found from\n"
      "                          the call's ESCALATE on the control topic)\n"
      "  -a, --approver NAME     who decides (default: $USER)\n"
      "      --public-key FILE   verify commands with this key\n"
      "      --timeout-ms MS     give up after MS (default 10000): exit 3\n"
      "                          when no answer came by then, brokers that\n"
      "                          do not answer included\n"
      "      --events-topic T    (default stackrisk.events)\n"
      "      --control-topic T   (default stackrisk.control)\n"
      "  -X  KEY=VALUE           any librdkafka property (repeatable)\n"
      "  -h, --help              this text\n",
      verb, !strcmp(verb, "approve") ? "Release" : "Refuse",
      !strcmp(verb, "approve") ? "allow" : "deny");
}

/* Whether cmd answers a person's decision on its call (aggregator.c,
 * approval): "approved by X", "denied by X". */
static bool answers_decision(const struct sr_command *cmd) {
  return !strncmp(cmd->rule, "approved by ", 12) ||
         !strncmp(cmd->rule, "denied by ", 10);
}

/* Reads the control topic from the beginning until it has been quiet for a
 * moment (or until the deadline), remembering the session of the last
 * verified ESCALATE of call and, in *decided (command_id "" when none),
 * the verified answer to a decision on it that came after that ESCALATE. */
static int find_session(struct sr_control_reader *r,
                        const struct sr_verifier *v, const char *call,
                        char *session, size_t cap, struct sr_command *decided,
                        int64_t deadline) {
  struct sr_command *cmd = malloc(sizeof *cmd);
  char err[512];
  int quiet = 0;
  session[0] = '\0';
  decided->command_id[0] = '\0';
  while (cmd && quiet < 500 && sr_clock_ms(CLOCK_MONOTONIC) < deadline) {
    int rc = sr_control_reader_next(r, 50, cmd, err, sizeof err);
    if (rc == SR_ETIMEOUT) {
      quiet += 50;
      continue;
    }
    quiet = 0;
    if (rc || strcmp(cmd->call_id, call) ||
        (cmd->action != SR_ACTION_ESCALATE && !answers_decision(cmd)))
      continue;
    /* Expired or not, a genuine ESCALATE names the session truly. */
    enum sr_sig_status st =
        sr_verifier_check(v, cmd, NULL, NULL, INT64_MIN, err, sizeof err);
    if (st != SR_SIG_OK) {
      SR_WARN("%s", err);
    } else if (cmd->action == SR_ACTION_ESCALATE) {
      snprintf(session, cap, "%s", cmd->session_id);
      decided->command_id[0] = '\0';
    } else if (session[0] && !strcmp(cmd->session_id, session)) {
      *decided = *cmd;
    }
  }
  free(cmd);
  return session[0] ? SR_OK : SR_ENOTFOUND;
}

static int decide(int argc, char **argv, const char *verb) {
  enum { O_PK = 256, O_TIMEOUT, O_EVENTS, O_CONTROL };
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"brokers", required_argument, NULL, 'b'},
      {"session", required_argument, NULL, 's'},
      {"approver", required_argument, NULL, 'a'},
      {"public-key", required_argument, NULL, O_PK},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT},
      {"events-topic", required_argument, NULL, O_EVENTS},
      {"control-topic", required_argument, NULL, O_CONTROL},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL, *brokers = NULL, *session = NULL, *pk = NULL,
             *events = NULL, *control = NULL;
  const char *approver = getenv("USER");
  long timeout_ms = 10000;
  struct sr_kafka_props xprops = {0};
  char err[1024], *end;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:b:s:a:X:h", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        config = optarg;
        break;
      case 'b':
        brokers = optarg;
        break;
      case 's':
        session = optarg;
        break;
      case 'a':
        approver = optarg;
        break;
      case O_PK:
        pk = optarg;
        break;
      case O_EVENTS:
        events = optarg;
        break;
      case O_CONTROL:
        control = optarg;
        break;
      case O_TIMEOUT:
        timeout_ms = strtol(optarg, &end, 10);
        if (*end || timeout_ms < 1) {
          fprintf(stderr,
                  "stackrisk %s: --timeout-ms: expected a positive "
                  "number, got '%s'\n",
                  verb, optarg);
          return 2;
        }
        break;
      case 'X':
        if (sr_kafka_props_add_kv(&xprops, optarg, err, sizeof err)) {
          fprintf(stderr, "stackrisk %s: -X: %s\n", verb, err);
          return 2;
        }
        break;
      case 'h':
        usage(stdout, verb);
        return 0;
      default:
        usage(stderr, verb);
        return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "stackrisk %s: expected one CALL_ID\n", verb);
    usage(stderr, verb);
    return 2;
  }
  const char *call = argv[optind];
  if (!approver || !*approver) approver = "unknown";
  /* --timeout-ms bounds the whole command: whatever did not happen by
   * then (brokers silent, no answer) is a time-out, exit 3. */
  int64_t deadline = sr_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
  struct sr_client_conf cc;
  int rc = 1;
  struct sr_verifier *v = NULL;
  struct sr_control_reader *r = NULL;
  rd_kafka_t *p = NULL;
  struct sr_command *cmd = malloc(sizeof *cmd);
  char sbuf[SR_SESSION_ID_MAX + 1], line[4096];
  if (sr_client_conf_load(config, &cc, err, sizeof err)) goto fail;
  sr_client_conf_override(&cc, brokers, pk, events, control, &xprops);
  if (!cc.brokers) {
    snprintf(err, sizeof err, "--brokers is required");
    rc = 2;
    goto fail;
  }
  v = sr_client_verifier(cc.public_key, err, sizeof err);
  if (!v || !cmd) goto fail;
  /* approve and deny name their own clients, in logs and to the brokers */
  char client_id[32];
  snprintf(client_id, sizeof client_id, "stackrisk-%s", verb);
  /* From the beginning: the ESCALATE names the session, and the reader ends
   * up positioned where the answer to our decision will land. */
  r = sr_control_reader_create(cc.brokers, client_id, cc.control_topic, true,
                               &cc.props, (int)timeout_ms, err, sizeof err);
  if (!r) goto fail;
  if (!session) {
    if (find_session(r, v, call, sbuf, sizeof sbuf, cmd, deadline)) {
      snprintf(err, sizeof err,
               "no ESCALATE for call %s on %s: pass --session if the call "
               "was escalated elsewhere",
               call, cc.control_topic);
      goto fail;
    }
    if (cmd->command_id[0]) {
      /* The processor would ignore a second decision: say so now rather
       * than wait out --timeout-ms for an answer that cannot come. */
      char when[32];
      sr_log_utc(cmd->issued_at_ms, when, sizeof when);
      snprintf(err, sizeof err,
               "call %s of session %s was decided already: %s (%s) at %s; "
               "nothing published",
               call, sbuf, sr_action_name(cmd->action), cmd->rule, when);
      goto fail;
    }
    session = sbuf;
  }
  static const char *const defaults[][2] = {{"linger.ms", "0"},
                                            {"partitioner", "murmur2_random"}};
  rd_kafka_conf_t *conf = sr_kafka_conf_new(cc.brokers, client_id, defaults, 2,
                                            &cc.props, err, sizeof err);
  if (!conf) goto fail;
  char kerr[256];
  p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr);
  if (!p) {
    rd_kafka_conf_destroy(conf);
    snprintf(err, sizeof err, "kafka producer: %s", kerr);
    goto fail;
  }
  int64_t ts = sr_clock_ms(CLOCK_REALTIME);
  const char *decision = !strcmp(verb, "approve") ? "approve" : "deny";
  struct sr_buf b = sr_buf_init(line, sizeof line);
  sr_buf_puts(&b, "{\"type\":\"approval\",\"session_id\":");
  sr_buf_json_string(&b, sr_str_from(session));
  sr_buf_puts(&b, ",\"call_id\":");
  sr_buf_json_string(&b, sr_str_from(call));
  sr_buf_printf(&b, ",\"decision\":\"%s\",\"approver\":", decision);
  sr_buf_json_string(&b, sr_str_from(approver));
  sr_buf_printf(&b, ",\"ts_ms\":%lld,\"agent_id\":\"stackrisk-%s\"}",
                (long long)ts, verb);
  rd_kafka_resp_err_t e = rd_kafka_producev(
      p, RD_KAFKA_V_TOPIC(cc.events_topic),
      RD_KAFKA_V_KEY(session, strlen(session)), RD_KAFKA_V_VALUE(line, b.len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  int left = (int)SR_MAX(deadline - sr_clock_ms(CLOCK_MONOTONIC), 0);
  if (e || rd_kafka_flush(p, left)) {
    snprintf(err, sizeof err, "cannot publish the approval: %s",
             rd_kafka_err2str(e ? e : RD_KAFKA_RESP_ERR__TIMED_OUT));
    goto fail;
  }
  fprintf(stderr, "stackrisk %s: %s call %s of session %s as %s\n", verb,
          !strcmp(verb, "approve") ? "approved" : "denied", call, session,
          approver);
  while (sr_clock_ms(CLOCK_MONOTONIC) < deadline) {
    if (sr_control_reader_next(r, 100, cmd, err, sizeof err) ||
        strcmp(cmd->call_id, call) || cmd->action == SR_ACTION_ESCALATE ||
        cmd->issued_at_ms < ts)
      continue;
    if (sr_verifier_check(v, cmd, session, call, sr_clock_ms(CLOCK_REALTIME),
                          err, sizeof err) != SR_SIG_OK) {
      fprintf(stderr, "stackrisk %s: %s\n", verb, err);
      continue;
    }
    int n = sr_command_to_json(cmd, line, sizeof line);
    if (n > 0) printf("%.*s\n", n, line);
    rc = 0;
    goto done;
  }
  fprintf(stderr,
          "stackrisk %s: published, but no answering command within "
          "%ld ms (is `stackrisk run` consuming %s? Its log says so when "
          "the call awaits no decision: never escalated, or decided "
          "already)\n",
          verb, timeout_ms, cc.events_topic);
  rc = 3;
  goto done;
fail:
  if (rc == 1 && sr_clock_ms(CLOCK_MONOTONIC) >= deadline) {
    rc = 3;
    fprintf(stderr, "stackrisk %s: gave up after %ld ms: %s\n", verb,
            timeout_ms, err);
  } else {
    fprintf(stderr, "stackrisk %s: %s\n", verb, err);
  }
done:
  if (p) rd_kafka_destroy(p);
  sr_control_reader_destroy(r);
  sr_verifier_destroy(v);
  sr_client_conf_clear(&cc);
  free(cmd);
  return rc;
}

/* A person's Ctrl-C ends approve and deny at once, wherever they wait:
 * the decision is published or not, and nothing else is left behind. */
int sr_cmd_approve(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  struct sigaction saved[2];
  sr_cli_signals_default(saved);
  return decide(argc, argv, "approve");
}

int sr_cmd_deny(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  struct sigaction saved[2];
  sr_cli_signals_default(saved);
  return decide(argc, argv, "deny");
}
