/*
 * libFuzzer harness for the native event decoders (ingest/decode.c,
 * decode_json.c, decode_protobuf.c) and the consumer's session peek: bytes
 * of one Kafka message, JSON line or protobuf stackrisk.v1.Event, as any
 * producer may send them.
 *
 * Besides "no crash, no leak, no sanitizer report" it checks what the
 * pipeline relies on:
 *  - a decoded event's views lie in the input or in the used part of the
 *    arena;
 *  - the same bytes decode twice to the same event (or the same error);
 *  - sr_decode_event gives what the decoder for the sniffed wire form
 *    gives;
 *  - when the full decode succeeds, the router's peek finds the same
 *    session id (else two workers would touch one session);
 *  - the event re-encoded as protobuf (sr_repartition_encode, the OTLP
 *    stage's form) decodes back to the same event, and no string of it
 *    holds a NUL byte, which both decoders refuse.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ingest/decode.h"
#include "ingest/repartition.h"
#include "tests/fuzz/fuzz_util.h"

static struct sr_arena *arena_a, *arena_b, *arena_c;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* As a worker sizes its arena for the default message bound. */
  arena_a = sr_arena_create(4 * SR_MESSAGE_MAX_DEFAULT + (1u << 20));
  arena_b = sr_arena_create(4 * SR_MESSAGE_MAX_DEFAULT + (1u << 20));
  arena_c = sr_arena_create(4 * SR_MESSAGE_MAX_DEFAULT + (1u << 20));
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct sr_event ev, ev2, ev3;
  char err[512], err2[512], err3[512];
  const struct sr_decode_opts opts = {0, 0};

  const char *base = fz_arena_base(arena_a);
  err[0] = '\0';
  int rc = sr_decode_event(data, size, &opts, arena_a, &ev, err, sizeof err);
  FZ_CHECK(rc == 0 || rc == SR_EINVAL || rc == SR_EBOUND || rc == SR_ENOMEM,
           "rc %d", rc);
  FZ_CHECK(rc == 0 || err[0] != '\0', "failure %d without a reason", rc);
  if (rc == 0) {
    fz_event_views(&ev, data, size, base, sr_arena_used(arena_a));
    FZ_CHECK(ev.type != SR_EV_NONE, "no type");
    FZ_CHECK(ev.session_id.n > 0 && ev.session_id.n <= SR_SESSION_ID_MAX,
             "session id of %zu bytes", ev.session_id.n);
    FZ_CHECK(ev.event_id.n > 0, "no event id");
    FZ_CHECK(ev.cost_usd >= 0, "negative cost");
    FZ_CHECK(ev.raw.p == (const char *)data && ev.raw.n == size, "raw");
  }

  /* Same bytes, same answer, through the decoder of the sniffed form
   * (whose failure sr_decode_event may reword for text that is not JSON). */
  const bool json = sr_decode_sniff(data, size) == SR_WIRE_JSON;
  const char *base_b = fz_arena_base(arena_b);
  err2[0] = '\0';
  int rc2 =
      json ? sr_decode_json(data, size, &opts, arena_b, &ev2, err2, sizeof err2)
           : sr_decode_protobuf(data, size, &opts, arena_b, &ev2, err2,
                                sizeof err2);
  FZ_CHECK(rc == rc2, "sr_decode_event %d, decoder of the form %d", rc, rc2);
  if (rc == 0) {
    fz_event_views(&ev2, data, size, base_b, sr_arena_used(arena_b));
    const char *d = fz_event_diff(&ev, &ev2);
    FZ_CHECK(d == NULL, "decoded twice, field '%s' differs", d);
  } else if (json) {
    FZ_CHECK(strcmp(err, err2) == 0, "reasons differ: '%s' / '%s'", err, err2);
  }

  /* The router agrees with the full decode on the session. */
  char scratch[SR_SESSION_ID_MAX];
  sr_str sid = SR_STR_NULL;
  int prc = sr_decode_peek_session(data, size, scratch, &sid);
  FZ_CHECK(prc == SR_OK || prc == SR_ENOTFOUND, "peek rc %d", prc);
  if (prc == SR_OK) {
    FZ_CHECK(sid.n > 0 && sid.n <= SR_SESSION_ID_MAX, "peeked %zu bytes",
             sid.n);
    /* In the input, or unescaped into the scratch. */
    fz_view("peeked session", sid, data, size, scratch, sizeof scratch);
  }
  if (rc == 0) {
    FZ_CHECK(prc == SR_OK, "decoded session '%.*s' but the peek found none",
             (int)ev.session_id.n, ev.session_id.p);
    FZ_CHECK(sr_str_eq(sid, ev.session_id),
             "peek found another session than the decoder");
  }

  /* Neither decoder lets a NUL in (ids are copied into C strings), and
   * re-encoded as the repartition stage does, the event decodes back the
   * same. */
  if (rc == 0) {
    FZ_CHECK(!fz_event_has_nul(&ev), "a decoded event holds a NUL byte");
    sr_str pb;
    sr_arena_reset(arena_c);
    FZ_CHECK(sr_repartition_encode(&ev, arena_c, &pb) == 0, "encode");
    err3[0] = '\0';
    int rc3 =
        sr_decode_event(pb.p, pb.n, &opts, arena_b, &ev3, err3, sizeof err3);
    FZ_CHECK(rc3 == 0, "re-encoded event does not decode: %s", err3);
    /* The wire cannot tell an empty scope list from none, and an event
     * without a credential id carries no credential. */
    if (ev.credential.scopes.n == 0)
      ev3.credential.scopes_given = ev.credential.scopes_given;
    if (ev.credential.id.n == 0) ev3.credential = ev.credential;
    const char *d = fz_event_diff(&ev, &ev3);
    FZ_CHECK(d == NULL, "re-encoded event differs in '%s'", d);
  }
  return 0;
}
