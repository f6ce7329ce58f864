/*
 * `stackrisk replay FILE...`: the decode → detect → aggregate → policy path
 * on JSON-lines files, without Kafka, printing one command per line on
 * stdout. Deterministic: the same files give byte-identical output, command
 * ids included. A line that does not decode is reported on stderr as
 * FILE:LINE: reason and skipped; the exit code is then 1 (the commands of
 * the good lines are still printed).
 *
 * An event without a time takes the previous event's time (replay has no
 * ingestion clock that would repeat).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/aggregator.h"
#include "core/arena.h"
#include "core/cli.h"
#include "core/engine.h"
#include "ingest/decode.h"

static void usage(FILE *f) {
  fputs("usage: stackrisk replay [OPTIONS] FILE...\n"
        "\n"
        "Run the decision path on JSON-lines event files ('-' = stdin) and\n"
        "print the commands as JSON lines. Files are read in order as one\n"
        "stream. Exit 0, or 1 when some line was rejected (reported on\n"
        "stderr as FILE:LINE: reason).\n"
        "\n"
        "  -c, --config FILE   configuration (YAML)\n"
        "      --log-level L   error, warn, info (default), debug\n"
        "  -h, --help          this text\n",
        f);
}

struct replay {
  struct sr_aggregator *agg;
  struct sr_arena *arena;
  struct sr_command cmd;
  struct sr_decode_opts dopts;
  char out[65536];
  unsigned long rejected;
};

/* 0, or 1 after saying why the file could not be read (a directory opens
 * but does not read). */
static int replay_file(struct replay *r, const char *path, FILE *f) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned long lineno = 0;
  char err[512];
  while ((n = getline(&line, &cap, f)) != -1) {
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    size_t skip = strspn(line, " \t");
    if ((size_t)n == skip) continue; /* blank line */
    struct sr_event ev;
    sr_arena_reset(r->arena);
    if (sr_decode_json(line, (size_t)n, &r->dopts, r->arena, &ev, err,
                       sizeof err) != SR_OK) {
      fprintf(stderr, "%s:%lu: %s\n", path, lineno, err);
      r->rejected++;
      continue;
    }
    r->dopts.fallback_ts_ms = ev.ts_ms;
    int rc = sr_aggregator_process(r->agg, &ev, &r->cmd);
    if (rc < 0) {
      fprintf(stderr, "%s:%lu: out of memory\n", path, lineno);
      free(line);
      return 1;
    }
    if (rc == 1) {
      int len = sr_command_to_json(&r->cmd, r->out, sizeof r->out);
      if (len > 0) {
        fwrite(r->out, 1, (size_t)len, stdout);
        fputc('\n', stdout);
      }
    }
  }
  int read_errno = ferror(f) ? errno : 0; /* getline failed, not at EOF */
  free(line);
  if (read_errno) {
    fprintf(stderr, "stackrisk replay: cannot read %s: %s\n", path,
            strerror(read_errno));
    return 1;
  }
  return 0;
}

int sr_cmd_replay(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  enum { O_LOG = 256 };
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"log-level", required_argument, NULL, O_LOG},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (c) {
      case 'c': config = optarg; break;
      case O_LOG:
        if (sr_cli_log_level(optarg)) return 2;
        break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "stackrisk replay: no input file (use - for stdin)\n");
    usage(stderr);
    return 2;
  }
  char err[1024];
  int rc = 1;
  struct replay *r = calloc(1, sizeof *r);
  struct sr_engine *engine = sr_engine_create(config, err, sizeof err);
  if (!engine || !r) goto fail;
  r->dopts.max_message_bytes = (size_t)engine->settings.max_message_bytes;
  /* A file was written by now: events stamped later are refused, as
   * `run` refuses them against their Kafka record's time. */
  r->dopts.written_ms = sr_clock_ms(CLOCK_REALTIME);
  r->dopts.max_future_ms = engine->settings.max_future_s * 1000;
  r->arena = sr_arena_create(4 * r->dopts.max_message_bytes + (1u << 20));
  r->agg = sr_aggregator_create(engine->dets, engine->policy, err, sizeof err);
  if (!r->arena || !r->agg) goto fail;
  /* The retention changes decisions: the same as `run` applies. */
  sr_aggregator_set_retention(r->agg, engine->settings.retention_s * 1000);
  for (int i = optind; i < argc; i++) {
    bool is_stdin = strcmp(argv[i], "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(argv[i], "r");
    if (!f) {
      snprintf(err, sizeof err, "cannot open %s: %s", argv[i], strerror(errno));
      goto fail;
    }
    int frc = replay_file(r, is_stdin ? "<stdin>" : argv[i], f);
    if (!is_stdin) fclose(f);
    if (frc) goto done;
  }
  fflush(stdout);
  rc = r->rejected ? 1 : 0;
  goto done;
fail:
  fprintf(stderr, "stackrisk replay: %s\n", r ? err : "out of memory");
done:
  if (r) {
    sr_aggregator_destroy(r->agg);
    sr_arena_destroy(r->arena);
    free(r);
  }
  sr_engine_destroy(engine);
  return rc;
}
