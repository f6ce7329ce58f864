/*
 * Writes the seed corpora of the libFuzzer harnesses from the test data,
 * one folder per harness under OUTDIR, and a second one for fuzz_decode:
 *   decode/      every line of tests/data's JSON-lines files, and each line
 *                that decodes re-encoded as a protobuf stackrisk.v1.Event
 *   decode_pb/   the protobuf ones alone, for fuzz_decode: in the mixed
 *                corpus they are a minority, and the protobuf decoder's
 *                corners are reached far sooner from these
 *   otlp_proto/  the .bin fixtures of tests/data/otlp
 *   otlp_json/   the .json fixtures of tests/data/otlp
 *   command/     ControlCommands signed with the key of docs/events.md's
 *                worked example (batches of 1, 3 and 5), and unsigned ones
 *   hook/        the hook payloads of tests/unit/enforce/test_hook.c
 *   config/      config/stackrisk.yaml and the .yaml files of
 *                tests/data/integration
 * Usage: fuzz_seeds OUTDIR
 */
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregator/command.h"
#include "aggregator/sign.h"
#include "core/arena.h"
#include "ingest/decode.h"
#include "ingest/repartition.h"

#ifndef SR_SOURCE_DIR
#define SR_SOURCE_DIR "."
#endif

static const char *out_dir;
static unsigned n_written;

static void put(const char *sub, const char *name, const void *p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", out_dir, sub);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
    exit(1);
  }
  n_written++;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  size_t got;
  while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) b = realloc(b, cap *= 2);
  }
  fclose(f);
  *len = n;
  return b;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Each line of a JSON-lines file, and its protobuf form when it decodes. */
static void jsonl(const char *path, const char *tag, struct sr_arena *arena) {
  size_t len;
  char *text = slurp(path, &len);
  if (!text) return;
  unsigned line = 0;
  for (char *p = text, *end = text + len; p < end; line++) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char name[256];
    snprintf(name, sizeof name, "%s-%u.json", tag, line);
    if (n) put("decode", name, p, n);
    struct sr_event ev;
    char err[256];
    const struct sr_decode_opts opts = {0, 0};
    sr_arena_reset(arena);
    sr_str pb;
    if (n && sr_decode_event(p, n, &opts, arena, &ev, err, sizeof err) == 0 &&
        sr_repartition_encode(&ev, arena, &pb) == 0) {
      snprintf(name, sizeof name, "%s-%u.pb", tag, line);
      put("decode", name, pb.p, pb.n);
      put("decode_pb", name, pb.p, pb.n);
    }
    p += n + 1;
  }
  free(text);
}

/* Every file of dir ending in suffix, copied into sub. */
static void copy_files(const char *dir, const char *suffix, const char *sub,
                       struct sr_arena *arena) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, suffix) || !strncmp(e->d_name, "package", 7))
      continue; /* the fixture generator's npm files */
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (!strcmp(sub, "decode")) {
      jsonl(path, e->d_name, arena);
      continue;
    }
    size_t len;
    char *text = slurp(path, &len);
    if (text) put(sub, e->d_name, text, len);
    free(text);
  }
  closedir(d);
}

static void commands(void) {
  uint8_t seed[32], pk[crypto_sign_PUBLICKEYBYTES],
      sk[crypto_sign_SECRETKEYBYTES];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
  if (sodium_init() < 0) exit(1);
  crypto_sign_seed_keypair(pk, sk, seed);
  char path[] = "/tmp/stackrisk-seed-key-XXXXXX", err[256];
  int fd = mkstemp(path);
  char hex[2 * sizeof sk + 2];
  sodium_bin2hex(hex, sizeof hex - 1, sk, sizeof sk);
  strcat(hex, "\n");
  if (fd < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex)) exit(1);
  close(fd);
  struct sr_signer *s = sr_signer_load(path, err, sizeof err);
  unlink(path);
  if (!s) {
    fprintf(stderr, "fuzz_seeds: %s\n", err);
    exit(1);
  }
  static const size_t sizes[] = {1, 3, 5};
  static struct sr_command cmds[5];
  uint8_t pb[SR_COMMAND_PB_MAX];
  for (size_t k = 0; k < SR_ARRAY_LEN(sizes); k++) {
    size_t n = sizes[k];
    for (size_t i = 0; i < n; i++) {
      struct sr_command *c = &cmds[i];
      memset(c, 0, sizeof *c);
      snprintf(c->session_id, sizeof c->session_id, "sess-pocketos-1");
      snprintf(c->call_id, sizeof c->call_id, "call-%zu", i);
      snprintf(c->event_id, sizeof c->event_id, "ev-pocketos-1-%03zu", 17 + i);
      snprintf(c->rule, sizeof c->rule, "tier.block");
      c->action = i == 4 ? SR_ACTION_KILL : SR_ACTION_BLOCK;
      c->risk = 5.831;
      c->depth = 3;
      c->issued_at_ms = 1776465697170LL;
      c->expires_at_ms = 1776465997170LL;
      if (i % 2 == 0) {
        c->n_dims = 2;
        snprintf(c->dims[0].name, sizeof c->dims[0].name, "destructive");
        c->dims[0].score = 0.95f;
        snprintf(c->dims[0].reason, sizeof c->dims[0].reason,
                 "volumeDelete on a production volume");
        snprintf(c->dims[1].name, sizeof c->dims[1].name, "boundary");
        c->dims[1].score = 0.8f;
        snprintf(c->dims[1].reason, sizeof c->dims[1].reason,
                 "staging session acting on production");
      }
      sr_command_set_id(c);
    }
    for (size_t i = 0; i < n; i++) {
      char name[64];
      int len = sr_command_encode(&cmds[i], pb, sizeof pb);
      snprintf(name, sizeof name, "unsigned-%zu-%zu.pb", n, i);
      if (len >= 0 && k == 1) put("command", name, pb, (size_t)len);
    }
    sr_signer_sign_batch(s, cmds, n);
    for (size_t i = 0; i < n; i++) {
      char name[64];
      int len = sr_command_encode(&cmds[i], pb, sizeof pb);
      snprintf(name, sizeof name, "signed-%zu-%zu.pb", n, i);
      if (len >= 0) put("command", name, pb, (size_t)len);
    }
  }
  sr_signer_destroy(s);
}

static void hooks(void) {
  static const char *const payloads[] = {
      ("{\"session_id\":\"abc123\",\"transcript_path\":\"/home/u/.claude/"
       "projects/p/abc123.jsonl\",\"cwd\":\"/home/u/p\",\"permission_mode\":"
       "\"plan\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\","
       "\"tool_input\":{\"command\":\"psql -c 'DROP TABLE users'\","
       "\"description\":\"Drop \\\"users\\\"\",\"timeout\":120000},"
       "\"tool_use_id\":\"toolu_01ABC123\"}"),
      ("{\"session_id\":\"abc123\",\"permission_mode\":\"bypassPermissions\","
       "\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/x\"},"
       "\"tool_use_id\":\"toolu_2\"}"),
      ("{\"conversation_id\":\"conv-1\",\"generation_id\":\"gen-1\","
       "\"model\":\"gpt-5\",\"hook_event_name\":\"beforeShellExecution\","
       "\"cursor_version\":\"1.7.2\",\"workspace_roots\":[\"/w\"],"
       "\"user_email\":null,\"command\":\"terraform destroy\",\"cwd\":\"/w\"}"),
      ("{\"conversation_id\":\"conv-1\",\"generation_id\":\"gen-1\","
       "\"hook_event_name\":\"beforeMCPExecution\",\"tool_name\":\"query\","
       "\"tool_input\":\"{\\\"sql\\\":\\\"DELETE FROM orders\\\"}\","
       "\"url\":\"http://localhost:3000/mcp\"}"),
      ("{\"type\":\"tool_call\",\"session_id\":\"s1\",\"call_id\":\"c1\","
       "\"phase\":\"completed\",\"want_verdict\":false,\"tool\":\"Bash\","
       "\"arguments\":{\"command\":\"ls\"},\"ts_ms\":1700000000000,"
       "\"target\":{\"id\":\"vol-1\",\"kind\":\"volume\"}}"),
      ("{\"session_id\":\"s\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t\","
       "\"hook_event_name\":\"PostToolUse\"}"),
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(payloads); i++) {
    char name[32];
    snprintf(name, sizeof name, "payload-%zu.json", i);
    put("hook", name, payloads[i], strlen(payloads[i]));
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
    return 2;
  }
  out_dir = argv[1];
  mkdir(out_dir, 0755);
  struct sr_arena *arena = sr_arena_create(8u << 20);
  if (!arena) return 1;
  copy_files(SR_SOURCE_DIR "/tests/data/sessions", ".jsonl", "decode", arena);
  copy_files(SR_SOURCE_DIR "/tests/data/decode", ".jsonl", "decode", arena);
  copy_files(SR_SOURCE_DIR "/tests/data/otlp", ".bin", "otlp_proto", arena);
  copy_files(SR_SOURCE_DIR "/tests/data/otlp", ".json", "otlp_json", arena);
  copy_files(SR_SOURCE_DIR "/config", ".yaml", "config", arena);
  copy_files(SR_SOURCE_DIR "/tests/data/integration", ".yaml", "config", arena);
  commands();
  hooks();
  sr_arena_destroy(arena);
  printf("fuzz_seeds: %u seeds in %s\n", n_written, out_dir);
  return 0;
}
