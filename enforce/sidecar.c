/*
 * The gate sidecar: one long-lived `stackrisk gate --serve` holds the Kafka
 * connections, the positioned control reader and the compiled catalogue;
 * hook processes hand it their call over a Unix socket and get the verdict
 * back. A hook process then costs a fork/exec and a socket round trip
 * instead of two Kafka connections and a Hyperscan compile.
 *
 * Wire form, both directions one frame per connection:
 *   request:  "SRG1 <session len> <call len> <event len>\n" + the three
 *   response: "SRG1 <action> <source> <reason len>\n" + reason
 * Each connection is served by its own thread (calls of parallel tools wait
 * concurrently); the socket is created mode 0600 so only its owner can ask.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "enforce/gate.h"

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return SR_EIO;
    p += w;
    n -= (size_t)w;
  }
  return SR_OK;
}

static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n) {
    ssize_t r = recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return SR_ETIMEOUT;
    if (r <= 0) return SR_EIO;
    p += r;
    n -= (size_t)r;
  }
  return SR_OK;
}

/* Reads the "SRG1 ...\n" header line, at most 96 bytes. */
static int read_header(int fd, char *line, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    int rc = read_all(fd, line + n, 1);
    if (rc) return rc;
    if (line[n] == '\n') {
      line[n] = '\0';
      return SR_OK;
    }
    n++;
  }
  return SR_EINVAL;
}

struct conn {
  struct sr_gate *g;
  int fd;
};

static void *serve_conn(void *arg) {
  struct conn c = *(struct conn *)arg;
  free(arg);
  char line[128];
  size_t ls, lc, le;
  struct sr_hook_request req = {0};
  struct sr_gate_verdict v;
  if (read_header(c.fd, line, sizeof line) ||
      sscanf(line, "SRG1 %zu %zu %zu", &ls, &lc, &le) != 3 ||
      ls > SR_SESSION_ID_MAX || lc > SR_ID_MAX || le > SR_HOOK_EVENT_MAX ||
      !(req.event = malloc(le + 1)) || read_all(c.fd, req.session, ls) ||
      read_all(c.fd, req.call, lc) || read_all(c.fd, req.event, le)) {
    SR_WARN("gate sidecar: dropped a malformed request");
    goto done;
  }
  req.event_len = le;
  sr_gate_decide(c.g, &req, &v);
  size_t rl = strlen(v.reason);
  int n = snprintf(line, sizeof line, "SRG1 %d %d %zu\n", (int)v.action,
                   (int)v.source, rl);
  if (write_all(c.fd, line, (size_t)n) == SR_OK)
    write_all(c.fd, v.reason, rl);
done:
  free(req.event);
  close(c.fd);
  return NULL;
}

int sr_gate_serve(struct sr_gate *g, const char *socket_path,
                  volatile sig_atomic_t *stop, char *err, size_t errlen) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof sa.sun_path) {
    snprintf(err, errlen, "socket path too long: %s", socket_path);
    return SR_EINVAL;
  }
  strcpy(sa.sun_path, socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return SR_EIO;
  }
  unlink(socket_path); /* a stale socket of an earlier run */
  mode_t old = umask(0077);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (rc != 0 || listen(fd, 128) != 0) {
    snprintf(err, errlen, "cannot listen on %s: %s", socket_path,
             strerror(errno));
    close(fd);
    return SR_EIO;
  }
  SR_INFO("gate sidecar listening on %s", socket_path);
  while (!*stop) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (cfd < 0) continue;
    struct conn *c = malloc(sizeof *c);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (!c) {
      close(cfd);
    } else {
      c->g = g;
      c->fd = cfd;
      if (pthread_create(&t, &at, serve_conn, c)) {
        close(cfd);
        free(c);
      }
    }
    pthread_attr_destroy(&at);
  }
  close(fd);
  unlink(socket_path);
  return SR_OK;
}

int sr_gate_remote_decide(const char *socket_path,
                          const struct sr_hook_request *req, int timeout_ms,
                          struct sr_gate_verdict *v, char *err,
                          size_t errlen) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    snprintf(err, errlen, "cannot reach the gate sidecar at %s: %s",
             socket_path, strerror(errno));
    if (fd >= 0) close(fd);
    return SR_EIO;
  }
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char line[128];
  size_t ls = strlen(req->session), lc = strlen(req->call);
  int n = snprintf(line, sizeof line, "SRG1 %zu %zu %zu\n", ls, lc,
                   req->event_len);
  int rc = write_all(fd, line, (size_t)n);
  if (!rc) rc = write_all(fd, req->session, ls);
  if (!rc) rc = write_all(fd, req->call, lc);
  if (!rc) rc = write_all(fd, req->event, req->event_len);
  int action = 0, source = 0;
  size_t rl = 0;
  if (!rc) rc = read_header(fd, line, sizeof line);
  if (!rc && (sscanf(line, "SRG1 %d %d %zu", &action, &source, &rl) != 3 ||
              rl >= sizeof v->reason || action < SR_ACTION_ALLOW ||
              action > SR_ACTION_KILL))
    rc = SR_EINVAL;
  memset(v, 0, sizeof *v);
  if (!rc) rc = read_all(fd, v->reason, rl);
  close(fd);
  if (rc) {
    snprintf(err, errlen, "the gate sidecar at %s %s", socket_path,
             rc == SR_ETIMEOUT ? "did not answer in time"
                               : "sent no valid answer");
    return rc == SR_ETIMEOUT ? SR_ETIMEOUT : SR_EIO;
  }
  v->action = (enum sr_action)action;
  v->source = (enum sr_verdict_source)source;
  return SR_OK;
}
