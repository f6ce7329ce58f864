/*
 * A bounded output buffer for building JSON lines, HTTP bodies and reasons
 * without allocation: appends past the capacity are dropped and remembered
 * (`overflow`), so a caller checks once at the end instead of after every
 * append.
 */
#ifndef SR_BUF_H
#define SR_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sr.h"

struct sr_buf {
  char *p;
  size_t cap; /* bytes available, NUL included */
  size_t len;
  bool overflow;
};

static inline struct sr_buf sr_buf_init(char *p, size_t cap) {
  struct sr_buf b = {p, cap, 0, false};
  if (cap) p[0] = '\0';
  return b;
}

void sr_buf_append(struct sr_buf *b, const char *s, size_t n);
void sr_buf_puts(struct sr_buf *b, const char *s);
void sr_buf_printf(struct sr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included, escaping control
 * characters, quotes and backslashes (UTF-8 passes through). */
void sr_buf_json_string(struct sr_buf *b, sr_str s);

#endif
