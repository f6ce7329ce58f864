/*
 * The hook side of the gate sidecar: frames one call to the sidecar's Unix
 * socket and reads the verdict back. Kept free of Kafka, YAML and the
 * catalogue so the lean `stackrisk-hook` binary can link it alone: a hook
 * process then starts in about a millisecond.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "enforce/gate.h"
#include "enforce/gate_wire.h"

int sr_wire_write(int fd, const void *buf, size_t n) {
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

int sr_wire_read(int fd, void *buf, size_t n) {
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

int sr_wire_header(int fd, char *line, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    int rc = sr_wire_read(fd, line + n, 1);
    if (rc) return rc;
    if (line[n] == '\n') {
      line[n] = '\0';
      return SR_OK;
    }
    n++;
  }
  return SR_EINVAL;
}

int sr_gate_remote_decide(const char *socket_path,
                          const struct sr_hook_request *req, int timeout_ms,
                          struct sr_gate_verdict *v, char *err, size_t errlen) {
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
  int n = snprintf(line, sizeof line, "SRG1 %zu %zu %zu %d %d\n", ls, lc,
                   req->event_len, req->deadline_ms, req->hold_ms);
  int rc = sr_wire_write(fd, line, (size_t)n);
  if (!rc) rc = sr_wire_write(fd, req->session, ls);
  if (!rc) rc = sr_wire_write(fd, req->call, lc);
  if (!rc) rc = sr_wire_write(fd, req->event, req->event_len);
  int action = 0, source = 0;
  size_t rl = 0;
  if (!rc) rc = sr_wire_header(fd, line, sizeof line);
  if (!rc && (sscanf(line, "SRG1 %d %d %zu", &action, &source, &rl) != 3 ||
              rl >= sizeof v->reason || action < SR_ACTION_ALLOW ||
              action > SR_ACTION_KILL))
    rc = SR_EINVAL;
  memset(v, 0, sizeof *v);
  if (!rc) rc = sr_wire_read(fd, v->reason, rl);
  close(fd);
  if (rc) {
    snprintf(
        err, errlen, "the gate sidecar at %s %s", socket_path,
        rc == SR_ETIMEOUT ? "did not answer in time" : "sent no valid answer");
    return rc == SR_ETIMEOUT ? SR_ETIMEOUT : SR_EIO;
  }
  v->action = (enum sr_action)action;
  v->source = (enum sr_verdict_source)source;
  return SR_OK;
}
