/*
 * HTTP server for the query API (see http.h for the endpoints).
 *
 * libmicrohttpd runs its own small thread pool; every request is answered
 * inside the access handler on the first call, before any body is read:
 * the API is read-only, so a request announcing a body is refused with 413
 * and a method other than GET/HEAD with 405. MHD bounds the request line
 * and headers (SR_HTTP_REQUEST_MAX) and the number of connections.
 *
 * Each pool thread opens its own read-only SQLite connection on first use
 * (a thread-specific key closes it when the thread ends). A failed open is
 * not cached: the state database may appear after the server started.
 *
 * The bearer token is compared in constant time and never logged; nor is
 * any request header.
 *
 * A server bound to loopback answers only requests whose Host names
 * loopback: otherwise a web page the operator visits could point its own
 * domain at 127.0.0.1 (DNS rebinding) and read the API from their browser.
 */
#include "query/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/kafka.h"
#include "core/log.h"
#include "query/dashboard.h"
#include "query/prom.h"
#include "query/reader.h"

#define POOL_THREADS 2
#define CONNECTIONS_MAX 64
#define CONNECTION_TIMEOUT_S 30

struct sr_http {
  struct MHD_Daemon *daemon;
  char state_path[1024];
  char token[SR_HTTP_TOKEN_MAX + 1];
  size_t token_len;
  struct sr_metrics *metrics;
  pthread_key_t readers; /* this thread's struct sr_reader */
  bool key_created;
  char url[96];
  char start_err[512]; /* MHD's last log line while starting */
  bool starting;
  bool loopback; /* bound to 127.0.0.0/8 or ::1 */
};

int sr_http_parse_listen(const char *s, struct sockaddr_storage *out,
                         char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  char host[128] = "127.0.0.1";
  const char *port = s;
  if (!s || !*s) {
    snprintf(err, errlen, "empty listen address; expected PORT or ADDR:PORT");
    return SR_EINVAL;
  }
  const char *colon = strrchr(s, ':');
  if (s[0] == '[') { /* [v6]:port */
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host) {
      snprintf(err, errlen, "listen address '%.128s': expected [IPV6]:PORT", s);
      return SR_EINVAL;
    }
    memcpy(host, s + 1, (size_t)(close - s - 1));
    host[close - s - 1] = '\0';
    port = close + 2;
  } else if (colon) {
    if (colon > s) {
      if ((size_t)(colon - s) >= sizeof host) {
        snprintf(err, errlen, "listen address '%.128s': host too long", s);
        return SR_EINVAL;
      }
      memcpy(host, s, (size_t)(colon - s));
      host[colon - s] = '\0';
    }
    port = colon + 1;
  }
  char *end;
  errno = 0;
  long p = strtol(port, &end, 10);
  if (!*port || *end || errno || p < 0 || p > 65535) {
    snprintf(err, errlen, "listen address '%.128s': expected a port from 0 "
             "to 65535", s);
    return SR_EINVAL;
  }
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)p);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)p);
  } else {
    snprintf(err, errlen, "listen address '%.128s': '%s' is not an IP "
             "address (use 127.0.0.1, 0.0.0.0, [::1] or localhost)", s, host);
    return SR_EINVAL;
  }
  return SR_OK;
}

int sr_http_read_token(const char *path, char *out, size_t cap, char *err,
                       size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
    return SR_EIO;
  }
  char line[SR_HTTP_TOKEN_MAX + 3];
  bool got = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  size_t n = got ? strcspn(line, "\r\n") : 0;
  line[n] = '\0';
  const char *problem = NULL;
  if (n == 0)
    problem = "the first line is empty";
  else if (n > SR_HTTP_TOKEN_MAX || n >= cap)
    problem = "the token is longer than 256 bytes";
  for (size_t i = 0; i < n && !problem; i++)
    if (line[i] < 0x21 || line[i] > 0x7e)
      problem = "the token must be printable ASCII without spaces";
  if (problem) {
    snprintf(err, errlen, "token file %s: %s", path, problem);
    memset(line, 0, sizeof line);
    return SR_EINVAL;
  }
  memcpy(out, line, n + 1);
  memset(line, 0, sizeof line);
  return SR_OK;
}

bool sr_http_token_equal(const char *given, size_t given_len, const char *want,
                         size_t want_len) {
  volatile unsigned char diff = given_len != want_len;
  for (size_t i = 0; i < want_len; i++)
    diff |= (unsigned char)want[i] ^
            (unsigned char)(i < given_len ? given[i] : 0);
  return diff == 0;
}

/* Queues a response; body is taken over (free()d by MHD) when owned. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                            const char *ctype, const void *body, size_t len,
                            bool owned) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      len, (void *)body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!r) {
    if (owned) free((void *)body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  if (status == MHD_HTTP_UNAUTHORIZED)
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Bearer realm=\"stackrisk\"");
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  if (strncmp(ctype, "text/html", 9) == 0)
    /* The page is self-contained: forbid every origin but our own API. */
    MHD_add_response_header(
        r, "Content-Security-Policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src "
        "'unsafe-inline'; connect-src 'self'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
                                 char *json) {
  if (!json) return MHD_NO;
  return reply(c, status, "application/json", json, strlen(json), true);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return send_json(c, status, sr_reader_error_json((int)status, msg));
}

static struct sr_reader *thread_reader(struct sr_http *h, char *err,
                                       size_t errlen) {
  struct sr_reader *r = pthread_getspecific(h->readers);
  if (r) return r;
  r = sr_reader_open(h->state_path, err, errlen);
  if (r) pthread_setspecific(h->readers, r);
  return r;
}

/* Answers a reader call's outcome; a database error drops the connection
 * so the next request reopens it. */
static enum MHD_Result send_document(struct sr_http *h, struct MHD_Connection *c,
                                     int rc, char *json, const char *err) {
  if (rc == SR_OK) return send_json(c, MHD_HTTP_OK, json);
  if (rc == SR_ENOTFOUND) return send_error(c, MHD_HTTP_NOT_FOUND, "%s", err);
  SR_WARN("query: %s", err);
  sr_reader_close(pthread_getspecific(h->readers));
  pthread_setspecific(h->readers, NULL);
  return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
}

struct arg_ctx {
  int (*set)(void *params, const char *key, const char *value, char *err,
             size_t errlen);
  void *params;
  char err[256];
  bool failed;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind,
                              const char *key, const char *value) {
  (void)kind;
  struct arg_ctx *a = cls;
  if (a->set(a->params, key, value ? value : "", a->err, sizeof a->err)) {
    a->failed = true;
    return MHD_NO;
  }
  return MHD_YES;
}

static int set_sessions(void *p, const char *k, const char *v, char *e,
                        size_t n) {
  return sr_params_sessions_set(p, k, v, e, n);
}

static int set_commands(void *p, const char *k, const char *v, char *e,
                        size_t n) {
  return sr_params_commands_set(p, k, v, e, n);
}

static int set_none(void *p, const char *k, const char *v, char *e, size_t n) {
  (void)p, (void)v;
  snprintf(e, n, "unknown parameter '%.64s'; this endpoint takes none", k);
  return SR_EINVAL;
}

/* True when the Host header is absent or names a loopback address. */
static bool host_allowed(const struct sr_http *h, struct MHD_Connection *c,
                         const char **host) {
  *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  if (!h->loopback || !*host) return true;
  const char *v = *host;
  char name[64];
  size_t n = v[0] == '[' ? strcspn(v, "]") + 1 : strcspn(v, ":");
  if (n >= sizeof name || (v[n] && v[n] != ':')) return false;
  memcpy(name, v, n);
  name[n] = '\0';
  struct in_addr a4;
  if (strcasecmp(name, "localhost") == 0 || strcmp(name, "[::1]") == 0)
    return true;
  return inet_pton(AF_INET, name, &a4) == 1 &&
         (ntohl(a4.s_addr) >> 24) == 127;
}

static bool authorized(const struct sr_http *h, struct MHD_Connection *c) {
  if (!h->token_len) return true;
  const char *v =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!v || strncasecmp(v, "Bearer ", 7) != 0) return false;
  v += 7;
  while (*v == ' ') v++;
  return sr_http_token_equal(v, strlen(v), h->token, h->token_len);
}

static enum MHD_Result serve_metrics(struct sr_http *h, struct MHD_Connection *c) {
  if (!h->metrics)
    return send_error(c, MHD_HTTP_NOT_FOUND,
                      "no metrics: this process runs no pipeline (metrics "
                      "are served by `stackrisk run --http`)");
  struct sr_metrics_snapshot *snap = malloc(sizeof *snap);
  char *text = malloc(SR_PROM_MAX);
  if (!snap || !text) {
    free(snap);
    free(text);
    return MHD_NO;
  }
  sr_metrics_snapshot(h->metrics, snap);
  struct sr_buf b = sr_buf_init(text, SR_PROM_MAX);
  sr_prom_render(snap, &b);
  free(snap);
  if (b.overflow) SR_WARN("/metrics: output truncated at %d bytes", SR_PROM_MAX);
  return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text,
              b.len, true);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  (void)version, (void)upload, (void)upload_size, (void)con_cls;
  struct sr_http *h = cls;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                      "method %.16s not allowed: the API is read-only (GET, "
                      "HEAD)", method);
  const char *host;
  if (!host_allowed(h, c, &host))
    return send_error(c, MHD_HTTP_FORBIDDEN,
                      "Host '%.64s' is not this server: it listens on "
                      "loopback only; use %s", host, h->url);
  const char *clen = MHD_lookup_connection_value(
      c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if ((clen && strtoull(clen, NULL, 10) > 0) ||
      MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                  MHD_HTTP_HEADER_TRANSFER_ENCODING))
    return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                      "request bodies are not accepted");

  if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
    return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", sr_dashboard_html,
                sr_dashboard_html_len, false);
  char err[1024];
  if (strcmp(url, "/healthz") == 0) {
    if (!thread_reader(h, err, sizeof err))
      return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    char client[SR_METRICS_CLIENT_MAX];
    int64_t unreachable_ms =
        h->metrics ? sr_metrics_kafka_unreachable(h->metrics,
                                                  sr_clock_ms(CLOCK_MONOTONIC),
                                                  client, sizeof client)
                   : 0;
    if (unreachable_ms >= SR_KAFKA_UNREACHABLE_MS)
      return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "Kafka unreachable: the %s client has reached none "
                        "of its brokers for %lld s",
                        client, (long long)unreachable_ms / 1000);
    static const char ok[] = "{\"status\":\"ok\"}";
    return reply(c, MHD_HTTP_OK, "application/json", ok, sizeof ok - 1, false);
  }
  bool api = strncmp(url, "/v1/", 4) == 0;
  if (!api && strcmp(url, "/metrics") != 0)
    return send_error(c, MHD_HTTP_NOT_FOUND,
                      "no such endpoint: %.200s (see /v1/sessions, "
                      "/v1/commands, /metrics, /healthz)", url);
  if (!authorized(h, c))
    return send_error(c, MHD_HTTP_UNAUTHORIZED,
                      "missing or wrong bearer token (Authorization: Bearer "
                      "TOKEN)");
  if (!api) return serve_metrics(h, c);

  static const char sessions_prefix[] = "/v1/sessions/";
  struct sr_sessions_params sp;
  struct sr_commands_params cp;
  struct arg_ctx args = {set_none, NULL, "", false};
  const char *session_id = NULL;
  if (strcmp(url, "/v1/sessions") == 0) {
    sr_params_sessions_init(&sp);
    args = (struct arg_ctx){set_sessions, &sp, "", false};
  } else if (strcmp(url, "/v1/commands") == 0) {
    sr_params_commands_init(&cp);
    args = (struct arg_ctx){set_commands, &cp, "", false};
  } else if (strncmp(url, sessions_prefix, sizeof sessions_prefix - 1) == 0 &&
             url[sizeof sessions_prefix - 1]) {
    session_id = url + sizeof sessions_prefix - 1;
    if (strlen(session_id) > SR_SESSION_ID_MAX)
      return send_error(c, MHD_HTTP_BAD_REQUEST,
                        "session id longer than %d bytes", SR_SESSION_ID_MAX);
  } else {
    return send_error(c, MHD_HTTP_NOT_FOUND,
                      "no such endpoint: %.200s (see /v1/sessions, "
                      "/v1/sessions/{id}, /v1/commands)", url);
  }
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_arg, &args);
  if (args.failed) return send_error(c, MHD_HTTP_BAD_REQUEST, "%s", args.err);

  struct sr_reader *r = thread_reader(h, err, sizeof err);
  if (!r) return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
  char *json = NULL;
  int rc = session_id ? sr_reader_session(r, session_id, &json, err, sizeof err)
           : args.params == &sp ? sr_reader_sessions(r, &sp, &json, err, sizeof err)
                                : sr_reader_commands(r, &cp, &json, err, sizeof err);
  return send_document(h, c, rc, json, err);
}

static void on_log(void *cls, const char *fmt, va_list ap) {
  struct sr_http *h = cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  line[strcspn(line, "\n")] = '\0';
  if (h->starting) snprintf(h->start_err, sizeof h->start_err, "%s", line);
  SR_WARN("http: %s", line);
}

static void close_reader(void *r) { sr_reader_close(r); }

struct sr_http *sr_http_create(const struct sr_http_opts *o, char *err,
                               size_t errlen) {
  struct sockaddr_storage ss;
  if (sr_http_parse_listen(o->listen, &ss, err, errlen)) return NULL;
  struct sr_http *h = calloc(1, sizeof *h);
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  snprintf(h->state_path, sizeof h->state_path, "%s", o->state_path);
  if (o->token && *o->token) {
    h->token_len = strlen(o->token);
    if (h->token_len > SR_HTTP_TOKEN_MAX) {
      snprintf(err, errlen, "the HTTP token is longer than %d bytes",
               SR_HTTP_TOKEN_MAX);
      goto fail;
    }
    memcpy(h->token, o->token, h->token_len + 1);
  }
  h->metrics = o->metrics;
  if (pthread_key_create(&h->readers, close_reader)) {
    snprintf(err, errlen, "cannot create a thread key");
    goto fail;
  }
  h->key_created = true;
  /* AUTO: epoll or poll, not select and its 1024-descriptor limit. */
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  h->loopback =
      ss.ss_family == AF_INET6
          ? IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr)
          : (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
  h->starting = true;
  /* The port is in the address; passing it too only makes MHD's messages
   * name it. The logger goes first so it sees every message. */
  uint16_t port = ntohs(ss.ss_family == AF_INET6
                            ? ((struct sockaddr_in6 *)&ss)->sin6_port
                            : ((struct sockaddr_in *)&ss)->sin_port);
  h->daemon = MHD_start_daemon(
      flags, port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
      on_log, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SR_HTTP_REQUEST_MAX,
      MHD_OPTION_END);
  h->starting = false;
  if (!h->daemon) {
    snprintf(err, errlen, "cannot listen on %s: %s", o->listen,
             h->start_err[0] ? h->start_err : "libmicrohttpd refused");
    goto fail;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
  char host[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host,
              sizeof host);
    snprintf(h->url, sizeof h->url, "http://[%s]:%u", host,
             info ? info->port : 0);
  } else {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
              sizeof host);
    snprintf(h->url, sizeof h->url, "http://%s:%u", host,
             info ? info->port : 0);
  }
  return h;
fail:
  sr_http_destroy(h);
  return NULL;
}

const char *sr_http_url(const struct sr_http *h) { return h->url; }

void sr_http_destroy(struct sr_http *h) {
  if (!h) return;
  /* Joins the pool threads, whose key destructors close their readers. */
  if (h->daemon) MHD_stop_daemon(h->daemon);
  if (h->key_created) pthread_key_delete(h->readers);
  memset(h->token, 0, sizeof h->token);
  free(h);
}
