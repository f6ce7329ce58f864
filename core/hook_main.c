/*
 * stackrisk-hook: the lean hook client. Claude Code and Cursor start one
 * process per tool call, and `stackrisk` loads librdkafka, OpenSSL,
 * Hyperscan and a dozen more libraries before main: about 4 ms of dynamic
 * linking per call. This binary links only the hook protocols and the
 * sidecar client (libc and xxhash), reads the payload, asks the sidecar
 * named by --socket, and answers.
 *
 * Everything else is `stackrisk gate`'s job: without --socket, or when the
 * sidecar cannot be reached or does not answer, it execs `stackrisk gate`
 * (beside this binary) with the same options minus --socket and the payload
 * on stdin, which asks Kafka directly or lets the local catalogue decide.
 * Takes the same options as `stackrisk gate --hook`; --help describes this
 * binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "enforce/gate.h"

/* Execs `stackrisk gate` with argv[1..] minus --socket, payload (if read)
 * on stdin. Returns only when that fails. */
static void fallback(int argc, char **argv, const char *payload, size_t len) {
  char bin[4096];
  ssize_t n = readlink("/proc/self/exe", bin, sizeof bin - 16);
  if (n <= 0) return;
  bin[n] = '\0';
  strcpy(strrchr(bin, '/') + 1, "stackrisk");
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) return;
  size_t k = 0;
  args[k++] = bin;
  args[k++] = "gate";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--socket")) {
      i++;
      continue;
    }
    if (!strncmp(argv[i], "--socket=", 9)) continue;
    args[k++] = argv[i];
  }
  args[k] = NULL;
  if (payload) {
    int fd = memfd_create("stackrisk-hook-payload", 0);
    if (fd < 0 || write(fd, payload, len) != (ssize_t)len ||
        lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) < 0)
      return;
    close(fd);
  }
  execv(bin, args);
}

static void usage(FILE *f) {
  fputs(
      "usage: stackrisk-hook --socket PATH [--hook KIND] [OPTIONS] < PAYLOAD\n"
      "\n"
      "The lean hook client for agent harnesses, one process per tool call:\n"
      "reads the harness's hook payload on stdin, asks the sidecar\n"
      "(`stackrisk gate --serve`) listening on PATH for the verdict and\n"
      "answers in the harness's protocol. Without --socket, or when the\n"
      "sidecar cannot be reached or does not answer, it runs `stackrisk\n"
      "gate` (beside this binary) with the same options minus --socket.\n"
      "\n"
      "  --socket PATH       the sidecar's Unix socket\n"
      "  --hook KIND         claude-code (default), cursor, generic\n"
      "  --deadline-ms MS    wait this long for a verdict (default: the\n"
      "                      sidecar's)\n"
      "  --hold-ms MS        after ESCALATE, wait this long for `stackrisk\n"
      "                      approve/deny` (default: the sidecar's)\n"
      "  --exit2, --allow-skips-prompts\n"
      "                      how to answer, as for `stackrisk gate`: by\n"
      "                      default an ALLOW prints nothing, and the\n"
      "                      harness's own permission rules apply\n"
      "  -h, --help          this text\n"
      "\n"
      "Any other option of `stackrisk gate --hook` (see its --help) is\n"
      "passed on when the gate runs: give the sidecar's --config (and\n"
      "--public-key, if it has one), so that gate verifies commands with\n"
      "the same key and decides from the same catalogue.\n",
      f);
}

static const char *opt_value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (!strcmp(argv[*i], name) && *i + 1 < argc) return argv[++*i];
  if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
    return argv[*i] + n + 1;
  return NULL;
}

int main(int argc, char **argv) {
  enum sr_hook_kind kind = SR_HOOK_CLAUDE_CODE;
  struct sr_hook_answer_opts ao = {0};
  const char *socket = NULL, *v;
  long deadline_ms = -1, hold_ms = -1; /* -1: the sidecar's own */
  for (int i = 1; i < argc; i++) {
    if ((v = opt_value(argc, argv, &i, "--hook"))) {
      if (sr_hook_kind_parse(v, &kind)) break; /* `gate` explains */
    } else if ((v = opt_value(argc, argv, &i, "--socket"))) {
      socket = v;
    } else if ((v = opt_value(argc, argv, &i, "--deadline-ms"))) {
      deadline_ms = atol(v);
    } else if ((v = opt_value(argc, argv, &i, "--hold-ms"))) {
      hold_ms = atol(v);
    } else if (!strcmp(argv[i], "--exit2")) {
      ao.exit2 = true;
    } else if (!strcmp(argv[i], "--allow-skips-prompts")) {
      ao.allow_skips_prompts = true;
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--serve")) {
      socket = NULL; /* the sidecar is `stackrisk gate`'s to run */
      break;
    }
  }
  char err[1024];
  if (!socket) {
    fallback(argc, argv, NULL, 0);
    fprintf(stderr, "stackrisk-hook: cannot run stackrisk gate\n");
    return 2;
  }
  size_t cap = SR_HOOK_EVENT_MAX / 2, len = 0;
  char *payload = malloc(cap + 1);
  size_t r;
  while (payload && len < cap &&
         (r = fread(payload + len, 1, cap - len, stdin)))
    len += r;
  if (!payload) return 2;
  payload[len] = '\0';
  struct sr_hook_request req;
  struct sr_gate_verdict verdict;
  /* The sidecar answers within its deadline and hold (ours when given): a
   * sidecar that stops answering is the only way to reach this timeout. */
  int timeout = deadline_ms < 0 || hold_ms < 0
                    ? 600000
                    : (int)(deadline_ms + hold_ms) + 2000;
  int rc = sr_hook_parse(kind, payload, len, sr_clock_ms(CLOCK_REALTIME), &req,
                         err, sizeof err);
  if (rc == SR_OK) {
    req.deadline_ms = (int)deadline_ms;
    req.hold_ms = (int)hold_ms;
    rc =
        sr_gate_remote_decide(socket, &req, timeout, &verdict, err, sizeof err);
  }
  if (rc == SR_OK) {
    rc = sr_hook_answer(kind, &ao, &req, &verdict, stdout, stderr);
    sr_hook_request_clear(&req);
    free(payload);
    return rc;
  }
  /* No sidecar answer (or a payload `gate` must refuse in its own words). */
  fallback(argc, argv, payload, len);
  verdict.action = SR_ACTION_BLOCK;
  verdict.source = SR_VERDICT_NO_ANSWER;
  snprintf(verdict.reason, sizeof verdict.reason,
           "stackrisk: %s, and stackrisk gate cannot be run; failing closed",
           err);
  return sr_hook_answer(kind, &ao, NULL, &verdict, stdout, stderr);
}
