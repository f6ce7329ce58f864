/*
 * The gate sidecar: one long-lived `stackrisk gate --serve` holds the Kafka
 * connections, the positioned control reader and the compiled detectors;
 * hook processes hand it their call over a Unix socket and get the verdict
 * back. A hook process then costs a fork/exec and a socket round trip
 * instead of two Kafka connections and a Hyperscan compile.
 *
 * The wire form is in gate_wire.h. Each connection is served by its own thread
 * (calls of parallel tools wait concurrently); the socket is created mode 0600
 * so only its owner can ask.
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
#include "enforce/gate_wire.h"

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
  if (sr_wire_header(c.fd, line, sizeof line) ||
      sscanf(line, "SRG1 %zu %zu %zu %d %d", &ls, &lc, &le, &req.deadline_ms,
             &req.hold_ms) != 5 ||
      ls > SR_SESSION_ID_MAX || lc > SR_ID_MAX || le > SR_HOOK_EVENT_MAX ||
      !(req.event = malloc(le + 1)) || sr_wire_read(c.fd, req.session, ls) ||
      sr_wire_read(c.fd, req.call, lc) || sr_wire_read(c.fd, req.event, le)) {
    SR_WARN("gate sidecar: dropped a malformed request");
    goto done;
  }
  req.event_len = le;
  sr_gate_decide(c.g, &req, &v);
  size_t rl = strlen(v.reason);
  int n = snprintf(line, sizeof line, "SRG1 %d %d %zu\n", (int)v.action,
                   (int)v.source, rl);
  if (sr_wire_write(c.fd, line, (size_t)n) == SR_OK)
    sr_wire_write(c.fd, v.reason, rl);
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
