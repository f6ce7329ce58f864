/*
 * sr_event: one normalised input event, whatever its wire form (JSON line,
 * protobuf stackrisk.v1.Event, later OTLP spans). Every string is a borrowed
 * view into the message buffer or into the decoder's arena; an sr_event is
 * valid until that buffer and arena are released (after the event has gone
 * through detection and aggregation). Nothing here is heap-allocated per
 * event.
 *
 * Bounds are part of the contract: a decoder rejects an input that breaks one
 * (the message then goes to the dead-letter topic with the reason).
 */
#ifndef SR_EVENT_H
#define SR_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sr.h"

#define SR_SESSION_ID_MAX 128     /* bytes */
#define SR_ID_MAX 256             /* event_id, call_id, agent ids, cred ids */
#define SR_NAME_MAX 1024          /* tool, environment, kind, path, ... */
#define SR_TEXT_MAX (256 * 1024)  /* arguments, result, text, task */
#define SR_LIST_MAX 32            /* items of any list field */
#define SR_COST_MAX 1e9           /* USD of one step: more is a unit error */
#define SR_MESSAGE_MAX_DEFAULT (1024 * 1024) /* whole message, configurable */

enum sr_event_type {
  SR_EV_NONE = 0,
  SR_EV_SESSION_START = 1,
  SR_EV_TOOL_CALL = 2,
  SR_EV_AGENT_MESSAGE = 3,
  SR_EV_FILE_ACCESS = 4,
  SR_EV_APPROVAL = 5,
};

enum sr_phase {
  SR_PHASE_NONE = 0,
  SR_PHASE_REQUESTED = 1,
  SR_PHASE_COMPLETED = 2,
  SR_PHASE_FAILED = 3,
};

enum sr_mode {
  SR_MODE_UNSET = 0,
  SR_MODE_DEFAULT = 1,
  SR_MODE_PLAN = 2,
  SR_MODE_READ_ONLY = 3,
};

enum sr_backups {
  SR_BACKUPS_UNKNOWN = 0,
  SR_BACKUPS_CO_LOCATED = 1,
  SR_BACKUPS_OFF_SITE = 2,
  SR_BACKUPS_NONE = 3,
};

struct sr_str_list {
  sr_str v[SR_LIST_MAX];
  uint32_t n;
};

struct sr_estimate {
  int64_t steps;   /* 0 = not given */
  int64_t seconds; /* 0 = not given */
  double cost_usd; /* 0 = not given */
  bool present;
};

struct sr_target {
  sr_str id;
  sr_str kind;
  sr_str environment;
  enum sr_backups backups;
};

/* As the harness saw it. `scopes_given` false means only an id was sent and
 * the credential registry must fill in the rest. */
struct sr_credential_ref {
  sr_str id;
  sr_str purpose;
  struct sr_str_list scopes;
  struct sr_str_list environments;
  bool scopes_given;
};

struct sr_event {
  enum sr_event_type type;
  sr_str session_id;      /* never empty after a successful decode */
  sr_str event_id;        /* never empty: given, or a hash of the bytes */
  int64_t ts_ms;          /* event time */
  bool ts_given;          /* false: ts_ms came from the fallback clock */
  sr_str agent_id;
  sr_str parent_agent_id;

  /* session_start (environment also on tool_call, estimate also on
   * agent_message) */
  sr_str task;
  enum sr_mode mode;
  sr_str environment;
  struct sr_str_list scope_environments;
  struct sr_str_list scope_domains;
  struct sr_str_list scope_resources;
  struct sr_estimate estimate;

  /* tool_call (call_id also on approval) */
  enum sr_phase phase;
  sr_str call_id;
  sr_str tool;
  sr_str arguments;       /* JSON text of an object, or the plain string */
  struct sr_target target;
  struct sr_credential_ref credential; /* id empty = no credential */
  bool want_verdict;
  sr_str result;
  double cost_usd; /* what this step cost (also on agent_message); 0 = not
                      given, never negative after a successful decode */

  /* agent_message */
  sr_str role;
  sr_str text;

  /* file_access */
  sr_str path;
  sr_str op;
  struct sr_str_list credentials_found;

  /* approval */
  sr_str decision;
  sr_str approver;

  /* provenance, filled by whoever read the bytes */
  sr_str raw;             /* the original message bytes */
  int32_t partition;      /* -1 when not from Kafka */
  int64_t offset;         /* -1 when not from Kafka */
};

/* "session_start", ... ; "none" for SR_EV_NONE. */
const char *sr_event_type_name(enum sr_event_type t);

#endif
