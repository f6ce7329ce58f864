/*
 * `stackrisk sessions`, `stackrisk session ID` and `stackrisk commands`: the
 * query API at a terminal. They read the state database read-only and print
 * exactly the JSON document the HTTP API serves (query/reader.c builds both),
 * one document per run followed by a newline, so `jq` works on either.
 *
 * Flags are the API's parameters with dashes (--min-risk for min_risk) and
 * go through the same validation (query/params.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "query/reader.h"

enum which { SESSIONS, SESSION, COMMANDS };

static const char *const usages[] = {
    [SESSIONS] =
        "usage: stackrisk sessions [OPTIONS]\n"
        "\n"
        "Print the riskiest sessions (GET /v1/sessions) as JSON.\n"
        "\n"
        "      --state PATH      state database (default stackrisk-state.db)\n"
        "      --min-risk X      only sessions with stacked risk >= X\n"
        "      --action A[,B]    only sessions whose last action is one of\n"
        "                        ALLOW, ESCALATE, BLOCK, KILL\n"
        "      --limit N         at most N sessions, 1-1000 (default 50)\n"
        "  -h, --help            this text\n",
    [SESSION] =
        "usage: stackrisk session [OPTIONS] ID\n"
        "\n"
        "Print one session (GET /v1/sessions/ID) as JSON: dimensions with\n"
        "scores and reasons, risk, depth, recent commands and timeline.\n"
        "Exit 1 when the session is not in the database.\n"
        "\n"
        "      --state PATH      state database (default stackrisk-state.db)\n"
        "  -h, --help            this text\n",
    [COMMANDS] =
        "usage: stackrisk commands [OPTIONS]\n"
        "\n"
        "Print the audit log (GET /v1/commands) as JSON, oldest first.\n"
        "\n"
        "      --state PATH      state database (default stackrisk-state.db)\n"
        "      --since MS        commands issued at or after MS (event time,\n"
        "                        Unix milliseconds); without it or --after\n"
        "                        the latest\n"
        "      --after SEQ       commands stored after the one with this seq,\n"
        "                        in seq order (to page through the log)\n"
        "      --session ID      one session's commands\n"
        "      --limit N         at most N commands, 1-1000 (default 100)\n"
        "  -h, --help            this text\n",
};

static const char *const names[] = {"sessions", "session", "commands"};

static int run(enum which w, int argc, char **argv) {
  static const struct option opts[] = {
      {"state", required_argument, NULL, 's'},
      {"min-risk", required_argument, NULL, 'r'},
      {"action", required_argument, NULL, 'a'},
      {"limit", required_argument, NULL, 'l'},
      {"since", required_argument, NULL, 'S'},
      {"after", required_argument, NULL, 'A'},
      {"session", required_argument, NULL, 'i'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  /* Which flags each command takes, by their short codes. */
  static const char *const takes[] = {
      [SESSIONS] = "ral", [SESSION] = "", [COMMANDS] = "SAil"};
  const char *state = SR_STATE_PATH_DEFAULT;
  struct sr_sessions_params sp;
  struct sr_commands_params cp;
  sr_params_sessions_init(&sp);
  sr_params_commands_init(&cp);
  char err[1024];
  int c, li = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, &li)) != -1) {
    if (c == 'h') {
      fputs(usages[w], stdout);
      return 0;
    }
    if (c == 's') {
      state = optarg;
      continue;
    }
    if (c == '?' || !strchr(takes[w], c)) {
      if (c != '?')
        fprintf(stderr, "stackrisk %s: option '--%s' does not apply here\n",
                names[w], opts[li].name);
      fputs(usages[w], stderr);
      return 2;
    }
    /* The long option's name with '_' for '-' is the API parameter. */
    const char *key = c == 'r'   ? "min_risk"
                      : c == 'a' ? "action"
                      : c == 'l' ? "limit"
                      : c == 'S' ? "since"
                      : c == 'A' ? "after"
                                 : "session";
    int rc = w == SESSIONS ? sr_params_sessions_set(&sp, key, optarg, err, sizeof err)
                           : sr_params_commands_set(&cp, key, optarg, err, sizeof err);
    if (rc) {
      /* The message names the API parameter ("parameter 'min_risk': ...");
       * at the command line the person typed the flag. */
      char api[64];
      size_t n = (size_t)snprintf(api, sizeof api, "parameter '%s'", key);
      bool named = strncmp(err, api, n) == 0;
      fprintf(stderr, "stackrisk %s: --%s%s%s\n", names[w], opts[li].name,
              named ? "" : ": ", named ? err + n : err);
      return 2;
    }
  }
  const char *id = NULL;
  if (w == SESSION) {
    if (optind != argc - 1) {
      fprintf(stderr, "stackrisk session: expected one session id\n");
      fputs(usages[w], stderr);
      return 2;
    }
    id = argv[optind++];
  }
  if (optind < argc) {
    fprintf(stderr, "stackrisk %s: unexpected argument '%s'\n", names[w],
            argv[optind]);
    return 2;
  }
  struct sr_reader *r = sr_reader_open(state, err, sizeof err);
  if (!r) {
    fprintf(stderr, "stackrisk %s: %s\n", names[w], err);
    return 1;
  }
  char *json = NULL;
  int rc = w == SESSIONS  ? sr_reader_sessions(r, &sp, &json, err, sizeof err)
           : w == SESSION ? sr_reader_session(r, id, &json, err, sizeof err)
                          : sr_reader_commands(r, &cp, &json, err, sizeof err);
  sr_reader_close(r);
  if (rc != 0) {
    fprintf(stderr, "stackrisk %s: %s\n", names[w], err);
    return 1;
  }
  printf("%s\n", json);
  free(json);
  return 0;
}

int sr_cmd_sessions(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  return run(SESSIONS, argc, argv);
}

int sr_cmd_session(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  return run(SESSION, argc, argv);
}

int sr_cmd_commands(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  return run(COMMANDS, argc, argv);
}
