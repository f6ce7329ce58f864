/*
 * The configuration file: YAML (libyaml) parsed once at start-up into a small
 * read-only tree whose nodes remember their line and dotted path, so every
 * error names the key and the line ("stackrisk.yaml:42: policy.block.risk:
 * expected a number, got 'high'").
 *
 * Modules read their own section with the typed getters or with a field table
 * (sr_conf_apply), in the manner of Fluent Bit's config maps. Strings handed
 * out are borrowed from the tree and live until sr_conf_destroy.
 *
 * @locality setup only; the tree is read-only afterwards and may be shared.
 */
#ifndef SR_CONFIG_H
#define SR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct sr_conf;
struct sr_conf_node;

enum sr_conf_kind {
  SR_CONF_SCALAR,
  SR_CONF_MAP,
  SR_CONF_LIST,
};

/* Parses a YAML file; NULL with err set ("FILE:LINE: ...") on failure. An
 * empty file is an empty map. */
struct sr_conf *sr_conf_load_file(const char *path, char *err, size_t errlen);
/* Same from memory; `name` stands for the file name in errors. */
struct sr_conf *sr_conf_load_string(const char *yaml, const char *name,
                                    char *err, size_t errlen);
/* Accepts NULL. */
void sr_conf_destroy(struct sr_conf *conf);

/* The document's top-level map (never NULL for a loaded conf). */
const struct sr_conf_node *sr_conf_root(const struct sr_conf *conf);

/* Node accessors; all accept NULL and then return NULL/0. */
enum sr_conf_kind sr_conf_kind(const struct sr_conf_node *n);
int sr_conf_line(const struct sr_conf_node *n);
/* Dotted path of the node, e.g. "policy.rules[1].action". */
const char *sr_conf_path(const struct sr_conf_node *n);
/* File name the node came from. */
const char *sr_conf_file(const struct sr_conf_node *n);
/* Scalar text, or NULL for maps and lists. */
const char *sr_conf_scalar(const struct sr_conf_node *n);
/* Number of entries of a map or list. */
size_t sr_conf_len(const struct sr_conf_node *n);
/* i-th list item or i-th map value. */
const struct sr_conf_node *sr_conf_at(const struct sr_conf_node *n, size_t i);
/* i-th map key. */
const char *sr_conf_key_at(const struct sr_conf_node *n, size_t i);
/* Map lookup; NULL when absent, null (`key:` with no value, `~`), or when
 * map is not a map. */
const struct sr_conf_node *sr_conf_get(const struct sr_conf_node *map,
                                       const char *key);

/* Writes "FILE:LINE: PATH: " + message into err. Returns SR_EINVAL, so a
 * caller can `return sr_conf_error(n, err, errlen, "...", ...)`. */
int sr_conf_error(const struct sr_conf_node *n, char *err, size_t errlen,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Typed getters on a map key. An absent key (or a NULL map) yields the
 * default. A present key of the wrong type or out of [min, max] is an error
 * naming file, line and key. Return 0 or SR_EINVAL.
 */
int sr_conf_get_bool(const struct sr_conf_node *map, const char *key, bool def,
                     bool *out, char *err, size_t errlen);
int sr_conf_get_int(const struct sr_conf_node *map, const char *key,
                    long long def, long long min, long long max,
                    long long *out, char *err, size_t errlen);
int sr_conf_get_double(const struct sr_conf_node *map, const char *key,
                       double def, double min, double max, double *out,
                       char *err, size_t errlen);
/* *out is borrowed from the tree (or is def). */
int sr_conf_get_string(const struct sr_conf_node *map, const char *key,
                       const char *def, const char **out, char *err,
                       size_t errlen);
/* A list of scalars; *out (borrowed array of borrowed strings, NULL when
 * absent) and *count. Caps at max items: more is an error. */
int sr_conf_get_strings(const struct sr_conf_node *map, const char *key,
                        const char ***out, size_t max, size_t *count,
                        char *err, size_t errlen);

/* Rejects keys of `map` not in the NULL-terminated `allowed` list, naming the
 * key and line and the allowed keys. A NULL map is fine. */
int sr_conf_check_keys(const struct sr_conf_node *map,
                       const char *const *allowed, char *err, size_t errlen);

/* Field tables: {type, name, default, offset, description}. */
enum sr_conf_type {
  SR_CONF_T_BOOL,   /* bool */
  SR_CONF_T_INT,    /* long long, within [min, max] */
  SR_CONF_T_DOUBLE, /* double, within [min, max] */
  SR_CONF_T_STRING, /* const char * borrowed from the tree */
};

struct sr_conf_field {
  enum sr_conf_type type;
  const char *name;
  const char *def; /* default as text, parsed like a YAML scalar; NULL = none */
  size_t offset;   /* offsetof(struct, member) */
  double min, max; /* for numbers */
  const char *description;
};

/* Fills *dst from `map` using the table (terminated by name == NULL), first
 * applying defaults, and rejects keys that are not in the table. */
int sr_conf_apply(const struct sr_conf_node *map,
                  const struct sr_conf_field *fields, void *dst, char *err,
                  size_t errlen);

#endif
