/*
 * boundary: a call outside what the session said it would touch.
 *
 * At session_start a harness declares the task's environment and scope
 * (environments, domains, resource globs); a session asked to fix staging
 * that deletes a production volume has left its boundary whatever else is
 * true. Each declared dimension is checked only when something was
 * declared: nothing declared scores 0, because an undeclared boundary
 * cannot be crossed.
 *
 *   environment  op->environment not in {environment} + scope.environments
 *                (names canonicalised through detectors/env.h, "*" = any)
 *                -> environment 0.8, production 0.9 (config keys)
 *   resources    op->target_id matches none of scope.resources (fnmatch
 *                globs, tried on "<id>" and "<resource>:<id>")  -> 0.6
 *   domains      a URL host in the arguments (http:// or https://, also
 *                JSON-escaped, first scan_bytes bytes, at most 16 URLs) is
 *                neither a declared domain nor a subdomain of one, nor
 *                matches a declared glob ("*.example.com")      -> 0.6
 *
 * The score is the largest; the reason names every crossing. Every phase
 * counts, FAILED included: trying to act outside the boundary is the signal.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>

#include "detectors/detector.h"
#include "detectors/env.h"

#define SV(s, max) (int)SR_MIN((s).n, (size_t)(max)), ((s).p ? (s).p : "")

#define URLS_MAX 16
#define HOST_MAX 256

struct ctx {
  float environment;
  float production;
  float resource;
  float domain;
  size_t scan_bytes;
};

static const char *const allowed_keys[] = {
    "enabled",    "weight",   "threshold", "half_life_s", "environment",
    "production", "resource", "domain",    "scan_bytes",  NULL};

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static void *boundary_init(const struct sr_conf_node *section, char *err,
                           size_t errlen) {
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "boundary: out of memory");
    return NULL;
  }
  long long bytes;
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_detector_conf_score(section, "environment", 0.8, &c->environment, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "production", 0.9, &c->production, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "resource", 0.6, &c->resource, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "domain", 0.6, &c->domain, err, errlen) !=
          0 ||
      sr_conf_get_int(section, "scan_bytes", 65536, 0, SR_TEXT_MAX, &bytes, err,
                      errlen) != 0) {
    free(c);
    return NULL;
  }
  c->scan_bytes = (size_t)bytes;
  return c;
}

/* Declared environments as canonical views into the session info. */
static size_t declared_envs(const struct sr_session_info *s, sr_str *out) {
  size_t n = 0;
  if (s->environment[0])
    out[n++] = sr_env_canonical(sr_str_from(s->environment));
  for (size_t i = 0; i < s->n_scope_environments && i < SR_SCOPE_ENV_MAX; i++) {
    if (!s->scope_environments[i][0]) continue;
    sr_str e = sr_env_canonical(sr_str_from(s->scope_environments[i]));
    bool dup = false;
    for (size_t j = 0; j < n && !dup; j++) dup = sr_env_eq(out[j], e);
    if (!dup) out[n++] = e; /* named once in reasons */
  }
  return n;
}

/* A declared name spelt exactly as the call's canonical environment: then
 * the call is inside whatever the other declarations say, without
 * canonicalising any of them (sessions mostly declare "staging" or
 * "production" as written). */
static bool declared_verbatim(const struct sr_session_info *s, sr_str env) {
  if (env.n >= sizeof s->environment) return false;
  bool hit = s->environment[env.n] == '\0' &&
             sr_mem_eq(s->environment, env.p, env.n);
  for (size_t i = 0;
       !hit && i < s->n_scope_environments && i < SR_SCOPE_ENV_MAX; i++)
    hit = s->scope_environments[i][env.n] == '\0' &&
          sr_mem_eq(s->scope_environments[i], env.p, env.n);
  /* A name with a NUL in it is no C string's: checked on a match only,
   * the same answer without a memchr per call. */
  return hit && !memchr(env.p, '\0', env.n);
}

static bool env_inside(const sr_str *decl, size_t n, sr_str env) {
  for (size_t i = 0; i < n; i++)
    if (sr_str_eq_cstr(decl[i], "*") || sr_env_eq(decl[i], env)) return true;
  return false;
}

/* A glob "dir/" followed by one or two stars also covers "dir" itself: a
 * session scoped to a directory may act on the directory. */
static bool dir_itself(const char *glob, const char *id) {
  size_t g = strlen(glob), n = strlen(id);
  for (size_t k = 2; k <= 3; k++) {
    if (g == n + k && strncmp(glob, id, n) == 0 && glob[n] == '/' &&
        strspn(glob + n + 1, "*") == k - 1)
      return true;
  }
  return false;
}

static bool resource_inside(const struct sr_session_info *s,
                            const struct sr_op *op) {
  char id[512], qual[640];
  sr_str_copy(id, sizeof(id), op->target_id);
  if (op->resource) snprintf(qual, sizeof(qual), "%.100s:%s", op->resource, id);
  for (size_t i = 0; i < s->n_scope_resources && i < SR_SCOPE_RESOURCE_MAX;
       i++) {
    const char *glob = s->scope_resources[i];
    if (!glob[0]) continue;
    if (fnmatch(glob, id, 0) == 0 || dir_itself(glob, id)) return true;
    if (op->resource && fnmatch(glob, qual, 0) == 0) return true;
  }
  return false;
}

/* A declared domain with any scheme, path and trailing dot removed. */
static sr_str bare_domain(sr_str d) {
  for (size_t i = 0; i + 2 < d.n; i++) {
    if (d.p[i] == ':' && d.p[i + 1] == '/' && d.p[i + 2] == '/') {
      d.p += i + 3;
      d.n -= i + 3;
      break;
    }
  }
  for (size_t i = 0; i < d.n; i++) {
    if (d.p[i] == '/' || d.p[i] == ':') {
      d.n = i;
      break;
    }
  }
  while (d.n && d.p[d.n - 1] == '.') d.n--;
  return d;
}

static bool nocase_eq(sr_str a, sr_str b) {
  if (a.n != b.n) return false;
  for (size_t i = 0; i < a.n; i++)
    if (lower(a.p[i]) != lower(b.p[i])) return false;
  return true;
}

/* host (NUL-terminated, lowercase) inside the declared domains? */
static bool host_inside(const struct sr_session_info *s, const char *host) {
  sr_str h = sr_str_from(host);
  for (size_t i = 0; i < s->n_scope_domains && i < SR_SCOPE_DOMAIN_MAX; i++) {
    sr_str d = bare_domain(sr_str_from(s->scope_domains[i]));
    if (d.n == 0) continue;
    if (sr_str_eq_cstr(d, "*")) return true;
    if (memchr(d.p, '*', d.n) || memchr(d.p, '?', d.n)) {
      char glob[72];
      sr_str_copy(glob, sizeof(glob), d);
      if (fnmatch(glob, host, FNM_CASEFOLD) == 0) return true;
      continue;
    }
    if (nocase_eq(h, d)) return true;
    if (h.n > d.n && h.p[h.n - d.n - 1] == '.' &&
        nocase_eq((sr_str){h.p + h.n - d.n, d.n}, d))
      return true;
  }
  return false;
}

/* If text at i starts "http://" or "https://" (slashes possibly escaped as
 * "\/" in JSON), returns the offset just past the scheme, else 0. */
static size_t scheme_end(sr_str t, size_t i) {
  static const char http[] = "http";
  for (size_t k = 0; k < 4; k++)
    if (i + k >= t.n || lower(t.p[i + k]) != http[k]) return 0;
  size_t j = i + 4;
  if (j < t.n && lower(t.p[j]) == 's') j++;
  if (j >= t.n || t.p[j] != ':') return 0;
  j++;
  for (int slash = 0; slash < 2; slash++) {
    if (j < t.n && t.p[j] == '\\') j++;
    if (j >= t.n || t.p[j] != '/') return 0;
    j++;
  }
  return j;
}

/* Copies the host of the authority starting at j into host (lowercase,
 * userinfo and port dropped). Returns false when there is none. */
static bool extract_host(sr_str t, size_t j, char *host, size_t cap) {
  size_t end = j;
  while (end < t.n && end - j < 1024) {
    char c = t.p[end];
    if (c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == ' ' ||
        c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == '<' ||
        c == '>' || c == ',' || c == ')')
      break;
    end++;
  }
  sr_str a = {t.p + j, end - j};
  for (size_t i = a.n; i > 0; i--) { /* userinfo: up to the last '@' */
    if (a.p[i - 1] == '@') {
      a.p += i;
      a.n -= i;
      break;
    }
  }
  if (a.n && a.p[0] == '[') { /* IPv6 literal */
    const char *close = memchr(a.p, ']', a.n);
    if (close) a.n = (size_t)(close - a.p) + 1;
  } else {
    const char *colon = a.n ? memchr(a.p, ':', a.n) : NULL;
    if (colon) a.n = (size_t)(colon - a.p);
  }
  while (a.n && a.p[a.n - 1] == '.') a.n--;
  if (a.n == 0 || a.n >= cap) return false;
  for (size_t i = 0; i < a.n; i++) host[i] = lower(a.p[i]);
  host[a.n] = '\0';
  return true;
}

/* First URL host in the arguments outside the declared domains, or false. */
static bool host_outside(const struct ctx *c, const struct sr_session_info *s,
                         sr_str args, char *host, size_t cap) {
  sr_str t = {args.p, SR_MIN(args.n, c->scan_bytes)};
  int urls = 0;
  for (size_t i = 0; i < t.n && urls < URLS_MAX; i++) {
    if (lower(t.p[i]) != 'h') continue;
    size_t j = scheme_end(t, i);
    if (!j) continue;
    urls++;
    if (extract_host(t, j, host, cap) && !host_inside(s, host)) return true;
    i = j - 1;
  }
  return false;
}

/* Appends declared list items "a, b" (bounded) to buf. */
static void list_str(char *buf, size_t cap, const char *items, size_t stride,
                     size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used + 1 < cap; i++) {
    const char *it = items + i * stride;
    if (!it[0]) continue;
    int k = snprintf(buf + used, cap - used, "%s%.40s", used ? ", " : "", it);
    if (k < 0) break;
    used += (size_t)k;
  }
  if (used >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
}

static float boundary_score(const void *ctx, void *thread_scratch,
                            const struct sr_detect_input *in,
                            void *session_scratch, char *reason,
                            size_t reasonlen) {
  (void)thread_scratch;
  (void)session_scratch;
  const struct ctx *c = ctx;
  const struct sr_event *ev = in->ev;
  const struct sr_op *op = in->op;
  const struct sr_session_info *s = in->session;
  if (ev->type != SR_EV_TOOL_CALL || !s) return 0;

  float score = 0;
  size_t used = 0;
  reason[0] = '\0';
#define APPEND(...)                                                    \
  do {                                                                 \
    if (used < reasonlen) {                                            \
      int k_ = snprintf(reason + used, reasonlen - used, __VA_ARGS__); \
      if (k_ > 0) used += (size_t)k_;                                  \
    }                                                                  \
  } while (0)

  sr_str env = sr_env_canonical(op->environment);
  sr_str decl[1 + SR_SCOPE_ENV_MAX];
  size_t nd = env.n && !declared_verbatim(s, env) ? declared_envs(s, decl) : 0;
  if (nd && !env_inside(decl, nd, env)) {
    bool prod = sr_env_is_production(env);
    score = SR_MAX(score, prod ? c->production : c->environment);
    APPEND(
        "call acts on %.*s outside the session's declared environment "
        "(%.*s",
        SV(env, 32), SV(decl[0], 32));
    for (size_t i = 1; i < nd; i++) APPEND(", %.*s", SV(decl[i], 32));
    APPEND(")");
  }

  if (s->n_scope_resources && op->target_id.n && !resource_inside(s, op)) {
    char list[96];
    list_str(list, sizeof(list), &s->scope_resources[0][0],
             sizeof(s->scope_resources[0]),
             SR_MIN(s->n_scope_resources, SR_SCOPE_RESOURCE_MAX));
    score = SR_MAX(score, c->resource);
    APPEND("%starget %.*s outside the declared resources (%s)",
           used ? "; " : "", SV(op->target_id, 64), list);
  }

  char host[HOST_MAX];
  if (s->n_scope_domains && ev->arguments.n &&
      host_outside(c, s, ev->arguments, host, sizeof(host))) {
    char list[96];
    list_str(list, sizeof(list), &s->scope_domains[0][0],
             sizeof(s->scope_domains[0]),
             SR_MIN(s->n_scope_domains, SR_SCOPE_DOMAIN_MAX));
    score = SR_MAX(score, c->domain);
    APPEND("%srequest to %.64s outside the declared domains (%s)",
           used ? "; " : "", host, list);
  }
#undef APPEND
  if (!(score > 0)) return 0;
  return score > 1 ? 1 : score;
}

static void boundary_destroy(void *ctx) {
  free(ctx);
}

const struct sr_detector sr_detector_boundary = {
    .version = SR_DETECTOR_VERSION,
    .name = "boundary",
    .description =
        "a call outside the session's declared environment, "
        "resources or domains",
    .session_size = 0,
    .init = boundary_init,
    .score = boundary_score,
    .destroy = boundary_destroy,
    .kinds = SR_KIND_CALLS,
};
