/*
 * The body of the OTLP harnesses (fuzz_otlp_proto.c, fuzz_otlp_json.c): one
 * message of the otlp_spans topic, as the Collector's Kafka exporter (or
 * anyone who can write to that topic) sends it, through sr_otlp_decode and
 * the span → event mapping, then through what the repartition stage does
 * with the result: each event re-encoded as stackrisk.v1.Event (which the
 * stateful stage decodes, and which must give back the same event: the
 * stage must lose nothing), each rejected span cut out for the dead-letter
 * topic (which must decode again as one span).
 *
 * Checked besides sanitizer reports: the reason of every failure is set;
 * events are sorted by time, have a type, a bounded session id and an
 * event id, and their views lie in the input or the used arena; the same
 * bytes map twice to the same events.
 */
#ifndef SR_FUZZ_OTLP_BODY_H
#define SR_FUZZ_OTLP_BODY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/config.h"
#include "ingest/decode.h"
#include "ingest/otlp.h"
#include "ingest/repartition.h"
#include "tests/fuzz/fuzz_util.h"

/* Token prices on, so spans with tokens and no cost are priced. */
static const char fz_otlp_yaml[] =
    "otlp:\n"
    "  token_prices:\n"
    "    claude-sonnet-4*: {input: 3.0, output: 15.0}\n"
    "    \"*\": {input: 1.0, output: 4.0}\n";

static struct sr_conf *fz_conf;
static struct sr_otlp_config fz_cfg;
static struct sr_otlp_decoder *fz_dec;
static struct sr_arena *fz_arena, *fz_arena2, *fz_scratch;

/* The bound of tests/data/integration/otlp.yaml: max_message_bytes 65536,
 * and the repartition stage's arena for it. */
#define FZ_OTLP_MAX 65536

static int fz_otlp_init(void) {
  char err[512];
  fz_conf = sr_conf_load_string(fz_otlp_yaml, "fuzz.yaml", err, sizeof err);
  FZ_CHECK(fz_conf, "%s", err);
  FZ_CHECK(sr_otlp_config_read(sr_conf_get(sr_conf_root(fz_conf), "otlp"),
                               &fz_cfg, err, sizeof err) == 0,
           "%s", err);
  fz_dec = sr_otlp_decoder_create(&fz_cfg, err, sizeof err);
  FZ_CHECK(fz_dec, "%s", err);
  fz_arena = sr_arena_create(16 * FZ_OTLP_MAX + (1u << 20));
  fz_arena2 = sr_arena_create(16 * FZ_OTLP_MAX + (1u << 20));
  fz_scratch = sr_arena_create(16 * FZ_OTLP_MAX + (1u << 20));
  return 0;
}

static void fz_otlp_one(const uint8_t *data, size_t size) {
  const struct sr_decode_opts opts = {FZ_OTLP_MAX, 1700000000000LL};
  struct sr_otlp_batch b, b2;
  char err[512], err2[512];

  const char *base = fz_arena_base(fz_arena);
  err[0] = '\0';
  int rc =
      sr_otlp_decode(fz_dec, data, size, &opts, fz_arena, &b, err, sizeof err);
  FZ_CHECK(rc == 0 || rc == SR_EINVAL || rc == SR_EBOUND || rc == SR_ENOMEM,
           "rc %d", rc);
  FZ_CHECK(rc == 0 || err[0] != '\0', "failure %d without a reason", rc);

  fz_arena_base(fz_arena2);
  err2[0] = '\0';
  int rc2 = sr_otlp_decode(fz_dec, data, size, &opts, fz_arena2, &b2, err2,
                           sizeof err2);
  FZ_CHECK(rc == rc2, "decoded twice: %d then %d", rc, rc2);
  if (rc) {
    FZ_CHECK(strcmp(err, err2) == 0, "reasons differ: '%s' / '%s'", err, err2);
    return;
  }
  FZ_CHECK(b.n_events == b2.n_events && b.n_rejects == b2.n_rejects &&
               b.n_spans == b2.n_spans && b.n_ignored == b2.n_ignored,
           "decoded twice: other counts");

  size_t used = sr_arena_used(fz_arena);
  for (size_t i = 0; i < b.n_events; i++) {
    const struct sr_event *ev = b.events[i];
    FZ_CHECK(ev->type != SR_EV_NONE, "event %zu: no type", i);
    FZ_CHECK(ev->session_id.n > 0 && ev->session_id.n <= SR_SESSION_ID_MAX,
             "event %zu: session id of %zu bytes", i, ev->session_id.n);
    FZ_CHECK(ev->event_id.n > 0, "event %zu: no event id", i);
    FZ_CHECK(i == 0 || b.events[i - 1]->ts_ms <= ev->ts_ms,
             "events not sorted by time at %zu", i);
    fz_event_views(ev, data, size, base, used);
    const char *d = fz_event_diff(ev, b2.events[i]);
    FZ_CHECK(d == NULL, "event %zu decoded twice differs in '%s'", i, d);

    /* What the repartition stage publishes, and the stateful stage reads. */
    sr_str pb;
    sr_arena_reset(fz_scratch);
    if (sr_repartition_encode(ev, fz_scratch, &pb)) continue; /* arena */
    struct sr_event back;
    char err3[512] = "";
    int rc3 = sr_decode_event(pb.p, pb.n, &opts, fz_scratch, &back, err3,
                              sizeof err3);
    FZ_CHECK(rc3 == 0, "event %zu: repartitioned event does not decode: %s", i,
             err3);
    if (ev->credential.scopes.n == 0)
      back.credential.scopes_given = ev->credential.scopes_given;
    /* proto3 cannot tell ts_ms 0 (a span in the first millisecond of
     * 1970) from none: the stateful stage takes its fallback then. */
    if (ev->ts_ms == 0 && back.ts_ms == opts.fallback_ts_ms) back.ts_ms = 0;
    d = fz_event_diff(ev, &back);
    FZ_CHECK(d == NULL, "event %zu: repartitioned event differs in '%s'", i, d);
  }
  for (size_t i = 0; i < b.n_rejects; i++) {
    FZ_CHECK(b.rejects[i].span < b.n_spans, "reject %zu: span %u of %zu", i,
             b.rejects[i].span, b.n_spans);
    FZ_CHECK(b.rejects[i].reason && b.rejects[i].reason[0],
             "reject %zu without a reason", i);
    /* Cut out for the dead-letter topic: one span, which decodes again. */
    sr_str one;
    sr_arena_reset(fz_scratch);
    if (sr_otlp_encode_span(&b, b.rejects[i].span, fz_scratch, &one)) continue;
    struct sr_otlp_batch b3;
    char err3[512] = "";
    const struct sr_decode_opts big = {0, opts.fallback_ts_ms};
    int rc3 = sr_otlp_decode(fz_dec, one.p, one.n, &big, fz_scratch, &b3, err3,
                             sizeof err3);
    FZ_CHECK(rc3 == 0 || rc3 == SR_ENOMEM,
             "reject %zu: the dead letter does not decode: %s", i, err3);
    if (rc3 == 0)
      FZ_CHECK(b3.n_spans == 1, "reject %zu: dead letter of %zu spans", i,
               b3.n_spans);
  }
}

#endif
