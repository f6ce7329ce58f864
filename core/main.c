/*
 * stackrisk: entry point. Installs the stop flag on SIGINT/SIGTERM (the one
 * mutable global the style allows), then hands over to the subcommand.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/malloc_conf.h"

SR_MALLOC_CONF_DEFINE(); /* jemalloc's options: see core/malloc_conf.h */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void usage(FILE *f) {
  fputs(
      "usage: stackrisk COMMAND [OPTIONS]\n"
      "\n"
      "Session risk aggregation for AI agents: reads tool-call events from\n"
      "Kafka, scores them, stacks the risk per session and publishes\n"
      "ALLOW/ESCALATE/BLOCK/KILL commands to a control topic.\n"
      "\n"
      "commands:\n"
      "  run      process events from Kafka; without --brokers it starts an\n"
      "           embedded broker and prints its address\n"
      "  broker   run the embedded Kafka broker alone, for demos and tests\n"
      "  replay   run the same decision path on JSON-lines files, no Kafka;\n"
      "           print the commands as JSON lines\n"
      "  watch    print the commands on the control topic as JSON lines\n"
      "  serve    the query API and dashboard on a state database\n"
      "  sessions print the riskiest sessions as JSON (the API's document)\n"
      "  session  print one session as JSON: dimensions, commands, timeline\n"
      "  commands print the audit log of commands as JSON\n"
      "  gate     hold an agent's tool call until stackrisk decides (a hook\n"
      "           for Claude Code, Cursor, or any harness; or its sidecar)\n"
      "  approve  release an escalated call (ALLOW)\n"
      "  deny     refuse an escalated call (BLOCK)\n"
      "  keygen   write the Ed25519 key pair commands are signed with\n"
      "\n"
      "`stackrisk COMMAND --help` explains each command's options.\n",
      f);
}

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  static const struct {
    const char *name;
    int (*fn)(int, char **, volatile sig_atomic_t *);
  } cmds[] = {{"run", sr_cmd_run},
              {"broker", sr_cmd_broker},
              {"replay", sr_cmd_replay},
              {"watch", sr_cmd_watch},
              {"serve", sr_cmd_serve},
              {"sessions", sr_cmd_sessions},
              {"session", sr_cmd_session},
              {"commands", sr_cmd_commands},
              {"gate", sr_cmd_gate},
              {"keygen", sr_cmd_keygen},
              {"approve", sr_cmd_approve},
              {"deny", sr_cmd_deny}};
  /* getopt prefixes its messages with argv[0]: "stackrisk run: unrecognized
   * option", as the person typed it, not "run: ...". */
  char prog[64];
  snprintf(prog, sizeof prog, "stackrisk %s", cmd);
  argv[1] = prog;
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (strcmp(cmd, cmds[i].name) == 0)
      return cmds[i].fn(argc - 1, argv + 1, &stop_flag);
  fprintf(stderr, "stackrisk: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
