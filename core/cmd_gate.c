/*
 * `stackrisk gate`: the pre-action enforcement point for agent harnesses.
 *
 * As a hook (one process per tool call) it reads the harness's payload on
 * stdin, asks for a verdict and answers in the harness's protocol. It asks
 * the sidecar when --socket (or gate.socket) names one that answers; else it
 * talks to Kafka itself (slower to start: two connections, and the
 * detectors' compile when no verdict comes). With --serve it is the sidecar.
 * Whatever fails, the hook still answers: stackrisk's rules decide the call
 * alone, here, and the reason says so (an ALLOW being, for Claude Code and
 * Cursor, no answer at all: hook.h); a call that cannot be judged is
 * blocked.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cli.h"
#include "core/log.h"
#include "enforce/client.h"
#include "enforce/gate.h"

static void usage(FILE *f) {
  fputs(
      "usage: stackrisk gate --hook KIND [OPTIONS] < PAYLOAD\n"
      "       stackrisk gate --serve --socket PATH --brokers LIST [OPTIONS]\n"
      "\n"
      "Hold an agent's tool call until stackrisk has decided. Reads the\n"
      "harness's hook payload on stdin, publishes the call (requested,\n"
      "want_verdict) and answers with the verdict in the harness's protocol:\n"
      "  claude-code  PreToolUse JSON in; exit 0 with hookSpecificOutput\n"
      "               permissionDecision ask (ESCALATE) / deny\n"
      "  cursor       beforeShellExecution / beforeMCPExecution JSON in;\n"
      "               {\"permission\": ask|deny, ...} out\n"
      "  generic      a docs/events.md tool_call in; one JSON line out, exit\n"
      "               0 ALLOW, 3 ESCALATE, 4 BLOCK, 5 KILL\n"
      "For claude-code and cursor an ALLOW prints nothing (exit 0, the\n"
      "reason on stderr): the harness's own permission rules decide, as\n"
      "without the gate. Without a verdict by the deadline the gate runs\n"
      "stackrisk's detectors and policy on the call alone and answers\n"
      "their action the same way, saying it decided locally.\n"
      "\n"
      "  -c, --config FILE       the stackrisk configuration: kafka,\n"
      "                          signing and gate sections, and the\n"
      "                          detectors and policy used without a verdict\n"
      "  -b, --brokers LIST      Kafka bootstrap servers\n"
      "      --hook KIND         claude-code (default), cursor, generic\n"
      "      --socket PATH       the sidecar's Unix socket (hook: ask it;\n"
      "                          --serve: listen on it)\n"
      "      --serve             run as the long-lived sidecar\n"
      "      --public-key FILE   verify commands with this key (default:\n"
      "                          signing.public_key, else\n"
      "                          ~/.config/stackrisk/signing.pub)\n"
      "      --deadline-ms MS    wait this long for a verdict (default 2000)\n"
      "      --hold-ms MS        after ESCALATE, wait this long for\n"
      "                          `stackrisk approve/deny` before answering\n"
      "                          ask (default 30000; 0: ask at once)\n"
      "      --exit2             claude-code: deny by exit 2 (reason on\n"
      "                          stderr)\n"
      "      --allow-skips-prompts\n"
      "                          claude-code, cursor: answer a signed ALLOW\n"
      "                          with \"allow\", which skips the harness's\n"
      "                          own permission prompts (never in plan mode,\n"
      "                          never without a verdict)\n"
      "      --allow-passthrough deprecated: what the gate now does anyway\n"
      "      --events-topic T    (default stackrisk.events)\n"
      "      --control-topic T   (default stackrisk.control)\n"
      "  -X  KEY=VALUE           any librdkafka property (repeatable)\n"
      "      --log-level L       error, warn (default), info, debug\n"
      "  -h, --help              this text\n",
      f);
}

struct gate_args {
  const char *config, *brokers, *socket, *public_key, *events, *control;
  enum sr_hook_kind kind;
  bool serve;
  long deadline_ms, hold_ms; /* -1: from the file */
  struct sr_hook_answer_opts answer;
  struct sr_kafka_props xprops;
};

static int parse(int argc, char **argv, struct gate_args *a) {
  enum {
    O_HOOK = 256,
    O_SOCKET,
    O_SERVE,
    O_PK,
    O_DEADLINE,
    O_HOLD,
    O_EXIT2,
    O_SKIP_PROMPTS,
    O_PASS,
    O_EVENTS,
    O_CONTROL,
    O_LOG
  };
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"brokers", required_argument, NULL, 'b'},
      {"hook", required_argument, NULL, O_HOOK},
      {"socket", required_argument, NULL, O_SOCKET},
      {"serve", no_argument, NULL, O_SERVE},
      {"public-key", required_argument, NULL, O_PK},
      {"deadline-ms", required_argument, NULL, O_DEADLINE},
      {"hold-ms", required_argument, NULL, O_HOLD},
      {"exit2", no_argument, NULL, O_EXIT2},
      {"allow-skips-prompts", no_argument, NULL, O_SKIP_PROMPTS},
      {"allow-passthrough", no_argument, NULL, O_PASS},
      {"events-topic", required_argument, NULL, O_EVENTS},
      {"control-topic", required_argument, NULL, O_CONTROL},
      {"log-level", required_argument, NULL, O_LOG},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  char err[256], *end;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:b:X:h", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        a->config = optarg;
        break;
      case 'b':
        a->brokers = optarg;
        break;
      case O_HOOK:
        if (sr_hook_kind_parse(optarg, &a->kind)) {
          fprintf(stderr,
                  "stackrisk gate: --hook: expected claude-code, "
                  "cursor or generic, got '%s'\n",
                  optarg);
          return 2;
        }
        break;
      case O_SOCKET:
        a->socket = optarg;
        break;
      case O_SERVE:
        a->serve = true;
        break;
      case O_PK:
        a->public_key = optarg;
        break;
      case O_DEADLINE:
      case O_HOLD: {
        long v = strtol(optarg, &end, 10);
        if (*end || v < (c == O_HOLD ? 0 : 1) || v > 3600000) {
          fprintf(stderr,
                  "stackrisk gate: --%s: expected milliseconds, got "
                  "'%s'\n",
                  c == O_HOLD ? "hold-ms" : "deadline-ms", optarg);
          return 2;
        }
        *(c == O_HOLD ? &a->hold_ms : &a->deadline_ms) = v;
        break;
      }
      case O_EXIT2:
        a->answer.exit2 = true;
        break;
      case O_SKIP_PROMPTS:
        a->answer.allow_skips_prompts = true;
        break;
      case O_PASS:
        /* Once the opt-in to print nothing on ALLOW, now the default. Still
         * accepted, silently: refusing it would turn every hook installed
         * with it into a usage error (exit 2, a denial for Claude Code),
         * and a note on stderr would reach the agent with each --exit2
         * denial. */
        break;
      case O_EVENTS:
        a->events = optarg;
        break;
      case O_CONTROL:
        a->control = optarg;
        break;
      case 'X':
        if (sr_kafka_props_add_kv(&a->xprops, optarg, err, sizeof err)) {
          fprintf(stderr, "stackrisk gate: -X: %s\n", err);
          return 2;
        }
        break;
      case O_LOG:
        if (sr_cli_log_level(optarg)) return 2;
        break;
      case 'h':
        usage(stdout);
        return -1;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "stackrisk gate: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  return 0;
}

/* Flags win over the file. */
static void apply(struct sr_client_conf *cc, const struct gate_args *a) {
  sr_client_conf_override(cc, a->brokers, a->public_key, a->events, a->control,
                          &a->xprops);
  if (a->socket) cc->socket = a->socket;
  if (a->deadline_ms >= 0) cc->deadline_ms = a->deadline_ms;
  if (a->hold_ms >= 0) cc->hold_ms = a->hold_ms;
}

static int serve(struct sr_client_conf *cc, volatile sig_atomic_t *stop) {
  char err[1024];
  if (!cc->socket || !cc->brokers) {
    fprintf(stderr, "stackrisk gate --serve: needs --socket and --brokers\n");
    return 2;
  }
  struct sr_verifier *v = sr_client_verifier(cc->public_key, err, sizeof err);
  if (!v) {
    fprintf(stderr, "stackrisk gate --serve: %s\n", err);
    return 1;
  }
  struct sr_gate_opts o = {
      .brokers = cc->brokers,
      .events_topic = cc->events_topic,
      .control_topic = cc->control_topic,
      .props = &cc->props,
      .verifier = v,
      .conf_root = cc->conf ? sr_conf_root(cc->conf) : NULL,
      .deadline_ms = (int)cc->deadline_ms,
      .hold_ms = (int)cc->hold_ms,
      .eager_judge = true};
  struct sr_gate *g = sr_gate_create(&o, err, sizeof err);
  int rc = 1;
  if (g) {
    printf("stackrisk: gate sidecar on %s\n", cc->socket);
    fflush(stdout);
    rc = sr_gate_serve(g, cc->socket, stop, err, sizeof err) ? 1 : 0;
  }
  if (rc) fprintf(stderr, "stackrisk gate --serve: %s\n", err);
  sr_gate_destroy(g);
  sr_verifier_destroy(v);
  return rc;
}

/* Reads stdin whole, up to the payload bound. */
static char *read_stdin(size_t *len, char *err, size_t errlen) {
  size_t cap = 65536, n = 0, max = SR_HOOK_EVENT_MAX / 2;
  char *buf = malloc(cap + 1);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n, stdin);
    n += r;
    if (r == 0) break;
    if (n == cap) {
      if (cap >= max) {
        snprintf(err, errlen, "hook payload larger than %zu bytes", max);
        free(buf);
        return NULL;
      }
      cap *= 2;
      char *nb = realloc(buf, cap + 1);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  if (!buf) {
    snprintf(err, errlen, "out of memory reading stdin");
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void hook(struct sr_client_conf *cc, const struct sr_hook_request *req,
                 struct sr_gate_verdict *v) {
  char err[1024], why[1200];
  const struct sr_conf_node *root = cc->conf ? sr_conf_root(cc->conf) : NULL;
  int wait_ms = (int)(cc->deadline_ms + cc->hold_ms) + 2000;
  if (cc->socket) {
    int rc =
        sr_gate_remote_decide(cc->socket, req, wait_ms, v, err, sizeof err);
    if (rc == SR_OK) return;
    if (rc == SR_ETIMEOUT || !cc->brokers) {
      snprintf(why, sizeof why, "%s", err);
      sr_gate_decide_alone(root, req, why, v);
      return;
    }
    SR_WARN("%s; asking Kafka directly", err);
  }
  if (!cc->brokers) {
    sr_gate_decide_alone(root, req,
                         "no --brokers and no --socket: nowhere "
                         "to ask for a verdict",
                         v);
    return;
  }
  /* Without a key nothing can be trusted: every command would be refused,
   * so say why once, loudly, and let the local rules decide. */
  struct sr_verifier *ver = sr_client_verifier(cc->public_key, err, sizeof err);
  if (!ver) {
    snprintf(why, sizeof why, "cannot verify commands: %s", err);
    sr_gate_decide_alone(root, req, why, v);
    return;
  }
  struct sr_gate_opts o = {.brokers = cc->brokers,
                           .events_topic = cc->events_topic,
                           .control_topic = cc->control_topic,
                           .props = &cc->props,
                           .verifier = ver,
                           .conf_root = root,
                           .session = req->session,
                           .deadline_ms = (int)cc->deadline_ms,
                           .hold_ms = (int)cc->hold_ms};
  struct sr_gate *g = sr_gate_create(&o, err, sizeof err);
  if (g) {
    sr_gate_decide(g, req, v);
  } else {
    snprintf(why, sizeof why, "cannot reach Kafka at %s: %s", cc->brokers, err);
    sr_gate_decide_alone(root, req, why, v);
  }
  sr_gate_destroy(g);
  sr_verifier_destroy(ver);
}

int sr_cmd_gate(int argc, char **argv, volatile sig_atomic_t *stop) {
  struct gate_args a = {
      .kind = SR_HOOK_CLAUDE_CODE, .deadline_ms = -1, .hold_ms = -1};
  /* A hook's stderr reaches the person or the agent: warnings only. */
  sr_log_set_level(SR_LOG_WARN);
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  char err[1024];
  struct sr_client_conf cc;
  bool conf_ok = sr_client_conf_load(a.config, &cc, err, sizeof err) == SR_OK;
  if (!conf_ok && a.serve) {
    fprintf(stderr, "stackrisk gate: %s\n", err);
    sr_client_conf_clear(&cc);
    return 2;
  }
  apply(&cc, &a);
  if (a.serve) {
    rc = serve(&cc, stop);
    sr_client_conf_clear(&cc);
    return rc;
  }
  int64_t now = sr_clock_ms(CLOCK_REALTIME);
  struct sr_gate_verdict v = {0};
  struct sr_hook_request req;
  size_t len = 0;
  char *payload = conf_ok ? read_stdin(&len, err, sizeof err) : NULL;
  if (!payload ||
      sr_hook_parse(a.kind, payload, len, now, &req, err, sizeof err)) {
    /* Nothing to classify: refuse, the one safe answer. */
    v.action = SR_ACTION_BLOCK;
    v.source = SR_VERDICT_NO_ANSWER;
    snprintf(
        v.reason, sizeof v.reason, "stackrisk: %s %s; failing closed",
        conf_ok ? "cannot read the hook payload:" : "bad configuration:", err);
    memset(&req, 0, sizeof req);
  } else {
    /* A sidecar asked uses this hook's deadline and hold: the two waits
     * agree whatever the sidecar was started with. */
    req.deadline_ms = (int)cc.deadline_ms;
    req.hold_ms = (int)cc.hold_ms;
    hook(&cc, &req, &v);
  }
  rc = sr_hook_answer(a.kind, &a.answer, &req, &v, stdout, stderr);
  sr_hook_request_clear(&req);
  free(payload);
  sr_client_conf_clear(&cc);
  return rc;
}
