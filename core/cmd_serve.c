/*
 * `stackrisk serve`: the query API and dashboard on a state database,
 * without the stream processor: for a read-only dashboard host next to the
 * database, and for tests. /metrics belongs to `stackrisk run --http`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/cli.h"
#include "core/log.h"
#include "query/http.h"
#include "query/reader.h"

static void usage(FILE *f) {
  fputs("usage: stackrisk serve [OPTIONS]\n"
        "\n"
        "Serve the query API (/v1/sessions, /v1/sessions/ID, /v1/commands),\n"
        "/healthz and the dashboard (/) from a state database, read-only.\n"
        "Prints 'stackrisk: HTTP API at URL'; stops on SIGINT/SIGTERM.\n"
        "\n"
        "      --state PATH        state database (default stackrisk-state.db)\n"
        "      --http ADDR         PORT or :PORT (127.0.0.1), or ADDR:PORT for\n"
        "                          another interface (default :8080)\n"
        "      --http-token-file F bearer token for /v1/ (first line of F)\n"
        "      --log-level L       error, warn, info (default), debug\n"
        "  -h, --help              this text\n",
        f);
}

int sr_cmd_serve(int argc, char **argv, volatile sig_atomic_t *stop) {
  enum { O_STATE = 256, O_HTTP, O_TOKEN, O_LOG };
  static const struct option opts[] = {
      {"state", required_argument, NULL, O_STATE},
      {"http", required_argument, NULL, O_HTTP},
      {"http-token-file", required_argument, NULL, O_TOKEN},
      {"log-level", required_argument, NULL, O_LOG},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  struct sr_http_opts ho = {":8080", SR_STATE_PATH_DEFAULT, NULL, NULL};
  const char *token_file = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case O_STATE: ho.state_path = optarg; break;
      case O_HTTP: ho.listen = optarg; break;
      case O_TOKEN: token_file = optarg; break;
      case O_LOG:
        if (sr_cli_log_level(optarg)) return 2;
        break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "stackrisk serve: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  char err[1024], token[SR_HTTP_TOKEN_MAX + 1] = "";
  if (token_file && sr_http_read_token(token_file, token, sizeof token, err, sizeof err)) {
    fprintf(stderr, "stackrisk serve: %s\n", err);
    return 1;
  }
  ho.token = token;
  /* Fail now, not at the first request, on a missing or foreign file. */
  struct sr_reader *probe = sr_reader_open(ho.state_path, err, sizeof err);
  if (!probe) {
    fprintf(stderr, "stackrisk serve: %s\n", err);
    return 1;
  }
  sr_reader_close(probe);
  struct sr_http *h = sr_http_create(&ho, err, sizeof err);
  memset(token, 0, sizeof token);
  if (!h) {
    fprintf(stderr, "stackrisk serve: %s\n", err);
    return 1;
  }
  printf("stackrisk: HTTP API at %s\n", sr_http_url(h));
  fflush(stdout);
  SR_INFO("serving %s read-only", ho.state_path);
  while (!*stop) {
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL); /* a signal interrupts it */
  }
  sr_http_destroy(h);
  return 0;
}
