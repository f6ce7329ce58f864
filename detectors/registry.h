/*
 * The detector registry: the table of every detector, their common settings
 * (enabled, weight, threshold, half-life) from the `detectors` section of the
 * configuration, and the per-event run of classification + every enabled
 * detector.
 *
 * Dimensions are numbered by their place in the registry table; that order
 * is stable and is the order of dimensions in commands and state.
 *
 * @locality the set is built at setup and read-only afterwards; each worker
 * thread owns one sr_detectors_thread.
 */
#ifndef SR_REGISTRY_H
#define SR_REGISTRY_H

#include "detectors/catalogue.h"
#include "detectors/detector.h"

#define SR_DIM_MAX 24

/* Aggregation settings of one dimension. */
struct sr_dim_params {
  bool enabled;
  float weight;        /* w_d in R = prod(1 + w_d * s_d) - 1, default 1 */
  float threshold;     /* elevated when the decayed score >= threshold */
  int64_t half_life_ms;/* event-time half-life of the score */
};

struct sr_detectors;
struct sr_detectors_thread;

/* One event's detection: classification + a score and reason per dimension
 * (reason[i] is "" when score[i] is below the dimension's threshold).
 * Entries past sr_detectors_count are not written. Zeroed by its owner
 * before the first sr_detectors_score, then reused: a call clears only
 * what the previous one scored, so outside `scored` every score is 0 and every
 * reason "". */
struct sr_detection {
  struct sr_op op;
  float score[SR_DIM_MAX];
  uint32_t scored; /* bit i set when score[i] > 0 */
  char reason[SR_DIM_MAX][SR_REASON_MAX];
};

_Static_assert(SR_DIM_MAX <= 32, "sr_detection.scored is 32 bits");

/* Builds every detector and the catalogue from the config root (may be NULL
 * for defaults): `detectors.<name>` sections, `catalogue`, `credentials`,
 * `resources`. Unknown detector names are an error naming key and line. */
struct sr_detectors *sr_detectors_create(const struct sr_conf_node *root,
                                         char *err, size_t errlen);
void sr_detectors_destroy(struct sr_detectors *d);

size_t sr_detectors_count(const struct sr_detectors *d);
const char *sr_detectors_name(const struct sr_detectors *d, size_t dim);
/* The detector of a dimension (its table entry). */
const struct sr_detector *sr_detectors_detector(const struct sr_detectors *d,
                                                size_t dim);
/* Index of a dimension by name, or -1. */
int sr_detectors_find(const struct sr_detectors *d, const char *name);
const struct sr_dim_params *sr_detectors_params(const struct sr_detectors *d,
                                                size_t dim);
/* Every dimension's settings as one array of sr_detectors_count entries,
 * for loops over all dimensions on the hot path. */
const struct sr_dim_params *sr_detectors_all_params(
    const struct sr_detectors *d);
/* Bytes of per-session scratch of all detectors together. */
size_t sr_detectors_session_size(const struct sr_detectors *d);
const struct sr_catalogue *sr_detectors_catalogue(const struct sr_detectors *d);

struct sr_detectors_thread *sr_detectors_thread_create(
    const struct sr_detectors *d);
void sr_detectors_thread_destroy(struct sr_detectors_thread *t);

/* An event's detection, in two steps. sr_detectors_classify reads only the
 * event (the aggregator runs it before it touches the session, so the
 * session's memory loads meanwhile); sr_detectors_score then runs every
 * enabled detector of the event's kind on the classification in out->op.
 * `session_scratch` is the session's block of sr_detectors_session_size
 * bytes.
 * @locality worker thread; no allocation. */
void sr_detectors_classify(const struct sr_detectors *d,
                           struct sr_detectors_thread *t,
                           const struct sr_event *ev, struct sr_detection *out);
void sr_detectors_score(const struct sr_detectors *d,
                        struct sr_detectors_thread *t,
                        const struct sr_event *ev,
                        const struct sr_session_info *session,
                        void *session_scratch, struct sr_detection *out);

/* A hint, no effect on results: starts loading into cache the session
 * scratch that the detectors of ev's kind own (a session_scratch that is
 * not the session's is harmless: nothing is dereferenced; NULL does
 * nothing). Lines are counted from session_scratch, so it should start on
 * a 64-byte line, as the aggregator's sessions do.
 * @locality any thread; reads the set only. */
void sr_detectors_prefetch(const struct sr_detectors *d,
                           const struct sr_event *ev,
                           const void *session_scratch);

#endif
