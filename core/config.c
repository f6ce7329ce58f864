/*
 * The configuration file, parsed once at start-up into a read-only tree.
 *
 * libyaml's event API feeds a small stack of open collections; when a map or
 * list closes, its children are copied into exact-size arrays in a pool that
 * the sr_conf owns. Every node, key, path, and the per-list array of item
 * strings (what sr_conf_get_strings hands out) is allocated there during the
 * load, so after sr_conf_load_* returns nothing is ever allocated or written
 * again: the tree may be read from any number of threads, and sr_conf_destroy
 * is one walk over the pool's blocks.
 *
 * Each node keeps its line and its dotted path ("policy.rules[1].action"), so
 * every error can be written for the person editing the file:
 * "FILE:LINE: PATH: message". A map value carries the line of its key, which
 * is where a reader looks. Keys that contain dots are concatenated as they
 * are ("kafka.properties" + "linger.ms" -> "kafka.properties.linger.ms").
 *
 * Choices worth knowing:
 * - Anchors (&a) and aliases (*a) are rejected with an error: resolving them
 *   would give one node two paths and two lines, and a config file this size
 *   does not need them. Tags are ignored. One document per file.
 * - Quoting does not change how a value converts: threshold: "0.5" is the
 *   number 0.5 and enabled: "yes" is true. A person who quotes a number means
 *   the number; rejecting it would only be pedantic. The reverse holds too: a
 *   plain 8080 read as a string is the text "8080".
 * - A plain empty value, "~" or "null" (any case of null) is YAML's null, and
 *   the typed getters treat it as an absent key (the default applies); a
 *   quoted "" is an empty string, not null. A null where a map is expected
 *   (a section whose keys were all commented out) is an empty map.
 * - Booleans: true/false, yes/no, on/off, any case. Integers: decimal with an
 *   optional sign, nothing else (no hex, no underscores, no trailing text);
 *   overflow is reported as out of range. Doubles: the whole text must
 *   convert with strtod, only digits, sign, '.', 'e' (so no hex floats), and
 *   nan and inf are rejected.
 * - In field tables, min == max == 0 on a number means "no bound", so a table
 *   entry may leave them out. A def of NULL leaves the destination untouched.
 *   A def that does not parse is a bug in the table and asserts.
 */
#include "core/config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "core/sr.h"

/* Bounds on hostile or mistaken input: a config is small and hand-written. */
#define MAX_DEPTH 64
#define MAX_FILE_BYTES (16u << 20)
/* Longest value quoted back in an error before it is cut with "...". */
#define QUOTE_MAX 60

/*
 * A node. Scalars have text; maps have len keys and len values (items, in
 * file order); lists have len items and strings, where strings[i] is the
 * text of item i or NULL when item i is not a scalar. Nothing here changes
 * after the load.
 */
struct sr_conf_node {
  enum sr_conf_kind kind;
  int line;
  bool null; /* plain "", "~" or "null": YAML's null */
  const char *path;
  const char *file;
  const char *text;
  size_t len;
  const struct sr_conf_node **items;
  const char **keys;
  const char **strings;
};

/* One block of the pool; data is aligned for any object. */
struct block {
  struct block *next;
  size_t cap, used;
  alignas(max_align_t) unsigned char data[];
};

struct sr_conf {
  struct block *blocks;
  const char *file;
  struct sr_conf_node *root;
};

/* ------------------------------------------------------------------ pool */

#define BLOCK_BYTES 16384u

static void *pool_alloc(struct sr_conf *conf, size_t n) {
  const size_t al = alignof(max_align_t);
  n = (n + al - 1) & ~(al - 1);
  struct block *b = conf->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->cap = cap;
    b->used = 0;
    b->next = conf->blocks;
    conf->blocks = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  return p;
}

static char *pool_strndup(struct sr_conf *conf, const char *s, size_t n) {
  char *p = pool_alloc(conf, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* ---------------------------------------------------------------- errors */

/* Writes "FILE:LINE: PATH: message" (PATH left out for the root). */
static void put_error(char *err, size_t errlen, const char *file, size_t line,
                      const char *path, const char *fmt, va_list ap) {
  if (!err || errlen == 0) return;
  int k = path && path[0]
              ? snprintf(err, errlen, "%s:%zu: %s: ", file, line, path)
              : snprintf(err, errlen, "%s:%zu: ", file, line);
  size_t off = k < 0 ? 0 : SR_MIN((size_t)k, errlen - 1);
  vsnprintf(err + off, errlen - off, fmt, ap);
}

int sr_conf_error(const struct sr_conf_node *n, char *err, size_t errlen,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (n) {
    put_error(err, errlen, n->file, (size_t)n->line, n->path, fmt, ap);
  } else if (err && errlen) {
    vsnprintf(err, errlen, fmt, ap);
  }
  va_end(ap);
  return SR_EINVAL;
}

/* An error of the load, where there may be no node yet. */
__attribute__((format(printf, 6, 7))) static void load_error(
    char *err, size_t errlen, const char *file, size_t line, const char *path,
    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  put_error(err, errlen, file, line, path, fmt, ap);
  va_end(ap);
}

/* A value for an error, cut to QUOTE_MAX bytes with "..." so a long value
 * does not push the rest of the message out of a small buffer. */
static const char *clip(const char *s, char *buf, size_t cap) {
  assert(cap >= QUOTE_MAX + 4);
  if (strlen(s) <= QUOTE_MAX) return s;
  snprintf(buf, cap, "%.*s...", QUOTE_MAX, s);
  return buf;
}

static const char *quoted(const char *s, char *buf, size_t cap) {
  char c[QUOTE_MAX + 4];
  snprintf(buf, cap, "'%s'", clip(s, c, sizeof c));
  return buf;
}

#define DESCRIBE_CAP (QUOTE_MAX + 8)

/* What the user wrote, for "expected X, got Y": 'high', a map, a list. */
static const char *describe(const struct sr_conf_node *n, char *buf,
                            size_t cap) {
  if (n->kind == SR_CONF_MAP) return "a map";
  if (n->kind == SR_CONF_LIST) return "a list";
  return quoted(n->text, buf, cap);
}

/* -------------------------------------------------------------- building */

/* A map or list being filled. Only these arrays are temporary (heap); they
 * are copied into the pool when the collection ends. */
struct frame {
  struct sr_conf_node *node;
  const struct sr_conf_node **items;
  const char **keys;
  size_t len, cap;
  /* Maps alternate key and value: a key was read, its value is to come. */
  bool have_key;
  const char *key;
  const char *key_path;
  int key_line;
};

struct builder {
  struct sr_conf *conf;
  const unsigned char *input;
  size_t input_len;
  struct frame stack[MAX_DEPTH];
  size_t depth;
  bool seen_document;
  char *err;
  size_t errlen;
};

static int mark_line(yaml_mark_t m) {
  return m.line >= (size_t)INT_MAX ? INT_MAX : (int)m.line + 1;
}

static bool is_null_text(const char *s) {
  return s[0] == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

static struct frame *top(struct builder *b) {
  return b->depth ? &b->stack[b->depth - 1] : NULL;
}

/* Path of a child of the open collection: "parent.key" or "parent[i]". */
static const char *child_path(struct builder *b, const char *key) {
  struct frame *f = top(b);
  const char *pp = f->node->path;
  char idx[32];
  if (!key) snprintf(idx, sizeof idx, "[%zu]", f->len);
  const char *tail = key ? key : idx;
  const char *dot = key && pp[0] ? "." : "";
  size_t n = strlen(pp) + strlen(dot) + strlen(tail);
  char *p = pool_alloc(b->conf, n + 1);
  if (!p) return NULL;
  snprintf(p, n + 1, "%s%s%s", pp, dot, tail);
  return p;
}

/* A node for the next value: of the pending map key (line and path of the
 * key), the next list item, or the root. */
static struct sr_conf_node *new_node(struct builder *b, enum sr_conf_kind kind,
                                     yaml_mark_t start) {
  struct sr_conf_node *n = pool_alloc(b->conf, sizeof *n);
  if (!n) return NULL;
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->file = b->conf->file;
  struct frame *f = top(b);
  if (!f) {
    n->path = "";
    n->line = mark_line(start);
  } else if (f->node->kind == SR_CONF_MAP) {
    assert(f->have_key);
    n->path = f->key_path;
    n->line = f->key_line;
  } else {
    n->path = child_path(b, NULL);
    if (!n->path) return NULL;
    n->line = mark_line(start);
  }
  return n;
}

/* Hands a finished node to the open collection, or makes it the root. */
static int attach(struct builder *b, struct sr_conf_node *n) {
  struct frame *f = top(b);
  if (!f) {
    b->conf->root = n;
    return 0;
  }
  if (f->len == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    const struct sr_conf_node **items = realloc(f->items, cap * sizeof *items);
    if (!items) return SR_ENOMEM;
    f->items = items;
    if (f->node->kind == SR_CONF_MAP) {
      const char **keys = realloc(f->keys, cap * sizeof *keys);
      if (!keys) return SR_ENOMEM;
      f->keys = keys;
    }
    f->cap = cap;
  }
  f->items[f->len] = n;
  if (f->node->kind == SR_CONF_MAP) f->keys[f->len] = f->key;
  f->len++;
  f->have_key = false;
  return 0;
}

static int oom(struct builder *b) {
  load_error(b->err, b->errlen, b->conf->file, 0, NULL, "out of memory");
  return SR_ENOMEM;
}

static bool awaiting_key(struct builder *b) {
  struct frame *f = top(b);
  return f && f->node->kind == SR_CONF_MAP && !f->have_key;
}

static int on_key(struct builder *b, const char *text, size_t len,
                  yaml_mark_t start) {
  struct frame *f = top(b);
  const char *key = pool_strndup(b->conf, text, len);
  const char *path = key ? child_path(b, key) : NULL;
  if (!path) return oom(b);
  for (size_t i = 0; i < f->len; i++) {
    if (strcmp(f->keys[i], key) == 0) {
      load_error(b->err, b->errlen, b->conf->file, (size_t)mark_line(start),
                 path, "duplicate key '%s', first defined on line %d", key,
                 f->items[i]->line);
      return SR_EINVAL;
    }
  }
  f->have_key = true;
  f->key = key;
  f->key_path = path;
  f->key_line = mark_line(start);
  return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev) {
  const char *text = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  if (memchr(text, '\0', len)) {
    load_error(b->err, b->errlen, b->conf->file,
               (size_t)mark_line(ev->start_mark), NULL,
               "a NUL character is not allowed in a value");
    return SR_EINVAL;
  }
  if (awaiting_key(b)) return on_key(b, text, len, ev->start_mark);

  struct sr_conf_node *n = new_node(b, SR_CONF_SCALAR, ev->start_mark);
  if (!n) return oom(b);
  n->text = pool_strndup(b->conf, text, len);
  if (!n->text) return oom(b);
  n->null =
      ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_text(n->text);
  if (!top(b)) {
    /* A document of only "---" is a null: the same as an empty file. */
    if (n->null) {
      n->kind = SR_CONF_MAP;
      n->text = NULL;
      n->null = false;
    } else {
      char q[DESCRIBE_CAP];
      load_error(b->err, b->errlen, b->conf->file, (size_t)n->line, NULL,
                 "the top level must be a map of sections, got %s",
                 quoted(n->text, q, sizeof q));
      return SR_EINVAL;
    }
  }
  return attach(b, n) ? oom(b) : 0;
}

static int on_start(struct builder *b, enum sr_conf_kind kind,
                    const yaml_event_t *ev) {
  const char *what = kind == SR_CONF_MAP ? "a map" : "a list";
  size_t line = (size_t)mark_line(ev->start_mark);
  if (awaiting_key(b)) {
    load_error(b->err, b->errlen, b->conf->file, line, top(b)->node->path,
               "a key must be a plain value, got %s", what);
    return SR_EINVAL;
  }
  if (!top(b) && kind != SR_CONF_MAP) {
    load_error(b->err, b->errlen, b->conf->file, line, NULL,
               "the top level must be a map of sections, got %s", what);
    return SR_EINVAL;
  }
  if (b->depth == MAX_DEPTH) {
    load_error(b->err, b->errlen, b->conf->file, line, NULL,
               "nested deeper than %d levels", MAX_DEPTH);
    return SR_EINVAL;
  }
  struct sr_conf_node *n = new_node(b, kind, ev->start_mark);
  if (!n) return oom(b);
  b->stack[b->depth++] = (struct frame){.node = n};
  return 0;
}

/* Closes the collection on top: its children move into the pool. */
static int on_end(struct builder *b) {
  struct frame *f = top(b);
  assert(f && !f->have_key);
  struct sr_conf_node *n = f->node;
  n->len = f->len;
  if (f->len) {
    n->items = pool_alloc(b->conf, f->len * sizeof *n->items);
    if (!n->items) goto fail;
    memcpy(n->items, f->items, f->len * sizeof *n->items);
    if (n->kind == SR_CONF_MAP) {
      n->keys = pool_alloc(b->conf, f->len * sizeof *n->keys);
      if (!n->keys) goto fail;
      memcpy(n->keys, f->keys, f->len * sizeof *n->keys);
    } else {
      n->strings = pool_alloc(b->conf, f->len * sizeof *n->strings);
      if (!n->strings) goto fail;
      for (size_t i = 0; i < f->len; i++) n->strings[i] = f->items[i]->text;
    }
  }
  free(f->items);
  free(f->keys);
  b->depth--;
  return attach(b, n) ? oom(b) : 0;

fail:
  return oom(b); /* the frame's arrays are freed by load() */
}

static int on_event(struct builder *b, const yaml_event_t *ev) {
  const yaml_char_t *anchor = NULL;
  if (ev->type == YAML_SCALAR_EVENT) anchor = ev->data.scalar.anchor;
  if (ev->type == YAML_MAPPING_START_EVENT)
    anchor = ev->data.mapping_start.anchor;
  if (ev->type == YAML_SEQUENCE_START_EVENT)
    anchor = ev->data.sequence_start.anchor;
  size_t line = (size_t)mark_line(ev->start_mark);
  if (anchor) {
    load_error(b->err, b->errlen, b->conf->file, line, NULL,
               "anchors (&%s) are not supported; write the value out",
               (const char *)anchor);
    return SR_EINVAL;
  }

  switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
      if (b->seen_document) {
        load_error(b->err, b->errlen, b->conf->file, line, NULL,
                   "only one YAML document is allowed in a config file");
        return SR_EINVAL;
      }
      b->seen_document = true;
      return 0;
    case YAML_ALIAS_EVENT:
      load_error(b->err, b->errlen, b->conf->file, line, NULL,
                 "aliases (*%s) are not supported; write the value out",
                 (const char *)ev->data.alias.anchor);
      return SR_EINVAL;
    case YAML_SCALAR_EVENT:
      return on_scalar(b, ev);
    case YAML_MAPPING_START_EVENT:
      return on_start(b, SR_CONF_MAP, ev);
    case YAML_SEQUENCE_START_EVENT:
      return on_start(b, SR_CONF_LIST, ev);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
      return on_end(b);
    default:
      return 0;
  }
}

/* Line of a byte offset, for reader errors (bad UTF-8), which libyaml
 * reports by offset because the reader runs ahead of the scanner. */
static size_t offset_line(const struct builder *b, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < b->input_len; i++) {
    if (b->input[i] == '\n') line++;
  }
  return line;
}

static void syntax_error(struct builder *b, const yaml_parser_t *p) {
  const char *file = b->conf->file;
  const char *problem = p->problem ? p->problem : "unknown error";
  if (p->error == YAML_MEMORY_ERROR) {
    load_error(b->err, b->errlen, file, 0, NULL, "out of memory");
  } else if (p->error == YAML_READER_ERROR) {
    load_error(b->err, b->errlen, file, offset_line(b, p->problem_offset), NULL,
               "%s (byte 0x%02x)", problem, (unsigned)p->problem_value);
  } else if (p->context) {
    load_error(b->err, b->errlen, file, (size_t)mark_line(p->problem_mark),
               NULL, "YAML syntax error: %s (%s started on line %d)", problem,
               p->context, mark_line(p->context_mark));
  } else {
    load_error(b->err, b->errlen, file, (size_t)mark_line(p->problem_mark),
               NULL, "YAML syntax error: %s", problem);
  }
}

/* Parses len bytes of YAML; `name` is the file name for errors. */
static struct sr_conf *load(const unsigned char *input, size_t len,
                            const char *name, char *err, size_t errlen) {
  yaml_parser_t parser;
  yaml_event_t ev;
  bool parser_ok = false;
  struct builder *b = NULL;
  struct sr_conf *conf = calloc(1, sizeof *conf);
  if (!conf) goto oom;
  conf->file = pool_strndup(conf, name, strlen(name));
  if (!conf->file) goto oom;
  /* The builder holds MAX_DEPTH frames: too large for a thread stack. */
  b = calloc(1, sizeof *b);
  if (!b) goto oom;
  *b = (struct builder){.conf = conf,
                        .input = input,
                        .input_len = len,
                        .err = err,
                        .errlen = errlen};
  if (!yaml_parser_initialize(&parser)) goto oom;
  parser_ok = true;
  yaml_parser_set_input_string(&parser, input, len);

  for (;;) {
    if (!yaml_parser_parse(&parser, &ev)) {
      syntax_error(b, &parser);
      goto fail;
    }
    int rc = on_event(b, &ev);
    yaml_event_type_t type = ev.type;
    yaml_event_delete(&ev);
    if (rc) goto fail;
    if (type == YAML_STREAM_END_EVENT) break;
  }
  assert(b->depth == 0);
  if (!conf->root) {
    /* An empty file, or only comments: an empty map. */
    struct sr_conf_node *root = pool_alloc(conf, sizeof *root);
    if (!root) goto oom;
    *root = (struct sr_conf_node){
        .kind = SR_CONF_MAP, .line = 1, .path = "", .file = conf->file};
    conf->root = root;
  }
  assert(conf->root->kind == SR_CONF_MAP);
  yaml_parser_delete(&parser);
  free(b);
  return conf;

oom:
  load_error(err, errlen, name, 0, NULL, "out of memory");
fail:
  if (b) {
    for (size_t i = 0; i < b->depth; i++) {
      free(b->stack[i].items);
      free(b->stack[i].keys);
    }
    free(b);
  }
  if (parser_ok) yaml_parser_delete(&parser);
  sr_conf_destroy(conf);
  return NULL;
}

struct sr_conf *sr_conf_load_string(const char *yaml, const char *name,
                                    char *err, size_t errlen) {
  assert(yaml && name);
  return load((const unsigned char *)yaml, strlen(yaml), name, err, errlen);
}

struct sr_conf *sr_conf_load_file(const char *path, char *err, size_t errlen) {
  assert(path);
  unsigned char *buf = NULL;
  size_t len = 0, cap = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (err && errlen)
      snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  for (;;) {
    if (len == cap) {
      if (cap > MAX_FILE_BYTES) {
        if (err && errlen)
          snprintf(err, errlen, "cannot read %s: larger than %u bytes", path,
                   MAX_FILE_BYTES);
        goto fail;
      }
      cap = cap ? cap * 2 : 4096;
      unsigned char *nb = realloc(buf, cap);
      if (!nb) {
        if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    if (err && errlen)
      snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    goto fail;
  }
  fclose(f);
  f = NULL;
  struct sr_conf *conf = load(buf, len, path, err, errlen);
  free(buf);
  return conf;

fail:
  free(buf);
  if (f) fclose(f);
  return NULL;
}

void sr_conf_destroy(struct sr_conf *conf) {
  if (!conf) return;
  struct block *b = conf->blocks;
  while (b) {
    struct block *next = b->next;
    free(b);
    b = next;
  }
  free(conf);
}

/* ------------------------------------------------------------- accessors */

const struct sr_conf_node *sr_conf_root(const struct sr_conf *conf) {
  return conf ? conf->root : NULL;
}

enum sr_conf_kind sr_conf_kind(const struct sr_conf_node *n) {
  return n ? n->kind : SR_CONF_SCALAR;
}

int sr_conf_line(const struct sr_conf_node *n) {
  return n ? n->line : 0;
}

const char *sr_conf_path(const struct sr_conf_node *n) {
  return n ? n->path : NULL;
}

const char *sr_conf_file(const struct sr_conf_node *n) {
  return n ? n->file : NULL;
}

const char *sr_conf_scalar(const struct sr_conf_node *n) {
  return n && n->kind == SR_CONF_SCALAR ? n->text : NULL;
}

size_t sr_conf_len(const struct sr_conf_node *n) {
  return n && n->kind != SR_CONF_SCALAR ? n->len : 0;
}

const struct sr_conf_node *sr_conf_at(const struct sr_conf_node *n, size_t i) {
  return n && n->kind != SR_CONF_SCALAR && i < n->len ? n->items[i] : NULL;
}

const char *sr_conf_key_at(const struct sr_conf_node *n, size_t i) {
  return n && n->kind == SR_CONF_MAP && i < n->len ? n->keys[i] : NULL;
}

const struct sr_conf_node *sr_conf_get(const struct sr_conf_node *map,
                                       const char *key) {
  if (!map || !key || map->kind != SR_CONF_MAP) return NULL;
  for (size_t i = 0; i < map->len; i++) {
    /* A null value (`key:` with nothing, `~`) is as good as absent, so a
     * section whose keys are all commented out means the defaults. */
    if (strcmp(map->keys[i], key) == 0)
      return map->items[i]->null ? NULL : map->items[i];
  }
  return NULL;
}

/* -------------------------------------------------------------- getters */

/* A section is a map, or absent (NULL), or null (every key commented out). */
static int check_section(const struct sr_conf_node *map, char *err,
                         size_t errlen) {
  if (!map || map->kind == SR_CONF_MAP || map->null) return 0;
  char d[DESCRIBE_CAP];
  return sr_conf_error(map, err, errlen, "expected a map, got %s",
                       describe(map, d, sizeof d));
}

/* The value under key, or NULL when the key is absent or null. */
static int lookup(const struct sr_conf_node *map, const char *key,
                  const struct sr_conf_node **out, char *err, size_t errlen) {
  *out = NULL;
  if (check_section(map, err, errlen)) return SR_EINVAL;
  const struct sr_conf_node *v = sr_conf_get(map, key);
  if (v && !v->null) *out = v;
  return 0;
}

static bool parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"true", "yes", "on"};
  static const char *const no[] = {"false", "no", "off"};
  for (size_t i = 0; i < SR_ARRAY_LEN(yes); i++) {
    if (strcasecmp(s, yes[i]) == 0) return *out = true, true;
    if (strcasecmp(s, no[i]) == 0) return *out = false, true;
  }
  return false;
}

/* Decimal only: 0 ok, -1 not an integer, -2 does not fit a long long. */
static int parse_int(const char *s, long long *out) {
  const char *d = s + (*s == '+' || *s == '-');
  if (*d < '0' || *d > '9') return -1;
  for (const char *c = d; *c; c++) {
    if (*c < '0' || *c > '9') return -1;
  }
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno == ERANGE) return -2;
  assert(*end == '\0');
  *out = v;
  return 0;
}

static bool parse_double(const char *s, double *out) {
  if (!*s || strspn(s, "0123456789+-.eE") != strlen(s)) return false;
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || !isfinite(v)) return false;
  *out = v;
  return true;
}

/* A bound as the user would write it: "1", "0.25", "1e+30". */
static const char *fmt_num(double v, char *buf, size_t cap) {
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(buf, cap, "%.0f", v);
  } else {
    snprintf(buf, cap, "%g", v);
  }
  return buf;
}

static int conv_bool(const struct sr_conf_node *v, bool *out, char *err,
                     size_t errlen) {
  if (v->kind == SR_CONF_SCALAR && parse_bool(v->text, out)) return 0;
  char d[DESCRIBE_CAP];
  return sr_conf_error(v, err, errlen,
                       "expected true or false (or yes/no, on/off), got %s",
                       describe(v, d, sizeof d));
}

static int conv_int(const struct sr_conf_node *v, long long min, long long max,
                    long long *out, char *err, size_t errlen) {
  assert(min <= max);
  char d[DESCRIBE_CAP];
  long long x = 0;
  int rc = v->kind == SR_CONF_SCALAR ? parse_int(v->text, &x) : -1;
  if (rc == -1) {
    return sr_conf_error(v, err, errlen, "expected an integer, got %s",
                         describe(v, d, sizeof d));
  }
  if (rc == -2 || x < min || x > max) {
    return sr_conf_error(v, err, errlen,
                         "must be between %lld and %lld, got %s", min, max,
                         clip(v->text, d, sizeof d));
  }
  *out = x;
  return 0;
}

static int conv_double(const struct sr_conf_node *v, double min, double max,
                       double *out, char *err, size_t errlen) {
  assert(min <= max);
  char d[DESCRIBE_CAP];
  double x = 0;
  if (v->kind != SR_CONF_SCALAR || !parse_double(v->text, &x)) {
    return sr_conf_error(v, err, errlen, "expected a number, got %s",
                         describe(v, d, sizeof d));
  }
  if (x < min || x > max) {
    char a[32], b[32];
    return sr_conf_error(v, err, errlen, "must be between %s and %s, got %s",
                         fmt_num(min, a, sizeof a), fmt_num(max, b, sizeof b),
                         clip(v->text, d, sizeof d));
  }
  *out = x;
  return 0;
}

static int conv_string(const struct sr_conf_node *v, const char **out,
                       char *err, size_t errlen) {
  if (v->kind == SR_CONF_SCALAR) {
    *out = v->text;
    return 0;
  }
  char d[DESCRIBE_CAP];
  return sr_conf_error(v, err, errlen, "expected a string, got %s",
                       describe(v, d, sizeof d));
}

int sr_conf_get_bool(const struct sr_conf_node *map, const char *key, bool def,
                     bool *out, char *err, size_t errlen) {
  const struct sr_conf_node *v;
  if (lookup(map, key, &v, err, errlen)) return SR_EINVAL;
  if (!v) return *out = def, 0;
  return conv_bool(v, out, err, errlen);
}

int sr_conf_get_int(const struct sr_conf_node *map, const char *key,
                    long long def, long long min, long long max, long long *out,
                    char *err, size_t errlen) {
  const struct sr_conf_node *v;
  if (lookup(map, key, &v, err, errlen)) return SR_EINVAL;
  if (!v) return *out = def, 0;
  return conv_int(v, min, max, out, err, errlen);
}

int sr_conf_get_double(const struct sr_conf_node *map, const char *key,
                       double def, double min, double max, double *out,
                       char *err, size_t errlen) {
  const struct sr_conf_node *v;
  if (lookup(map, key, &v, err, errlen)) return SR_EINVAL;
  if (!v) return *out = def, 0;
  return conv_double(v, min, max, out, err, errlen);
}

int sr_conf_get_string(const struct sr_conf_node *map, const char *key,
                       const char *def, const char **out, char *err,
                       size_t errlen) {
  const struct sr_conf_node *v;
  if (lookup(map, key, &v, err, errlen)) return SR_EINVAL;
  if (!v) return *out = def, 0;
  return conv_string(v, out, err, errlen);
}

int sr_conf_get_strings(const struct sr_conf_node *map, const char *key,
                        const char ***out, size_t max, size_t *count, char *err,
                        size_t errlen) {
  *out = NULL;
  *count = 0;
  const struct sr_conf_node *v;
  if (lookup(map, key, &v, err, errlen)) return SR_EINVAL;
  if (!v) return 0;
  char d[DESCRIBE_CAP];
  if (v->kind != SR_CONF_LIST) {
    return sr_conf_error(v, err, errlen, "expected a list, got %s",
                         describe(v, d, sizeof d));
  }
  if (v->len > max) {
    return sr_conf_error(v, err, errlen, "at most %zu items allowed, got %zu",
                         max, v->len);
  }
  for (size_t i = 0; i < v->len; i++) {
    const struct sr_conf_node *it = v->items[i];
    if (it->kind != SR_CONF_SCALAR) {
      return sr_conf_error(it, err, errlen, "expected a string, got %s",
                           describe(it, d, sizeof d));
    }
    if (it->null) {
      return sr_conf_error(it, err, errlen,
                           "expected a string, got an empty value");
    }
  }
  *out = v->strings;
  *count = v->len;
  return 0;
}

/* ----------------------------------------------------------- key checks */

/* Similarity of two names in [0, 1], as 2 * LCS / (|a| + |b|) (the measure
 * of Python's difflib): "tresh" and "threshold" score 0.71. */
static double similarity(const char *a, const char *b) {
  enum { MAXN = 64 };
  size_t n = strlen(a), m = strlen(b);
  if (n == 0 || m == 0 || n > MAXN || m > MAXN) return 0;
  unsigned char prev[MAXN + 1] = {0}, cur[MAXN + 1] = {0};
  for (size_t i = 1; i <= n; i++) {
    for (size_t j = 1; j <= m; j++) {
      cur[j] = a[i - 1] == b[j - 1]
                   ? (unsigned char)(prev[j - 1] + 1)
                   : (unsigned char)SR_MAX(prev[j], cur[j - 1]);
    }
    memcpy(prev, cur, sizeof prev);
  }
  return 2.0 * prev[m] / (double)(n + m);
}

/* The i-th allowed name, in either a NULL-terminated array of strings or a
 * field table: names sit `stride` bytes apart from `first`. */
static const char *name_at(const void *first, size_t stride, size_t i) {
  return *(const char *const *)((const char *)first + i * stride);
}

static int check_names(const struct sr_conf_node *map, const void *first,
                       size_t stride, char *err, size_t errlen) {
  if (check_section(map, err, errlen)) return SR_EINVAL;
  if (!map || map->kind != SR_CONF_MAP) return 0;
  for (size_t k = 0; k < map->len; k++) {
    const char *key = map->keys[k];
    const char *best = NULL;
    double best_score = 0.6; /* below this a suggestion is noise */
    bool known = false;
    for (size_t i = 0; name_at(first, stride, i); i++) {
      const char *name = name_at(first, stride, i);
      if (strcmp(key, name) == 0) {
        known = true;
        break;
      }
      double s = similarity(key, name);
      if (s >= best_score) {
        best_score = s;
        best = name;
      }
    }
    if (known) continue;

    char list[512] = "";
    size_t off = 0;
    for (size_t i = 0; name_at(first, stride, i) && off < sizeof list; i++) {
      int w = snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "",
                       name_at(first, stride, i));
      if (w < 0) break;
      off += (size_t)w;
    }
    char cut[DESCRIBE_CAP];
    const char *q = quoted(key, cut, sizeof cut);
    if (!name_at(first, stride, 0)) {
      return sr_conf_error(map->items[k], err, errlen,
                           "unknown key %s, this section takes no keys", q);
    }
    if (best) {
      return sr_conf_error(map->items[k], err, errlen,
                           "unknown key %s, expected one of: %s (did you mean "
                           "'%s'?)",
                           q, list, best);
    }
    return sr_conf_error(map->items[k], err, errlen,
                         "unknown key %s, expected one of: %s", q, list);
  }
  return 0;
}

int sr_conf_check_keys(const struct sr_conf_node *map,
                       const char *const *allowed, char *err, size_t errlen) {
  assert(allowed);
  return check_names(map, allowed, sizeof *allowed, err, errlen);
}

/* --------------------------------------------------------- field tables */

/* Bounds of a number field: min == max == 0 means none. */
static void int_bounds(const struct sr_conf_field *f, long long *min,
                       long long *max) {
  *min = LLONG_MIN;
  *max = LLONG_MAX;
  if (f->min == 0 && f->max == 0) return;
  /* (double)LLONG_MAX rounds up to 2^63, which does not convert back. */
  if (f->min > -9.2e18) *min = (long long)ceil(f->min);
  if (f->max < 9.2e18) *max = (long long)floor(f->max);
}

static void double_bounds(const struct sr_conf_field *f, double *min,
                          double *max) {
  *min = -HUGE_VAL;
  *max = HUGE_VAL;
  if (f->min == 0 && f->max == 0) return;
  *min = f->min;
  *max = f->max;
}

/* Converts v (a node from the file, or a node made from the table's default
 * text) and stores it into the field. */
static int apply_one(const struct sr_conf_field *f,
                     const struct sr_conf_node *v, void *dst, char *err,
                     size_t errlen) {
  unsigned char *p = (unsigned char *)dst + f->offset;
  switch (f->type) {
    case SR_CONF_T_BOOL: {
      bool x = false;
      if (conv_bool(v, &x, err, errlen)) return SR_EINVAL;
      memcpy(p, &x, sizeof x);
      return 0;
    }
    case SR_CONF_T_INT: {
      long long x = 0, min, max;
      int_bounds(f, &min, &max);
      if (conv_int(v, min, max, &x, err, errlen)) return SR_EINVAL;
      memcpy(p, &x, sizeof x);
      return 0;
    }
    case SR_CONF_T_DOUBLE: {
      double x = 0, min, max;
      double_bounds(f, &min, &max);
      if (conv_double(v, min, max, &x, err, errlen)) return SR_EINVAL;
      memcpy(p, &x, sizeof x);
      return 0;
    }
    case SR_CONF_T_STRING: {
      const char *x = NULL;
      if (conv_string(v, &x, err, errlen)) return SR_EINVAL;
      memcpy(p, &x, sizeof x);
      return 0;
    }
  }
  assert(!"unknown field type");
  return SR_EINVAL;
}

int sr_conf_apply(const struct sr_conf_node *map,
                  const struct sr_conf_field *fields, void *dst, char *err,
                  size_t errlen) {
  assert(fields && dst);
  for (const struct sr_conf_field *f = fields; f->name; f++) {
    if (!f->def) continue;
    /* The default goes through the same conversion as a value from the
     * file, on a node that lives only for this call. */
    struct sr_conf_node d = {.kind = SR_CONF_SCALAR,
                             .path = f->name,
                             .file = "(default)",
                             .text = f->def};
    int rc = apply_one(f, &d, dst, err, errlen);
    assert(rc == 0 && "a field's default does not parse");
    if (rc) return rc;
  }
  if (check_names(map, &fields[0].name, sizeof *fields, err, errlen))
    return SR_EINVAL;
  for (const struct sr_conf_field *f = fields; f->name; f++) {
    const struct sr_conf_node *v;
    if (lookup(map, f->name, &v, err, errlen)) return SR_EINVAL;
    if (v && apply_one(f, v, dst, err, errlen)) return SR_EINVAL;
  }
  return 0;
}
