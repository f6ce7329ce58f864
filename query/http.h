/*
 * The query API over HTTP (libmicrohttpd): JSON documents from the state
 * database (query/reader.h), /metrics from the pipeline's counters, /healthz,
 * and the dashboard page at /.
 *
 *   GET /                      dashboard (self-contained HTML)
 *   GET /healthz               200 when the state database is readable and,
 *                              inside `stackrisk run`, every Kafka client
 *                              reaches a broker (503 once one has reached
 *                              none for SR_KAFKA_UNREACHABLE_MS)
 *   GET /metrics               Prometheus text (only inside `stackrisk run`)
 *   GET /v1/sessions?min_risk=&action=&limit=
 *                              the riskiest `limit`: `count` of them listed,
 *                              `total` matching the filters
 *   GET /v1/sessions/{id}
 *   GET /v1/commands?since=&after=&session=&limit=
 *
 * Each command of the audit log carries its `seq`: the order it was stored
 * in, never reused. `after=SEQ` answers the commands stored after that
 * one, in seq order: a poller passes the largest seq it saw and gets each
 * command once, none skipped, however many share a millisecond. `since=MS`
 * answers those issued at or after MS (inclusive, event time), oldest
 * first; the two exclude each other; without either, the latest `limit`.
 *
 * Errors are JSON {"error": "...", "status": N}: 400 bad parameter, 401
 * missing or wrong bearer token, 404 unknown path or session, 405 a method
 * other than GET/HEAD, 413 a request with a body, 403 a Host header that
 * is not loopback on a server bound to loopback, 503 state database not
 * readable or Kafka not reached. With a token configured, /v1/ and /metrics
 * need "Authorization: Bearer TOKEN"; / and /healthz hold no data and stay
 * open.
 *
 * @locality a small pool of server threads, each with its own read-only
 * SQLite connection; the metrics are read with relaxed loads.
 */
#ifndef SR_HTTP_H
#define SR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/metrics.h"

#define SR_HTTP_TOKEN_MAX 256
#define SR_HTTP_REQUEST_MAX (16 * 1024) /* request line and headers */

struct sr_http_opts {
  const char *listen;      /* "PORT", ":PORT", "ADDR:PORT", "[V6]:PORT" */
  const char *state_path;  /* the state database, opened read-only */
  const char *token;       /* NULL or "": no authentication; copied */
  struct sr_metrics *metrics; /* borrowed; NULL: /metrics answers 404 */
};

struct sr_http;

/* Binds and starts serving. NULL with err (e.g. "cannot listen on
 * 127.0.0.1:80: Permission denied") on failure. */
struct sr_http *sr_http_create(const struct sr_http_opts *opts, char *err,
                               size_t errlen);
/* Stops serving and frees; accepts NULL. */
void sr_http_destroy(struct sr_http *h);
/* The base URL actually bound, e.g. "http://127.0.0.1:41234" (port 0 in the
 * listen address picks a free port). */
const char *sr_http_url(const struct sr_http *h);

/* Parses a listen address. A bare port or ":PORT" means 127.0.0.1; any
 * other interface must be named ("0.0.0.0:8080", "[::]:8080"). "localhost"
 * is 127.0.0.1. 0 or SR_EINVAL with err. */
int sr_http_parse_listen(const char *s, struct sockaddr_storage *out,
                         char *err, size_t errlen);

/* Reads a bearer token from the first line of a file: printable ASCII, no
 * spaces, at most SR_HTTP_TOKEN_MAX bytes. The token never appears in err. */
int sr_http_read_token(const char *path, char *out, size_t cap, char *err,
                       size_t errlen);

/* Constant-time equality of a presented token and the configured one (time
 * depends on the configured token's length only). */
bool sr_http_token_equal(const char *given, size_t given_len, const char *want,
                         size_t want_len);

#endif
