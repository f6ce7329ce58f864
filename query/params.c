/*
 * Query parameter parsing. Numbers are parsed strictly (plain digits, the
 * whole text, no sign, space, NaN or infinity): a dashboard that sends limit=10abc
 * should hear about it rather than get ten rows by accident.
 */
#include "query/params.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/command.h"

enum {
  K_MIN_RISK = 1,
  K_ACTION = 2,
  K_LIMIT = 4,
  K_SINCE = 8,
  K_SESSION = 16,
  K_AFTER = 32
};

/* Rejects a second occurrence of a key and an empty value. */
static int check(unsigned *seen, unsigned bit, const char *key,
                 const char *value, char *err, size_t errlen) {
  const char *problem = NULL;
  if (*seen & bit)
    problem = "given twice";
  else if (!value || !*value)
    problem = "needs a value";
  *seen |= bit;
  if (!problem) return SR_OK;
  snprintf(err, errlen, "parameter '%s' %s", key, problem);
  return SR_EINVAL;
}

static int parse_limit(const char *key, const char *value, int *out, char *err,
                       size_t errlen) {
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (!isdigit((unsigned char)value[0]) || errno || *end || v < 1 ||
      v > SR_PARAMS_LIMIT_MAX) {
    snprintf(err, errlen, "parameter '%s': expected an integer from 1 to %d, "
             "got '%.64s'", key, SR_PARAMS_LIMIT_MAX, value);
    return SR_EINVAL;
  }
  *out = (int)v;
  return SR_OK;
}

/* A whole number >= 0; `what` says what it is in the error message. */
static int parse_position(const char *key, const char *value, const char *what,
                          int64_t *out, char *err, size_t errlen) {
  char *end;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  if (!isdigit((unsigned char)value[0]) || errno || *end || v < 0) {
    snprintf(err, errlen,
             "parameter '%s': expected %s (an integer >= 0), "
             "got '%.64s'",
             key, what, value);
    return SR_EINVAL;
  }
  *out = v;
  return SR_OK;
}

/* since and after are two ways to start a page: one of them at most. */
static int check_one_start(unsigned seen, char *err, size_t errlen) {
  if ((seen & (K_SINCE | K_AFTER)) != (K_SINCE | K_AFTER)) return SR_OK;
  snprintf(err, errlen,
           "parameters 'since' and 'after' exclude each other: "
           "'since' starts at an issue time, 'after' past a seq");
  return SR_EINVAL;
}

static int parse_actions(const char *value, unsigned *out, char *err,
                         size_t errlen) {
  char word[16];
  unsigned mask = 0;
  const char *p = value;
  for (;;) {
    size_t n = strcspn(p, ",");
    enum sr_action a;
    if (n == 0 || n >= sizeof word)
      a = SR_ACTION_NONE;
    else {
      memcpy(word, p, n);
      word[n] = '\0';
      if (sr_action_parse(word, &a) != SR_OK) a = SR_ACTION_NONE;
    }
    if (a == SR_ACTION_NONE) {
      snprintf(err, errlen, "parameter 'action': expected ALLOW, ESCALATE, "
               "BLOCK or KILL (comma-separated), got '%.64s'", value);
      return SR_EINVAL;
    }
    mask |= 1u << a;
    if (!p[n]) break;
    p += n + 1;
  }
  *out = mask;
  return SR_OK;
}

void sr_params_sessions_init(struct sr_sessions_params *p) {
  memset(p, 0, sizeof *p);
  p->limit = SR_PARAMS_SESSIONS_LIMIT;
}

int sr_params_sessions_set(struct sr_sessions_params *p, const char *key,
                           const char *value, char *err, size_t errlen) {
  if (strcmp(key, "min_risk") == 0) {
    if (check(&p->seen, K_MIN_RISK, key, value, err, errlen)) return SR_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    bool plain = isdigit((unsigned char)value[0]) || value[0] == '.';
    if (!plain || errno || *end || !isfinite(v) || v < 0) {
      snprintf(err, errlen, "parameter 'min_risk': expected a number >= 0, "
               "got '%.64s'", value);
      return SR_EINVAL;
    }
    p->min_risk = v;
    return SR_OK;
  }
  if (strcmp(key, "action") == 0) {
    if (check(&p->seen, K_ACTION, key, value, err, errlen)) return SR_EINVAL;
    return parse_actions(value, &p->actions, err, errlen);
  }
  if (strcmp(key, "limit") == 0) {
    if (check(&p->seen, K_LIMIT, key, value, err, errlen)) return SR_EINVAL;
    return parse_limit(key, value, &p->limit, err, errlen);
  }
  snprintf(err, errlen, "unknown parameter '%.64s'; expected min_risk, "
           "action or limit", key);
  return SR_EINVAL;
}

void sr_params_commands_init(struct sr_commands_params *p) {
  memset(p, 0, sizeof *p);
  p->limit = SR_PARAMS_COMMANDS_LIMIT;
}

int sr_params_commands_set(struct sr_commands_params *p, const char *key,
                           const char *value, char *err, size_t errlen) {
  if (strcmp(key, "since") == 0) {
    if (check(&p->seen, K_SINCE, key, value, err, errlen) ||
        check_one_start(p->seen, err, errlen))
      return SR_EINVAL;
    p->has_since =
        !parse_position(key, value, "event time in Unix milliseconds",
                        &p->since_ms, err, errlen);
    return p->has_since ? SR_OK : SR_EINVAL;
  }
  if (strcmp(key, "after") == 0) {
    if (check(&p->seen, K_AFTER, key, value, err, errlen) ||
        check_one_start(p->seen, err, errlen))
      return SR_EINVAL;
    p->has_after = !parse_position(key, value, "the seq of a command",
                                   &p->after_seq, err, errlen);
    return p->has_after ? SR_OK : SR_EINVAL;
  }
  if (strcmp(key, "session") == 0) {
    if (check(&p->seen, K_SESSION, key, value, err, errlen)) return SR_EINVAL;
    if (strlen(value) > SR_SESSION_ID_MAX) {
      snprintf(err, errlen, "parameter 'session': longer than %d bytes",
               SR_SESSION_ID_MAX);
      return SR_EINVAL;
    }
    snprintf(p->session, sizeof p->session, "%s", value);
    return SR_OK;
  }
  if (strcmp(key, "limit") == 0) {
    if (check(&p->seen, K_LIMIT, key, value, err, errlen)) return SR_EINVAL;
    return parse_limit(key, value, &p->limit, err, errlen);
  }
  snprintf(err, errlen,
           "unknown parameter '%.64s'; expected since, after, "
           "session or limit",
           key);
  return SR_EINVAL;
}

size_t sr_params_action_names(unsigned actions,
                              const char *names[SR_PARAMS_ACTIONS_MAX]) {
  static_assert(SR_ACTION_KILL - SR_ACTION_ALLOW + 1 == SR_PARAMS_ACTIONS_MAX,
                "an action per name");
  size_t n = 0;
  for (int a = SR_ACTION_ALLOW; a <= SR_ACTION_KILL; a++)
    if (actions & (1u << a)) names[n++] = sr_action_name((enum sr_action)a);
  return n;
}
