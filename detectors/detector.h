/*
 * The detector interface: the only header a detector includes.
 *
 * A detector owns one dimension of risk and scores one event in [0, 1] with a
 * short reason a person can read. Detectors are independent of each other;
 * what several of them need to know about a tool call (is it destructive,
 * what does it touch, which credential, which environment) is worked out
 * once per event by the catalogue (detectors/catalogue.h) and handed to all
 * of them as a read-only `struct sr_op`.
 *
 * Shape (after Fluent Bit plugins and SQLite's versioned vtables): each
 * detector file ends with one `const struct sr_detector` of named function
 * pointers; registry.c lists them. Shared context (`ctx`, from init) is
 * read-only after setup; per-thread scratch (`thread_create`) serves the
 * hot path; per-session scratch (`session_size` bytes, zeroed when a session
 * is created) is where a detector remembers what it saw in that session.
 * A detector never allocates on the hot path, never blocks and never reads
 * the wall clock: event time only, so replays give identical results.
 */
#ifndef SR_DETECTOR_H
#define SR_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/sr.h"
#include "ingest/event.h"

#define SR_DETECTOR_VERSION 1
#define SR_REASON_MAX 200 /* bytes of one reason, NUL included */

/* What an operation does to its target. */
enum sr_verb {
  SR_VERB_NONE = 0, /* not a tool call, or nothing known */
  SR_VERB_READ = 1,
  SR_VERB_WRITE = 2,  /* create, update, deploy, send */
  SR_VERB_DELETE = 3, /* destroy, drop, truncate, force-overwrite */
};

/* A credential as the detectors see it: the event's inline description,
 * completed (or replaced) by the configured registry entry. */
struct sr_credential {
  sr_str id;
  sr_str purpose;
  const sr_str *scopes; /* `*` = everything */
  uint32_t n_scopes;
  const sr_str *environments;
  uint32_t n_environments;
  bool known; /* scopes known (inline or from the registry) */
};

/*
 * The catalogue's reading of one event: computed once, shared by every
 * detector. For events that are not tool calls everything is zero/empty.
 */
struct sr_op {
  enum sr_verb verb;
  bool mutating;            /* WRITE or DELETE */
  float destructive;        /* catalogue severity of the worst match, 0..1 */
  bool irreversible;        /* the match cannot be undone (no soft delete) */
  const char *rule;         /* catalogue entry name, e.g. "graphql.volumeDelete" */
  const char *resource;     /* kind it acts on: "volume", "database", ... */
  const char *needed_scope; /* privilege the operation needs: "volume:delete" */
  sr_str matched;           /* the input text that matched, for reasons */
  /* what the files at `matched` hold, when it is a data store's path the
   * call destroys ("PostgreSQL data", "backups"), for reasons; else NULL */
  const char *target_what;
  sr_str target_id;         /* event target id, else found in arguments */
  sr_str environment;       /* call env: event, target, inventory; may be empty */
  enum sr_backups backups;  /* target's backups: event, else inventory */
  struct sr_credential credential; /* id empty = none used */
};

#define SR_SCOPE_ENV_MAX 4
#define SR_SCOPE_DOMAIN_MAX 8
#define SR_SCOPE_RESOURCE_MAX 8

/* What the session declared at session_start; kept by the aggregator, read
 * by detectors. Fixed-size so a session is one allocation. Longer values are
 * truncated, extra list items dropped (the decoder bounds them anyway).
 * What detectors read on every call (mode, the list counts, environment)
 * comes first, in one cache line: sessions are many, and the lists after
 * it (1.4 KB) are read only when something was declared. */
struct sr_session_info {
  bool started;             /* a session_start was seen */
  uint8_t n_scope_environments;
  uint8_t n_scope_domains;
  uint8_t n_scope_resources;
  enum sr_mode mode;
  int64_t started_ms;
  char environment[32];
  char scope_environments[SR_SCOPE_ENV_MAX][32];
  char scope_domains[SR_SCOPE_DOMAIN_MAX][64];
  char scope_resources[SR_SCOPE_RESOURCE_MAX][96];
  struct sr_estimate estimate;
};

/* Reads a detector's score setting: a number in [0, 1] under `key` of its
 * config section, `def` when absent. 0, or SR_EINVAL with err naming the
 * file, line and key. @locality setup */
static inline int sr_detector_conf_score(const struct sr_conf_node *section,
                                         const char *key, double def,
                                         float *out, char *err,
                                         size_t errlen) {
  double v;
  if (sr_conf_get_double(section, key, def, 0.0, 1.0, &v, err, errlen) != 0)
    return SR_EINVAL;
  *out = (float)v;
  return SR_OK;
}

struct sr_detect_input {
  const struct sr_event *ev;
  const struct sr_op *op;
  const struct sr_session_info *session;
  /* The dimension's threshold: a score below it never reaches a command, the
   * state or the query API, so its reason is never read. Return such a score
   * without writing a reason: formatting is the costliest part of most
   * detectors, and most mutating calls score a little on some dimension. */
  float reason_floor;
};

/* Kinds of event, as bits of sr_detector.kinds: the registry calls a
 * detector only for events of the kinds it lists. A tool call without a
 * phase counts as requested. */
#define SR_KIND_SESSION_START (1u << 0)
#define SR_KIND_CALL_REQUESTED (1u << 1)
#define SR_KIND_CALL_COMPLETED (1u << 2)
#define SR_KIND_CALL_FAILED (1u << 3)
#define SR_KIND_AGENT_MESSAGE (1u << 4)
#define SR_KIND_FILE_ACCESS (1u << 5)
#define SR_KIND_OTHER (1u << 6) /* no type, approval: no detector runs */
#define SR_KIND_CALLS \
  (SR_KIND_CALL_REQUESTED | SR_KIND_CALL_COMPLETED | SR_KIND_CALL_FAILED)
#define SR_KIND_COUNT 7

/* The SR_KIND_* bit of an event. */
static inline unsigned sr_event_kind(const struct sr_event *ev) {
  switch (ev->type) {
    case SR_EV_SESSION_START:
      return SR_KIND_SESSION_START;
    case SR_EV_TOOL_CALL:
      return ev->phase == SR_PHASE_COMPLETED ? SR_KIND_CALL_COMPLETED
             : ev->phase == SR_PHASE_FAILED  ? SR_KIND_CALL_FAILED
                                             : SR_KIND_CALL_REQUESTED;
    case SR_EV_AGENT_MESSAGE:
      return SR_KIND_AGENT_MESSAGE;
    case SR_EV_FILE_ACCESS:
      return SR_KIND_FILE_ACCESS;
    default:
      return SR_KIND_OTHER;
  }
}

struct sr_detector {
  int version;              /* SR_DETECTOR_VERSION, first so the table can grow */
  const char *name;         /* dimension name, also the config key */
  const char *description;  /* one line, for --help and docs */
  size_t session_size;      /* bytes of per-session scratch, may be 0 */

  /*
   * Builds the shared read-only context from the detector's config section
   * (may be NULL: defaults). Keys "enabled", "weight", "threshold" and
   * "half_life_s" are the registry's and must be allowed alongside the
   * detector's own. Returns NULL with err set on a bad section. A detector
   * without context may return a non-NULL dummy such as (void *)1.
   * @locality setup
   */
  void *(*init)(const struct sr_conf_node *section, char *err, size_t errlen);

  /* Optional per-thread scratch; NULL when not needed. */
  void *(*thread_create)(const void *ctx);
  void (*thread_destroy)(void *thread_scratch);

  /*
   * Scores one event: returns [0, 1], and for a score >= in->reason_floor
   * writes a reason ("production volume vol-1 deleted via
   * graphql.volumeDelete"); for a lower score it may skip the reason.
   * May update its session scratch (zeroed for a new session).
   * @locality worker thread; no allocation, no blocking, no wall clock.
   */
  float (*score)(const void *ctx, void *thread_scratch,
                 const struct sr_detect_input *in, void *session_scratch,
                 char *reason, size_t reasonlen);

  /* Frees the context; accepts what init returned. */
  void (*destroy)(void *ctx);

  /* SR_KIND_* bits of the events score is called for; 0 = every kind.
   * For any other event the dimension scores 0 and the detector's session
   * scratch is left alone, so a kind in which the detector only remembers
   * something (a found credential, an estimate) must be listed too. Most
   * detectors score only tool calls: skipping the call for the other
   * events is cheaper than the call that returns 0. */
  unsigned kinds;
};

#endif
