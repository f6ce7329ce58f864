/*
 * The parameters of the query API, parsed and validated once for both the
 * HTTP server (query-string arguments) and the command line (flags): the
 * same names, the same bounds, the same error messages.
 *
 *   GET /v1/sessions?min_risk=&action=&limit=
 *   GET /v1/commands?since=&after=&session=&limit=
 *
 * Each setter takes one key and its raw text; an unknown key, a repeated
 * key, an empty value or one out of bounds is SR_EINVAL with a message that
 * names the parameter and what it accepts.
 */
#ifndef SR_PARAMS_H
#define SR_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest/event.h"

#define SR_PARAMS_LIMIT_MAX 1000
#define SR_PARAMS_SESSIONS_LIMIT 50  /* default */
#define SR_PARAMS_COMMANDS_LIMIT 100 /* default */

/* GET /v1/sessions: riskiest first. */
struct sr_sessions_params {
  double min_risk;  /* risk >= min_risk; default 0 */
  unsigned actions; /* bit (1 << action) per accepted last action; 0 = any */
  int limit;        /* 1..SR_PARAMS_LIMIT_MAX */
  unsigned seen;    /* keys already given, to reject repeats */
};

/* GET /v1/commands: with after, the commands stored after that seq, in
 * seq order; with since, those issued at or after it, oldest first;
 * without either, the latest `limit`, oldest first. since and after
 * exclude each other. */
struct sr_commands_params {
  bool has_since;
  int64_t since_ms; /* issued_at_ms >= since_ms */
  bool has_after;
  int64_t after_seq;                   /* seq > after_seq */
  char session[SR_SESSION_ID_MAX + 1]; /* "" = every session */
  int limit;
  unsigned seen;
};

void sr_params_sessions_init(struct sr_sessions_params *p);
int sr_params_sessions_set(struct sr_sessions_params *p, const char *key,
                           const char *value, char *err, size_t errlen);

void sr_params_commands_init(struct sr_commands_params *p);
int sr_params_commands_set(struct sr_commands_params *p, const char *key,
                           const char *value, char *err, size_t errlen);

#define SR_PARAMS_ACTIONS_MAX 4 /* ALLOW, ESCALATE, BLOCK, KILL */

/* The names of the accepted actions ("BLOCK", "KILL") into names, in that
 * order; returns how many, 0 when any action is accepted. */
size_t sr_params_action_names(unsigned actions,
                              const char *names[SR_PARAMS_ACTIONS_MAX]);

#endif
