/*
 * Bounded buffer appends. Always NUL-terminated; never writes past cap.
 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>

void sr_buf_append(struct sr_buf *b, const char *s, size_t n) {
  if (n == 0) return; /* s may be NULL: an empty view */
  if (b->cap == 0) {
    b->overflow = b->overflow || n > 0;
    return;
  }
  size_t room = b->cap - 1 - b->len;
  if (n > room) {
    b->overflow = true;
    n = room;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void sr_buf_puts(struct sr_buf *b, const char *s) {
  sr_buf_append(b, s, strlen(s));
}

void sr_buf_printf(struct sr_buf *b, const char *fmt, ...) {
  size_t room = b->cap - b->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->cap ? b->p + b->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n <= 0) return;
  if ((size_t)n >= room) {
    b->overflow = true;
    if (b->cap) b->len = b->cap - 1;
  } else {
    b->len += (size_t)n;
  }
}

void sr_buf_json_string(struct sr_buf *b, sr_str s) {
  static const char hex[] = "0123456789abcdef";
  sr_buf_append(b, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < s.n; i++) {
    unsigned char c = (unsigned char)s.p[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    sr_buf_append(b, s.p + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': sr_buf_append(b, "\\\"", 2); break;
      case '\\': sr_buf_append(b, "\\\\", 2); break;
      case '\n': sr_buf_append(b, "\\n", 2); break;
      case '\r': sr_buf_append(b, "\\r", 2); break;
      case '\t': sr_buf_append(b, "\\t", 2); break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        sr_buf_append(b, u, 6);
      }
    }
  }
  if (start < s.n) sr_buf_append(b, s.p + start, s.n - start);
  sr_buf_append(b, "\"", 1);
}
