/*
 * Repartition encoding: every event an OTLP message maps to, re-encoded as
 * stackrisk.v1.Event, decodes with the native decoder to the same event,
 * event id included (a replay yields the same ids), and routes by its
 * session id.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "ingest/decode.h"
#include "ingest/repartition.h"

#ifndef SR_TEST_DATA
#define SR_TEST_DATA "tests/data"
#endif

static bool same(sr_str a, sr_str b) { return sr_str_eq(a, b); }

static bool same_list(const struct sr_str_list *a,
                      const struct sr_str_list *b) {
  if (a->n != b->n) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (!same(a->v[i], b->v[i])) return false;
  return true;
}

static void round_trip(const char *file) {
  char err[512], path[512];
  static uint8_t buf[1 << 16];
  snprintf(path, sizeof path, "%s/otlp/%s", SR_TEST_DATA, file);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  struct sr_otlp_config cfg;
  ck_assert_int_eq(sr_otlp_config_read(NULL, &cfg, err, sizeof err), 0);
  struct sr_otlp_decoder *dec = sr_otlp_decoder_create(&cfg, err, sizeof err);
  struct sr_arena *arena = sr_arena_create(4 << 20);
  struct sr_arena *back = sr_arena_create(1 << 20);
  struct sr_otlp_batch b;
  struct sr_decode_opts opts = {0, 0};
  ck_assert_int_eq(
      sr_otlp_decode(dec, buf, len, &opts, arena, &b, err, sizeof err), 0);
  ck_assert_uint_gt(b.n_events, 0);
  for (size_t i = 0; i < b.n_events; i++) {
    const struct sr_event *x = b.events[i];
    sr_str pb;
    ck_assert_int_eq(sr_repartition_encode(x, arena, &pb), 0);
    struct sr_event y;
    sr_arena_reset(back);
    ck_assert_msg(sr_decode_protobuf(pb.p, pb.n, &opts, back, &y, err,
                                     sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(x->type, y.type);
    ck_assert(same(x->session_id, y.session_id));
    ck_assert(same(x->event_id, y.event_id));
    ck_assert_int_eq(x->ts_ms, y.ts_ms);
    ck_assert(y.ts_given);
    ck_assert(same(x->agent_id, y.agent_id));
    ck_assert(same(x->parent_agent_id, y.parent_agent_id));
    ck_assert(same(x->task, y.task));
    ck_assert_int_eq(x->mode, y.mode);
    ck_assert(same(x->environment, y.environment));
    ck_assert(same_list(&x->scope_environments, &y.scope_environments));
    ck_assert(same_list(&x->scope_domains, &y.scope_domains));
    ck_assert_int_eq(x->phase, y.phase);
    ck_assert(same(x->call_id, y.call_id));
    ck_assert(same(x->tool, y.tool));
    ck_assert(same(x->arguments, y.arguments));
    ck_assert(same(x->result, y.result));
    ck_assert(same(x->credential.id, y.credential.id));
    ck_assert(same(x->role, y.role));
    ck_assert(same(x->text, y.text));
    /* The stateful stage routes it by the same session. */
    char scratch[SR_SESSION_ID_MAX];
    sr_str sid;
    ck_assert_int_eq(sr_decode_peek_session(pb.p, pb.n, scratch, &sid), 0);
    ck_assert(same(sid, x->session_id));
  }
  sr_arena_destroy(back);
  sr_arena_destroy(arena);
  sr_otlp_decoder_destroy(dec);
}

START_TEST(genai_events_round_trip) { round_trip("pocketos_genai.bin"); }
END_TEST

START_TEST(openinference_events_round_trip) {
  round_trip("twin_openinference.json");
}
END_TEST

/* x re-encoded, then decoded into y; both in a. */
static void encode_decode(const struct sr_event *x, struct sr_arena *a,
                          struct sr_event *y) {
  sr_str pb;
  char err[256];
  ck_assert_int_eq(sr_repartition_encode(x, a, &pb), 0);
  ck_assert_msg(
      sr_decode_protobuf(pb.p, pb.n, NULL, a, y, err, sizeof err) == 0, "%s",
      err);
}

START_TEST(every_field_round_trips) {
  struct sr_event x = {0};
  x.type = SR_EV_TOOL_CALL;
  x.session_id = SR_STR_LIT("s");
  x.event_id = SR_STR_LIT("e");
  x.ts_ms = 5;
  x.ts_given = true;
  x.phase = SR_PHASE_REQUESTED;
  x.tool = SR_STR_LIT("Bash");
  x.target = (struct sr_target){SR_STR_LIT("vol-1"), SR_STR_LIT("volume"),
                                SR_STR_LIT("production"),
                                SR_BACKUPS_CO_LOCATED};
  x.credential.id = SR_STR_LIT("tok");
  x.credential.purpose = SR_STR_LIT("deploys");
  x.credential.scopes = (struct sr_str_list){{SR_STR_LIT("*")}, 1};
  x.credential.scopes_given = true;
  x.estimate = (struct sr_estimate){3, 60, 0.5, true};
  x.want_verdict = true;
  /* a step's cost travels with it: the stateful stage's planning_fallacy
   * sums it */
  x.cost_usd = 0.042;
  struct sr_arena *a = sr_arena_create(1 << 16);
  struct sr_event y;
  encode_decode(&x, a, &y);
  ck_assert(same(y.target.id, x.target.id) && same(y.target.kind, x.target.kind));
  ck_assert_int_eq(y.target.backups, SR_BACKUPS_CO_LOCATED);
  ck_assert(same(y.credential.purpose, x.credential.purpose));
  ck_assert(y.credential.scopes_given && y.credential.scopes.n == 1);
  ck_assert(y.estimate.present && y.estimate.steps == 3);
  ck_assert(y.want_verdict);
  ck_assert_double_eq(y.cost_usd, 0.042);
  sr_arena_destroy(a);
}
END_TEST

int main(void) {
  Suite *s = suite_create("repartition");
  TCase *tc = tcase_create("encode");
  tcase_add_test(tc, genai_events_round_trip);
  tcase_add_test(tc, openinference_events_round_trip);
  tcase_add_test(tc, every_field_round_trips);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
