/*
 * Subcommands of the stackrisk binary. Each parses its own options (argv[0]
 * is "stackrisk COMMAND", which getopt's messages start with), prints its
 * --help, and returns the process exit code: 0 success, 1 runtime failure,
 * 2 usage error. `stop` is the process's one stop flag, raised by
 * SIGINT/SIGTERM.
 */
#ifndef SR_CLI_H
#define SR_CLI_H

#include <signal.h>

int sr_cmd_run(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_broker(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_replay(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_watch(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_serve(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_sessions(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_session(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_commands(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_gate(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_keygen(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_approve(int argc, char **argv, volatile sig_atomic_t *stop);
int sr_cmd_deny(int argc, char **argv, volatile sig_atomic_t *stop);

/* Sets the log level from --log-level's argument; 2 (usage) on a bad one. */
int sr_cli_log_level(const char *arg);

/* SIGINT and SIGTERM back to their default action, which ends the process
 * at once, for a stretch of a command that has nothing to tidy up but can
 * wait inside librdkafka for up to its --timeout-ms (brokers that do not
 * answer), where no stop flag is looked at. saved receives the handlers
 * sr_cli_signals_restore puts back. */
void sr_cli_signals_default(struct sigaction saved[2]);
void sr_cli_signals_restore(const struct sigaction saved[2]);

#endif
