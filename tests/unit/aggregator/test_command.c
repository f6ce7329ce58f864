/*
 * Tests of aggregator/command.c: what an enforcement point receives. What
 * users rely on: action words round-trip; the command id is a deterministic
 * function of (session, event, action), so a replay dedupes against the
 * first run and different decisions never share an id; the JSON line is
 * byte-stable (fixed precision) and stays one valid line whatever an agent
 * put in a reason; the protobuf form carries every field; bytes that are not
 * a ControlCommand are refused with a message, never half-read.
 */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/command.h"
#include "schemas/stackrisk.pb-c.h"

/* A small command with two dimensions, as the aggregator would fill it. */
static void sample(struct sr_command *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->session_id, sizeof c->session_id, "sess-1");
  snprintf(c->call_id, sizeof c->call_id, "call-volume-delete");
  snprintf(c->event_id, sizeof c->event_id, "ev-17");
  c->action = SR_ACTION_BLOCK;
  c->risk = 3.14159;
  c->depth = 2;
  snprintf(c->dims[0].name, sizeof c->dims[0].name, "destructive");
  c->dims[0].score = 0.95f;
  snprintf(c->dims[0].reason, sizeof c->dims[0].reason,
           "irreversible volume deletion on production");
  snprintf(c->dims[1].name, sizeof c->dims[1].name, "mode_violation");
  c->dims[1].score = 1.0f;
  snprintf(c->dims[1].reason, sizeof c->dims[1].reason,
           "mutating call in plan mode");
  c->n_dims = 2;
  snprintf(c->rule, sizeof c->rule, "tier.block");
  c->issued_at_ms = 1776465697170;
  c->expires_at_ms = 1776465997170;
  snprintf(c->command_id, sizeof c->command_id,
           "0123456789abcdef0123456789abcdef");
}

static void id_of(const char *session, const char *event, enum sr_action a,
                  char out[SR_COMMAND_ID_LEN + 1]) {
  struct sr_command c;
  memset(&c, 0, sizeof c);
  snprintf(c.session_id, sizeof c.session_id, "%s", session);
  snprintf(c.event_id, sizeof c.event_id, "%s", event);
  c.action = a;
  sr_command_set_id(&c);
  memcpy(out, c.command_id, SR_COMMAND_ID_LEN + 1);
}

/* ------------------------------------------------------------- actions */

START_TEST(action_names_and_parse) {
  ck_assert_str_eq(sr_action_name(SR_ACTION_NONE), "NONE");
  ck_assert_str_eq(sr_action_name(SR_ACTION_ALLOW), "ALLOW");
  ck_assert_str_eq(sr_action_name(SR_ACTION_ESCALATE), "ESCALATE");
  ck_assert_str_eq(sr_action_name(SR_ACTION_BLOCK), "BLOCK");
  ck_assert_str_eq(sr_action_name(SR_ACTION_KILL), "KILL");
  ck_assert_str_eq(sr_action_name((enum sr_action)99), "NONE");

  static const char *const words[] = {"allow", "Escalate", "BLOCK", "kIlL"};
  static const enum sr_action want[] = {SR_ACTION_ALLOW, SR_ACTION_ESCALATE,
                                        SR_ACTION_BLOCK, SR_ACTION_KILL};
  for (size_t i = 0; i < 4; i++) {
    enum sr_action a = SR_ACTION_NONE;
    ck_assert_int_eq(sr_action_parse(words[i], &a), SR_OK);
    ck_assert_int_eq(a, want[i]);
    /* name and parse are inverses */
    ck_assert_int_eq(sr_action_parse(sr_action_name(want[i]), &a), SR_OK);
    ck_assert_int_eq(a, want[i]);
  }
  /* NONE is not an action a person can configure or send. */
  static const char *const bad[] = {"NONE", "", "BLOCKED", "deny", " allow"};
  for (size_t i = 0; i < 5; i++) {
    enum sr_action a = SR_ACTION_ALLOW;
    ck_assert_int_eq(sr_action_parse(bad[i], &a), SR_EINVAL);
    ck_assert_int_eq(a, SR_ACTION_ALLOW); /* untouched */
  }
}
END_TEST

/* ------------------------------------------------------------ command id */

START_TEST(id_is_32_lowercase_hex_and_deterministic) {
  char a[33], b[33];
  id_of("sess-1", "ev-17", SR_ACTION_BLOCK, a);
  ck_assert_uint_eq(strlen(a), SR_COMMAND_ID_LEN);
  for (size_t i = 0; i < SR_COMMAND_ID_LEN; i++)
    ck_assert_msg(isdigit((unsigned char)a[i]) || (a[i] >= 'a' && a[i] <= 'f'),
                  "'%c' in %s", a[i], a);
  id_of("sess-1", "ev-17", SR_ACTION_BLOCK, b);
  ck_assert_str_eq(a, b);
  /* Pinned: ids are compared with commands issued by earlier builds (an
   * enforcer's dedupe set, the audit table), so the scheme must not drift. */
  ck_assert_str_eq(a, "875161bedea424c54f5a62e4c640646e");
}
END_TEST

START_TEST(id_differs_in_session_event_or_action) {
  char base[33], other[33];
  id_of("sess-1", "ev-17", SR_ACTION_BLOCK, base);
  id_of("sess-2", "ev-17", SR_ACTION_BLOCK, other);
  ck_assert_str_ne(base, other);
  id_of("sess-1", "ev-18", SR_ACTION_BLOCK, other);
  ck_assert_str_ne(base, other);
  for (enum sr_action a = SR_ACTION_ALLOW; a <= SR_ACTION_KILL; a++) {
    if (a == SR_ACTION_BLOCK) continue;
    id_of("sess-1", "ev-17", a, other);
    ck_assert_str_ne(base, other);
  }
  /* The boundary between session and event counts: ("ab","c") vs ("a","bc").
   */
  id_of("ab", "c", SR_ACTION_KILL, base);
  id_of("a", "bc", SR_ACTION_KILL, other);
  ck_assert_str_ne(base, other);
  /* Ids at their maximum length still hash all of their bytes. */
  char s[SR_SESSION_ID_MAX + 1], e[SR_ID_MAX + 1];
  memset(s, 's', SR_SESSION_ID_MAX);
  s[SR_SESSION_ID_MAX] = '\0';
  memset(e, 'e', SR_ID_MAX);
  e[SR_ID_MAX] = '\0';
  id_of(s, e, SR_ACTION_ESCALATE, base);
  e[SR_ID_MAX - 1] = 'f';
  id_of(s, e, SR_ACTION_ESCALATE, other);
  ck_assert_str_ne(base, other);
}
END_TEST

START_TEST(id_ignores_fields_outside_the_key) {
  /* A replay recomputes risk and timestamps identically, but the id must
   * not depend on them anyway: it names the decision, not its numbers. */
  struct sr_command c1, c2;
  sample(&c1);
  sample(&c2);
  c2.risk = 9.0;
  c2.depth = 5;
  c2.issued_at_ms = 1;
  snprintf(c2.rule, sizeof c2.rule, "other");
  sr_command_set_id(&c1);
  sr_command_set_id(&c2);
  ck_assert_str_eq(c1.command_id, c2.command_id);
}
END_TEST

/* ------------------------------------------------------------------ JSON */

START_TEST(json_exact_line) {
  struct sr_command c;
  sample(&c);
  char out[2048];
  int n = sr_command_to_json(&c, out, sizeof out);
  const char *want =
      "{\"command_id\":\"0123456789abcdef0123456789abcdef\","
      "\"session_id\":\"sess-1\",\"call_id\":\"call-volume-delete\","
      "\"action\":\"BLOCK\",\"risk\":3.142,\"depth\":2,"
      "\"dimensions\":{\"destructive\":0.950,\"mode_violation\":1.000},"
      "\"rule\":\"tier.block\","
      "\"reasons\":[\"irreversible volume deletion on production\","
      "\"mutating call in plan mode\"],"
      "\"issued_at_ms\":1776465697170,\"expires_at_ms\":1776465997170,"
      "\"event_id\":\"ev-17\"}";
  ck_assert_str_eq(out, want);
  ck_assert_int_eq(n, (int)strlen(want));
  ck_assert_ptr_null(strchr(out, '\n')); /* one line, no trailing newline */
}
END_TEST

START_TEST(json_empty_dims_and_escaping) {
  struct sr_command c;
  memset(&c, 0, sizeof c);
  snprintf(c.command_id, sizeof c.command_id, "id\"1");
  snprintf(c.session_id, sizeof c.session_id, "s\n2");
  /* call_id left empty: a session-level command */
  snprintf(c.event_id, sizeof c.event_id, "e\\3\t");
  c.action = SR_ACTION_ALLOW;
  c.risk = 0.0;
  snprintf(c.rule, sizeof c.rule, "allow");
  char out[1024];
  ck_assert_int_gt(sr_command_to_json(&c, out, sizeof out), 0);
  ck_assert_str_eq(out,
                   "{\"command_id\":\"id\\\"1\",\"session_id\":\"s\\n2\","
                   "\"call_id\":\"\",\"action\":\"ALLOW\",\"risk\":0.000,"
                   "\"depth\":0,\"dimensions\":{},\"rule\":\"allow\","
                   "\"reasons\":[],\"issued_at_ms\":0,\"expires_at_ms\":0,"
                   "\"event_id\":\"e\\\\3\\t\"}");

  /* A reason written from agent-controlled text: quotes, newline and a raw
   * control byte must not end the string or the line. */
  sample(&c);
  c.n_dims = 1;
  snprintf(c.dims[0].reason, sizeof c.dims[0].reason,
           "rm \"-rf\"\n~/ \x01\x1b[31m");
  ck_assert_int_gt(sr_command_to_json(&c, out, sizeof out), 0);
  ck_assert_ptr_nonnull(
      strstr(out, "\"reasons\":[\"rm \\\"-rf\\\"\\n~/ \\u0001\\u001b[31m\"]"));
  for (const char *p = out; *p; p++)
    ck_assert_msg((unsigned char)*p >= 0x20, "raw control byte in %s", out);
}
END_TEST

START_TEST(json_fixed_precision_is_stable) {
  /* Numbers are printed with three decimals whatever their binary noise,
   * so two equal decisions print equal bytes. */
  struct sr_command c;
  sample(&c);
  c.risk = 2.375;
  c.dims[0].score = 0.1f + 0.2f;
  char a[2048], b[2048];
  sr_command_to_json(&c, a, sizeof a);
  c.dims[0].score = 0.3f;
  sr_command_to_json(&c, b, sizeof b);
  ck_assert_str_eq(a, b);
  ck_assert_ptr_nonnull(strstr(a, "\"risk\":2.375,"));
  ck_assert_ptr_nonnull(strstr(a, "\"destructive\":0.300,"));
}
END_TEST

START_TEST(json_numbers_stay_json_whatever_their_value) {
  /* A command decoded from the control topic may carry any double (watch
   * and approve print what they read): JSON has no NaN or infinity, and a
   * huge risk must print whole, not cut short. */
  struct sr_command c;
  sample(&c);
  c.risk = NAN;
  c.dims[0].score = INFINITY;
  c.dims[1].score = -INFINITY;
  char out[4096];
  ck_assert_int_gt(sr_command_to_json(&c, out, sizeof out), 0);
  ck_assert_ptr_nonnull(strstr(out, "\"risk\":null,"));
  ck_assert_ptr_nonnull(
      strstr(out, "{\"destructive\":null,\"mode_violation\":null}"));

  c.risk = -1.5e300;
  ck_assert_int_gt(sr_command_to_json(&c, out, sizeof out), 0);
  char want[400];
  snprintf(want, sizeof want, "\"risk\":%.3f,", c.risk);
  ck_assert_uint_gt(strlen(want), 300);
  ck_assert_ptr_nonnull(strstr(out, want));
}
END_TEST

START_TEST(json_tiny_buffer_is_ebound) {
  struct sr_command c;
  sample(&c);
  char out[2048];
  int n = sr_command_to_json(&c, out, sizeof out);
  ck_assert_int_gt(n, 0);
  char small[2048];
  memset(small, 0x5a, sizeof small);
  ck_assert_int_eq(sr_command_to_json(&c, small, 16), SR_EBOUND);
  for (size_t i = 16; i < sizeof small; i++)
    ck_assert_int_eq((unsigned char)small[i], 0x5a);
  /* The NUL needs its byte too: len fails, len + 1 fits. */
  ck_assert_int_eq(sr_command_to_json(&c, small, (size_t)n), SR_EBOUND);
  ck_assert_int_eq(sr_command_to_json(&c, small, (size_t)n + 1), n);
  ck_assert_str_eq(small, out);
  ck_assert_int_eq(sr_command_to_json(&c, small, 1), SR_EBOUND);
}
END_TEST

/* ------------------------------------------------------------- protobuf */

static void assert_same(const struct sr_command *a,
                        const struct sr_command *b) {
  ck_assert_str_eq(a->command_id, b->command_id);
  ck_assert_str_eq(a->session_id, b->session_id);
  ck_assert_str_eq(a->call_id, b->call_id);
  ck_assert_str_eq(a->event_id, b->event_id);
  ck_assert_int_eq(a->action, b->action);
  ck_assert(a->risk == b->risk);
  ck_assert_uint_eq(a->depth, b->depth);
  ck_assert_uint_eq(a->n_dims, b->n_dims);
  for (uint32_t i = 0; i < a->n_dims; i++) {
    ck_assert_str_eq(a->dims[i].name, b->dims[i].name);
    ck_assert(a->dims[i].score == b->dims[i].score);
    ck_assert_str_eq(a->dims[i].reason, b->dims[i].reason);
  }
  ck_assert_str_eq(a->rule, b->rule);
  ck_assert_int_eq(a->issued_at_ms, b->issued_at_ms);
  ck_assert_int_eq(a->expires_at_ms, b->expires_at_ms);
}

START_TEST(encode_decode_round_trip) {
  struct sr_command c, d;
  sample(&c);
  sr_command_set_id(&c);
  snprintf(c.dims[2].name, sizeof c.dims[2].name, "blast_radius");
  c.dims[2].score = 0.9f;
  snprintf(c.dims[2].reason, sizeof c.dims[2].reason,
           "backups co-located \"with\" the volume\n");
  c.n_dims = 3;
  c.issued_at_ms = -5; /* negative int64 survives too */
  uint8_t buf[SR_COMMAND_PB_MAX];
  char err[256] = "";
  for (enum sr_action a = SR_ACTION_ALLOW; a <= SR_ACTION_KILL; a++) {
    c.action = a;
    int n = sr_command_encode(&c, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    memset(&d, 0x77, sizeof d); /* decode must not rely on a zeroed struct */
    ck_assert_int_eq(sr_command_decode(buf, (size_t)n, &d, err, sizeof err),
                     SR_OK);
    assert_same(&c, &d);
  }
  /* No dimensions, empty call id. */
  c.n_dims = 0;
  c.call_id[0] = '\0';
  int n = sr_command_encode(&c, buf, sizeof buf);
  ck_assert_int_gt(n, 0);
  memset(&d, 0x77, sizeof d);
  ck_assert_int_eq(sr_command_decode(buf, (size_t)n, &d, err, sizeof err),
                   SR_OK);
  assert_same(&c, &d);
}
END_TEST

/* What sr_command_encode wrote through protobuf-c's generated packer
 * before it was written by hand: the bytes must stay the same. */
static int ref_encode(const struct sr_command *cmd, uint8_t *buf, size_t cap) {
  Stackrisk__V1__ControlCommand m = STACKRISK__V1__CONTROL_COMMAND__INIT;
  Stackrisk__V1__Dimension dims[SR_DIM_MAX];
  Stackrisk__V1__Dimension *dimp[SR_DIM_MAX];
  m.command_id = (char *)cmd->command_id;
  m.session_id = (char *)cmd->session_id;
  m.call_id = (char *)cmd->call_id;
  m.action = (Stackrisk__V1__Action)cmd->action;
  m.risk = cmd->risk;
  m.depth = cmd->depth;
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    stackrisk__v1__dimension__init(&dims[i]);
    dims[i].name = (char *)cmd->dims[i].name;
    dims[i].score = cmd->dims[i].score;
    dims[i].reason = (char *)cmd->dims[i].reason;
    dimp[i] = &dims[i];
  }
  m.n_dimensions = cmd->n_dims;
  m.dimensions = dimp;
  m.rule = (char *)cmd->rule;
  m.issued_at_ms = cmd->issued_at_ms;
  m.expires_at_ms = cmd->expires_at_ms;
  m.event_id = (char *)cmd->event_id;
  m.signature.data = (uint8_t *)cmd->signature;
  m.signature.len = cmd->sig_len;
  m.batch_index = cmd->batch_index;
  m.batch_size = cmd->batch_size;
  m.batch_path.data = (uint8_t *)cmd->batch_path;
  m.batch_path.len = cmd->batch_path_len <= SR_BATCH_PATH_MAX
                         ? cmd->batch_path_len * SR_BATCH_HASH_BYTES
                         : 1;
  size_t need = stackrisk__v1__control_command__get_packed_size(&m);
  if (need > cap) return SR_EBOUND;
  return (int)stackrisk__v1__control_command__pack(&m, buf);
}

/* Encodes c both ways and compares, and checks every shorter buffer is
 * refused. */
static void same_as_protobuf_c(const struct sr_command *c, const char *what) {
  static uint8_t got[SR_COMMAND_PB_MAX], want[SR_COMMAND_PB_MAX];
  int w = ref_encode(c, want, sizeof want);
  int n = sr_command_encode(c, got, sizeof got);
  ck_assert_msg(n == w, "%s: %d bytes, protobuf-c %d", what, n, w);
  ck_assert_msg(memcmp(got, want, (size_t)n) == 0, "%s: bytes differ", what);
  for (int cap = 0; cap < n; cap += 1 + cap / 8)
    ck_assert_msg(sr_command_encode(c, got, (size_t)cap) == SR_EBOUND,
                  "%s: fits %d of %d bytes", what, cap, n);
}

START_TEST(encode_is_byte_for_byte_protobuf_c) {
  struct sr_command c;
  sample(&c);
  sr_command_set_id(&c);
  same_as_protobuf_c(&c, "sample");
  c.issued_at_ms = -5;
  c.expires_at_ms = INT64_MIN;
  same_as_protobuf_c(&c, "negative times");
  c.risk = -0.0;
  c.depth = 0;
  c.action = SR_ACTION_NONE;
  same_as_protobuf_c(&c, "zero risk, depth, action");
  c.risk = 1e300;
  c.depth = UINT32_MAX;
  c.action = SR_ACTION_KILL;
  same_as_protobuf_c(&c, "large values");
  c.call_id[0] = c.rule[0] = c.event_id[0] = c.command_id[0] = '\0';
  same_as_protobuf_c(&c, "empty strings");
  for (uint32_t k = 0; k <= SR_DIM_MAX; k++) {
    c.n_dims = k;
    for (uint32_t i = 0; i < k; i++) {
      memset(c.dims[i].name, 0, sizeof c.dims[i].name);
      memset(c.dims[i].reason, 0, sizeof c.dims[i].reason);
      /* empty, short and long (two-byte lengths) names and reasons, zero
       * and negative scores */
      memset(c.dims[i].name, 'n', (i * 7) % sizeof c.dims[i].name);
      memset(c.dims[i].reason, 'r', (i * 53) % sizeof c.dims[i].reason);
      c.dims[i].score = i % 3 == 0 ? 0.0f : (i % 3 == 1 ? 0.75f : -0.5f);
    }
    same_as_protobuf_c(&c, "dimensions");
  }
  for (uint32_t len = 0; len <= SR_BATCH_PATH_BAD; len++) {
    c.sig_len = len ? SR_SIGNATURE_BYTES : 0;
    memset(c.signature, 0xA5, sizeof c.signature);
    memset(c.batch_path, 0x5A, sizeof c.batch_path);
    c.batch_path_len = len;
    c.batch_index = len ? len - 1 : 0;
    c.batch_size = len ? 1u << (len < 7 ? len : 6) : 0;
    same_as_protobuf_c(&c, "signatures and paths");
  }
}
END_TEST

START_TEST(encode_bound) {
  struct sr_command c;
  sample(&c);
  uint8_t buf[SR_COMMAND_PB_MAX];
  int n = sr_command_encode(&c, buf, sizeof buf);
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(sr_command_encode(&c, buf, (size_t)n - 1), SR_EBOUND);
  ck_assert_int_eq(sr_command_encode(&c, buf, (size_t)n), n);

  /* The largest command there can be fits SR_COMMAND_PB_MAX. */
  memset(&c, 0, sizeof c);
  memset(c.command_id, 'a', SR_COMMAND_ID_LEN);
  memset(c.session_id, 's', SR_SESSION_ID_MAX);
  memset(c.call_id, 'c', SR_ID_MAX);
  memset(c.event_id, 'e', SR_ID_MAX);
  memset(c.rule, 'r', SR_RULE_MAX - 1);
  c.action = SR_ACTION_KILL;
  c.risk = 1e300;
  c.depth = UINT32_MAX;
  c.issued_at_ms = INT64_MIN;
  c.expires_at_ms = INT64_MAX;
  c.n_dims = SR_DIM_MAX;
  for (size_t i = 0; i < SR_DIM_MAX; i++) {
    memset(c.dims[i].name, 'n', sizeof c.dims[i].name - 1);
    memset(c.dims[i].reason, 'x', sizeof c.dims[i].reason - 1);
    c.dims[i].score = 1.0f;
  }
  n = sr_command_encode(&c, buf, sizeof buf);
  ck_assert_int_gt(n, 0);
  struct sr_command d;
  char err[128];
  ck_assert_int_eq(sr_command_decode(buf, (size_t)n, &d, err, sizeof err),
                   SR_OK);
  assert_same(&c, &d);
}
END_TEST

START_TEST(decode_garbage_is_einval_with_message) {
  struct sr_command c;
  char err[256];
  /* A field 1 string claiming 127 bytes with 3 present, then a truncated
   * varint: neither decodes. */
  static const uint8_t garbage[][6] = {{0x0a, 0x7f, 'a', 'b', 'c', 0},
                                       {0x20, 0xff, 0xff, 0xff, 0xff, 0xff}};
  static const size_t lens[] = {5, 6};
  for (size_t i = 0; i < 2; i++) {
    err[0] = '\0';
    memset(&c, 0x77, sizeof c);
    ck_assert_int_eq(
        sr_command_decode(garbage[i], lens[i], &c, err, sizeof err), SR_EINVAL);
    ck_assert_msg(strstr(err, "ControlCommand") != NULL, "err: '%s'", err);
    ck_assert_msg(strstr(err, lens[i] == 5 ? "5 bytes" : "6 bytes"),
                  "err: '%s'", err);
  }
  /* A real command cut short does not decode either. */
  struct sr_command s;
  sample(&s);
  uint8_t buf[SR_COMMAND_PB_MAX];
  int n = sr_command_encode(&s, buf, sizeof buf);
  err[0] = '\0';
  ck_assert_int_eq(sr_command_decode(buf, (size_t)n - 3, &c, err, sizeof err),
                   SR_EINVAL);
  ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(decode_bounds_hostile_input) {
  /* Whoever can write to the control topic controls these bytes: more
   * dimensions than a command holds, over-long strings and an unknown action
   * must be cut to fit, never overflow. */
  Stackrisk__V1__ControlCommand m = STACKRISK__V1__CONTROL_COMMAND__INIT;
  Stackrisk__V1__Dimension dims[SR_DIM_MAX + 6];
  Stackrisk__V1__Dimension *dimp[SR_DIM_MAX + 6];
  static char longs[4096];
  memset(longs, 'L', sizeof longs - 1);
  for (size_t i = 0; i < SR_DIM_MAX + 6; i++) {
    stackrisk__v1__dimension__init(&dims[i]);
    dims[i].name = longs;
    dims[i].reason = longs;
    dims[i].score = 0.5;
    dimp[i] = &dims[i];
  }
  m.n_dimensions = SR_DIM_MAX + 6;
  m.dimensions = dimp;
  m.session_id = longs;
  m.command_id = longs;
  m.call_id = longs;
  m.event_id = longs;
  m.rule = longs;
  m.action = (Stackrisk__V1__Action)9;
  static uint8_t buf[1 << 20];
  size_t n = stackrisk__v1__control_command__pack(&m, buf);
  ck_assert_uint_le(n, sizeof buf);

  struct sr_command c;
  char err[128];
  ck_assert_int_eq(sr_command_decode(buf, n, &c, err, sizeof err), SR_OK);
  ck_assert_uint_eq(c.n_dims, SR_DIM_MAX);
  ck_assert_uint_eq(strlen(c.session_id), SR_SESSION_ID_MAX);
  ck_assert_uint_eq(strlen(c.command_id), SR_COMMAND_ID_LEN);
  ck_assert_uint_eq(strlen(c.call_id), SR_ID_MAX);
  ck_assert_uint_eq(strlen(c.rule), SR_RULE_MAX - 1);
  ck_assert_uint_eq(strlen(c.dims[SR_DIM_MAX - 1].reason), SR_REASON_MAX - 1);
  ck_assert_uint_eq(strlen(c.dims[0].name), sizeof c.dims[0].name - 1);
  ck_assert_int_eq(c.action, SR_ACTION_NONE);
}
END_TEST

int main(void) {
  Suite *s = suite_create("command");
  TCase *tc = tcase_create("actions_and_ids");
  tcase_add_test(tc, action_names_and_parse);
  tcase_add_test(tc, id_is_32_lowercase_hex_and_deterministic);
  tcase_add_test(tc, id_differs_in_session_event_or_action);
  tcase_add_test(tc, id_ignores_fields_outside_the_key);
  suite_add_tcase(s, tc);
  tc = tcase_create("json");
  tcase_add_test(tc, json_exact_line);
  tcase_add_test(tc, json_numbers_stay_json_whatever_their_value);
  tcase_add_test(tc, json_empty_dims_and_escaping);
  tcase_add_test(tc, json_fixed_precision_is_stable);
  tcase_add_test(tc, json_tiny_buffer_is_ebound);
  suite_add_tcase(s, tc);
  tc = tcase_create("protobuf");
  tcase_add_test(tc, encode_decode_round_trip);
  tcase_add_test(tc, encode_bound);
  tcase_add_test(tc, encode_is_byte_for_byte_protobuf_c);
  tcase_add_test(tc, decode_garbage_is_einval_with_message);
  tcase_add_test(tc, decode_bounds_hostile_input);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
