/*
 * Helpers shared by the subcommands.
 */
#include "core/cli.h"

#include <stdio.h>

#include "core/log.h"

int sr_cli_log_level(const char *arg) {
  enum sr_log_level l;
  if (sr_log_parse_level(arg, &l) != 0) {
    fprintf(stderr, "stackrisk: --log-level: '%s' is not one of error, warn, "
                    "info, debug\n", arg);
    return 2;
  }
  sr_log_set_level(l);
  return 0;
}

void sr_cli_signals_default(struct sigaction saved[2]) {
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGINT, &dfl, &saved[0]);
  sigaction(SIGTERM, &dfl, &saved[1]);
}

void sr_cli_signals_restore(const struct sigaction saved[2]) {
  sigaction(SIGINT, &saved[0], NULL);
  sigaction(SIGTERM, &saved[1], NULL);
}
