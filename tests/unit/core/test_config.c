/*
 * Tests of core/config.c: the tree (kinds, lines, paths), every load error
 * with the exact "FILE:LINE: PATH: message" a person editing the file sees,
 * the typed getters, key checks and field tables.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/sr.h"

/* Loads a document that must parse; fails the test with the error if not. */
static struct sr_conf *load_ok(const char *yaml) {
  char err[512] = "";
  struct sr_conf *c = sr_conf_load_string(yaml, "t.yaml", err, sizeof err);
  ck_assert_msg(c != NULL, "load failed: %s", err);
  return c;
}

/* Loads a document that must fail and checks the whole message. */
static void load_fails(const char *yaml, const char *want) {
  char err[512] = "";
  struct sr_conf *c = sr_conf_load_string(yaml, "t.yaml", err, sizeof err);
  ck_assert_ptr_null(c);
  ck_assert_str_eq(err, want);
}

/* ------------------------------------------------------------ the tree */

static const char *const sample =
    "# stackrisk sample\n"          /* 1 */
    "kafka:\n"                      /* 2 */
    "  brokers: [a:9092, b:9092]\n" /* 3 */
    "  properties:\n"               /* 4 */
    "    linger.ms: 5\n"            /* 5 */
    "policy:\n"                     /* 6 */
    "  rules:\n"                    /* 7 */
    "    - match: rm -rf\n"         /* 8 */
    "      action: block\n"         /* 9 */
    "    - match: curl\n"           /* 10 */
    "      action: escalate\n"      /* 11 */
    "      tags:\n"                 /* 12 */
    "        - net\n"               /* 13 */
    "        - egress\n";           /* 14 */

START_TEST(test_tree_kinds_lines_paths) {
  struct sr_conf *c = load_ok(sample);
  const struct sr_conf_node *root = sr_conf_root(c);
  ck_assert_int_eq(sr_conf_kind(root), SR_CONF_MAP);
  ck_assert_str_eq(sr_conf_path(root), "");
  ck_assert_str_eq(sr_conf_file(root), "t.yaml");
  ck_assert_uint_eq(sr_conf_len(root), 2);
  ck_assert_str_eq(sr_conf_key_at(root, 0), "kafka");
  ck_assert_str_eq(sr_conf_key_at(root, 1), "policy");

  const struct sr_conf_node *kafka = sr_conf_get(root, "kafka");
  ck_assert_ptr_eq(kafka, sr_conf_at(root, 0));
  ck_assert_int_eq(sr_conf_line(kafka), 2);

  const struct sr_conf_node *brokers = sr_conf_get(kafka, "brokers");
  ck_assert_int_eq(sr_conf_kind(brokers), SR_CONF_LIST);
  ck_assert_str_eq(sr_conf_scalar(sr_conf_at(brokers, 1)), "b:9092");
  ck_assert_str_eq(sr_conf_path(sr_conf_at(brokers, 1)), "kafka.brokers[1]");

  /* A key containing dots is concatenated as it is. */
  const struct sr_conf_node *linger =
      sr_conf_get(sr_conf_get(kafka, "properties"), "linger.ms");
  ck_assert_str_eq(sr_conf_path(linger), "kafka.properties.linger.ms");
  ck_assert_str_eq(sr_conf_scalar(linger), "5");
  ck_assert_int_eq(sr_conf_line(linger), 5);

  /* Nested lists of maps. */
  const struct sr_conf_node *rules =
      sr_conf_get(sr_conf_get(root, "policy"), "rules");
  ck_assert_uint_eq(sr_conf_len(rules), 2);
  const struct sr_conf_node *r1 = sr_conf_at(rules, 1);
  ck_assert_int_eq(sr_conf_kind(r1), SR_CONF_MAP);
  ck_assert_str_eq(sr_conf_path(r1), "policy.rules[1]");
  ck_assert_int_eq(sr_conf_line(r1), 10);
  const struct sr_conf_node *action = sr_conf_get(r1, "action");
  ck_assert_str_eq(sr_conf_path(action), "policy.rules[1].action");
  ck_assert_str_eq(sr_conf_scalar(action), "escalate");
  ck_assert_int_eq(sr_conf_line(action), 11);
  const struct sr_conf_node *tag = sr_conf_at(sr_conf_get(r1, "tags"), 1);
  ck_assert_str_eq(sr_conf_path(tag), "policy.rules[1].tags[1]");
  ck_assert_int_eq(sr_conf_line(tag), 14);
  ck_assert_str_eq(sr_conf_scalar(tag), "egress");

  /* Maps and lists have no scalar text; scalars have no entries. */
  ck_assert_ptr_null(sr_conf_scalar(rules));
  ck_assert_uint_eq(sr_conf_len(action), 0);
  ck_assert_ptr_null(sr_conf_at(rules, 2));
  ck_assert_ptr_null(sr_conf_key_at(rules, 0));
  ck_assert_ptr_null(sr_conf_get(rules, "match"));
  ck_assert_ptr_null(sr_conf_get(root, "absent"));
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_accessors_accept_null) {
  ck_assert_ptr_null(sr_conf_root(NULL));
  ck_assert_int_eq(sr_conf_line(NULL), 0);
  ck_assert_ptr_null(sr_conf_path(NULL));
  ck_assert_ptr_null(sr_conf_file(NULL));
  ck_assert_ptr_null(sr_conf_scalar(NULL));
  ck_assert_uint_eq(sr_conf_len(NULL), 0);
  ck_assert_ptr_null(sr_conf_at(NULL, 0));
  ck_assert_ptr_null(sr_conf_key_at(NULL, 0));
  ck_assert_ptr_null(sr_conf_get(NULL, "x"));
  sr_conf_destroy(NULL);
}
END_TEST

START_TEST(test_empty_documents_are_empty_maps) {
  const char *docs[] = {"", "# only a comment\n\n# and another\n", "---\n",
                        "--- ~\n"};
  for (size_t i = 0; i < SR_ARRAY_LEN(docs); i++) {
    struct sr_conf *c = load_ok(docs[i]);
    const struct sr_conf_node *root = sr_conf_root(c);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(sr_conf_kind(root), SR_CONF_MAP);
    ck_assert_uint_eq(sr_conf_len(root), 0);
    ck_assert_str_eq(sr_conf_file(root), "t.yaml");
    sr_conf_destroy(c);
  }
}
END_TEST

/* --------------------------------------------------------- load errors */

START_TEST(test_top_level_must_be_a_map) {
  load_fails("- a\n- b\n",
             "t.yaml:1: the top level must be a map of sections, got a list");
  load_fails("# header\nhello\n",
             "t.yaml:2: the top level must be a map of sections, got 'hello'");
}
END_TEST

START_TEST(test_syntax_errors_carry_line_and_problem) {
  load_fails("a: 1\nb: c: d\n",
             "t.yaml:2: YAML syntax error: mapping values are not allowed in "
             "this context");
  load_fails("a:\n  b: [1, 2\n",
             "t.yaml:3: YAML syntax error: did not find expected ',' or ']' "
             "(while parsing a flow sequence started on line 2)");
  load_fails("a: 1\nb: \"\xff\"\n",
             "t.yaml:2: invalid leading UTF-8 octet (byte 0xff)");
}
END_TEST

START_TEST(test_duplicate_key_names_both_lines) {
  load_fails("policy:\n  block: 1\n  escalate: 2\n  block: 3\n",
             "t.yaml:4: policy.block: duplicate key 'block', first defined "
             "on line 2");
  load_fails("a: 1\n\na: 2\n",
             "t.yaml:3: a: duplicate key 'a', first defined on line 1");
  /* The same key in two different maps is fine. */
  sr_conf_destroy(load_ok("a: {x: 1}\nb: {x: 2}\n"));
}
END_TEST

START_TEST(test_anchors_aliases_documents_rejected) {
  load_fails("a: &base 1\n",
             "t.yaml:1: anchors (&base) are not supported; write the value "
             "out");
  load_fails("a: 1\nb: *base\n",
             "t.yaml:2: aliases (*base) are not supported; write the value "
             "out");
  load_fails("a: 1\n---\nb: 2\n",
             "t.yaml:2: only one YAML document is allowed in a config file");
  load_fails("? [a, b]\n: 1\n",
             "t.yaml:1: a key must be a plain value, got a list");
}
END_TEST

START_TEST(test_nesting_is_bounded) {
  char yaml[256] = "a: ";
  for (int i = 0; i < 70; i++) strcat(yaml, "[");
  for (int i = 0; i < 70; i++) strcat(yaml, "]");
  strcat(yaml, "\n");
  load_fails(yaml, "t.yaml:1: nested deeper than 64 levels");
  /* Ordinary depth is fine. */
  sr_conf_destroy(load_ok("a: [[[[[[[[1]]]]]]]]\n"));
}
END_TEST

START_TEST(test_error_buffer_truncates_safely) {
  char err[16];
  memset(err, 'x', sizeof err);
  ck_assert_ptr_null(sr_conf_load_string("- a\n", "t.yaml", err, sizeof err));
  ck_assert_uint_eq(strlen(err), sizeof err - 1);
  ck_assert_str_eq(err, "t.yaml:1: the t");
  /* No buffer at all is allowed too. */
  ck_assert_ptr_null(sr_conf_load_string("- a\n", "t.yaml", NULL, 0));
}
END_TEST

/* ------------------------------------------------------------- files */

START_TEST(test_load_file) {
  char path[] = "/tmp/sr_test_config_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *yaml = "detectors:\n  exfil:\n    threshold: high\n";
  ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
  close(fd);

  char err[512] = "";
  struct sr_conf *c = sr_conf_load_file(path, err, sizeof err);
  ck_assert_msg(c != NULL, "%s", err);
  const struct sr_conf_node *exfil =
      sr_conf_get(sr_conf_get(sr_conf_root(c), "detectors"), "exfil");
  ck_assert_str_eq(sr_conf_file(exfil), path);
  double t;
  ck_assert_int_eq(
      sr_conf_get_double(exfil, "threshold", 0.5, 0, 1, &t, err, sizeof err),
      SR_EINVAL);
  char want[512];
  snprintf(want, sizeof want,
           "%s:3: detectors.exfil.threshold: expected a number, got 'high'",
           path);
  ck_assert_str_eq(err, want);
  sr_conf_destroy(c);
  unlink(path);
}
END_TEST

/* A file longer than one read: the key at the end is still found. */
START_TEST(test_load_file_large) {
  char path[] = "/tmp/sr_test_config_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 2000; i++) fprintf(f, "# filler line %d\n", i);
  fprintf(f, "last:\n  key: here\n");
  fclose(f);
  char err[512] = "";
  struct sr_conf *c = sr_conf_load_file(path, err, sizeof err);
  ck_assert_msg(c != NULL, "%s", err);
  const struct sr_conf_node *k =
      sr_conf_get(sr_conf_get(sr_conf_root(c), "last"), "key");
  ck_assert_str_eq(sr_conf_scalar(k), "here");
  ck_assert_int_eq(sr_conf_line(k), 2002);
  sr_conf_destroy(c);
  unlink(path);
}
END_TEST

START_TEST(test_load_file_missing) {
  char err[512] = "";
  ck_assert_ptr_null(
      sr_conf_load_file("/nonexistent/stackrisk.yaml", err, sizeof err));
  ck_assert_str_eq(err,
                   "cannot open /nonexistent/stackrisk.yaml: No such file or "
                   "directory");
}
END_TEST

START_TEST(test_load_file_directory) {
  char err[512] = "";
  ck_assert_ptr_null(sr_conf_load_file("/tmp", err, sizeof err));
  ck_assert_str_eq(err, "cannot read /tmp: Is a directory");
}
END_TEST

START_TEST(test_load_file_syntax_error_names_file) {
  char path[] = "/tmp/sr_test_config_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *yaml = "a: 1\nb: c: d\n";
  ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
  close(fd);
  char err[512] = "", want[512];
  ck_assert_ptr_null(sr_conf_load_file(path, err, sizeof err));
  snprintf(want, sizeof want,
           "%s:2: YAML syntax error: mapping values are not allowed in this "
           "context",
           path);
  ck_assert_str_eq(err, want);
  unlink(path);
}
END_TEST

/* ------------------------------------------------------------ getters */

static const char *const values =
    "s:\n"                           /* 1 */
    "  on1: yes\n"                   /* 2 */
    "  on2: ON\n"                    /* 3 */
    "  on3: True\n"                  /* 4 */
    "  off1: no\n"                   /* 5 */
    "  off2: Off\n"                  /* 6 */
    "  off3: FALSE\n"                /* 7 */
    "  maybe: maybe\n"               /* 8 */
    "  n: -42\n"                     /* 9 */
    "  plus: +7\n"                   /* 10 */
    "  frac: 1.5\n"                  /* 11 */
    "  trail: 12ms\n"                /* 12 */
    "  huge: 99999999999999999999\n" /* 13 */
    "  hex: 0x10\n"                  /* 14 */
    "  d: 0.25\n"                    /* 15 */
    "  e: 1e3\n"                     /* 16 */
    "  nan: nan\n"                   /* 17 */
    "  inf: -inf\n"                  /* 18 */
    "  yinf: .inf\n"                 /* 19 */
    "  three: 3\n"                   /* 20 */
    "  quoted: \"1\"\n"              /* 21 */
    "  name: exfil\n"                /* 22 */
    "  port: 8080\n"                 /* 23 */
    "  empty:\n"                     /* 24 */
    "  tilde: ~\n"                   /* 25 */
    "  qempty: \"\"\n"               /* 26 */
    "  sub: {a: 1}\n"                /* 27 */
    "  list: [x, y]\n"               /* 28 */
    "  big: 1e999\n";                /* 29 */

/* Runs with the "s" section of `values` in `s`, err and errlen in scope. */
#define WITH_VALUES                                                 \
  struct sr_conf *c = load_ok(values);                              \
  const struct sr_conf_node *s = sr_conf_get(sr_conf_root(c), "s"); \
  char err[512] = "";                                               \
  const size_t errlen = sizeof err

START_TEST(test_get_bool) {
  WITH_VALUES;
  const char *yes[] = {"on1", "on2", "on3"}, *no[] = {"off1", "off2", "off3"};
  for (size_t i = 0; i < 3; i++) {
    bool b = false;
    ck_assert_int_eq(sr_conf_get_bool(s, yes[i], false, &b, err, errlen), 0);
    ck_assert(b);
    ck_assert_int_eq(sr_conf_get_bool(s, no[i], true, &b, err, errlen), 0);
    ck_assert(!b);
  }
  bool b = false;
  ck_assert_int_eq(sr_conf_get_bool(s, "absent", true, &b, err, errlen), 0);
  ck_assert(b);
  ck_assert_int_eq(sr_conf_get_bool(s, "maybe", true, &b, err, errlen),
                   SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:8: s.maybe: expected true or false (or yes/no, "
                   "on/off), got 'maybe'");
  ck_assert_int_eq(sr_conf_get_bool(s, "n", true, &b, err, errlen), SR_EINVAL);
  ck_assert_int_eq(sr_conf_get_bool(s, "sub", true, &b, err, errlen),
                   SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:27: s.sub: expected true or false (or yes/no, "
                   "on/off), got a map");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_get_int) {
  WITH_VALUES;
  long long v = 0;
  ck_assert_int_eq(sr_conf_get_int(s, "n", 0, -100, 100, &v, err, errlen), 0);
  ck_assert_int_eq(v, -42);
  ck_assert_int_eq(sr_conf_get_int(s, "plus", 0, 0, 100, &v, err, errlen), 0);
  ck_assert_int_eq(v, 7);
  ck_assert_int_eq(sr_conf_get_int(s, "absent", 9, 0, 10, &v, err, errlen), 0);
  ck_assert_int_eq(v, 9);

  struct {
    const char *key, *want;
  } bad[] = {
      {"frac", "t.yaml:11: s.frac: expected an integer, got '1.5'"},
      {"trail", "t.yaml:12: s.trail: expected an integer, got '12ms'"},
      {"hex", "t.yaml:14: s.hex: expected an integer, got '0x10'"},
      {"huge",
       "t.yaml:13: s.huge: must be between -1000 and 1000, got "
       "99999999999999999999"},
      {"n", "t.yaml:9: s.n: must be between -1000 and -50, got -42"},
      {"list", "t.yaml:28: s.list: expected an integer, got a list"},
      {"qempty", "t.yaml:26: s.qempty: expected an integer, got ''"},
  };
  /* Overflow is out of range even when every long long is allowed. */
  ck_assert_int_eq(
      sr_conf_get_int(s, "huge", 0, LLONG_MIN, LLONG_MAX, &v, err, errlen),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:13: s.huge: must be between -9223372036854775808 "
                   "and 9223372036854775807, got 99999999999999999999");
  for (size_t i = 0; i < SR_ARRAY_LEN(bad); i++) {
    long long max = strcmp(bad[i].key, "n") == 0 ? -50 : 1000;
    v = 12345;
    ck_assert_int_eq(
        sr_conf_get_int(s, bad[i].key, 0, -1000, max, &v, err, errlen),
        SR_EINVAL);
    ck_assert_str_eq(err, bad[i].want);
    ck_assert_int_eq(v, 12345); /* untouched on error */
  }
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_get_double) {
  WITH_VALUES;
  double d = 0;
  ck_assert_int_eq(sr_conf_get_double(s, "d", 0, 0, 1, &d, err, errlen), 0);
  ck_assert_double_eq(d, 0.25);
  ck_assert_int_eq(sr_conf_get_double(s, "e", 0, 0, 1e6, &d, err, errlen), 0);
  ck_assert_double_eq(d, 1000);
  ck_assert_int_eq(sr_conf_get_double(s, "n", 0, -50, 0, &d, err, errlen), 0);
  ck_assert_double_eq(d, -42);
  ck_assert_int_eq(sr_conf_get_double(s, "absent", 0.5, 0, 1, &d, err, errlen),
                   0);
  ck_assert_double_eq(d, 0.5);

  struct {
    const char *key, *want;
  } bad[] = {
      {"three", "t.yaml:20: s.three: must be between 0 and 1, got 3"},
      {"nan", "t.yaml:17: s.nan: expected a number, got 'nan'"},
      {"inf", "t.yaml:18: s.inf: expected a number, got '-inf'"},
      {"yinf", "t.yaml:19: s.yinf: expected a number, got '.inf'"},
      {"trail", "t.yaml:12: s.trail: expected a number, got '12ms'"},
      {"hex", "t.yaml:14: s.hex: expected a number, got '0x10'"},
      {"name", "t.yaml:22: s.name: expected a number, got 'exfil'"},
      {"big", "t.yaml:29: s.big: expected a number, got '1e999'"},
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(bad); i++) {
    ck_assert_int_eq(
        sr_conf_get_double(s, bad[i].key, 0.5, 0, 1, &d, err, errlen),
        SR_EINVAL);
    ck_assert_str_eq(err, bad[i].want);
  }
  /* Fractional bounds are printed as written. */
  ck_assert_int_eq(sr_conf_get_double(s, "d", 0, 0.5, 2.5, &d, err, errlen),
                   SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:15: s.d: must be between 0.5 and 2.5, got 0.25");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_quoted_number_is_accepted) {
  WITH_VALUES;
  long long v = 0;
  ck_assert_int_eq(sr_conf_get_int(s, "quoted", 0, 0, 10, &v, err, errlen), 0);
  ck_assert_int_eq(v, 1);
  double d = 0;
  ck_assert_int_eq(sr_conf_get_double(s, "quoted", 0, 0, 10, &d, err, errlen),
                   0);
  ck_assert_double_eq(d, 1);
  /* And a plain number read as a string is its text. */
  const char *str = NULL;
  ck_assert_int_eq(sr_conf_get_string(s, "port", NULL, &str, err, errlen), 0);
  ck_assert_str_eq(str, "8080");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_get_string_and_nulls) {
  WITH_VALUES;
  const char *str = NULL;
  ck_assert_int_eq(sr_conf_get_string(s, "name", "d", &str, err, errlen), 0);
  ck_assert_str_eq(str, "exfil");
  ck_assert_int_eq(sr_conf_get_string(s, "absent", "dflt", &str, err, errlen),
                   0);
  ck_assert_str_eq(str, "dflt");
  /* A plain empty value or ~ is null: the default applies. */
  ck_assert_int_eq(sr_conf_get_string(s, "empty", "dflt", &str, err, errlen),
                   0);
  ck_assert_str_eq(str, "dflt");
  long long v = 0;
  ck_assert_int_eq(sr_conf_get_int(s, "tilde", 5, 0, 10, &v, err, errlen), 0);
  ck_assert_int_eq(v, 5);
  /* A quoted "" is an empty string, not null. */
  ck_assert_int_eq(sr_conf_get_string(s, "qempty", "dflt", &str, err, errlen),
                   0);
  ck_assert_str_eq(str, "");
  ck_assert_int_eq(sr_conf_get_string(s, "sub", "dflt", &str, err, errlen),
                   SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:27: s.sub: expected a string, got a map");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_getters_on_null_and_non_map) {
  char err[512] = "";
  bool b = false;
  long long v = 0;
  double d = 0;
  const char *str = NULL;
  const char **list = (const char **)1;
  size_t n = 99;
  /* A NULL map (an absent section) gives every default. */
  ck_assert_int_eq(sr_conf_get_bool(NULL, "x", true, &b, err, sizeof err), 0);
  ck_assert(b);
  ck_assert_int_eq(sr_conf_get_int(NULL, "x", 3, 0, 5, &v, err, sizeof err), 0);
  ck_assert_int_eq(v, 3);
  ck_assert_int_eq(
      sr_conf_get_double(NULL, "x", 0.5, 0, 1, &d, err, sizeof err), 0);
  ck_assert_double_eq(d, 0.5);
  ck_assert_int_eq(sr_conf_get_string(NULL, "x", "z", &str, err, sizeof err),
                   0);
  ck_assert_str_eq(str, "z");
  ck_assert_int_eq(
      sr_conf_get_strings(NULL, "x", &list, 8, &n, err, sizeof err), 0);
  ck_assert_ptr_null(list);
  ck_assert_uint_eq(n, 0);

  /* A section whose keys are all commented out is an empty map. */
  struct sr_conf *c = load_ok("kafka:\n#  brokers: [a]\nweights: [1]\n");
  const struct sr_conf_node *kafka = sr_conf_get(sr_conf_root(c), "kafka");
  ck_assert_int_eq(sr_conf_get_int(kafka, "x", 3, 0, 5, &v, err, sizeof err),
                   0);
  ck_assert_int_eq(v, 3);
  static const char *const none[] = {"brokers", NULL};
  ck_assert_int_eq(sr_conf_check_keys(kafka, none, err, sizeof err), 0);

  /* A section that is not a map is an error, not a silent default. */
  const struct sr_conf_node *w = sr_conf_get(sr_conf_root(c), "weights");
  ck_assert_int_eq(sr_conf_get_int(w, "x", 3, 0, 5, &v, err, sizeof err),
                   SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:3: weights: expected a map, got a list");
  ck_assert_int_eq(sr_conf_check_keys(w, none, err, sizeof err), SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:3: weights: expected a map, got a list");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_get_strings) {
  struct sr_conf *c = load_ok(
      "s:\n"
      "  patterns:\n"
      "    - rm -rf\n"
      "    - \"curl | sh\"\n"
      "    - 42\n"
      "  flow: [a, b]\n"
      "  none: []\n"
      "  scalar: a\n"
      "  nested:\n"
      "    - a\n"
      "    - {b: 1}\n"
      "  holes:\n"
      "    - a\n"
      "    -\n");
  const struct sr_conf_node *s = sr_conf_get(sr_conf_root(c), "s");
  char err[512] = "";
  const char **list = NULL;
  size_t n = 0;
  ck_assert_int_eq(
      sr_conf_get_strings(s, "patterns", &list, 8, &n, err, sizeof err), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(list[0], "rm -rf");
  ck_assert_str_eq(list[1], "curl | sh");
  ck_assert_str_eq(list[2], "42");
  /* The array is part of the tree: the same pointer every time. */
  const char **again = NULL;
  ck_assert_int_eq(
      sr_conf_get_strings(s, "patterns", &again, 8, &n, err, sizeof err), 0);
  ck_assert_ptr_eq(again, list);

  ck_assert_int_eq(
      sr_conf_get_strings(s, "flow", &list, 2, &n, err, sizeof err), 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(list[1], "b");
  ck_assert_int_eq(
      sr_conf_get_strings(s, "none", &list, 2, &n, err, sizeof err), 0);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(
      sr_conf_get_strings(s, "absent", &list, 2, &n, err, sizeof err), 0);
  ck_assert_ptr_null(list);
  ck_assert_uint_eq(n, 0);

  ck_assert_int_eq(
      sr_conf_get_strings(s, "patterns", &list, 2, &n, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:2: s.patterns: at most 2 items allowed, got 3");
  ck_assert_ptr_null(list);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(
      sr_conf_get_strings(s, "scalar", &list, 2, &n, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:8: s.scalar: expected a list, got 'a'");
  ck_assert_int_eq(
      sr_conf_get_strings(s, "nested", &list, 8, &n, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:11: s.nested[1]: expected a string, got a map");
  ck_assert_int_eq(
      sr_conf_get_strings(s, "holes", &list, 8, &n, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:14: s.holes[1]: expected a string, got an empty "
                   "value");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_long_value_is_cut_in_errors) {
  char yaml[256];
  snprintf(yaml, sizeof yaml, "a: %s\n",
           "0123456789012345678901234567890123456789012345678901234567890123"
           "456789xyz");
  struct sr_conf *c = load_ok(yaml);
  char err[512] = "";
  double d;
  ck_assert_int_eq(
      sr_conf_get_double(sr_conf_root(c), "a", 0, 0, 1, &d, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:1: a: expected a number, got "
                   "'012345678901234567890123456789012345678901234567890123456"
                   "789...'");
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_conf_error_format) {
  struct sr_conf *c = load_ok("kafka:\n  topic: x\n");
  const struct sr_conf_node *root = sr_conf_root(c);
  const struct sr_conf_node *t =
      sr_conf_get(sr_conf_get(root, "kafka"), "topic");
  char err[128];
  ck_assert_int_eq(sr_conf_error(t, err, sizeof err, "unknown topic '%s'", "x"),
                   SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:2: kafka.topic: unknown topic 'x'");
  /* The root has no path: "FILE:LINE: message". */
  sr_conf_error(root, err, sizeof err, "no %s section", "policy");
  ck_assert_str_eq(err, "t.yaml:1: no policy section");
  /* No node: the message alone. */
  sr_conf_error(NULL, err, sizeof err, "plain %d", 1);
  ck_assert_str_eq(err, "plain 1");
  sr_conf_destroy(c);
}
END_TEST

/* --------------------------------------------------------- key checks */

static const char *const allowed[] = {"enabled", "weight", "threshold",
                                      "half_life_s", NULL};

START_TEST(test_check_keys) {
  struct sr_conf *c = load_ok(
      "good:\n  enabled: true\n  weight: 2\n"
      "typo:\n  enabled: true\n  tresh: 0.5\n"
      "far:\n  weight: 1\n  colour: red\n");
  const struct sr_conf_node *root = sr_conf_root(c);
  char err[512] = "";
  ck_assert_int_eq(
      sr_conf_check_keys(sr_conf_get(root, "good"), allowed, err, sizeof err),
      0);
  ck_assert_int_eq(sr_conf_check_keys(NULL, allowed, err, sizeof err), 0);

  ck_assert_int_eq(
      sr_conf_check_keys(sr_conf_get(root, "typo"), allowed, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:6: typo.tresh: unknown key 'tresh', expected one "
                   "of: enabled, weight, threshold, half_life_s (did you mean "
                   "'threshold'?)");
  ck_assert_int_eq(
      sr_conf_check_keys(sr_conf_get(root, "far"), allowed, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:9: far.colour: unknown key 'colour', expected one "
                   "of: enabled, weight, threshold, half_life_s");

  static const char *const nothing[] = {NULL};
  ck_assert_int_eq(
      sr_conf_check_keys(sr_conf_get(root, "far"), nothing, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:8: far.weight: unknown key 'weight', this section "
                   "takes no keys");
  sr_conf_destroy(c);
}
END_TEST

/* -------------------------------------------------------- field tables */

struct det_conf {
  bool enabled;
  long long window;
  double threshold;
  const char *action;
  const char *note;
  long long unbounded;
};

static const struct sr_conf_field det_fields[] = {
    {SR_CONF_T_BOOL, "enabled", "yes", offsetof(struct det_conf, enabled), 0, 0,
     "run this detector"},
    {SR_CONF_T_INT, "window", "60", offsetof(struct det_conf, window), 1, 3600,
     "seconds"},
    {SR_CONF_T_DOUBLE, "threshold", "0.8", offsetof(struct det_conf, threshold),
     0, 1, "score that fires"},
    {SR_CONF_T_STRING, "action", "escalate", offsetof(struct det_conf, action),
     0, 0, "command when it fires"},
    {SR_CONF_T_STRING, "note", NULL, offsetof(struct det_conf, note), 0, 0,
     "no default: left as the caller set it"},
    {SR_CONF_T_INT, "unbounded", "-5", offsetof(struct det_conf, unbounded), 0,
     0, "min == max == 0: no bound"},
    {0, NULL, NULL, 0, 0, 0, NULL},
};

START_TEST(test_apply_defaults) {
  char err[512] = "";
  struct det_conf d = {.note = "preset"};
  ck_assert_int_eq(sr_conf_apply(NULL, det_fields, &d, err, sizeof err), 0);
  ck_assert(d.enabled);
  ck_assert_int_eq(d.window, 60);
  ck_assert_double_eq(d.threshold, 0.8);
  ck_assert_str_eq(d.action, "escalate");
  ck_assert_str_eq(d.note, "preset");
  ck_assert_int_eq(d.unbounded, -5);
}
END_TEST

START_TEST(test_apply_overrides) {
  struct sr_conf *c = load_ok(
      "exfil:\n"
      "  enabled: off\n"
      "  threshold: 0.35\n"
      "  note: hello\n"
      "  unbounded: -9000000000000\n");
  char err[512] = "";
  struct det_conf d = {0};
  ck_assert_int_eq(sr_conf_apply(sr_conf_get(sr_conf_root(c), "exfil"),
                                 det_fields, &d, err, sizeof err),
                   0);
  ck_assert(!d.enabled);
  ck_assert_int_eq(d.window, 60); /* absent: default */
  ck_assert_double_eq(d.threshold, 0.35);
  ck_assert_str_eq(d.action, "escalate");
  ck_assert_str_eq(d.note, "hello");
  ck_assert_int_eq(d.unbounded, -9000000000000LL);
  sr_conf_destroy(c);
}
END_TEST

START_TEST(test_apply_errors) {
  struct sr_conf *c = load_ok(
      "a:\n  window: 0\n"
      "b:\n  threshold: 3\n"
      "c:\n  enabled: true\n  windw: 10\n"
      "d:\n  action: [block]\n");
  const struct sr_conf_node *root = sr_conf_root(c);
  char err[512] = "";
  struct det_conf d = {0};
  ck_assert_int_eq(
      sr_conf_apply(sr_conf_get(root, "a"), det_fields, &d, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:2: a.window: must be between 1 and 3600, got 0");
  ck_assert_int_eq(
      sr_conf_apply(sr_conf_get(root, "b"), det_fields, &d, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:4: b.threshold: must be between 0 and 1, got 3");
  ck_assert_int_eq(
      sr_conf_apply(sr_conf_get(root, "c"), det_fields, &d, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err,
                   "t.yaml:7: c.windw: unknown key 'windw', expected one of: "
                   "enabled, window, threshold, action, note, unbounded (did "
                   "you mean 'window'?)");
  ck_assert_int_eq(
      sr_conf_apply(sr_conf_get(root, "d"), det_fields, &d, err, sizeof err),
      SR_EINVAL);
  ck_assert_str_eq(err, "t.yaml:9: d.action: expected a string, got a list");
  sr_conf_destroy(c);
}
END_TEST

#ifndef NDEBUG
static const struct sr_conf_field bad_default[] = {
    {SR_CONF_T_INT, "n", "ten", 0, 0, 0, "a bug in the table"},
    {0, NULL, NULL, 0, 0, 0, NULL},
};

/* A default that does not parse is a programming error: it asserts. */
START_TEST(test_apply_bad_default_asserts) {
  char err[128];
  long long n;
  sr_conf_apply(NULL, bad_default, &n, err, sizeof err);
}
END_TEST
#endif

/* ------------------------------------------------------------- suite */

static Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *t = tcase_create("tree");
  tcase_add_test(t, test_tree_kinds_lines_paths);
  tcase_add_test(t, test_accessors_accept_null);
  tcase_add_test(t, test_empty_documents_are_empty_maps);
  suite_add_tcase(s, t);

  t = tcase_create("load_errors");
  tcase_add_test(t, test_top_level_must_be_a_map);
  tcase_add_test(t, test_syntax_errors_carry_line_and_problem);
  tcase_add_test(t, test_duplicate_key_names_both_lines);
  tcase_add_test(t, test_anchors_aliases_documents_rejected);
  tcase_add_test(t, test_nesting_is_bounded);
  tcase_add_test(t, test_error_buffer_truncates_safely);
  suite_add_tcase(s, t);

  t = tcase_create("files");
  tcase_add_test(t, test_load_file);
  tcase_add_test(t, test_load_file_large);
  tcase_add_test(t, test_load_file_missing);
  tcase_add_test(t, test_load_file_directory);
  tcase_add_test(t, test_load_file_syntax_error_names_file);
  suite_add_tcase(s, t);

  t = tcase_create("getters");
  tcase_add_test(t, test_get_bool);
  tcase_add_test(t, test_get_int);
  tcase_add_test(t, test_get_double);
  tcase_add_test(t, test_quoted_number_is_accepted);
  tcase_add_test(t, test_get_string_and_nulls);
  tcase_add_test(t, test_getters_on_null_and_non_map);
  tcase_add_test(t, test_get_strings);
  tcase_add_test(t, test_long_value_is_cut_in_errors);
  tcase_add_test(t, test_conf_error_format);
  suite_add_tcase(s, t);

  t = tcase_create("keys_and_fields");
  tcase_add_test(t, test_check_keys);
  tcase_add_test(t, test_apply_defaults);
  tcase_add_test(t, test_apply_overrides);
  tcase_add_test(t, test_apply_errors);
#ifndef NDEBUG
  tcase_add_test_raise_signal(t, test_apply_bad_default_asserts, SIGABRT);
#endif
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(config_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
