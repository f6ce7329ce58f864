/*
 * A minimal HTTP/1.0 client over a real TCP socket for the query tests:
 * sends one raw request, reads until the server closes, splits status,
 * headers and body. Deadlines via socket timeouts; no fixed sleeps.
 */
#ifndef SR_TEST_HTTP_CLIENT_H
#define SR_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct hc_response {
  int status;      /* 0: no response */
  char *raw;       /* whole response, heap */
  const char *headers;
  const char *body;
  size_t body_len;
};

static inline void hc_free(struct hc_response *r) {
  free(r->raw);
  memset(r, 0, sizeof *r);
}

/* "http://127.0.0.1:PORT" → port. */
static inline int hc_port(const char *base) {
  const char *p = strrchr(base, ':');
  return p ? atoi(p + 1) : 0;
}

/* Sends `request` verbatim to 127.0.0.1:port. */
static inline struct hc_response hc_raw(int port, const char *request,
                                        size_t len) {
  struct hc_response r = {0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return r;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += (size_t)n;
  }
  size_t cap = 65536, n = 0;
  r.raw = malloc(cap);
  for (;;) {
    if (cap - n < 4096) r.raw = realloc(r.raw, cap *= 2);
    ssize_t k = recv(fd, r.raw + n, cap - n - 1, 0);
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
  r.raw[n] = '\0';
  if (sscanf(r.raw, "HTTP/1.%*d %d", &r.status) != 1) r.status = 0;
  char *sep = strstr(r.raw, "\r\n\r\n");
  r.headers = r.raw;
  r.body = sep ? sep + 4 : r.raw + n;
  r.body_len = (size_t)(r.raw + n - r.body);
  return r;
}

/* GET path with an optional extra header line ("Authorization: ..."). */
static inline struct hc_response hc_get(int port, const char *path,
                                        const char *header) {
  char req[8192];
  int len = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s\r\n", path,
                     header ? header : "", header ? "\r\n" : "");
  return hc_raw(port, req, (size_t)len);
}

/* The value of a response header (case-sensitive name), copied, or "". */
static inline const char *hc_header(const struct hc_response *r,
                                    const char *name, char *out, size_t cap) {
  out[0] = '\0';
  char pat[128];
  snprintf(pat, sizeof pat, "\r\n%s: ", name);
  const char *p = r->raw ? strstr(r->raw, pat) : NULL;
  if (!p || p > r->body) return out;
  p += strlen(pat);
  size_t n = strcspn(p, "\r\n");
  if (n >= cap) n = cap - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

#endif
