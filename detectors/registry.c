/*
 * The detector registry: one static table of every detector, built once at
 * setup into a read-only set, and the per-event run.
 *
 * The table's order is the dimension numbering used by state, commands and
 * the query API, so new detectors are appended, never inserted. Each
 * dimension's aggregation settings (enabled, weight, threshold, half-life)
 * live next to the detector's own keys under `detectors.<name>`; the
 * registry reads the common ones and hands the whole section to the
 * detector's init, which checks that nothing else is misspelt.
 *
 * Per-session scratch is one block per session (the aggregator allocates
 * sr_detectors_session_size bytes, zeroed); each detector owns a slice at a
 * 16-byte aligned offset, so a session is one allocation and detectors
 * cannot see each other's memory by accident.
 *
 * sr_detectors_classify classifies the event once (the catalogue is the
 * costly part: one Hyperscan scan; it needs no session, so the aggregator
 * runs it while the session's memory loads), and sr_detectors_score calls
 * every enabled detector that scores the event's kind (sr_detector.kinds). Which ones those are is worked out
 * at setup, one list per kind, and each worker thread lays out, per kind,
 * one record per call with everything it needs (function, context,
 * scratches, threshold, dimension): the per-event loop walks those records
 * and reads nothing for the detectors it does not call. The detection is large
 * (SR_DIM_MAX reasons of SR_REASON_MAX bytes), so only the first byte of
 * each reason is cleared, not the whole array.
 */
#include "detectors/registry.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const struct sr_detector sr_detector_destructive;
extern const struct sr_detector sr_detector_scope_inflation;
extern const struct sr_detector sr_detector_credential_misuse;
extern const struct sr_detector sr_detector_boundary;
extern const struct sr_detector sr_detector_mode_violation;
extern const struct sr_detector sr_detector_blast_radius;
extern const struct sr_detector sr_detector_loop;
extern const struct sr_detector sr_detector_velocity;
extern const struct sr_detector sr_detector_planning_fallacy;
extern const struct sr_detector sr_detector_authority_gradient;
extern const struct sr_detector sr_detector_secret_exposure;
extern const struct sr_detector sr_detector_injection;
extern const struct sr_detector sr_detector_user_override;

/* Dimension order: append only. */
static const struct sr_detector *const registry_table[] = {
    &sr_detector_destructive,       &sr_detector_scope_inflation,
    &sr_detector_credential_misuse, &sr_detector_boundary,
    &sr_detector_mode_violation,    &sr_detector_blast_radius,
    &sr_detector_loop,
    &sr_detector_velocity,
    &sr_detector_planning_fallacy,
    &sr_detector_authority_gradient,
    &sr_detector_secret_exposure,
    &sr_detector_injection,
    &sr_detector_user_override,
};

_Static_assert(sizeof(registry_table) / sizeof(registry_table[0]) <= SR_DIM_MAX,
               "more detectors than SR_DIM_MAX dimensions");

#define SCRATCH_ALIGN 16
/* Lines of session scratch prefetched: at most PREFETCH_LINES of each
 * detector's slice (the largest are a dozen lines, not all of which an
 * event reads), PREFETCH_MAX in all. */
#define PREFETCH_LINES 2
#define PREFETCH_MAX 64

/* Read-only after sr_detectors_create. Invariant: ctx[i] is what
 * det[i]->init returned (non-NULL); offset[i] is 16-aligned and
 * offset[i] + det[i]->session_size <= session_size. */
struct sr_detectors {
  size_t n;
  const struct sr_detector *det[SR_DIM_MAX];
  void *ctx[SR_DIM_MAX];
  struct sr_dim_params params[SR_DIM_MAX];
  size_t offset[SR_DIM_MAX];
  size_t session_size;
  struct sr_catalogue *cat;
  /* Per kind (bit index of SR_KIND_*), the enabled dimensions whose
   * detector scores that kind, in dimension order. */
  uint8_t run[SR_KIND_COUNT][SR_DIM_MAX];
  uint8_t n_run[SR_KIND_COUNT];
  /* Per kind, the 64-byte lines of session scratch (counted from its
   * start) that the detectors run on it own, for sr_detectors_prefetch:
   * worked out here so the per-event hint is a few instructions a line. */
  uint16_t lines[SR_KIND_COUNT][PREFETCH_MAX];
  uint8_t n_lines[SR_KIND_COUNT];
};

/* What one detector's call needs, together: built per thread. */
struct call {
  float (*score)(const void *ctx, void *thread_scratch,
                 const struct sr_detect_input *in, void *session_scratch,
                 char *reason, size_t reasonlen);
  const void *ctx;
  void *scratch;          /* the detector's thread scratch, may be NULL */
  size_t offset;          /* of its session scratch */
  bool has_session;       /* it has session scratch */
  uint8_t dim;
  float floor;            /* the dimension's threshold */
};

/* One worker thread's scratch: the catalogue's and each detector's, and
 * per kind the calls to make, in dimension order. */
struct sr_detectors_thread {
  const struct sr_detectors *d;
  struct sr_catalogue_scratch *cat;
  void *scratch[SR_DIM_MAX]; /* each detector's, by dimension */
  struct call run[SR_KIND_COUNT][SR_DIM_MAX];
};

static void known_names(char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < SR_ARRAY_LEN(registry_table) && used < cap; i++) {
    int k = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                     registry_table[i]->name);
    if (k < 0) break;
    used += (size_t)k;
  }
}

/* `name:` with nothing after it is an empty section, not an error. */
static bool empty_scalar(const struct sr_conf_node *n) {
  const char *s = sr_conf_scalar(n);
  return s &&
         (s[0] == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0);
}

static int read_params(const struct sr_conf_node *sec, struct sr_dim_params *p,
                       char *err, size_t errlen) {
  double w, t, hl;
  if (sr_conf_get_bool(sec, "enabled", true, &p->enabled, err, errlen) != 0 ||
      sr_conf_get_double(sec, "weight", 1.0, 0.0, 10.0, &w, err, errlen) != 0 ||
      sr_conf_get_double(sec, "threshold", 0.3, 0.0, 1.0, &t, err, errlen) !=
          0 ||
      sr_conf_get_double(sec, "half_life_s", 600.0, 0.001, 1e8, &hl, err,
                         errlen) != 0)
    return SR_EINVAL;
  p->weight = (float)w;
  p->threshold = (float)t;
  p->half_life_ms = (int64_t)(hl * 1000.0 + 0.5);
  if (p->half_life_ms < 1) p->half_life_ms = 1;
  return 0;
}

/* d->lines[k]: each line of the slices of kind k's detectors, once, in
 * order; a line shared by two slices is listed once. */
static void add_lines(struct sr_detectors *d, unsigned k) {
  size_t last = SIZE_MAX;
  for (size_t j = 0; j < d->n_run[k]; j++) {
    size_t i = d->run[k][j], size = d->det[i]->session_size;
    if (!size) continue;
    size_t first = d->offset[i] / 64, end = (d->offset[i] + size + 63) / 64;
    if (end - first > PREFETCH_LINES) end = first + PREFETCH_LINES;
    for (size_t l = first; l < end && d->n_lines[k] < PREFETCH_MAX; l++)
      if (l != last) d->lines[k][d->n_lines[k]++] = (uint16_t)(last = l);
  }
}

struct sr_detectors *sr_detectors_create(const struct sr_conf_node *root,
                                         char *err, size_t errlen) {
  struct sr_detectors *d = calloc(1, sizeof(*d));
  if (!d) {
    snprintf(err, errlen, "detectors: out of memory");
    return NULL;
  }
  const struct sr_conf_node *dets = sr_conf_get(root, "detectors");
  if (dets && empty_scalar(dets)) dets = NULL;
  if (dets && sr_conf_kind(dets) != SR_CONF_MAP) {
    sr_conf_error(dets, err, errlen,
                  "expected a map of detector name to "
                  "settings");
    goto fail;
  }
  for (size_t i = 0; i < sr_conf_len(dets); i++) {
    const char *key = sr_conf_key_at(dets, i);
    bool known = false;
    for (size_t j = 0; j < SR_ARRAY_LEN(registry_table); j++)
      known = known || strcmp(key, registry_table[j]->name) == 0;
    if (!known) {
      char names[256];
      known_names(names, sizeof(names));
      sr_conf_error(sr_conf_at(dets, i), err, errlen,
                    "unknown detector '%s' (known: %s)", key, names);
      goto fail;
    }
  }

  size_t off = 0;
  for (size_t i = 0; i < SR_ARRAY_LEN(registry_table); i++) {
    const struct sr_detector *det = registry_table[i];
    assert(det->version >= 1 && det->name && det->init && det->score &&
           det->destroy);
    const struct sr_conf_node *sec = sr_conf_get(dets, det->name);
    if (sec && empty_scalar(sec)) sec = NULL;
    if (sec && sr_conf_kind(sec) != SR_CONF_MAP) {
      sr_conf_error(sec, err, errlen,
                    "expected a map (enabled, weight, threshold, "
                    "half_life_s and the detector's own keys)");
      goto fail;
    }
    if (read_params(sec, &d->params[i], err, errlen) != 0) goto fail;
    if (err && errlen) err[0] = '\0';
    d->ctx[i] = det->init(sec, err, errlen);
    if (!d->ctx[i]) {
      if (err && errlen && !err[0])
        snprintf(err, errlen, "detectors.%s: initialisation failed", det->name);
      goto fail;
    }
    d->det[i] = det;
    d->n = i + 1;
    off = (off + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1);
    d->offset[i] = off;
    off += det->session_size;
    for (unsigned k = 0; k < SR_KIND_COUNT; k++)
      if (d->params[i].enabled && (!det->kinds || (det->kinds >> k & 1u)))
        d->run[k][d->n_run[k]++] = (uint8_t)i;
  }
  d->session_size = off;
  for (unsigned k = 0; k < SR_KIND_COUNT; k++) add_lines(d, k);

  d->cat = sr_catalogue_create(root, err, errlen);
  if (!d->cat) goto fail;
  return d;
fail:
  sr_detectors_destroy(d);
  return NULL;
}

void sr_detectors_destroy(struct sr_detectors *d) {
  if (!d) return;
  sr_catalogue_destroy(d->cat);
  for (size_t i = d->n; i > 0; i--) d->det[i - 1]->destroy(d->ctx[i - 1]);
  free(d);
}

size_t sr_detectors_count(const struct sr_detectors *d) {
  return d->n;
}

const char *sr_detectors_name(const struct sr_detectors *d, size_t dim) {
  assert(dim < d->n);
  return d->det[dim]->name;
}

const struct sr_detector *sr_detectors_detector(const struct sr_detectors *d,
                                                size_t dim) {
  assert(dim < d->n);
  return d->det[dim];
}

int sr_detectors_find(const struct sr_detectors *d, const char *name) {
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->det[i]->name, name) == 0) return (int)i;
  return -1;
}

const struct sr_dim_params *sr_detectors_all_params(
    const struct sr_detectors *d) {
  return d->params;
}

const struct sr_dim_params *sr_detectors_params(const struct sr_detectors *d,
                                                size_t dim) {
  assert(dim < d->n);
  return &d->params[dim];
}

size_t sr_detectors_session_size(const struct sr_detectors *d) {
  return d->session_size;
}

const struct sr_catalogue *sr_detectors_catalogue(
    const struct sr_detectors *d) {
  return d->cat;
}

struct sr_detectors_thread *sr_detectors_thread_create(
    const struct sr_detectors *d) {
  struct sr_detectors_thread *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  t->d = d;
  t->cat = sr_catalogue_scratch_create(d->cat);
  if (!t->cat) goto fail;
  for (size_t i = 0; i < d->n; i++) {
    /* A NULL scratch from thread_create means the detector needs none. */
    if (d->det[i]->thread_create)
      t->scratch[i] = d->det[i]->thread_create(d->ctx[i]);
  }
  for (size_t k = 0; k < SR_KIND_COUNT; k++) {
    for (size_t j = 0; j < d->n_run[k]; j++) {
      size_t i = d->run[k][j];
      t->run[k][j] = (struct call){
          .score = d->det[i]->score,
          .ctx = d->ctx[i],
          .scratch = t->scratch[i],
          .offset = d->offset[i],
          .has_session = d->det[i]->session_size > 0,
          .dim = (uint8_t)i,
          .floor = d->params[i].threshold,
      };
    }
  }
  return t;
fail:
  sr_detectors_thread_destroy(t);
  return NULL;
}

void sr_detectors_thread_destroy(struct sr_detectors_thread *t) {
  if (!t) return;
  const struct sr_detectors *d = t->d;
  for (size_t i = d->n; i > 0; i--) {
    const struct sr_detector *det = d->det[i - 1];
    if (t->scratch[i - 1] && det->thread_destroy)
      det->thread_destroy(t->scratch[i - 1]);
  }
  sr_catalogue_scratch_destroy(t->cat);
  free(t);
}

void sr_detectors_classify(const struct sr_detectors *d,
                           struct sr_detectors_thread *t,
                           const struct sr_event *ev,
                           struct sr_detection *out) {
  assert(t && t->d == d && ev && out);
  sr_catalogue_classify(d->cat, t->cat, ev, &out->op);
}

void sr_detectors_prefetch(const struct sr_detectors *d,
                           const struct sr_event *ev,
                           const void *session_scratch) {
  if (!session_scratch) return;
  unsigned k = (unsigned)__builtin_ctz(sr_event_kind(ev));
  const char *p = session_scratch;
  for (size_t j = 0; j < d->n_lines[k]; j++)
    __builtin_prefetch(p + (size_t)d->lines[k][j] * 64, 1);
}

void sr_detectors_score(const struct sr_detectors *d,
                        struct sr_detectors_thread *t,
                        const struct sr_event *ev,
                        const struct sr_session_info *session,
                        void *session_scratch, struct sr_detection *out) {
  /* A session with no session_start yet: nothing declared. */
  static const struct sr_session_info undeclared;
  assert(t && t->d == d && ev && out);
  assert(session_scratch || d->session_size == 0);

  /* The detection is reused: no score or reason of the last event. Only
   * the dimensions it scored hold any (see sr_detection). */
  for (uint32_t m = out->scored; m; m &= m - 1) {
    unsigned i = (unsigned)__builtin_ctz(m);
    out->score[i] = 0;
    out->reason[i][0] = '\0';
  }

  struct sr_detect_input in = {
      .ev = ev, .op = &out->op, .session = session ? session : &undeclared};
  unsigned k = (unsigned)__builtin_ctz(sr_event_kind(ev));
  uint32_t scored = 0;
  for (const struct call *c = t->run[k], *end = c + d->n_run[k]; c < end;
       c++) {
    size_t i = c->dim;
    char *reason = out->reason[i];
    void *ss = c->has_session ? (char *)session_scratch + c->offset : NULL;
    in.reason_floor = c->floor;
    float s = c->score(c->ctx, c->scratch, &in, ss, reason, SR_REASON_MAX);
    if (!(s > 0)) { /* NaN too */
      reason[0] = '\0';
      continue;
    }
    reason[SR_REASON_MAX - 1] = '\0';
    out->score[i] = s > 1 ? 1 : s;
    scored |= 1u << i;
    if (s < c->floor)
      reason[0] = '\0'; /* never read: see sr_detect_input */
    else if (!reason[0])
      snprintf(reason, SR_REASON_MAX, "%s", d->det[i]->name);
  }
  out->scored = scored;
}
