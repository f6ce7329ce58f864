/*
 * Shared by the libFuzzer harnesses: a check that aborts with a message
 * (libFuzzer saves the input that got there), a comparison of two decoded
 * events field by field, and a check that every view of an event lies in
 * the input, in the part of the arena the decoder used, or in the
 * program's static data (canonical spellings such as "approve").
 *
 * Header-only and static: each harness is one translation unit.
 */
#ifndef SR_FUZZ_UTIL_H
#define SR_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "ingest/event.h"

#define FZ_CHECK(cond, ...)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Where an arena hands out memory: the address of its first allocation
 * after a reset. */
static inline const char *fz_arena_base(struct sr_arena *a) {
  sr_arena_reset(a);
  return sr_arena_alloc(a, 0);
}

/* The program image, from its first byte to the end of .bss (GNU ld). */
extern const char __executable_start[], _end[];

/* A view of n bytes is inside the input, inside [base, base + used) of the
 * arena, or in the program image (a string literal); its bytes are read,
 * so ASan sees a view that is none of these. */
static inline void fz_view(const char *what, sr_str v, const void *buf,
                           size_t len, const char *arena_base,
                           size_t arena_used) {
  if (v.n == 0) return;
  FZ_CHECK(v.p != NULL, "%s: NULL view of %zu bytes", what, v.n);
  const char *in = buf;
  bool in_input =
      v.p >= in && v.p <= in + len && v.n <= (size_t)(in + len - v.p);
  bool in_arena = arena_base && v.p >= arena_base &&
                  v.p <= arena_base + arena_used &&
                  v.n <= (size_t)(arena_base + arena_used - v.p);
  bool in_image =
      v.p >= __executable_start && v.p < _end && v.n <= (size_t)(_end - v.p);
  FZ_CHECK(in_input || in_arena || in_image,
           "%s: view of %zu bytes outside input, arena and image", what, v.n);
  volatile unsigned char sink = 0;
  for (size_t i = 0; i < v.n; i++) sink ^= (unsigned char)v.p[i];
  (void)sink;
}

static inline void fz_list(const char *what, const struct sr_str_list *l,
                           const void *buf, size_t len, const char *ab,
                           size_t au) {
  FZ_CHECK(l->n <= SR_LIST_MAX, "%s: %u items", what, l->n);
  for (uint32_t i = 0; i < l->n; i++) fz_view(what, l->v[i], buf, len, ab, au);
}

/* Every view of ev, checked as fz_view does. */
static inline void fz_event_views(const struct sr_event *ev, const void *buf,
                                  size_t len, const char *ab, size_t au) {
#define V(f) fz_view(#f, ev->f, buf, len, ab, au)
#define L(f) fz_list(#f, &ev->f, buf, len, ab, au)
  V(session_id);
  V(event_id);
  V(agent_id);
  V(parent_agent_id);
  V(task);
  V(environment);
  L(scope_environments);
  L(scope_domains);
  L(scope_resources);
  V(call_id);
  V(tool);
  V(arguments);
  V(target.id);
  V(target.kind);
  V(target.environment);
  V(credential.id);
  V(credential.purpose);
  L(credential.scopes);
  L(credential.environments);
  V(result);
  V(role);
  V(text);
  V(path);
  V(op);
  L(credentials_found);
  V(decision);
  V(approver);
#undef V
#undef L
}

static inline bool fz_str_has_nul(sr_str s) {
  return s.n && memchr(s.p, '\0', s.n) != NULL;
}

static inline bool fz_list_has_nul(const struct sr_str_list *l) {
  for (uint32_t i = 0; i < l->n; i++)
    if (fz_str_has_nul(l->v[i])) return true;
  return false;
}

/* Whether any string of ev holds a NUL byte (which a C-string encoder
 * cannot carry). */
static inline bool fz_event_has_nul(const struct sr_event *ev) {
  return fz_str_has_nul(ev->session_id) || fz_str_has_nul(ev->event_id) ||
         fz_str_has_nul(ev->agent_id) || fz_str_has_nul(ev->parent_agent_id) ||
         fz_str_has_nul(ev->task) || fz_str_has_nul(ev->environment) ||
         fz_list_has_nul(&ev->scope_environments) ||
         fz_list_has_nul(&ev->scope_domains) ||
         fz_list_has_nul(&ev->scope_resources) || fz_str_has_nul(ev->call_id) ||
         fz_str_has_nul(ev->tool) || fz_str_has_nul(ev->arguments) ||
         fz_str_has_nul(ev->target.id) || fz_str_has_nul(ev->target.kind) ||
         fz_str_has_nul(ev->target.environment) ||
         fz_str_has_nul(ev->credential.id) ||
         fz_str_has_nul(ev->credential.purpose) ||
         fz_list_has_nul(&ev->credential.scopes) ||
         fz_list_has_nul(&ev->credential.environments) ||
         fz_str_has_nul(ev->result) || fz_str_has_nul(ev->role) ||
         fz_str_has_nul(ev->text) || fz_str_has_nul(ev->path) ||
         fz_str_has_nul(ev->op) || fz_list_has_nul(&ev->credentials_found) ||
         fz_str_has_nul(ev->decision) || fz_str_has_nul(ev->approver);
}

static inline bool fz_list_eq(const struct sr_str_list *a,
                              const struct sr_str_list *b) {
  if (a->n != b->n) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (!sr_str_eq(a->v[i], b->v[i])) return false;
  return true;
}

/* Doubles equal, NaN included (by bits, as they travel). */
static inline bool fz_double_eq(double a, double b) {
  return a == b || memcmp(&a, &b, sizeof a) == 0;
}

/* NULL when a and b carry the same event (provenance and ts_given aside:
 * those say how the bytes arrived); else the name of the first field that
 * differs. */
static inline const char *fz_event_diff(const struct sr_event *a,
                                        const struct sr_event *b) {
#define S(f) \
  if (!sr_str_eq(a->f, b->f)) return #f
#define L(f) \
  if (!fz_list_eq(&a->f, &b->f)) return #f
#define X(f) \
  if (a->f != b->f) return #f
#define D(f) \
  if (!fz_double_eq(a->f, b->f)) return #f
  X(type);
  S(session_id);
  S(event_id);
  X(ts_ms);
  S(agent_id);
  S(parent_agent_id);
  S(task);
  X(mode);
  S(environment);
  L(scope_environments);
  L(scope_domains);
  L(scope_resources);
  X(estimate.present);
  X(estimate.steps);
  X(estimate.seconds);
  D(estimate.cost_usd);
  X(phase);
  S(call_id);
  S(tool);
  S(arguments);
  S(target.id);
  S(target.kind);
  S(target.environment);
  X(target.backups);
  S(credential.id);
  S(credential.purpose);
  L(credential.scopes);
  L(credential.environments);
  X(credential.scopes_given);
  X(want_verdict);
  S(result);
  D(cost_usd);
  S(role);
  S(text);
  S(path);
  S(op);
  L(credentials_found);
  S(decision);
  S(approver);
#undef S
#undef L
#undef X
#undef D
  return NULL;
}

#endif
