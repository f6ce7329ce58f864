/*
 * loop: the same or near-same call repeated within a window.
 *
 * An agent stuck in a retry loop repeats one call with at most a counter,
 * a timestamp or a port changed; a mutating one (a DELETE, a deploy, a
 * payment) repeated does the damage again each time. Each requested call
 * (or call without a phase) gets a near-same key: an XXH3 hash of the tool
 * name and the first 512 bytes of its arguments with every digit read as
 * '0' (counters, ports, timestamps, ids of one width). The session remembers the last 16 calls (key, call id hash,
 * event time, mutating, failed); a FAILED event marks its call.
 *
 * Score of a call whose key occurs n times within window_s (this one
 * included), for n >= min_repeats:
 *     0.5 + 0.5 * (n - min_repeats) / (max_repeats - min_repeats), <= 1
 *   x read_factor (0.5) when the call does not mutate: polling is normal;
 *   + failed_bonus (0.2) when two or more of the repeats failed: a retry
 *     that cannot succeed;
 *   x backoff_factor (0.3) when the gaps between repeats keep growing by
 *     half or more: a poll with backoff is a loop that knows it is one.
 * With the defaults, a status check polled 4 times scores 0.25 (below the
 * default threshold 0.3), a mutating call repeated 4 times 0.5.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/bytes16.h"
#include "detectors/helpers.h"

#define RING 16
#define KEY_BYTES 512

#define F_MUT 1u
#define F_FAILED 2u

/* The last RING calls, oldest at `next` once full. Invariant: n <= RING;
 * entries hold event times, which never go backwards within a session
 * (the aggregator clamps them). */
struct state {
  /* What every call reads first: the ring's place and the keys. Sessions
   * are many and this is read on every call: one or two cache lines. */
  uint8_t next, n;
  uint8_t flags[RING];
  uint32_t key[RING];
  uint32_t call[RING];
  int64_t ts[RING];
};

struct ctx {
  int64_t window_ms;
  long long min_repeats, max_repeats;
  float read_factor, failed_bonus, backoff_factor;
};

static const char *const allowed_keys[] = {
    "enabled",     "weight",      "threshold",    "half_life_s",
    "window_s",    "min_repeats", "max_repeats",  "read_factor",
    "failed_bonus", "backoff_factor", NULL};

static void *loop_init(const struct sr_conf_node *section, char *err,
                       size_t errlen) {
  double window;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "loop: out of memory");
    return NULL;
  }
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_conf_get_double(section, "window_s", 120.0, 1.0, 86400.0, &window,
                         err, errlen) != 0 ||
      sr_conf_get_int(section, "min_repeats", 4, 2, RING, &c->min_repeats, err,
                      errlen) != 0 ||
      sr_conf_get_int(section, "max_repeats", 10, 2, RING, &c->max_repeats,
                      err, errlen) != 0 ||
      sr_detector_conf_score(section, "read_factor", 0.5, &c->read_factor, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "failed_bonus", 0.2, &c->failed_bonus,
                             err, errlen) != 0 ||
      sr_detector_conf_score(section, "backoff_factor", 0.3,
                             &c->backoff_factor, err, errlen) != 0) {
    free(c);
    return NULL;
  }
  if (c->max_repeats <= c->min_repeats) {
    sr_conf_error(sr_conf_get(section, "max_repeats"), err, errlen,
                  "loop: max_repeats (%lld) must be greater than min_repeats "
                  "(%lld)",
                  c->max_repeats, c->min_repeats);
    free(c);
    return NULL;
  }
  c->window_ms = (int64_t)(window * 1000.0 + 0.5);
  return c;
}

static void loop_destroy(void *ctx) {
  free(ctx);
}

#if defined(__SSE2__)
/* out[0..16) = in[0..16) with every digit read as '0'. */
static inline void zero_digits16(const char *in, char *out) {
  const __m128i zero = _mm_set1_epi8('0');
  __m128i v = sr_bytes16_load(in);
  __m128i d = sr_bytes16_digit_lanes(v);
  v = _mm_or_si128(_mm_andnot_si128(d, v), _mm_and_si128(d, zero));
  _mm_storeu_si128((__m128i *)out, v);
}
#endif

/* Hash of tool + arguments with every digit read as '0': "retry 3" and
 * "retry 4", or two timestamps, give the same key. Sixteen bytes at a time
 * where SSE2 is there, the last sixteen overlapping the ones before (the
 * same bytes in, the same bytes out): this runs on every requested call. */
static uint32_t near_key(const struct sr_event *ev) {
  char buf[KEY_BYTES];
  size_t n = SR_MIN(ev->arguments.n, (size_t)KEY_BYTES);
  const char *p = ev->arguments.p;
  size_t i = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    for (; i + 16 <= n; i += 16) zero_digits16(p + i, buf + i);
    if (i < n) zero_digits16(p + n - 16, buf + n - 16);
    i = n;
  }
#endif
  for (; i < n; i++) {
    char c = p[i];
    buf[i] = (c >= '0' && c <= '9') ? '0' : c;
  }
  uint64_t seed = ev->tool.n ? XXH3_64bits(ev->tool.p, ev->tool.n) : 0;
  return (uint32_t)XXH3_64bits_withSeed(buf, n, seed);
}

static void mark_failed(struct state *st, sr_str call_id) {
  uint32_t h = sr_det_id_hash(call_id);
  if (!h) return;
  for (size_t i = 0; i < st->n; i++)
    if (st->call[i] == h) st->flags[i] |= F_FAILED;
}

static float loop_score(const void *ctx, void *thread_scratch,
                        const struct sr_detect_input *in, void *session_scratch,
                        char *reason, size_t reasonlen) {
  (void)thread_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  struct state *st = session_scratch;
  if (ev->type != SR_EV_TOOL_CALL) return 0;
  if (ev->phase == SR_PHASE_FAILED) {
    mark_failed(st, ev->call_id);
    return 0;
  }
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;

  sr_det_prefetch(st, sizeof *st); /* loads while the key is hashed */
  uint32_t key = near_key(ev);
  int64_t now = ev->ts_ms;
  /* Matching earlier calls in time order (the ring's oldest first). */
  int64_t when[RING + 1];
  size_t m = 0, failed = 0;
  size_t start = st->n < RING ? 0 : st->next;
  /* The matches by age (keys seldom match: only they are visited): bit j
   * for the entry j places after the oldest. */
  _Static_assert(RING == 16, "a ring of 16 (sr_det_ring16_matches)");
  uint32_t hits = sr_det_ring16_matches(st->key, st->n, key);
  hits = (hits >> start | hits << (RING - start)) & ((1u << RING) - 1);
  for (; hits; hits &= hits - 1) {
    size_t i = (start + (size_t)__builtin_ctz(hits)) % RING;
    if (now - st->ts[i] > c->window_ms) continue;
    when[m++] = st->ts[i];
    failed += (st->flags[i] & F_FAILED) != 0;
  }
  when[m++] = now;

  size_t slot = st->next;
  st->key[slot] = key;
  st->ts[slot] = now;
  st->call[slot] = sr_det_id_hash(ev->call_id);
  st->flags[slot] = in->op->mutating ? F_MUT : 0;
  st->next = (uint8_t)((st->next + 1) % RING);
  if (st->n < RING) st->n++;

  if ((long long)m < c->min_repeats) return 0;
  float span = (float)(c->max_repeats - c->min_repeats);
  float score = 0.5f + 0.5f * (float)((long long)m - c->min_repeats) / span;
  if (score > 1) score = 1;
  if (!in->op->mutating) score *= c->read_factor;
  if (failed >= 2) score += c->failed_bonus;
  /* Backoff: each of the last gaps at least 1.5x the one before. */
  bool backoff = m >= 4;
  for (size_t i = m >= 4 ? m - 3 : m; i + 1 < m && backoff; i++) {
    int64_t g0 = when[i] - when[i - 1], g1 = when[i + 1] - when[i];
    backoff = g0 > 0 && g1 * 2 >= g0 * 3;
  }
  if (backoff) score *= c->backoff_factor;
  if (score > 1) score = 1;
  if (!(score > 0) || score < in->reason_floor) return score;

  double secs = (double)(now - when[0]) / 1000.0;
  char extra[48] = "";
  if (failed)
    snprintf(extra, sizeof extra, ", %zu of them failed", failed);
  snprintf(reason, reasonlen,
           "%s%.*s call repeated %zu times in %.0f s with the same arguments "
           "(numbers aside)%s%s",
           in->op->mutating ? "mutating " : "", SR_SV(ev->tool, 48), m, secs,
           extra, backoff ? ", backing off" : "");
  return score;
}

const struct sr_detector sr_detector_loop = {
    .version = SR_DETECTOR_VERSION,
    .name = "loop",
    .description = "the same or near-same call repeated within a window",
    .session_size = sizeof(struct state),
    .init = loop_init,
    .score = loop_score,
    .destroy = loop_destroy,
    .kinds = SR_KIND_CALL_REQUESTED | SR_KIND_CALL_FAILED,
};
