/*
 * The worker's pending run of commands (aggregator/worker.c): commands are
 * signed SR_BATCH_MAX at a time as they come, and a flush hands the whole
 * run to the real producer, encoded in parts when it does not fit the
 * encode area at once. Checked on the embedded broker: every command
 * arrives exactly once, each session's in order, each batch whole and
 * verifying with the public key.
 *
 * The test includes worker.c to reach its statics (STYLE.md).
 */
#include "aggregator/worker.c"

#include <check.h>
#include <sys/stat.h>

#include "../../integration/harness.h"
#include "core/engine.h"

#define SESSIONS 5

/* A command as large as they come: every dimension with a full reason, so
 * a run needs several parts of the encode area. */
static void big_command(struct sr_command *c, size_t i) {
  memset(c, 0, sizeof *c);
  snprintf(c->session_id, sizeof c->session_id, "sess-%zu", i % SESSIONS);
  snprintf(c->call_id, sizeof c->call_id, "call-%zu", i);
  snprintf(c->event_id, sizeof c->event_id, "ev-%zu", i);
  c->action = SR_ACTION_ESCALATE;
  sr_command_set_id(c);
  c->risk = 1.5;
  c->depth = 3;
  snprintf(c->rule, sizeof c->rule, "tier.escalate");
  c->issued_at_ms = h_wall_ms();
  c->expires_at_ms = c->issued_at_ms + 600000;
  c->n_dims = SR_DIM_MAX;
  for (size_t d = 0; d < SR_DIM_MAX; d++) {
    snprintf(c->dims[d].name, sizeof c->dims[d].name, "dim-%zu", d);
    c->dims[d].score = 0.5f;
    memset(c->dims[d].reason, 'a' + (int)(d % 26), SR_REASON_MAX - 1);
  }
}

START_TEST(a_run_of_batches_is_published_whole_and_in_order) {
  char err[512], dir[64], key[96], pub[96];
  snprintf(dir, sizeof dir, "/tmp/stackrisk-worker-ut-%d", (int)getpid());
  mkdir(dir, 0700);
  snprintf(key, sizeof key, "%s/signing.key", dir);
  snprintf(pub, sizeof pub, "%s/signing.pub", dir);
  ck_assert_int_eq(sr_sign_keygen(key, pub, err, sizeof err), SR_OK);
  struct sr_signer *signer = sr_signer_load(key, err, sizeof err);
  struct sr_verifier *verifier = sr_verifier_load(pub, err, sizeof err);
  ck_assert_ptr_nonnull(signer);
  ck_assert_ptr_nonnull(verifier);
  const char *topics[] = {"ut.control", "ut.dlq"};
  struct sr_broker *broker = sr_broker_create(1, topics, 2, 4, err, sizeof err);
  ck_assert_msg(broker, "%s", err);
  const char *brokers = sr_broker_bootstraps(broker);
  struct sr_producer *producer =
      sr_producer_create(brokers, NULL, 1, err, sizeof err);
  ck_assert_msg(producer, "%s", err);
  struct sr_engine *engine = sr_engine_create(NULL, err, sizeof err);
  ck_assert_msg(engine, "%s", err);
  struct sr_worker_opts wo = {
      .dets = engine->dets,
      .policy = engine->policy,
      .producer = producer,
      .signer = signer,
      .control_topic = "ut.control",
      .dlq_topic = "ut.dlq",
  };
  struct sr_worker *w = sr_worker_create(&wo, err, sizeof err);
  ck_assert_msg(w, "%s", err);

  /* As run() does: each full batch signed as soon as it is there; the
   * last one, partial, at the flush. */
  const size_t total = RUN_MAX - 10;
  for (size_t i = 0; i < total; i++) {
    big_command(&w->batch[w->n_batch++], i);
    if (w->n_batch - w->n_signed == SR_BATCH_MAX) sign_rest(w);
  }
  uint8_t pb[SR_COMMAND_PB_MAX];
  int one = sr_command_encode(&w->batch[0], pb, sizeof pb);
  ck_assert_int_gt(one, 0);
  ck_assert_msg((size_t)one * total > sizeof w->pb - SR_COMMAND_PB_MAX,
                "the run must need more than one part of the encode area");
  flush(w);
  ck_assert_uint_eq(w->n_batch, 0);
  ck_assert_int_eq(sr_producer_flush(producer, 10000), SR_OK);

  rd_kafka_t *reader = h_reader(brokers, "ut.control");
  ck_assert_ptr_nonnull(reader);
  static bool seen[RUN_MAX];
  long long last[SESSIONS];
  for (size_t s = 0; s < SESSIONS; s++) last[s] = -1;
  size_t got = 0;
  long long deadline = h_now_ms() + 20000;
  while (got < total && h_now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(reader, 100);
    if (!m) continue;
    if (m->err) {
      rd_kafka_message_destroy(m);
      continue;
    }
    struct sr_command c;
    char why[256];
    ck_assert_int_eq(sr_command_decode(m->payload, m->len, &c, err, sizeof err),
                     SR_OK);
    rd_kafka_message_destroy(m);
    ck_assert_msg(sr_verifier_check(verifier, &c, NULL, NULL, h_wall_ms(), why,
                                    sizeof why) == SR_SIG_OK,
                  "%s", why);
    size_t i = (size_t)atoll(c.call_id + strlen("call-"));
    ck_assert_uint_lt(i, total);
    ck_assert_msg(!seen[i], "call-%zu twice", i);
    seen[i] = true;
    ck_assert_msg((long long)i > last[i % SESSIONS], "call-%zu after %lld", i,
                  last[i % SESSIONS]);
    last[i % SESSIONS] = (long long)i;
    /* Batches of SR_BATCH_MAX in run order, the partial one last. */
    ck_assert_uint_eq(c.batch_index, i % SR_BATCH_MAX);
    ck_assert_uint_eq(c.batch_size, i / SR_BATCH_MAX < total / SR_BATCH_MAX
                                        ? SR_BATCH_MAX
                                        : total % SR_BATCH_MAX);
    got++;
  }
  ck_assert_uint_eq(got, total);
  rd_kafka_consumer_close(reader);
  rd_kafka_destroy(reader);
  sr_worker_destroy(w);
  sr_engine_destroy(engine);
  sr_producer_destroy(producer, 10000);
  sr_broker_destroy(broker);
  sr_verifier_destroy(verifier);
  sr_signer_destroy(signer);
  unlink(key);
  unlink(pub);
  rmdir(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("worker");
  TCase *tc = tcase_create("worker");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, a_run_of_batches_is_published_whole_and_in_order);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
