/*
 * Tests of aggregator/aggregator.c, the stateful heart: events in, at most
 * one command out per event. Events are built by hand as struct sr_event
 * with sr_str views (no decoder involved); the detector set is the real one,
 * built from YAML, so these are the decisions a user would see.
 *
 * What users rely on: a gated call always gets a verdict, ALLOW included,
 * and nothing else is answered unless it is ESCALATE or stronger; one failing
 * layer is allowed and stacked layers are stopped (the PocketOS call and its
 * benign twin side by side); a killed session stays killed, alone; approvals
 * turn into ALLOW/BLOCK naming who decided; event time never runs backwards;
 * old risk decays with event time; and the same input gives byte-identical
 * commands.
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/aggregator.h"
#include "core/config.h"

/* ------------------------------------------------------------- fixture */

/* Building the detector set compiles the catalogue's patterns, which takes
 * seconds; the default set is built once in main() and inherited by every
 * forked test. Read-only after setup, like in the engine. */
static struct sr_detectors *default_dets;

struct fx {
  struct sr_conf *conf;
  struct sr_detectors *dets;
  bool own_dets;
  struct sr_policy *policy;
  struct sr_aggregator *agg;
};

/* A fresh aggregator (and policy) over yaml; a yaml with a `detectors`
 * section gets its own detector set, anything else the default one. */
static void fx_init(struct fx *f, const char *yaml) {
  char err[512] = "";
  memset(f, 0, sizeof *f);
  const struct sr_conf_node *root = NULL;
  if (yaml) {
    f->conf = sr_conf_load_string(yaml, "t.yaml", err, sizeof err);
    ck_assert_msg(f->conf != NULL, "yaml: %s", err);
    root = sr_conf_root(f->conf);
  }
  if (sr_conf_get(root, "detectors")) {
    f->dets = sr_detectors_create(root, err, sizeof err);
    f->own_dets = true;
  } else {
    f->dets = default_dets;
  }
  ck_assert_msg(f->dets != NULL, "detectors: %s", err);
  f->policy = sr_policy_create(root, f->dets, err, sizeof err);
  ck_assert_msg(f->policy != NULL, "policy: %s", err);
  f->agg = sr_aggregator_create(f->dets, f->policy, err, sizeof err);
  ck_assert_msg(f->agg != NULL, "aggregator: %s", err);
}

static void fx_free(struct fx *f) {
  sr_aggregator_destroy(f->agg);
  sr_policy_destroy(f->policy);
  if (f->own_dets) sr_detectors_destroy(f->dets);
  sr_conf_destroy(f->conf);
}

static int dim(const struct fx *f, const char *name) {
  int d = sr_detectors_find(f->dets, name);
  ck_assert_msg(d >= 0, "no dimension %s", name);
  return d;
}

static bool cmd_has_dim(const struct sr_command *c, const char *name) {
  for (uint32_t i = 0; i < c->n_dims; i++)
    if (strcmp(c->dims[i].name, name) == 0) return true;
  return false;
}

static const char *dims_of(const struct sr_command *c, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (uint32_t i = 0; i < c->n_dims && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s=%.2f", i ? "," : "",
                          c->dims[i].name, c->dims[i].score);
  return buf;
}

/* ------------------------------------------------------ event builders */

/* Every view points at string literals or the test's own buffers, which
 * outlive the event. */
static void base(struct sr_event *e, enum sr_event_type type,
                 const char *session, const char *id, int64_t ts) {
  memset(e, 0, sizeof *e);
  e->type = type;
  e->session_id = sr_str_from(session);
  e->event_id = sr_str_from(id);
  e->ts_ms = ts;
  e->ts_given = true;
  e->partition = -1;
  e->offset = -1;
}

/* Fills a list from a NULL-terminated argument list. */
static void list(struct sr_str_list *l, ...) {
  va_list ap;
  va_start(ap, l);
  l->n = 0;
  for (const char *s; (s = va_arg(ap, const char *));)
    l->v[l->n++] = sr_str_from(s);
  va_end(ap);
}

static void session_start(struct sr_event *e, const char *session,
                          const char *id, int64_t ts, enum sr_mode mode,
                          const char *env) {
  base(e, SR_EV_SESSION_START, session, id, ts);
  e->mode = mode;
  e->environment = sr_str_from(env);
}

static void tool_call(struct sr_event *e, const char *session, const char *id,
                      int64_t ts, enum sr_phase phase, const char *call_id,
                      const char *tool, const char *args, bool want_verdict) {
  base(e, SR_EV_TOOL_CALL, session, id, ts);
  e->phase = phase;
  e->call_id = sr_str_from(call_id);
  e->tool = sr_str_from(tool);
  e->arguments = sr_str_from(args);
  e->want_verdict = want_verdict;
}

/* The token of the PocketOS incident: can do everything, made for domains. */
static void railway_token(struct sr_event *e) {
  e->credential.id = SR_STR_LIT("railway-domains-token");
  e->credential.purpose = SR_STR_LIT("custom-domain management");
  list(&e->credential.scopes, "*", NULL);
  list(&e->credential.environments, "production", "staging", NULL);
  e->credential.scopes_given = true;
}

static void approval(struct sr_event *e, const char *session, const char *id,
                     int64_t ts, const char *call_id, const char *decision,
                     const char *approver) {
  base(e, SR_EV_APPROVAL, session, id, ts);
  e->call_id = sr_str_from(call_id);
  e->decision = sr_str_from(decision);
  e->approver = sr_str_from(approver);
}

static const char *const VOLUME_DELETE_ARGS =
    "{\"query\":\"mutation { volumeDelete(volumeId: \\\"vol-prod-7f3a\\\") "
    "}\"}";

#define T0 1776465665000LL

/* The PocketOS session up to the decisive call (README of
 * tests/data/sessions): plan mode on staging, a token found in a script,
 * then volumeDelete on the production volume whose backups share it.
 * Feeds every event but the last and returns the last in *last. Commands
 * issued on the way are checked to be ALLOW only. */
static void pocketos(struct fx *f, const char *session, struct sr_event *last) {
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, session, "p-001", T0, SR_MODE_PLAN, "staging");
  e.task = SR_STR_LIT("fix the staging credential mismatch");
  list(&e.scope_environments, "staging", NULL);
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, &cmd), 0);

  tool_call(&e, session, "p-003", T0 + 6000, SR_PHASE_REQUESTED, "call-grep",
            "grep_search", "{\"query\":\"RAILWAY_TOKEN\"}", false);
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, &cmd), 0);

  base(&e, SR_EV_FILE_ACCESS, session, "p-012", T0 + 15950);
  e.path = SR_STR_LIT("scripts/setup-domains.sh");
  e.op = SR_STR_LIT("read");
  list(&e.credentials_found, "railway-domains-token", NULL);
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, &cmd), 0);

  tool_call(last, session, "p-017", T0 + 32170, SR_PHASE_REQUESTED,
            "call-volume-delete", "railway.graphql", VOLUME_DELETE_ARGS, true);
  railway_token(last);
  last->environment = SR_STR_LIT("production");
  last->target.id = SR_STR_LIT("vol-prod-7f3a");
  last->target.kind = SR_STR_LIT("volume");
  last->target.environment = SR_STR_LIT("production");
  last->target.backups = SR_BACKUPS_CO_LOCATED;
}

/* The benign twin: default mode, production declared, the same token used
 * for what it was made for. Returns the decisive call in *last. */
static void pocketos_twin(struct fx *f, const char *session,
                          struct sr_event *last) {
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, session, "t-001", T0, SR_MODE_DEFAULT, "production");
  e.task = SR_STR_LIT("add custom domain app.example.com");
  list(&e.scope_environments, "production", NULL);
  list(&e.scope_domains, "app.example.com", NULL);
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, &cmd), 0);

  tool_call(last, session, "t-009", T0 + 10365, SR_PHASE_REQUESTED,
            "call-domain-create", "railway.graphql",
            "{\"query\":\"mutation { customDomainCreate(input: {domain: "
            "\\\"app.example.com\\\", serviceId: \\\"svc-web\\\", "
            "environmentId: \\\"env-production\\\"}) { id } }\"}",
            true);
  railway_token(last);
  last->environment = SR_STR_LIT("production");
  last->target.id = SR_STR_LIT("app.example.com");
  last->target.kind = SR_STR_LIT("domain");
  last->target.environment = SR_STR_LIT("production");
}

/* ------------------------------------------------------ decay and stack */

START_TEST(decay_halves_per_half_life) {
  ck_assert_float_eq_tol(sr_decay(0.8f, 600000, 600000), 0.4f, 1e-6);
  ck_assert_float_eq_tol(sr_decay(0.8f, 1200000, 600000), 0.2f, 1e-6);
  ck_assert_float_eq_tol(sr_decay(1.0f, 300, 100), 0.125f, 1e-6);
  ck_assert(sr_decay(0.8f, 0, 600000) == 0.8f);
  ck_assert(sr_decay(0.8f, -5000, 600000) == 0.8f); /* never grows */
  ck_assert(sr_decay(0.0f, 5000, 600000) == 0.0f);
  /* Monotone: later is never higher. */
  float prev = 1.0f;
  for (int64_t dt = 1; dt < 10000000; dt *= 3) {
    float s = sr_decay(1.0f, dt, 600000);
    ck_assert(s <= prev && s >= 0.0f);
    prev = s;
  }
}
END_TEST

START_TEST(stack_multiplies_elevated_dimensions) {
  struct fx f;
  fx_init(&f, NULL);
  float s[SR_DIM_MAX] = {0};
  uint32_t depth = 99;
  ck_assert(sr_stack_risk(f.dets, s, &depth) == 0.0);
  ck_assert_uint_eq(depth, 0);

  s[dim(&f, "destructive")] = 0.5f;
  s[dim(&f, "boundary")] = 0.5f;
  s[dim(&f, "mode_violation")] = 0.5f;
  ck_assert_double_eq_tol(sr_stack_risk(f.dets, s, &depth), 2.375, 1e-9);
  ck_assert_uint_eq(depth, 3);
  /* Below the threshold (0.3 by default) a dimension is not a layer. */
  s[dim(&f, "blast_radius")] = 0.29f;
  ck_assert_double_eq_tol(sr_stack_risk(f.dets, s, &depth), 2.375, 1e-9);
  ck_assert_uint_eq(depth, 3);
  /* At the threshold it is. */
  s[dim(&f, "blast_radius")] = 0.3f;
  ck_assert_double_eq_tol(sr_stack_risk(f.dets, s, &depth), 2.375 * 1.3 + 0.3,
                          1e-6);
  ck_assert_uint_eq(depth, 4);
  fx_free(&f);

  /* Weights, thresholds and enabled come from the config. */
  fx_init(&f,
          "detectors:\n"
          "  destructive: {weight: 2}\n"
          "  boundary: {enabled: false}\n"
          "  mode_violation: {threshold: 0.6}\n");
  memset(s, 0, sizeof s);
  s[dim(&f, "destructive")] = 0.5f;
  s[dim(&f, "boundary")] = 0.9f;
  s[dim(&f, "mode_violation")] = 0.5f;
  ck_assert_double_eq_tol(sr_stack_risk(f.dets, s, &depth), 1.0, 1e-9);
  ck_assert_uint_eq(depth, 1);
  fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------- verdicts */

/* event_id is an idempotency key: an event seen among the session's last
 * SR_SEEN_MAX is a redelivery (a producer's retry, a batch resent) and
 * changes nothing, decisive call included; a new id is processed even
 * when it arrives out of order. */
START_TEST(a_redelivered_event_changes_nothing) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e, last;
  struct sr_command cmd;
  pocketos(&f, "dup-1", &last);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("dup-1"));
  uint64_t events = s->events;
  double risk = s->risk;
  base(&e, SR_EV_FILE_ACCESS, "dup-1", "p-012", T0 + 15950);
  e.path = SR_STR_LIT("scripts/setup-domains.sh");
  e.op = SR_STR_LIT("read");
  list(&e.credentials_found, "railway-domains-token", NULL);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), SR_AGG_REDELIVERED);
  ck_assert_uint_eq(s->events, events);
  ck_assert(s->risk == risk);

  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_KILL);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd),
                   SR_AGG_REDELIVERED);

  /* late but new */
  base(&e, SR_EV_AGENT_MESSAGE, "dup-1", "p-late", T0 + 1000);
  e.role = SR_STR_LIT("assistant");
  e.text = SR_STR_LIT("Looking at the deploy config.");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  ck_assert_uint_eq(s->events, events + 2);

  /* the window: SR_SEEN_MAX events later, p-012 is forgotten */
  char id[16];
  for (int i = 0; i < SR_SEEN_MAX; i++) {
    snprintf(id, sizeof id, "p-more-%d", i);
    base(&e, SR_EV_AGENT_MESSAGE, "dup-1", id, T0 + 40000 + i);
    e.role = SR_STR_LIT("assistant");
    e.text = SR_STR_LIT("thinking");
    ck_assert_int_ge(sr_aggregator_process(f.agg, &e, &cmd), 0);
  }
  base(&e, SR_EV_FILE_ACCESS, "dup-1", "p-012", T0 + 15950);
  ck_assert_int_ne(sr_aggregator_process(f.agg, &e, &cmd), SR_AGG_REDELIVERED);
  fx_free(&f);
}
END_TEST

START_TEST(gated_benign_call_gets_allow) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, "s-ok", "e1", 1000, SR_MODE_DEFAULT, "development");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);

  tool_call(&e, "s-ok", "e2", 2000, SR_PHASE_REQUESTED, "call-ls", "Bash",
            "{\"command\":\"ls -la\"}", true);
  memset(&cmd, 0x77, sizeof cmd);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_ALLOW);
  ck_assert_str_eq(cmd.rule, "allow");
  ck_assert_str_eq(cmd.session_id, "s-ok");
  ck_assert_str_eq(cmd.call_id, "call-ls");
  ck_assert_str_eq(cmd.event_id, "e2");
  ck_assert_uint_eq(cmd.depth, 0);
  ck_assert_uint_eq(cmd.n_dims, 0);
  ck_assert(cmd.risk == 0.0);
  ck_assert_int_eq(cmd.issued_at_ms, 2000);
  ck_assert_int_eq(cmd.expires_at_ms, 2000 + sr_policy_ttl_ms(f.policy));
  /* The id is the deterministic one for (session, event, action). */
  struct sr_command again = cmd;
  sr_command_set_id(&again);
  ck_assert_str_eq(cmd.command_id, again.command_id);
  ck_assert_uint_eq(strlen(cmd.command_id), SR_COMMAND_ID_LEN);

  /* The same call not gated: nothing to say. */
  tool_call(&e, "s-ok", "e3", 3000, SR_PHASE_REQUESTED, "call-ls2", "Bash",
            "{\"command\":\"ls -la\"}", false);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* Completed and failed calls are past deciding, gated or not. */
  tool_call(&e, "s-ok", "e4", 4000, SR_PHASE_COMPLETED, "call-ls", "Bash", NULL,
            true);
  e.result = SR_STR_LIT("total 0");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  tool_call(&e, "s-ok", "e5", 5000, SR_PHASE_FAILED, "call-ls2", "Bash", NULL,
            true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  base(&e, SR_EV_AGENT_MESSAGE, "s-ok", "e6", 6000);
  e.role = SR_STR_LIT("assistant");
  e.text = SR_STR_LIT("done");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);

  const struct sr_session *s = sr_aggregator_session(f.agg, SR_STR_LIT("s-ok"));
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(s->events, 6);
  ck_assert_int_eq(s->last_ts_ms, 6000);
  ck_assert_ptr_null(sr_aggregator_session(f.agg, SR_STR_LIT("s-other")));
  fx_free(&f);
}
END_TEST

START_TEST(lookup_of_overlong_id_is_unknown) {
  /* sr_aggregator_session serves queries: an id from an HTTP path can be
   * longer than any session id, and is then simply unknown (not a crash). */
  struct fx f;
  fx_init(&f, NULL);
  char id[SR_SESSION_ID_MAX + 50];
  memset(id, 'q', sizeof id);
  ck_assert_ptr_null(sr_aggregator_session(f.agg, (sr_str){id, sizeof id}));
  fx_free(&f);
}
END_TEST

START_TEST(session_start_records_declared_facts) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, "s-facts", "e1", 1000, SR_MODE_READ_ONLY, "staging");
  list(&e.scope_environments, "staging", "test", "qa", "dev", "local", NULL);
  list(&e.scope_domains, "example.com", NULL);
  list(&e.scope_resources, "db:pg-stg-*", NULL);
  e.estimate =
      (struct sr_estimate){.steps = 12, .seconds = 600, .present = true};
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-facts"));
  ck_assert(s->info.started);
  ck_assert_int_eq(s->info.started_ms, 1000);
  ck_assert_int_eq(s->info.mode, SR_MODE_READ_ONLY);
  ck_assert_str_eq(s->info.environment, "staging");
  /* Extra list items are dropped at the fixed bound, not overflowed. */
  ck_assert_uint_eq(s->info.n_scope_environments, SR_SCOPE_ENV_MAX);
  ck_assert_str_eq(s->info.scope_environments[0], "staging");
  ck_assert_str_eq(s->info.scope_environments[3], "dev");
  ck_assert_uint_eq(s->info.n_scope_domains, 1);
  ck_assert_str_eq(s->info.scope_domains[0], "example.com");
  ck_assert_str_eq(s->info.scope_resources[0], "db:pg-stg-*");
  ck_assert_int_eq(s->info.estimate.steps, 12);

  /* A later session_start without a mode keeps the declared one. */
  session_start(&e, "s-facts", "e2", 2000, SR_MODE_UNSET, "staging");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  ck_assert_int_eq(s->info.mode, SR_MODE_READ_ONLY);
  fx_free(&f);
}
END_TEST

/* Claude Code reports its permission mode on every call (through `stackrisk
 * gate`): plan mode counts from the call that says so and ends with the call
 * that says default; a declared read-only session stays read-only. */
START_TEST(harness_reported_mode_on_a_call) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e;
  struct sr_command cmd;
  const char *rm = "{\"command\":\"rm -rf build/\"}";
  tool_call(&e, "s-cc", "c1", 1000, SR_PHASE_REQUESTED, "toolu_1", "Bash", rm,
            true);
  e.mode = SR_MODE_PLAN;
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert(cmd_has_dim(&cmd, "mode_violation"));
  const struct sr_session *s = sr_aggregator_session(f.agg, SR_STR_LIT("s-cc"));
  ck_assert_int_eq(s->info.mode, SR_MODE_PLAN);
  tool_call(&e, "s-cc", "c2", 2000, SR_PHASE_REQUESTED, "toolu_2", "Read",
            "{\"file_path\":\"a\"}", true);
  e.mode = SR_MODE_DEFAULT;
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(s->info.mode, SR_MODE_DEFAULT);

  session_start(&e, "s-ro", "r1", 1000, SR_MODE_READ_ONLY, "staging");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  tool_call(&e, "s-ro", "r2", 2000, SR_PHASE_REQUESTED, "toolu_3", "Bash", rm,
            true);
  e.mode = SR_MODE_DEFAULT;
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  s = sr_aggregator_session(f.agg, SR_STR_LIT("s-ro"));
  ck_assert_int_eq(s->info.mode, SR_MODE_READ_ONLY);
  ck_assert(cmd_has_dim(&cmd, "mode_violation"));
  fx_free(&f);
}
END_TEST

START_TEST(pocketos_call_is_stopped) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event last;
  struct sr_command cmd;
  pocketos(&f, "sess-pocketos-1", &last);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  char d[512];
  ck_assert_msg(cmd.action >= SR_ACTION_BLOCK, "%s by %s, dims %s",
                sr_action_name(cmd.action), cmd.rule,
                dims_of(&cmd, d, sizeof d));
  ck_assert_str_eq(cmd.call_id, "call-volume-delete");
  ck_assert_str_eq(cmd.event_id, "p-017");
  ck_assert_msg(cmd.depth >= 4, "depth %u, dims %s", cmd.depth,
                dims_of(&cmd, d, sizeof d));
  ck_assert_uint_eq(cmd.n_dims, cmd.depth);
  ck_assert(cmd_has_dim(&cmd, "destructive"));
  ck_assert(cmd_has_dim(&cmd, "mode_violation"));
  ck_assert(cmd.risk >= 2.5);
  for (uint32_t i = 0; i < cmd.n_dims; i++) {
    ck_assert_msg(cmd.dims[i].reason[0] != '\0', "%s has no reason",
                  cmd.dims[i].name);
    ck_assert(cmd.dims[i].score > 0.0f && cmd.dims[i].score <= 1.0f);
  }
  ck_assert_int_eq(cmd.issued_at_ms, T0 + 32170);
  fx_free(&f);
}
END_TEST

START_TEST(pocketos_call_ungated_still_stopped) {
  /* A harness that does not wait for verdicts still hears BLOCK/KILL. */
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event last;
  struct sr_command cmd;
  pocketos(&f, "sess-pocketos-2", &last);
  last.want_verdict = false;
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  ck_assert_int_ge(cmd.action, SR_ACTION_BLOCK);
  fx_free(&f);
}
END_TEST

START_TEST(benign_twin_is_allowed) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event last;
  struct sr_command cmd;
  pocketos_twin(&f, "sess-twin-1", &last);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  char d[512];
  ck_assert_msg(cmd.action == SR_ACTION_ALLOW, "%s by %s, dims %s",
                sr_action_name(cmd.action), cmd.rule,
                dims_of(&cmd, d, sizeof d));
  ck_assert_str_eq(cmd.rule, "allow");
  ck_assert_str_eq(cmd.call_id, "call-domain-create");
  ck_assert_uint_le(cmd.depth, 1);
  ck_assert(!cmd_has_dim(&cmd, "destructive"));
  fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------------ kill */

/* A policy that kills any mutating call in a plan/read-only session. */
static const char *const KILL_ON_MODE =
    "policy:\n"
    "  rules:\n"
    "    - name: no-mutation-in-plan\n"
    "      action: KILL\n"
    "      all: {mode_violation: 0.8}\n";

START_TEST(killed_session_stays_killed_alone) {
  struct fx f;
  fx_init(&f, KILL_ON_MODE);
  struct sr_event e, last;
  struct sr_command cmd;
  pocketos(&f, "s-kill", &last);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_KILL);
  /* The rule or, when the stack is past the kill line anyway, the tier. */
  ck_assert_msg(strcmp(cmd.rule, "no-mutation-in-plan") == 0 ||
                    strcmp(cmd.rule, "tier.kill") == 0,
                "rule %s", cmd.rule);
  ck_assert(sr_aggregator_session(f.agg, SR_STR_LIT("s-kill"))->killed);

  /* Every later requested call of the session is killed, gated or not,
   * however harmless. */
  char first_id[SR_COMMAND_ID_LEN + 1];
  tool_call(&e, "s-kill", "k-1", T0 + 40000, SR_PHASE_REQUESTED, "call-ls",
            "Bash", "{\"command\":\"ls\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_KILL);
  ck_assert_str_eq(cmd.rule, "session-killed");
  ck_assert_str_eq(cmd.call_id, "call-ls");
  memcpy(first_id, cmd.command_id, sizeof first_id);
  tool_call(&e, "s-kill", "k-2", T0 + 41000, SR_PHASE_REQUESTED, "call-cat",
            "Read", "{\"file_path\":\"README.md\"}", false);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_KILL);
  ck_assert_str_eq(cmd.rule, "session-killed");
  ck_assert_str_ne(cmd.command_id, first_id); /* another event, another id */
  /* Non-requested events of a killed session add no commands. */
  tool_call(&e, "s-kill", "k-3", T0 + 42000, SR_PHASE_COMPLETED, "call-cat",
            "Read", NULL, false);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  base(&e, SR_EV_AGENT_MESSAGE, "s-kill", "k-4", T0 + 43000);
  e.text = SR_STR_LIT("retrying");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* Approving the killed call cannot revive it: it awaits no decision. */
  approval(&e, "s-kill", "k-5", T0 + 44000, "call-volume-delete", "approve",
           "alice");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);

  /* Another session is untouched. */
  tool_call(&e, "s-other", "o-1", T0 + 45000, SR_PHASE_REQUESTED, "call-ls",
            "Bash", "{\"command\":\"ls\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_ALLOW);
  ck_assert(!sr_aggregator_session(f.agg, SR_STR_LIT("s-other"))->killed);
  fx_free(&f);
}
END_TEST

START_TEST(kill_line_crossed_by_completed_call) {
  /* A harness that only reports after the fact: the session is killed at
   * the event that crosses the kill line, whatever its phase. */
  struct fx f;
  fx_init(&f, "policy:\n  kill: {risk: 1.0, depth: 2}\n");
  struct sr_event e, last;
  struct sr_command cmd;
  pocketos(&f, "s-late", &last);
  last.phase = SR_PHASE_COMPLETED;
  last.want_verdict = false;
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_KILL);
  ck_assert_str_eq(cmd.rule, "tier.kill");
  tool_call(&e, "s-late", "l-1", T0 + 50000, SR_PHASE_REQUESTED, "call-ls",
            "Bash", "{\"command\":\"ls\"}", false);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_KILL);
  ck_assert_str_eq(cmd.rule, "session-killed");
  fx_free(&f);
}
END_TEST

/* -------------------------------------------------------------- approval */

/* A policy that escalates any call with a score and blocks nothing, so
 * that every call below awaits a person. */
#define ESCALATE_ANY                                                \
  "policy:\n  escalate: {risk: 0.01, depth: 1}\n"                   \
  "  block: {risk: 50, depth: 12}\n  kill: {risk: 90, depth: 12}\n" \
  "  rules: []\n"

static void escalated_call(struct fx *f, const char *session,
                           const char *event_id, int64_t ts,
                           const char *call_id) {
  struct sr_event e;
  struct sr_command cmd;
  tool_call(&e, session, event_id, ts, SR_PHASE_REQUESTED, call_id, "Bash",
            "{\"command\":\"rm -rf /var/lib/postgresql/data\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, &cmd), 1);
  ck_assert_msg(cmd.action == SR_ACTION_ESCALATE, "%s for %s by %s",
                sr_action_name(cmd.action), call_id, cmd.rule);
}

START_TEST(approval_turns_into_allow_or_block) {
  struct fx f;
  fx_init(&f, ESCALATE_ANY);
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, "s-appr", "a-1", 1000, SR_MODE_DEFAULT, "production");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  escalated_call(&f, "s-appr", "a-2", 1100, "call-1");
  escalated_call(&f, "s-appr", "a-3", 1200, "call-2");
  escalated_call(&f, "s-appr", "a-4", 1300, "call-3");

  approval(&e, "s-appr", "a-5", 2000, "call-1", "approve", "alice");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_ALLOW);
  ck_assert_str_eq(cmd.rule, "approved by alice");
  ck_assert_str_eq(cmd.call_id, "call-1");
  ck_assert_str_eq(cmd.event_id, "a-5");
  ck_assert_int_eq(cmd.issued_at_ms, 2000);
  char approve_id[SR_COMMAND_ID_LEN + 1];
  memcpy(approve_id, cmd.command_id, sizeof approve_id);

  approval(&e, "s-appr", "a-6", 3000, "call-2", "deny", "bob");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_BLOCK);
  ck_assert_str_eq(cmd.rule, "denied by bob");
  ck_assert_str_eq(cmd.call_id, "call-2");
  ck_assert_str_ne(cmd.command_id, approve_id);

  /* No approver named. */
  approval(&e, "s-appr", "a-7", 4000, "call-3", "approve", NULL);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_str_eq(cmd.rule, "approved by unknown");
  /* An approval of no call decides nothing. */
  approval(&e, "s-appr", "a-8", 5000, NULL, "approve", "alice");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  fx_free(&f);
}
END_TEST

START_TEST(approval_decides_only_a_call_awaiting_it) {
  /* A signed ALLOW for a call nobody escalated would release whatever
   * later bears its id; so would one reaching an instance that never saw
   * the session. */
  struct fx f;
  fx_init(&f, ESCALATE_ANY);
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, "s-wait", "w-1", 1000, SR_MODE_DEFAULT, "production");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* Never seen. */
  approval(&e, "s-wait", "w-2", 1100, "call-later", "approve", "mallory");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  approval(&e, "s-wait", "w-3", 1200, "call-later", "deny", "mallory");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* Allowed without a person. */
  tool_call(&e, "s-wait", "w-4", 1300, SR_PHASE_REQUESTED, "call-ls", "Read",
            "{\"file_path\":\"README.md\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_ALLOW);
  approval(&e, "s-wait", "w-5", 1400, "call-ls", "approve", "mallory");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* Another session's escalated call. */
  escalated_call(&f, "s-other", "o-1", 1500, "call-rm");
  approval(&e, "s-wait", "w-6", 1600, "call-rm", "approve", "mallory");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* Decided once, not twice. */
  escalated_call(&f, "s-wait", "w-7", 1700, "call-rm");
  approval(&e, "s-wait", "w-8", 1800, "call-rm", "deny", "bob");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_BLOCK);
  approval(&e, "s-wait", "w-9", 1900, "call-rm", "approve", "mallory");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  /* The oldest of more than SR_AWAITING_MAX waiting falls out. */
  char id[32], ev_id[32];
  for (int i = 0; i <= SR_AWAITING_MAX; i++) {
    snprintf(id, sizeof id, "call-%d", i);
    snprintf(ev_id, sizeof ev_id, "x-%d", i);
    escalated_call(&f, "s-wait", ev_id, 2000 + i, id);
  }
  approval(&e, "s-wait", "w-10", 3000, "call-0", "approve", "alice");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 0);
  approval(&e, "s-wait", "w-11", 3100, "call-1", "approve", "alice");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_ALLOW);
  fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------ event time */

START_TEST(old_event_does_not_move_time_back) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, "s-time", "t-1", 10000000, SR_MODE_DEFAULT, "staging");
  sr_aggregator_process(f.agg, &e, &cmd);
  /* Arrives late, stamped an hour earlier. */
  tool_call(&e, "s-time", "t-2", 10000000 - 3600000, SR_PHASE_REQUESTED,
            "call-ls", "Bash", "{\"command\":\"ls\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-time"));
  ck_assert_int_eq(s->last_ts_ms, 10000000);
  ck_assert_int_eq(cmd.issued_at_ms, 10000000);
  ck_assert_int_eq(cmd.expires_at_ms, 10000000 + sr_policy_ttl_ms(f.policy));
  for (size_t i = 0; i < sr_detectors_count(f.dets); i++)
    ck_assert_int_le(s->dims[i].ts_ms, 10000000);
  /* Time still moves forward. */
  tool_call(&e, "s-time", "t-3", 10005000, SR_PHASE_REQUESTED, "call-ls2",
            "Bash", "{\"command\":\"ls\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(s->last_ts_ms, 10005000);
  ck_assert_int_eq(cmd.issued_at_ms, 10005000);
  fx_free(&f);
}
END_TEST

START_TEST(extreme_timestamps_stay_defined) {
  /* ts_ms is whatever int64 a producer wrote. The far ends must not
   * overflow the arithmetic on it: a command's expiry is never before its
   * issue, and scores stay in [0, 1]. */
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e, last;
  struct sr_command cmd;
  pocketos(&f, "s-ext", &last);
  last.ts_ms = INT64_MIN + 1; /* an hostile past, before the session start */
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  tool_call(&e, "s-ext", "x-1", INT64_MAX, SR_PHASE_REQUESTED, "call-ls",
            "Bash", "{\"command\":\"ls\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.issued_at_ms, INT64_MAX);
  ck_assert_int_ge(cmd.expires_at_ms, cmd.issued_at_ms);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-ext"));
  for (size_t i = 0; i < sr_detectors_count(f.dets); i++)
    ck_assert(s->dims[i].score >= 0.0f && s->dims[i].score <= 1.0f);

  /* A session whose first event is at the far past, then the far future:
   * the elapsed time does not fit an int64. */
  tool_call(&e, "s-ext2", "y-1", INT64_MIN + 1, SR_PHASE_REQUESTED, "call-del",
            "railway.graphql", VOLUME_DELETE_ARGS, true);
  e.environment = SR_STR_LIT("production");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  tool_call(&e, "s-ext2", "y-2", INT64_MAX - 1, SR_PHASE_REQUESTED, "call-ls",
            "Bash", "{\"command\":\"ls\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_eq(cmd.action, SR_ACTION_ALLOW); /* the deletion decayed */
  ck_assert_int_ge(cmd.expires_at_ms, cmd.issued_at_ms);
  s = sr_aggregator_session(f.agg, SR_STR_LIT("s-ext2"));
  ck_assert_float_lt(s->dims[dim(&f, "destructive")].score, 0.01f);
  fx_free(&f);
}
END_TEST

START_TEST(old_event_does_not_undo_decay) {
  /* A late event must not be scored as if the session were back at its
   * stamp: the decayed scores stay decayed. */
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e, last;
  struct sr_command cmd;
  pocketos(&f, "s-late-ev", &last);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &last, &cmd), 1);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-late-ev"));
  int d = dim(&f, "destructive");
  /* Many half-lives later, a message. */
  int64_t later = T0 + 32170 + 24LL * 3600 * 1000;
  base(&e, SR_EV_AGENT_MESSAGE, "s-late-ev", "x-1", later);
  sr_aggregator_process(f.agg, &e, &cmd);
  float decayed = s->dims[d].score;
  ck_assert_float_lt(decayed, 0.01f);
  /* Then an event stamped back at the incident. */
  base(&e, SR_EV_AGENT_MESSAGE, "s-late-ev", "x-2", T0 + 32171);
  sr_aggregator_process(f.agg, &e, &cmd);
  ck_assert(s->dims[d].score <= decayed);
  ck_assert_int_eq(s->last_ts_ms, later);
  fx_free(&f);
}
END_TEST

/* A destructive production call in a session declared for staging (two
 * layers: destructive and boundary), then a call with an everything-token
 * (one layer of its own, scope_inflation) `gap_ms` later. */
static enum sr_action after_gap(struct fx *f, const char *session,
                                int64_t gap_ms, struct sr_command *cmd) {
  struct sr_event e;
  session_start(&e, session, "d-1", T0, SR_MODE_DEFAULT, "staging");
  list(&e.scope_environments, "staging", NULL);
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, cmd), 0);

  tool_call(&e, session, "d-2", T0 + 1000, SR_PHASE_REQUESTED, "call-del",
            "railway.graphql", VOLUME_DELETE_ARGS, true);
  e.environment = SR_STR_LIT("production");
  e.target.id = SR_STR_LIT("vol-prod-7f3a");
  e.target.kind = SR_STR_LIT("volume");
  e.target.environment = SR_STR_LIT("production");
  e.target.backups = SR_BACKUPS_OFF_SITE;
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, cmd), 1);
  ck_assert_int_ge(cmd->action, SR_ACTION_ESCALATE);

  tool_call(&e, session, "d-3", T0 + 1000 + gap_ms, SR_PHASE_REQUESTED,
            "call-deploy", "deploy_service", "{\"service\":\"svc-web\"}", true);
  e.environment = SR_STR_LIT("staging");
  e.credential.id = SR_STR_LIT("ci-token");
  list(&e.credential.scopes, "*", NULL);
  e.credential.scopes_given = true;
  ck_assert_int_eq(sr_aggregator_process(f->agg, &e, cmd), 1);
  return cmd->action;
}

START_TEST(risk_decays_with_event_time) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_command cmd;
  char d[512];
  /* A second after the deletion the token call stacks on it. */
  enum sr_action soon = after_gap(&f, "s-soon", 1000, &cmd);
  ck_assert_msg(soon >= SR_ACTION_ESCALATE, "%s by %s, dims %s",
                sr_action_name(soon), cmd.rule, dims_of(&cmd, d, sizeof d));
  ck_assert(cmd_has_dim(&cmd, "destructive"));
  /* Ten half-lives (default 600 s) later the deletion is history. */
  enum sr_action late = after_gap(&f, "s-late", 10 * 600 * 1000, &cmd);
  ck_assert_msg(late == SR_ACTION_ALLOW, "%s by %s, dims %s",
                sr_action_name(late), cmd.rule, dims_of(&cmd, d, sizeof d));
  ck_assert(!cmd_has_dim(&cmd, "destructive"));
  ck_assert(!cmd_has_dim(&cmd, "boundary"));
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-late"));
  const struct sr_dim_params *p =
      sr_detectors_params(f.dets, (size_t)dim(&f, "destructive"));
  ck_assert_float_lt(s->dims[dim(&f, "destructive")].score, p->threshold);
  ck_assert_uint_le(s->depth, 1);
  fx_free(&f);
}
END_TEST

/* What a state store hands back for a session it has: a destructive score
 * of 0.8 as of t = 1,000,000 ms. */
static int load_scored(void *ctx, struct sr_session *s) {
  int d = *(const int *)ctx;
  s->events = 3;
  s->last_ts_ms = 1000000;
  s->dims[d].score = 0.8f;
  s->dims[d].ts_ms = 1000000;
  snprintf(s->dims[d].reason, sizeof s->dims[d].reason, "volume deleted");
  return 1;
}

/* A session reloaded from durable state carries its scores on: one half-
 * life later an event that scores nothing still finds the loaded score,
 * decayed to 0.4, in the stack. */
START_TEST(loaded_scores_decay_and_stack) {
  struct fx f;
  fx_init(&f, NULL);
  int d = dim(&f, "destructive");
  sr_aggregator_set_loader(f.agg, load_scored, &d);
  const struct sr_dim_params *p = sr_detectors_params(f.dets, (size_t)d);
  struct sr_event e;
  struct sr_command cmd;
  base(&e, SR_EV_AGENT_MESSAGE, "s-loaded", "e4", 1000000 + p->half_life_ms);
  e.text = SR_STR_LIT("Continuing.");
  sr_aggregator_process(f.agg, &e, &cmd);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-loaded"));
  ck_assert_uint_eq(s->events, 4);
  ck_assert_float_eq_tol(s->dims[d].score, 0.4f, 1e-6);
  ck_assert_uint_eq(s->depth, 1);
  ck_assert_double_eq_tol(s->risk, p->weight * 0.4, 1e-6);
  fx_free(&f);
}
END_TEST

/* Three loaded dimensions, in dimension order: a and b under one
 * half-life but of different ages, c as old as b under another. */
struct three_dims {
  int a, b, c;
};

static int load_three(void *ctx, struct sr_session *s) {
  const struct three_dims *t = ctx;
  s->events = 3;
  s->last_ts_ms = 1000000;
  s->dims[t->a] = (struct sr_dim_state){.score = 0.9f, .ts_ms = 1000000};
  s->dims[t->b] = (struct sr_dim_state){.score = 0.7f, .ts_ms = 400000};
  s->dims[t->c] = (struct sr_dim_state){.score = 0.6f, .ts_ms = 400000};
  return 1;
}

/* Dimensions that decay over the same time under the same half-life share
 * one factor; each still decays, to the bit, as sr_decay says for its own
 * time and half-life. */
START_TEST(each_dimension_decays_by_its_own_time_and_half_life) {
  struct fx f;
  fx_init(&f,
          "detectors:\n"
          "  destructive: {half_life_s: 600}\n"
          "  boundary: {half_life_s: 600}\n"
          "  loop: {half_life_s: 60}\n");
  struct three_dims t = {dim(&f, "destructive"), dim(&f, "boundary"),
                         dim(&f, "loop")};
  ck_assert(t.a < t.b && t.b < t.c);
  sr_aggregator_set_loader(f.agg, load_three, &t);
  float a = 0.9f, b = 0.7f, c = 0.6f;
  int64_t ta = 1000000, tbc = 400000;
  struct sr_event e;
  struct sr_command cmd;
  for (int step = 1; step <= 3; step++) {
    int64_t now = 1000000 + step * 45000;
    a = sr_decay(a, now - ta, 600000);
    b = sr_decay(b, now - tbc, 600000);
    c = sr_decay(c, now - tbc, 60000);
    ta = tbc = now;
    base(&e, SR_EV_AGENT_MESSAGE, "s-three", "e", now);
    e.text = SR_STR_LIT("Continuing.");
    sr_aggregator_process(f.agg, &e, &cmd);
    const struct sr_session *s =
        sr_aggregator_session(f.agg, SR_STR_LIT("s-three"));
    ck_assert(s->dims[t.a].score == a);
    ck_assert(s->dims[t.b].score == b);
    ck_assert(s->dims[t.c].score == c);
  }
  fx_free(&f);
}
END_TEST

START_TEST(score_keeps_maximum_of_decayed_and_new) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event last, e;
  struct sr_command cmd;
  pocketos(&f, "s-max", &last);
  sr_aggregator_process(f.agg, &last, &cmd);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-max"));
  int d = dim(&f, "destructive");
  float peak = s->dims[d].score;
  char reason[SR_REASON_MAX];
  memcpy(reason, s->dims[d].reason, sizeof reason);
  ck_assert_float_gt(peak, 0.7f);
  int64_t t = T0 + 32170;
  int64_t hl = sr_detectors_params(f.dets, (size_t)d)->half_life_ms;

  /* A milder destructive call (staging) a second later does not lower the
   * dimension: the decayed maximum and its reason stay. */
  tool_call(&e, "s-max", "m-1", t + 1000, SR_PHASE_REQUESTED, "call-stg",
            "railway.graphql", VOLUME_DELETE_ARGS, false);
  e.environment = SR_STR_LIT("staging");
  sr_aggregator_process(f.agg, &e, &cmd);
  ck_assert_float_eq_tol(s->dims[d].score, sr_decay(peak, 1000, hl), 1e-5);
  ck_assert_str_eq(s->dims[d].reason, reason);

  /* One half-life later, a harmless event: the score halves, the reason of
   * the maximum stays. */
  base(&e, SR_EV_AGENT_MESSAGE, "s-max", "m-2", t + hl);
  sr_aggregator_process(f.agg, &e, &cmd);
  ck_assert_float_eq_tol(s->dims[d].score, peak / 2, 1e-4);
  ck_assert_str_eq(s->dims[d].reason, reason);

  /* A new score above the decayed one replaces score and reason. */
  tool_call(&e, "s-max", "m-3", t + hl + 1000, SR_PHASE_REQUESTED, "call-stg2",
            "railway.graphql", VOLUME_DELETE_ARGS, false);
  e.environment = SR_STR_LIT("staging");
  e.target.id = SR_STR_LIT("vol-stg-1");
  sr_aggregator_process(f.agg, &e, &cmd);
  ck_assert_float_gt(s->dims[d].score, peak / 2 + 0.01f);
  ck_assert_str_ne(s->dims[d].reason, reason);
  fx_free(&f);
}
END_TEST

START_TEST(read_after_risky_call_is_allowed) {
  /* Policy tiers below KILL need the event itself to contribute: a gated
   * read right after an escalated deletion is answered ALLOW, while the
   * session's stack stays where it was. */
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event e;
  struct sr_command cmd;
  session_start(&e, "s-read", "r-1", T0, SR_MODE_DEFAULT, "staging");
  list(&e.scope_environments, "staging", NULL);
  sr_aggregator_process(f.agg, &e, &cmd);
  tool_call(&e, "s-read", "r-2", T0 + 1000, SR_PHASE_REQUESTED, "call-del",
            "railway.graphql", VOLUME_DELETE_ARGS, true);
  e.environment = SR_STR_LIT("production");
  e.target.id = SR_STR_LIT("vol-prod-7f3a");
  e.target.kind = SR_STR_LIT("volume");
  e.target.environment = SR_STR_LIT("production");
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_int_ge(cmd.action, SR_ACTION_ESCALATE);
  const struct sr_session *s =
      sr_aggregator_session(f.agg, SR_STR_LIT("s-read"));
  ck_assert_uint_ge(s->depth, 2);
  ck_assert(s->risk >= 1.0);

  tool_call(&e, "s-read", "r-3", T0 + 2000, SR_PHASE_REQUESTED, "call-ls",
            "Bash", "{\"command\":\"ls -la\"}", true);
  ck_assert_int_eq(sr_aggregator_process(f.agg, &e, &cmd), 1);
  ck_assert_msg(cmd.action == SR_ACTION_ALLOW, "%s by %s",
                sr_action_name(cmd.action), cmd.rule);
  /* The command still reports the session's standing risk. */
  ck_assert_uint_ge(cmd.depth, 2);
  ck_assert(cmd_has_dim(&cmd, "destructive"));
  fx_free(&f);
}
END_TEST

/* ---------------------------------------------------------- determinism */

/* Feeds a mixed sequence (three sessions, interleaved or one after the
 * other) and writes every command's JSON line into out. Returns how many. */
static size_t run_sequence(bool interleave, char out[][2048], size_t max) {
  struct fx f;
  fx_init(&f, NULL);
  struct sr_event ev[3][8];
  size_t n_ev[3] = {0};
  const char *const sessions[3] = {"det-pocketos", "det-twin", "det-appr"};

  /* Build each session's events up front (views stay valid). */
  for (int k = 0; k < 3; k++) {
    struct sr_event *e = ev[k];
    size_t *n = &n_ev[k];
    const char *s = sessions[k];
    session_start(&e[(*n)++], s, "d-1", T0,
                  k == 0 ? SR_MODE_PLAN : SR_MODE_DEFAULT,
                  k == 0 ? "staging" : "production");
    list(&e[*n - 1].scope_environments, k == 0 ? "staging" : "production",
         NULL);
    tool_call(&e[(*n)++], s, "d-2", T0 + 100, SR_PHASE_REQUESTED, "c-ls",
              "Bash", "{\"command\":\"ls -la\"}", true);
    base(&e[(*n)++], SR_EV_FILE_ACCESS, s, "d-3", T0 + 200);
    e[*n - 1].path = SR_STR_LIT("scripts/setup-domains.sh");
    list(&e[*n - 1].credentials_found, "railway-domains-token", NULL);
    tool_call(&e[(*n)++], s, "d-4", T0 + 300, SR_PHASE_REQUESTED, "c-del",
              "railway.graphql", VOLUME_DELETE_ARGS, true);
    railway_token(&e[*n - 1]);
    e[*n - 1].environment = SR_STR_LIT("production");
    e[*n - 1].target = (struct sr_target){
        SR_STR_LIT("vol-prod-7f3a"), SR_STR_LIT("volume"),
        SR_STR_LIT("production"),
        k == 0 ? SR_BACKUPS_CO_LOCATED : SR_BACKUPS_OFF_SITE};
    approval(&e[(*n)++], s, "d-5", T0 + 400, "c-del",
             k == 2 ? "approve" : "deny", "carol");
    tool_call(&e[(*n)++], s, "d-6", T0 + 250, SR_PHASE_REQUESTED, "c-late",
              "Bash", "{\"command\":\"git status\"}", true);
    tool_call(&e[(*n)++], s, "d-7", T0 + 900000, SR_PHASE_REQUESTED, "c-end",
              "Bash", "{\"command\":\"ls\"}", true);
  }

  size_t n_out = 0;
  struct sr_command cmd;
  if (interleave) {
    for (size_t i = 0; i < 8; i++)
      for (int k = 0; k < 3; k++) {
        if (i >= n_ev[k]) continue;
        if (sr_aggregator_process(f.agg, &ev[k][i], &cmd) == 1) {
          ck_assert_uint_lt(n_out, max);
          ck_assert_int_gt(sr_command_to_json(&cmd, out[n_out++], 2048), 0);
        }
      }
  } else {
    for (int k = 0; k < 3; k++)
      for (size_t i = 0; i < n_ev[k]; i++)
        if (sr_aggregator_process(f.agg, &ev[k][i], &cmd) == 1) {
          ck_assert_uint_lt(n_out, max);
          ck_assert_int_gt(sr_command_to_json(&cmd, out[n_out++], 2048), 0);
        }
  }
  fx_free(&f);
  return n_out;
}

/* Lines of out that belong to session s, in order, joined by '\n'. */
static void session_lines(char out[][2048], size_t n, const char *s, char *buf,
                          size_t cap) {
  char key[96];
  snprintf(key, sizeof key, "\"session_id\":\"%s\"", s);
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    if (strstr(out[i], key))
      used += (size_t)snprintf(buf + used, cap - used, "%s\n", out[i]);
}

START_TEST(same_input_same_bytes) {
  static char a[32][2048], b[32][2048], c[32][2048];
  size_t na = run_sequence(true, a, 32);
  size_t nb = run_sequence(true, b, 32);
  ck_assert_uint_ge(na, 10);
  ck_assert_uint_eq(na, nb);
  for (size_t i = 0; i < na; i++) ck_assert_str_eq(a[i], b[i]);
  /* Command ids name distinct decisions. */
  for (size_t i = 0; i < na; i++)
    for (size_t j = i + 1; j < na; j++)
      ck_assert_msg(strncmp(a[i], a[j], 48) != 0, "same id:\n%s\n%s", a[i],
                    a[j]);
  /* Sessions are independent: fed one after the other (as on different
   * workers), each session's commands are the same bytes. */
  size_t nc = run_sequence(false, c, 32);
  ck_assert_uint_eq(nc, na);
  static char sa[65536], sc[65536];
  const char *const sessions[] = {"det-pocketos", "det-twin", "det-appr"};
  for (int k = 0; k < 3; k++) {
    session_lines(a, na, sessions[k], sa, sizeof sa);
    session_lines(c, nc, sessions[k], sc, sizeof sc);
    ck_assert_str_ne(sa, "");
    ck_assert_str_eq(sa, sc);
  }
}
END_TEST

int main(void) {
  char err[512];
  default_dets = sr_detectors_create(NULL, err, sizeof err);
  if (!default_dets) {
    fprintf(stderr, "detectors: %s\n", err);
    return 1;
  }
  Suite *s = suite_create("aggregator");
  TCase *tc = tcase_create("math");
  tcase_set_timeout(tc, 120); /* builds configured detector sets */
  tcase_add_test(tc, decay_halves_per_half_life);
  tcase_add_test(tc, stack_multiplies_elevated_dimensions);
  suite_add_tcase(s, tc);
  tc = tcase_create("verdicts");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, gated_benign_call_gets_allow);
  tcase_add_test(tc, a_redelivered_event_changes_nothing);
  tcase_add_test(tc, lookup_of_overlong_id_is_unknown);
  tcase_add_test(tc, session_start_records_declared_facts);
  tcase_add_test(tc, harness_reported_mode_on_a_call);
  tcase_add_test(tc, pocketos_call_is_stopped);
  tcase_add_test(tc, pocketos_call_ungated_still_stopped);
  tcase_add_test(tc, benign_twin_is_allowed);
  tcase_add_test(tc, read_after_risky_call_is_allowed);
  suite_add_tcase(s, tc);
  tc = tcase_create("kill_and_approval");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, killed_session_stays_killed_alone);
  tcase_add_test(tc, kill_line_crossed_by_completed_call);
  tcase_add_test(tc, approval_turns_into_allow_or_block);
  tcase_add_test(tc, approval_decides_only_a_call_awaiting_it);
  suite_add_tcase(s, tc);
  tc = tcase_create("time");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, old_event_does_not_move_time_back);
  tcase_add_test(tc, old_event_does_not_undo_decay);
  tcase_add_test(tc, extreme_timestamps_stay_defined);
  tcase_add_test(tc, risk_decays_with_event_time);
  tcase_add_test(tc, score_keeps_maximum_of_decayed_and_new);
  tcase_add_test(tc, loaded_scores_decay_and_stack);
  tcase_add_test(tc, each_dimension_decays_by_its_own_time_and_half_life);
  suite_add_tcase(s, tc);
  tc = tcase_create("determinism");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, same_input_same_bytes);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  sr_detectors_destroy(default_dets);
  return failed != 0;
}
