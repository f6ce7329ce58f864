/*
 * secret_exposure: keys, tokens, passwords and connection strings in tool
 * arguments or results, and a secret read in one call sent out in a later
 * one.
 *
 * Finding is secrets.c's job (one Hyperscan scan for markers, validators in
 * C, placeholders such as `sk-...` or `password=<redacted>` rejected). This
 * file decides what a find means:
 *   - in the arguments of a requested call: the secret is being handed to a
 *     tool, maybe to a log or a remote end            -> in_arguments 0.7
 *   - in the result of a completed call: the secret is now in the agent's
 *     context                                          -> in_result 0.5
 *   - a value from an earlier result reappears in a later call's
 *     arguments: with a URL host the session did not declare (any of the
 *     URLs there)                                      -> sent_out 0.95
 *     (only declared scope domains, or no host: reused 0.6)
 * Arguments are scanned when a call is requested (or has no phase), results
 * when it completes; a FAILED event carries nothing new. At most scan_bytes
 * of each text are read.
 *
 * Memory per session (under 400 bytes, no pointers): up to 6 secrets seen
 * in results, each as a 32-bit fingerprint of its first 12 bytes (a mixed
 * polynomial hash: it cannot give the value back, and a short prefix cannot
 * be brute-forced from 32 bits) with its kind and where it came from; and
 * the paths of the last 4 file-reading calls, so "read from .env" can be
 * said when the result arrives. Later arguments are checked against the
 * fingerprints with a rolling hash, only in sessions that hold one.
 *
 * Reasons name the kind and where, never the value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/helpers.h"
#include "detectors/secrets.h"

#define HELD_MAX 6
#define PEND_MAX 4
#define WIN 12 /* bytes of a value fingerprinted */
#define SOURCE_MAX 32
#define CALL_MAX 40
#define FP_BASE 0x100000001b3ull
#define LABEL_LATE_MS 2000 /* a file_access this soon after names the file */

struct held {
  uint32_t fp;
  uint8_t kind;
  char source[SOURCE_MAX]; /* path, else tool */
  char call[CALL_MAX];
};

/* A requested call that reads a file: where its result comes from. */
struct pending {
  uint32_t call;
  char path[SOURCE_MAX];
};

/* Invariant: n_held <= HELD_MAX; slot next_held is replaced once full.
 * Holds [late_from, late_from + late_n) were labelled with a tool name only
 * and may still learn their path from a file_access until late_ts + 2 s. */
struct state {
  uint8_t n_held, next_held, next_pend; /* first: read by every call */
  uint8_t late_from, late_n;
  int64_t late_ts;
  struct held held[HELD_MAX];
  struct pending pend[PEND_MAX];
};

struct ctx {
  float in_arguments, in_result, sent_out, reused;
  size_t scan_bytes;
  uint64_t pow_w; /* FP_BASE^(WIN-1) */
  struct sr_secrets *secrets;
};

static const char *const allowed_keys[] = {
    "enabled",  "weight",  "threshold",  "half_life_s", "in_arguments",
    "in_result", "sent_out", "reused",   "scan_bytes",  NULL};

static void *se_init(const struct sr_conf_node *section, char *err,
                     size_t errlen) {
  long long bytes;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "secret_exposure: out of memory");
    return NULL;
  }
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_detector_conf_score(section, "in_arguments", 0.7, &c->in_arguments,
                             err, errlen) != 0 ||
      sr_detector_conf_score(section, "in_result", 0.5, &c->in_result, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "sent_out", 0.95, &c->sent_out, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "reused", 0.6, &c->reused, err,
                             errlen) != 0 ||
      sr_conf_get_int(section, "scan_bytes", 65536, 64, SR_TEXT_MAX, &bytes,
                      err, errlen) != 0)
    goto fail;
  c->scan_bytes = (size_t)bytes;
  c->pow_w = 1;
  for (int i = 0; i < WIN - 1; i++) c->pow_w *= FP_BASE;
  if (!(c->secrets = sr_secrets_create(err, errlen))) goto fail;
  return c;
fail:
  free(c);
  return NULL;
}

static void se_destroy(void *ctx) {
  struct ctx *c = ctx;
  if (!c) return;
  sr_secrets_destroy(c->secrets);
  free(c);
}

static void *se_thread_create(const void *ctx) {
  return sr_secrets_scratch_create(((const struct ctx *)ctx)->secrets);
}

static void se_thread_destroy(void *t) {
  sr_textscan_scratch_destroy(t);
}

static uint32_t fp_mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (uint32_t)h;
}

static uint64_t poly(const char *p) {
  uint64_t h = 0;
  for (int i = 0; i < WIN; i++) h = h * FP_BASE + (unsigned char)p[i];
  return h;
}

/* Copies the end of s (the file name says more than the root). */
static void copy_tail(char *dst, size_t cap, sr_str s) {
  if (s.n < cap) {
    sr_str_copy(dst, cap, s);
    return;
  }
  size_t keep = cap - 4;
  memcpy(dst, "...", 3);
  memcpy(dst + 3, s.p + s.n - keep, keep);
  dst[cap - 1] = '\0';
}

/* A call that reads a file by name: Read, read_file, mcp__fs__read_file. */
static bool reads_file(sr_str tool) {
  /* "read" in any case, four bytes compared at once: this runs on every
   * requested call, and tool names are short. | 0x20 folds only the
   * letters' cases into these four bytes. */
  uint32_t read, w;
  memcpy(&read, "read", 4);
  if (tool.n > 64) return false;
  for (size_t i = 0; i + 4 <= tool.n; i++) {
    memcpy(&w, tool.p + i, 4);
    if ((w | 0x20202020u) == read) return true;
  }
  return false;
}

/* The value of the first "file_path" / "target_file" / "path" key. */
static sr_str path_argument(sr_str args) {
  static const char *const keys[] = {"\"file_path\"", "\"target_file\"",
                                     "\"path\"", "\"filePath\""};
  for (size_t k = 0; k < SR_ARRAY_LEN(keys); k++) {
    size_t kl = strlen(keys[k]);
    const char *at = sr_textscan_find(args.p, args.n, keys[k], kl);
    if (!at) continue;
    const char *e = args.p + args.n, *v = at + kl;
    while (v < e && (*v == ' ' || *v == ':')) v++;
    if (v >= e || *v != '"') continue;
    const char *q = ++v;
    while (q < e && *q != '"') q++;
    return (sr_str){v, (size_t)(q - v)};
  }
  return SR_STR_NULL;
}

static void remember_read(struct state *st, const struct sr_event *ev) {
  sr_str path = path_argument(ev->arguments);
  if (!path.n || !ev->call_id.n) return;
  struct pending *p = &st->pend[st->next_pend];
  st->next_pend = (uint8_t)((st->next_pend + 1) % PEND_MAX);
  p->call = sr_det_id_hash(ev->call_id);
  copy_tail(p->path, sizeof p->path, path);
}

/* Remembers one secret of a result; false when it was not added (too
 * short to recognise reliably, or already held). */
static bool hold(struct state *st, const char *p, const struct sr_secret *s,
                 const char *source, sr_str call) {
  if (s->to - s->from < WIN) return false;
  uint32_t fp = fp_mix(poly(p + s->from));
  for (size_t i = 0; i < st->n_held; i++)
    if (st->held[i].fp == fp) return false;
  size_t slot;
  if (st->n_held < HELD_MAX) {
    slot = st->n_held++;
  } else {
    slot = st->next_held;
    st->next_held = (uint8_t)((st->next_held + 1) % HELD_MAX);
  }
  struct held *h = &st->held[slot];
  h->fp = fp;
  h->kind = (uint8_t)s->kind;
  snprintf(h->source, sizeof h->source, "%s", source);
  copy_tail(h->call, sizeof h->call, call);
  return true;
}

/* The first held secret whose fingerprint starts a window of text, or -1. */
static int find_held(const struct ctx *c, const struct state *st, sr_str t) {
  if (t.n < WIN) return -1;
  uint64_t h = poly(t.p);
  for (size_t i = 0;; i++) {
    uint32_t m = fp_mix(h);
    for (size_t j = 0; j < st->n_held; j++)
      if (st->held[j].fp == m) return (int)j;
    if (i + WIN >= t.n) return -1;
    h = (h - (unsigned char)t.p[i] * c->pow_w) * FP_BASE +
        (unsigned char)t.p[i + WIN];
  }
}

/* "GitHub token, password": the kinds found, each once. */
static void kinds(char *buf, size_t cap, const struct sr_secret *s, size_t k) {
  size_t used = 0;
  uint32_t seen = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < k && used < cap; i++) {
    if (seen & (1u << s[i].kind)) continue;
    seen |= 1u << s[i].kind;
    int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "",
                     sr_secret_kind_name(s[i].kind));
    if (w > 0) used += (size_t)w;
  }
}

static float se_score(const void *ctx, void *thread_scratch,
                      const struct sr_detect_input *in, void *session_scratch,
                      char *reason, size_t reasonlen) {
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  struct state *st = session_scratch;

  if (ev->type == SR_EV_FILE_ACCESS) {
    if (st->late_n && ev->path.n && ev->ts_ms - st->late_ts <= LABEL_LATE_MS) {
      for (size_t i = 0; i < st->late_n; i++)
        copy_tail(st->held[(st->late_from + i) % HELD_MAX].source, SOURCE_MAX,
                  ev->path);
    }
    st->late_n = 0;
    return 0;
  }
  if (ev->type != SR_EV_TOOL_CALL) return 0;
  /* Its counts load during the scan for secrets below. */
  sr_det_prefetch(st, 64);

  struct sr_secret found[SR_SECRETS_MAX];
  if (ev->phase == SR_PHASE_COMPLETED) {
    if (!ev->result.n) return 0;
    sr_str r = {ev->result.p, SR_MIN(ev->result.n, c->scan_bytes)};
    size_t k = sr_secrets_find(c->secrets, thread_scratch, r.p, r.n, found,
                               SR_SECRETS_MAX);
    if (!k) return 0;
    uint32_t ch = sr_det_id_hash(ev->call_id);
    char source[SOURCE_MAX] = "";
    for (size_t i = 0; i < PEND_MAX && ch; i++)
      if (st->pend[i].call == ch) memcpy(source, st->pend[i].path, SOURCE_MAX);
    bool labelled = source[0] != '\0';
    if (!labelled) sr_str_copy(source, sizeof source, ev->tool);
    /* New holds take consecutive ring slots from here. */
    uint8_t first = st->n_held < HELD_MAX ? st->n_held : st->next_held;
    size_t added = 0;
    for (size_t i = 0; i < k; i++)
      added += hold(st, r.p, &found[i], source, ev->call_id);
    st->late_n = 0;
    if (!labelled) {
      st->late_from = first;
      st->late_n = (uint8_t)SR_MIN(added, (size_t)HELD_MAX);
      st->late_ts = ev->ts_ms;
    }
    float score = c->in_result;
    if (!(score > 0) || score < in->reason_floor) return score;
    char what[96];
    kinds(what, sizeof what, found, k);
    snprintf(reason, reasonlen, "%s in result of %.*s (call %.*s%s%s)", what,
             SR_SV(ev->tool, 40), SR_SV(ev->call_id, 40), labelled ? ", " : "",
             labelled ? source : "");
    return score;
  }
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;
  if (!ev->arguments.n) return 0;
  if (reads_file(ev->tool)) remember_read(st, ev);

  sr_str a = {ev->arguments.p, SR_MIN(ev->arguments.n, c->scan_bytes)};
  size_t k = sr_secrets_find(c->secrets, thread_scratch, a.p, a.n, found,
                             SR_SECRETS_MAX);
  int h = st->n_held ? find_held(c, st, a) : -1;
  if (!k && h < 0) return 0;

  float score = k ? c->in_arguments : 0;
  char host[64] = "";
  bool out = false;
  if (h >= 0) {
    /* Sent out: to any host the session did not declare. */
    for (size_t at = 0;
         !out && (at = sr_textscan_next_host(a.p, a.n, at, host, sizeof host));)
      out = !sr_det_declared_host(in->session, host);
    score = SR_MAX(score, out ? c->sent_out : c->reused);
  }
  if (!(score > 0) || score < in->reason_floor) return score;
  if (h >= 0) {
    const struct held *x = &st->held[h];
    if (out)
      snprintf(reason, reasonlen, "%s read from %s by call %s sent to %s",
               sr_secret_kind_name(x->kind), x->source, x->call, host);
    else
      snprintf(reason, reasonlen,
               "%s read from %s by call %s reused in arguments of %.*s",
               sr_secret_kind_name(x->kind), x->source, x->call,
               SR_SV(ev->tool, 40));
  } else {
    char what[96];
    kinds(what, sizeof what, found, k);
    snprintf(reason, reasonlen, "%s in arguments of %.*s", what,
             SR_SV(ev->tool, 48));
  }
  return score;
}

const struct sr_detector sr_detector_secret_exposure = {
    .version = SR_DETECTOR_VERSION,
    .name = "secret_exposure",
    .description =
        "keys, tokens, passwords and connection strings in tool arguments or "
        "results; a secret read in one call sent out in a later one",
    .session_size = sizeof(struct state),
    .init = se_init,
    .thread_create = se_thread_create,
    .thread_destroy = se_thread_destroy,
    .kinds = SR_KIND_CALL_REQUESTED | SR_KIND_CALL_COMPLETED |
             SR_KIND_FILE_ACCESS,
    .score = se_score,
    .destroy = se_destroy,
};
