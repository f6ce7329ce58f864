/*
 * scope_inflation: how much more a credential can do than the call needs.
 *
 * A token that can do everything turns any mistake into the worst mistake;
 * PocketOS's CLI token could delete production volumes although it was made
 * to manage custom domains. The measure is a ratio of surfaces, on a log
 * scale because privilege spans orders of magnitude:
 *
 *   breadth(scope) = resource breadth x action breadth
 *     resource: a named one 1, "*" (any) 100
 *     action:   read/list/get/view 3, write/create/update/delete/... 10
 *               (and any unknown action word: assume it mutates),
 *               "*"/admin/owner/full/all/manage 100; a bare resource ("repo")
 *               means all actions on it.
 *     "*", "admin", "owner", "root", "full", "all" alone: everything, 10^4.
 *     So "*:*" 10^4, "volume:*" 10^2, "volume:delete" 10, "volume:read" 3,
 *     "*:read" 300; GitHub-style "read:org" (action first) is understood.
 *   privilege = sum of breadth over the credential's scopes
 *   need      = breadth(op->needed_scope), or by verb when the catalogue
 *               did not say (read 3, anything else 10)
 *   score     = clamp(log10(privilege / need) / max_orders, 0, 1)
 *
 * max_orders (default 3, configurable) is the number of orders of magnitude
 * that scores 1: one order (a resource-wide token for one write) gives 0.33,
 * '*' for a volume deletion (10^4 / 10) gives 1, a token scoped exactly to
 * the operation gives 0. Need is measured in the same unit as privilege so
 * an exact fit is ratio 1 whatever the verb.
 *
 * A read with an over-broad credential is latent risk, not damage about to
 * happen (every CI job reads with a wide token): its score is multiplied by
 * read_factor (default 0.25, below the default threshold), so it shows in
 * the session without stacking on its own.
 *
 * Only tool calls that use a credential with known scopes are scored. When
 * no scope covers what the call needs, the reason says so; scoring that is
 * credential_misuse's business, not this dimension's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "detectors/detector.h"
#include "detectors/memo.h"

#define SV(s, max) (int)SR_MIN((s).n, (size_t)(max)), ((s).p ? (s).p : "")

#define BREADTH_ALL 10000.0
#define RES_ANY 100.0
#define ACT_ALL 100.0
#define ACT_WRITE 10.0
#define ACT_READ 3.0

struct ctx {
  double max_orders;
  double read_factor; /* reads are latent risk: scaled down */
};

static const char *const allowed_keys[] = {
    "enabled",    "weight",      "threshold", "half_life_s",
    "max_orders", "read_factor", NULL};

enum act_class { ACT_C_UNKNOWN, ACT_C_READ, ACT_C_WRITE, ACT_C_ALL };

/* A scope split into its resource and action parts; either may be empty. */
struct scope {
  sr_str res;
  sr_str act;
  enum act_class cls; /* act's class, looked up once by parse_scope */
  bool all;           /* the whole account: "*", "admin", ... */
};

/* Every word a scope is made of that means something here: the action
 * class it names, and whether alone it grants the whole account. Scopes are
 * read on every call that carries a credential, so the words are grouped by
 * their first letter and a lookup compares one group only, folding case as
 * it goes. */
struct scope_word {
  const char *w; /* lower case */
  uint8_t len;
  uint8_t act; /* enum act_class */
  bool all;    /* "*", "admin", ... alone: everything */
};

#define W(w, act, all) {w, sizeof(w) - 1, act, all}

static const struct scope_word words_star[] = {W("*", ACT_C_ALL, true)};
static const struct scope_word words_a[] = {W("admin", ACT_C_ALL, true),
                                            W("all", ACT_C_ALL, true)};
static const struct scope_word words_o[] = {W("owner", ACT_C_ALL, true)};
static const struct scope_word words_f[] = {W("full", ACT_C_ALL, true)};
static const struct scope_word words_s[] = {
    W("superuser", ACT_C_UNKNOWN, true)};
static const struct scope_word words_r[] = {
    W("root", ACT_C_UNKNOWN, true),  W("rw", ACT_C_ALL, false),
    W("readwrite", ACT_C_ALL, false), W("read_write", ACT_C_ALL, false),
    W("read", ACT_C_READ, false),     W("readonly", ACT_C_READ, false),
    W("read_only", ACT_C_READ, false), W("r", ACT_C_READ, false),
    W("run", ACT_C_WRITE, false),     W("remove", ACT_C_WRITE, false),
};
static const struct scope_word words_m[] = {W("manage", ACT_C_ALL, false),
                                            W("modify", ACT_C_WRITE, false)};
static const struct scope_word words_l[] = {W("list", ACT_C_READ, false)};
static const struct scope_word words_g[] = {W("get", ACT_C_READ, false)};
static const struct scope_word words_v[] = {W("view", ACT_C_READ, false)};
static const struct scope_word words_d[] = {
    W("describe", ACT_C_READ, false), W("delete", ACT_C_WRITE, false),
    W("destroy", ACT_C_WRITE, false), W("deploy", ACT_C_WRITE, false)};
static const struct scope_word words_w[] = {W("write", ACT_C_WRITE, false),
                                            W("w", ACT_C_WRITE, false)};
static const struct scope_word words_c[] = {W("create", ACT_C_WRITE, false)};
static const struct scope_word words_u[] = {W("update", ACT_C_WRITE, false)};
static const struct scope_word words_e[] = {W("edit", ACT_C_WRITE, false),
                                            W("execute", ACT_C_WRITE, false),
                                            W("exec", ACT_C_WRITE, false)};
static const struct scope_word words_p[] = {W("put", ACT_C_WRITE, false),
                                            W("post", ACT_C_WRITE, false),
                                            W("push", ACT_C_WRITE, false)};

#define SCOPE_WORD_MAX 10 /* the longest entry above */

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static const struct scope_word *scope_word(sr_str s) {
  if (s.n == 0 || s.n > SCOPE_WORD_MAX) return NULL;
  const struct scope_word *group;
  size_t n;
#define GROUP(g) (group = (g), n = SR_ARRAY_LEN(g))
  switch (lower(s.p[0])) {
    case '*': GROUP(words_star); break;
    case 'a': GROUP(words_a); break;
    case 'o': GROUP(words_o); break;
    case 'f': GROUP(words_f); break;
    case 's': GROUP(words_s); break;
    case 'r': GROUP(words_r); break;
    case 'm': GROUP(words_m); break;
    case 'l': GROUP(words_l); break;
    case 'g': GROUP(words_g); break;
    case 'v': GROUP(words_v); break;
    case 'd': GROUP(words_d); break;
    case 'w': GROUP(words_w); break;
    case 'c': GROUP(words_c); break;
    case 'u': GROUP(words_u); break;
    case 'e': GROUP(words_e); break;
    case 'p': GROUP(words_p); break;
    default: return NULL;
  }
#undef GROUP
  for (size_t i = 0; i < n; i++) {
    if (group[i].len != s.n) continue;
    size_t k = 1; /* the first letter chose the group */
    while (k < s.n && lower(s.p[k]) == group[i].w[k]) k++;
    if (k == s.n) return &group[i];
  }
  return NULL;
}

static enum act_class act_class(sr_str a) {
  const struct scope_word *w = scope_word(a);
  return w ? (enum act_class)w->act : ACT_C_UNKNOWN;
}

static sr_str trim(sr_str s) {
  while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) s.p++, s.n--;
  while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t')) s.n--;
  return s;
}

static struct scope parse_scope(sr_str s) {
  struct scope sc = {SR_STR_NULL, SR_STR_NULL, ACT_C_UNKNOWN, false};
  s = trim(s);
  const struct scope_word *w = scope_word(s);
  if (w && w->all) {
    sc.all = true;
    return sc;
  }
  const char *colon = s.n ? memchr(s.p, ':', s.n) : NULL;
  if (!colon) {
    /* A bare action word ("write") applies to every resource; a bare
     * resource ("repo") to every action. */
    if (w && w->act != ACT_C_UNKNOWN) {
      sc.act = s;
      sc.cls = (enum act_class)w->act;
    } else {
      sc.res = s;
    }
    return sc;
  }
  sr_str a = trim((sr_str){s.p, (size_t)(colon - s.p)});
  sr_str b = trim((sr_str){colon + 1, s.n - (size_t)(colon - s.p) - 1});
  enum act_class ca = act_class(a), cb = act_class(b);
  if (ca != ACT_C_UNKNOWN && cb == ACT_C_UNKNOWN && !sr_str_eq_cstr(a, "*")) {
    sc.act = a; /* GitHub order: "read:org" */
    sc.cls = ca;
    sc.res = b;
  } else {
    sc.res = a;
    sc.act = b;
    sc.cls = cb;
  }
  if (sr_str_eq_cstr(sc.res, "*") && sc.cls == ACT_C_ALL) sc.all = true;
  return sc;
}

static double breadth(struct scope sc) {
  if (sc.all) return BREADTH_ALL;
  double r = (sc.res.n == 0 || sr_str_eq_cstr(sc.res, "*")) ? RES_ANY : 1.0;
  double a;
  if (sc.act.n == 0) {
    a = ACT_ALL;
  } else {
    switch (sc.cls) {
      case ACT_C_ALL:
        a = ACT_ALL;
        break;
      case ACT_C_READ:
        a = ACT_READ;
        break;
      default:
        a = ACT_WRITE;
        break;
    }
  }
  return r * a;
}

/* "volumes" and "volume" name the same kind. */
static bool same_resource(sr_str a, sr_str b) {
  if (a.n > 3 && (a.p[a.n - 1] == 's' || a.p[a.n - 1] == 'S')) a.n--;
  if (b.n > 3 && (b.p[b.n - 1] == 's' || b.p[b.n - 1] == 'S')) b.n--;
  if (a.n != b.n) return false;
  char buf[128];
  if (b.n >= sizeof(buf)) return false;
  sr_str_copy(buf, sizeof(buf), b);
  return sr_str_eq_nocase(a, buf);
}

/* Does scope s grant the needed scope n? */
static bool covers(struct scope s, struct scope n) {
  if (s.all) return true;
  bool res_ok = s.res.n == 0 || sr_str_eq_cstr(s.res, "*") ||
                (n.res.n && same_resource(s.res, n.res));
  if (!res_ok) return false;
  if (s.act.n == 0) return true;
  enum act_class sc = s.cls, nc = n.cls;
  if (sc == ACT_C_ALL) return true;
  char buf[64];
  if (n.act.n && n.act.n < sizeof(buf)) {
    sr_str_copy(buf, sizeof(buf), n.act);
    if (sr_str_eq_nocase(s.act, buf)) return true;
  }
  /* The generic words grant their whole class. */
  if (sr_str_eq_nocase(s.act, "write") && nc == ACT_C_WRITE) return true;
  if (sr_str_eq_nocase(s.act, "read") && nc == ACT_C_READ) return true;
  return false;
}

static void *scope_init(const struct sr_conf_node *section, char *err,
                        size_t errlen) {
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0) return NULL;
  double orders, read_factor;
  if (sr_conf_get_double(section, "max_orders", 3.0, 0.5, 8.0, &orders, err,
                         errlen) != 0 ||
      sr_conf_get_double(section, "read_factor", 0.25, 0.0, 1.0, &read_factor,
                         err, errlen) != 0)
    return NULL;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "scope_inflation: out of memory");
    return NULL;
  }
  c->max_orders = orders;
  c->read_factor = read_factor;
  return c;
}

static void magnitude(char *buf, size_t len, double v) {
  if (v < 100)
    snprintf(buf, len, "~%.0f", v);
  else
    snprintf(buf, len, "~10^%.0f", floor(log10(v) + 0.5));
}

/* The breadths a credential's scopes and a call's needed scope measure:
 * pure functions of those strings, remembered per thread (memo.h). */
struct breadths {
  double priv;     /* sum over the scopes */
  double need;     /* of the needed scope; 0 when there is none */
  uint32_t widest; /* index of the broadest scope, the first of equals */
};

static struct breadths measure(const struct sr_credential *cr,
                               const char *needed) {
  struct breadths b = {0, 0, 0};
  double widest = -1;
  for (uint32_t i = 0; i < cr->n_scopes; i++) {
    double x = breadth(parse_scope(cr->scopes[i]));
    b.priv += x;
    if (x > widest) widest = x, b.widest = i;
  }
  if (needed && needed[0]) b.need = breadth(parse_scope(sr_str_from(needed)));
  return b;
}

static struct breadths measure_memo(struct sr_memo *m,
                                    const struct sr_credential *cr,
                                    const char *needed) {
  if (!m) return measure(cr, needed);
  struct sr_memo_key k;
  sr_memo_key_start(&k);
  sr_memo_key_cstr(&k, needed);
  for (uint32_t i = 0; i < cr->n_scopes; i++)
    sr_memo_key_add(&k, cr->scopes[i].p, cr->scopes[i].n, false);
  struct breadths b = {0, 0, 0};
  bool hit;
  struct sr_memo_slot *slot = sr_memo_find(m, &k, &b, sizeof b, &hit);
  if (hit) return b;
  b = measure(cr, needed);
  if (slot) sr_memo_store(m, slot, &k, &b, sizeof b);
  return b;
}

static float scope_score(const void *ctx, void *thread_scratch,
                         const struct sr_detect_input *in,
                         void *session_scratch, char *reason,
                         size_t reasonlen) {
  (void)session_scratch;
  const struct ctx *c = ctx;
  const struct sr_op *op = in->op;
  const struct sr_credential *cr = &op->credential;
  if (in->ev->type != SR_EV_TOOL_CALL) return 0;
  if (cr->id.n == 0 || !cr->known || cr->n_scopes == 0) return 0;

  bool has_need = op->needed_scope && op->needed_scope[0];
  struct breadths b = measure_memo(thread_scratch, cr, op->needed_scope);
  double priv = b.priv;
  size_t widest_i = b.widest;
  double need = has_need ? b.need
                      : (op->verb == SR_VERB_READ ? ACT_READ : ACT_WRITE);
  if (need < 1) need = 1;
  double orders = log10(priv / need);
  float score = (float)(orders / c->max_orders);
  if (score > 1) score = 1;
  if (!(score > 0)) return 0;
  bool read = op->verb == SR_VERB_READ;
  if (read) score *= (float)c->read_factor;
  if (score < in->reason_floor) return score;

  struct scope need_sc = {SR_STR_NULL, SR_STR_NULL, ACT_C_UNKNOWN, false};
  if (has_need) need_sc = parse_scope(sr_str_from(op->needed_scope));
  bool covered = !(op->needed_scope && op->needed_scope[0]);
  for (uint32_t i = 0; !covered && i < cr->n_scopes; i++)
    covered = covers(parse_scope(cr->scopes[i]), need_sc);

  char others[24] = "";
  if (cr->n_scopes > 1)
    snprintf(others, sizeof(others), " and %u more", cr->n_scopes - 1);
  char privs[16], needs[16], ord[16];
  magnitude(privs, sizeof(privs), priv);
  magnitude(needs, sizeof(needs), need);
  double r = floor(orders + 0.5);
  if (fabs(orders - r) < 0.05)
    snprintf(ord, sizeof(ord), "%.0f", r);
  else
    snprintf(ord, sizeof(ord), "%.1f", orders);
  char needing[96];
  if (op->needed_scope && op->needed_scope[0])
    snprintf(needing, sizeof(needing), "an operation needing %.48s (%s)",
             op->needed_scope, needs);
  else
    snprintf(needing, sizeof(needing), "a %s operation (%s)",
             op->verb == SR_VERB_READ ? "read" : "write", needs);
  snprintf(reason, reasonlen,
           "credential %.*s carries '%.*s'%s (%s operations) for %s: %s "
           "order%s of magnitude%s",
           SV(cr->id, 40), SV(cr->scopes[widest_i], 32), others, privs, needing,
           ord, sr_str_eq_cstr(sr_str_from(ord), "1") ? "" : "s",
           covered ? "" : "; none of its scopes grants it");
  if (read) {
    size_t n = strlen(reason);
    snprintf(reason + n, reasonlen - n, " (a read: latent risk)");
  }
  return score;
}

static void scope_destroy(void *ctx) {
  free(ctx);
}

static void *scope_thread_create(const void *ctx) {
  (void)ctx;
  return calloc(1, sizeof(struct sr_memo));
}

static void scope_thread_destroy(void *memo) {
  free(memo);
}

const struct sr_detector sr_detector_scope_inflation = {
    .version = SR_DETECTOR_VERSION,
    .name = "scope_inflation",
    .description =
        "privilege the credential carries vs privilege the "
        "operation needs, in orders of magnitude",
    .session_size = 0,
    .init = scope_init,
    .thread_create = scope_thread_create,
    .thread_destroy = scope_thread_destroy,
    .score = scope_score,
    .destroy = scope_destroy,
    .kinds = SR_KIND_CALLS,
};
