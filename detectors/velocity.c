/*
 * velocity: a burst of mutating calls, bulk operations counted by the
 * items they touch.
 *
 * An agent that writes faster than anyone could review (dozens of deletes
 * a minute, one UPDATE over every row) is dangerous whatever each call
 * looks like alone. The session remembers its last 16 mutating calls (event
 * time, call id hash, items). A call counts one item when requested; when
 * it completes, its result may say how many it touched, and the larger
 * number stays:
 *   PostgreSQL command tags    DELETE 5000, UPDATE 12, INSERT 0 300
 *   row counts                 5000 rows affected, Query OK, 3 rows affected
 *   tool summaries             deleted 42 objects, removed 17 files
 *   one line per item          removed 'a.txt' (rm -v), delete: s3://...
 * Items of the calls within window_s add up to a rate r. Below min_items
 * nothing is scored; from there
 *     score = 0.3 + 0.7 * ln(r / min_items) / ln(max_items / min_items)
 * up to 1 at max_items (defaults 10 and 1000 per 60 s). So `rm` of three
 * temp files scores 0, a DELETE that reports 5000 rows scores 1, and twelve
 * deploys in a minute score 0.33.
 *
 * Both phases are scored: the requested call (a burst building up) and the
 * completed one (when the count becomes known). FAILED calls touched
 * nothing and count 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/bytes16.h"
#include "detectors/helpers.h"
#include "detectors/reason.h"

#define RING 16
#define ITEMS_MAX 100000000u

/* Invariant: n <= RING; the oldest entry is at `next` once full. */
struct state {
  uint8_t next, n; /* first: read by every tool call */
  uint32_t items[RING];
  uint32_t call[RING];
  int64_t ts[RING];
};

struct ctx {
  int64_t window_ms;
  double min_items, max_items;
  size_t scan_bytes;
};

static const char *const allowed_keys[] = {
    "enabled",   "weight",    "threshold",  "half_life_s", "window_s",
    "min_items", "max_items", "scan_bytes", NULL};

static void *vel_init(const struct sr_conf_node *section, char *err,
                      size_t errlen) {
  double window;
  long long bytes;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "velocity: out of memory");
    return NULL;
  }
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_conf_get_double(section, "window_s", 60.0, 1.0, 86400.0, &window, err,
                         errlen) != 0 ||
      sr_conf_get_double(section, "min_items", 10.0, 2.0, 1e9, &c->min_items,
                         err, errlen) != 0 ||
      sr_conf_get_double(section, "max_items", 1000.0, 3.0, 1e9, &c->max_items,
                         err, errlen) != 0 ||
      sr_conf_get_int(section, "scan_bytes", 16384, 0, SR_TEXT_MAX, &bytes,
                      err, errlen) != 0) {
    free(c);
    return NULL;
  }
  if (c->max_items <= c->min_items) {
    sr_conf_error(sr_conf_get(section, "max_items"), err, errlen,
                  "velocity: max_items must be greater than min_items");
    free(c);
    return NULL;
  }
  c->window_ms = (int64_t)(window * 1000.0 + 0.5);
  c->scan_bytes = (size_t)bytes;
  return c;
}

static void vel_destroy(void *ctx) {
  free(ctx);
}

static inline bool digit(char c) { return c >= '0' && c <= '9'; }

static inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* The number starting at p[i] (saturated), or -1 if none. */
static long long number_at(const char *p, size_t n, size_t i) {
  if (i >= n || !digit(p[i])) return -1;
  long long v = 0;
  while (i < n && digit(p[i])) {
    if (v < (long long)ITEMS_MAX) v = v * 10 + (p[i] - '0');
    i++;
  }
  return v > (long long)ITEMS_MAX ? (long long)ITEMS_MAX : v;
}

/* A lowercase word and its length, so matching needs no strlen. */
struct word {
  const char *s;
  size_t n;
};
#define W(lit) {lit, sizeof(lit) - 1}

static bool word_at(const char *p, size_t n, size_t i, const struct word *w) {
  if (i + w->n > n) return false;
  for (size_t j = 0; j < w->n; j++)
    if (lower(p[i + j]) != w->s[j]) return false;
  return true;
}

static const struct word before[] = {
    W("delete "),  W("update "),  W("insert 0 "), W("deleted "),
    W("removed "), W("updated "), W("dropped "),  W("purged ")};
static const struct word after[] = {
    W(" rows"),  W(" row"),  W(" records"), W(" objects"),
    W(" files"), W(" items"), W(" keys"),   W(" documents")};
static const struct word lines[] = {W("removed '"), W("removed \""),
                                    W("delete: "), W("deleted: "),
                                    W("deleted ")};

/* The count a run of digits starting at p[q] gives, or -1: a unit word
 * after it ("5000 rows") or a verb before it ("DELETE 5000", the verb at
 * the start of a word: not "undeleted 5"). Every verb ends in a blank, so
 * its number always starts a run of digits. */
static long long count_at(const char *p, size_t n, size_t q) {
  long long v = number_at(p, n, q), got = -1;
  size_t j = q;
  while (j < n && digit(p[j])) j++;
  if (j < n && p[j] == ' ') /* every unit word starts with a blank */
    for (size_t k = 0; k < SR_ARRAY_LEN(after); k++)
      if (word_at(p, n, j, &after[k])) got = v;
  /* Every verb ends in a blank too: without one before the number, none
   * is there (most runs of digits: ids, times, sizes in JSON). */
  if (q == 0 || p[q - 1] != ' ') return got;
  for (size_t k = 0; k < SR_ARRAY_LEN(before) && got < 0; k++) {
    size_t len = before[k].n;
    if (q < len || !word_at(p, n, q - len, &before[k])) continue;
    char c = q > len ? lower(p[q - len - 1]) : ' ';
    if (c < 'a' || c > 'z') got = v;
  }
  return got;
}

/* How many items a mutating call's result says it touched; 0 = not said:
 * numbers after a command tag or a verb, numbers before "rows"/"objects"/
 * "files", and lines that each report one item. Only the starts of lines
 * and of runs of digits can hold any of these, so the text is walked by
 * those (runs of digits sixteen bytes at a time where SSE2 is there), not
 * byte by byte: results are read for every completed mutating call. */
static uint32_t items_in_result(const char *p, size_t n) {
  long long best = 0, per_line = 0;
  for (size_t i = 0; i < n;) {
    char c = lower(p[i]);
    for (size_t k = 0; k < SR_ARRAY_LEN(lines); k++)
      if (c == lines[k].s[0] && word_at(p, n, i, &lines[k])) {
        per_line++;
        break;
      }
    const char *nl = memchr(p + i, '\n', n - i);
    if (!nl) break;
    i = (size_t)(nl - p) + 1;
  }
  size_t i = 0;
  bool prev = false; /* p[i - 1] is a digit */
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    unsigned d = sr_bytes16_digits(p + i);
    unsigned starts = d & ~((d << 1) | (unsigned)prev);
    prev = (d >> 15) & 1u;
    for (; starts; starts &= starts - 1) {
      long long got = count_at(p, n, i + (size_t)__builtin_ctz(starts));
      if (got > best) best = got;
    }
  }
  if (i < n && n >= 16) {
    /* The last sixteen bytes, overlapping the ones before: starts at i or
     * later, each judged by its neighbour inside the window. */
    size_t b = n - 16, skip = i - b;
    unsigned d = sr_bytes16_digits(p + b);
    unsigned starts = (d & ~(d << 1)) >> skip << skip;
    for (; starts; starts &= starts - 1) {
      long long got = count_at(p, n, b + (size_t)__builtin_ctz(starts));
      if (got > best) best = got;
    }
    i = n;
  }
#endif
  for (; i < n; i++) {
    bool d = digit(p[i]);
    if (d && !prev) {
      long long got = count_at(p, n, i);
      if (got > best) best = got;
    }
    prev = d;
  }
  if (per_line > best) best = per_line;
  return (uint32_t)SR_MIN(best, (long long)ITEMS_MAX);
}

static float vel_score(const void *ctx, void *thread_scratch,
                       const struct sr_detect_input *in, void *session_scratch,
                       char *reason, size_t reasonlen) {
  (void)thread_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  struct state *st = session_scratch;
  if (ev->type != SR_EV_TOOL_CALL) return 0;

  /* Both paths below read the ring: loading it overlaps the call id's
   * hash. */
  if (ev->phase == SR_PHASE_REQUESTED || ev->phase == SR_PHASE_NONE) {
    if (!in->op->mutating) return 0;
    sr_det_prefetch(st, sizeof *st);
    uint32_t h = sr_det_id_hash(ev->call_id);
    size_t slot = st->next;
    st->ts[slot] = ev->ts_ms;
    st->call[slot] = h;
    st->items[slot] = 1;
    st->next = (uint8_t)((st->next + 1) % RING);
    if (st->n < RING) st->n++;
  } else {
    /* A completed or failed call we counted: correct its items. */
    sr_det_prefetch(st, sizeof *st);
    uint32_t h = sr_det_id_hash(ev->call_id);
    if (!st->n) return 0;
    _Static_assert(RING == 16, "a ring of 16 (sr_det_ring16_matches)");
    uint32_t hits = h ? sr_det_ring16_matches(st->call, st->n, h) : 0;
    if (!hits) return 0;
    size_t i = (size_t)__builtin_ctz(hits); /* the first, as counted */
    if (ev->phase == SR_PHASE_FAILED) {
      st->items[i] = 0;
      return 0;
    }
    uint32_t k = items_in_result(ev->result.p,
                                 SR_MIN(ev->result.n, c->scan_bytes));
    if (k <= st->items[i]) return 0;
    st->items[i] = k;
  }

  double items = 0;
  size_t calls = 0;
  int64_t first = ev->ts_ms;
  for (size_t i = 0; i < st->n; i++) {
    if (ev->ts_ms - st->ts[i] > c->window_ms || !st->items[i]) continue;
    items += st->items[i];
    calls++;
    if (st->ts[i] < first) first = st->ts[i];
  }
  float score = sr_det_log_score(items, c->min_items, c->max_items);
  if (!(score > 0) || score < in->reason_floor) return score;
  double secs = (double)(ev->ts_ms - first) / 1000.0;
  struct sr_reason r = sr_reason_start(reason, reasonlen);
  sr_reason_f0(&r, items);
  sr_reason_str(&r, " items touched by ");
  sr_reason_uint(&r, calls);
  sr_reason_str(&r, calls == 1 ? " mutating call in " : " mutating calls in ");
  sr_reason_f0(&r, secs);
  sr_reason_str(&r, " s (last: ");
  sr_reason_view(&r, ev->tool, 48);
  sr_reason_str(&r, ")");
  return score;
}

const struct sr_detector sr_detector_velocity = {
    .version = SR_DETECTOR_VERSION,
    .name = "velocity",
    .description =
        "a burst of mutating calls, bulk operations counted by items touched",
    .session_size = sizeof(struct state),
    .init = vel_init,
    .score = vel_score,
    .destroy = vel_destroy,
    .kinds = SR_KIND_CALLS,
};
