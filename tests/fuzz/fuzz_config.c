/*
 * libFuzzer harness for the configuration file parser (core/config.c): the
 * bytes of a config file, loaded through sr_conf_load_file as `stackrisk
 * run --config` loads it (from a memfd, so nothing touches the disk), then
 * read through every accessor, the typed getters on every key of every
 * map, the key check, and two real section readers: otlp: (whose reader
 * uses most getters) and policy: (thresholds and rules, checked against
 * the default detectors, built once). Catalogue and detector sections are
 * not read: compiling their patterns takes half a second per input.
 *
 * Checked besides sanitizer reports: a failure has a reason naming the
 * file; every node has a path and the file name; a map's keys find their
 * own values; a list's strings are its scalar items.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aggregator/policy.h"
#include "core/config.h"
#include "detectors/registry.h"
#include "ingest/otlp.h"
#include "tests/fuzz/fuzz_util.h"

static int fd = -1;
static char path[64];
static struct sr_detectors *dets; /* the defaults: dimension names */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fd = memfd_create("stackrisk-fuzz.yaml", 0);
  FZ_CHECK(fd >= 0, "memfd_create");
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  char err[512];
  dets = sr_detectors_create(NULL, err, sizeof err);
  FZ_CHECK(dets != NULL, "default detectors: %s", err);
  return 0;
}

static void walk(const struct sr_conf_node *n, int depth) {
  char err[512];
  FZ_CHECK(depth <= 70, "tree deeper than the parser's bound");
  FZ_CHECK(sr_conf_path(n) != NULL && sr_conf_file(n) != NULL,
           "node without path or file");
  FZ_CHECK(strcmp(sr_conf_file(n), path) == 0, "node of file '%s'",
           sr_conf_file(n));
  FZ_CHECK(sr_conf_line(n) >= 0, "line %d", sr_conf_line(n));
  enum sr_conf_kind k = sr_conf_kind(n);
  if (k == SR_CONF_SCALAR) {
    FZ_CHECK(sr_conf_scalar(n) != NULL, "scalar without text");
    FZ_CHECK(sr_conf_len(n) == 0, "scalar of length %zu", sr_conf_len(n));
    return;
  }
  FZ_CHECK(sr_conf_scalar(n) == NULL, "collection with text");
  size_t len = sr_conf_len(n);
  for (size_t i = 0; i < len; i++) {
    const struct sr_conf_node *c = sr_conf_at(n, i);
    FZ_CHECK(c != NULL, "item %zu of %zu is NULL", i, len);
    walk(c, depth + 1);
    if (k != SR_CONF_MAP) continue;
    const char *key = sr_conf_key_at(n, i);
    FZ_CHECK(key != NULL, "map key %zu is NULL", i);
    /* The getters, as every section reader calls them. */
    bool b;
    long long ll;
    double d;
    const char *s, **list;
    size_t count;
    (void)sr_conf_get(n, key);
    err[0] = '\0';
    if (sr_conf_get_bool(n, key, false, &b, err, sizeof err))
      FZ_CHECK(err[0], "get_bool failed without a reason");
    err[0] = '\0';
    if (sr_conf_get_int(n, key, 0, -1000, 1000, &ll, err, sizeof err))
      FZ_CHECK(err[0], "get_int failed without a reason");
    err[0] = '\0';
    if (sr_conf_get_double(n, key, 0, 0, 0, &d, err, sizeof err))
      FZ_CHECK(err[0], "get_double failed without a reason");
    err[0] = '\0';
    if (sr_conf_get_string(n, key, NULL, &s, err, sizeof err))
      FZ_CHECK(err[0], "get_string failed without a reason");
    err[0] = '\0';
    if (sr_conf_get_strings(n, key, &list, 4, &count, err, sizeof err))
      FZ_CHECK(err[0], "get_strings failed without a reason");
    else
      for (size_t j = 0; j < count; j++)
        FZ_CHECK(list[j] != NULL, "get_strings item %zu is NULL", j);
  }
  if (k == SR_CONF_MAP) {
    static const char *const allowed[] = {"kafka", "otlp", "state", NULL};
    err[0] = '\0';
    if (sr_conf_check_keys(n, allowed, err, sizeof err))
      FZ_CHECK(err[0], "check_keys failed without a reason");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[1024] = "";
  if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size) return 0;
  struct sr_conf *conf = sr_conf_load_file(path, err, sizeof err);
  if (!conf) {
    FZ_CHECK(err[0], "load failed without a reason");
    FZ_CHECK(strstr(err, path) != NULL, "reason does not name the file: %s",
             err);
    return 0;
  }
  const struct sr_conf_node *root = sr_conf_root(conf);
  FZ_CHECK(root && sr_conf_kind(root) == SR_CONF_MAP, "root is not a map");
  walk(root, 0);
  struct sr_otlp_config cfg;
  err[0] = '\0';
  if (sr_otlp_config_read(sr_conf_get(root, "otlp"), &cfg, err, sizeof err))
    FZ_CHECK(err[0], "otlp section refused without a reason");
  err[0] = '\0';
  struct sr_policy *policy = sr_policy_create(root, dets, err, sizeof err);
  if (policy) {
    FZ_CHECK(sr_policy_ttl_ms(policy) > 0, "policy with a ttl of %lld ms",
             (long long)sr_policy_ttl_ms(policy));
    sr_policy_destroy(policy);
  } else {
    FZ_CHECK(err[0], "policy section refused without a reason");
  }
  sr_conf_destroy(conf);
  return 0;
}
