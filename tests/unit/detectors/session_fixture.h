/*
 * A detector driven through a session in unit tests: the real detector
 * (context from YAML or defaults, its thread scratch, a zeroed session
 * scratch as the registry hands it out) fed one synthetic event at a time.
 * The catalogue's reading of a call (struct sr_op) is set by the test, so a
 * test states exactly what the detector is told.
 */
#ifndef SR_TEST_SESSION_FIXTURE_H
#define SR_TEST_SESSION_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/detector.h"

struct sess {
  const struct sr_detector *det;
  struct sr_conf *conf;
  void *ctx;
  void *thread;
  void *scratch;
  struct sr_session_info info;
  struct sr_event ev;
  struct sr_op op;
  char reason[SR_REASON_MAX];
  float floor; /* reason_floor handed to the detector */
  int64_t t0;
};

/* yaml: the detector's section as a document (NULL: defaults). */
static inline void sess_open(struct sess *s, const struct sr_detector *det,
                             const char *yaml) {
  memset(s, 0, sizeof(*s));
  s->det = det;
  char err[512] = "";
  const struct sr_conf_node *sec = NULL;
  if (yaml) {
    s->conf = sr_conf_load_string(yaml, "test.yaml", err, sizeof err);
    ck_assert_msg(s->conf, "yaml: %s", err);
    sec = sr_conf_root(s->conf);
  }
  s->ctx = det->init(sec, err, sizeof err);
  ck_assert_msg(s->ctx, "init: %s", err);
  if (det->thread_create) {
    s->thread = det->thread_create(s->ctx);
    ck_assert_ptr_nonnull(s->thread);
  }
  ck_assert(det->session_size <= 4096);
  s->scratch = calloc(1, det->session_size ? det->session_size : 1);
  s->info.started = true;
  s->info.mode = SR_MODE_DEFAULT;
  s->floor = 0.3f;
  s->t0 = 1790000000000;
}

/* A new session on the same detector: the session scratch zeroed, as the
 * registry hands it to a new session (init compiles patterns: slow under
 * sanitizers, so loops over cases reuse it). */
static inline void sess_reset(struct sess *s) {
  memset(s->scratch, 0, s->det->session_size ? s->det->session_size : 1);
  memset(&s->info, 0, sizeof s->info);
  s->info.started = true;
  s->info.mode = SR_MODE_DEFAULT;
}

static inline void sess_close(struct sess *s) {
  if (s->thread && s->det->thread_destroy) s->det->thread_destroy(s->thread);
  s->det->destroy(s->ctx);
  free(s->scratch);
  sr_conf_destroy(s->conf);
}

/* Init with a bad section: returns the error text (static buffer). */
static inline const char *sess_init_error(const struct sr_detector *det,
                                          const char *yaml) {
  static char err[512];
  err[0] = '\0';
  struct sr_conf *conf = sr_conf_load_string(yaml, "test.yaml", err, sizeof err);
  ck_assert_msg(conf, "yaml: %s", err);
  void *ctx = det->init(sr_conf_root(conf), err, sizeof err);
  if (ctx) det->destroy(ctx);
  sr_conf_destroy(conf);
  ck_assert_msg(!ctx, "init accepted the section");
  return err;
}

static inline float sess_feed(struct sess *s) {
  struct sr_detect_input in = {&s->ev, &s->op, &s->info, s->floor};
  s->reason[0] = '\0';
  float v = s->det->score(s->ctx, s->thread, &in, s->scratch, s->reason,
                          sizeof s->reason);
  ck_assert(v >= 0.0f && v <= 1.0f);
  ck_assert_msg(v >= s->floor || s->reason[0] == '\0',
                "a reason below the floor: %s", s->reason);
  return v;
}

/* A tool call at t0 + ms, read by the catalogue as *op. */
static inline float sess_call_op(struct sess *s, int64_t ms, enum sr_phase ph,
                                 const char *tool, const char *args,
                                 const char *call_id, const struct sr_op *op) {
  memset(&s->ev, 0, sizeof s->ev);
  s->ev.type = SR_EV_TOOL_CALL;
  s->ev.ts_ms = s->t0 + ms;
  s->ev.phase = ph;
  s->ev.tool = sr_str_from(tool);
  s->ev.arguments = sr_str_from(args);
  s->ev.call_id = sr_str_from(call_id);
  s->op = *op;
  return sess_feed(s);
}

/* A tool call at t0 + ms. verb decides op->mutating. */
static inline float sess_call(struct sess *s, int64_t ms, enum sr_phase ph,
                              const char *tool, const char *args,
                              const char *call_id, enum sr_verb verb) {
  struct sr_op op = {.verb = verb,
                     .mutating =
                         verb == SR_VERB_WRITE || verb == SR_VERB_DELETE};
  return sess_call_op(s, ms, ph, tool, args, call_id, &op);
}

/* The completion of call_id with a result. */
static inline float sess_result(struct sess *s, int64_t ms, const char *tool,
                                const char *call_id, const char *result) {
  memset(&s->ev, 0, sizeof s->ev);
  memset(&s->op, 0, sizeof s->op);
  s->ev.type = SR_EV_TOOL_CALL;
  s->ev.ts_ms = s->t0 + ms;
  s->ev.phase = SR_PHASE_COMPLETED;
  s->ev.tool = sr_str_from(tool);
  s->ev.call_id = sr_str_from(call_id);
  s->ev.result = sr_str_from(result);
  return sess_feed(s);
}

static inline float sess_failed(struct sess *s, int64_t ms, const char *tool,
                                const char *call_id) {
  memset(&s->ev, 0, sizeof s->ev);
  memset(&s->op, 0, sizeof s->op);
  s->ev.type = SR_EV_TOOL_CALL;
  s->ev.ts_ms = s->t0 + ms;
  s->ev.phase = SR_PHASE_FAILED;
  s->ev.tool = sr_str_from(tool);
  s->ev.call_id = sr_str_from(call_id);
  return sess_feed(s);
}

/* An agent_message; agent/parent may be NULL. */
static inline float sess_msg(struct sess *s, int64_t ms, const char *role,
                             const char *agent, const char *parent,
                             const char *text) {
  memset(&s->ev, 0, sizeof s->ev);
  memset(&s->op, 0, sizeof s->op);
  s->ev.type = SR_EV_AGENT_MESSAGE;
  s->ev.ts_ms = s->t0 + ms;
  s->ev.role = sr_str_from(role);
  s->ev.agent_id = sr_str_from(agent);
  s->ev.parent_agent_id = sr_str_from(parent);
  s->ev.text = sr_str_from(text);
  return sess_feed(s);
}

#endif
