/*
 * Helpers on sr_str views. Views never own their bytes; these helpers only
 * compare and copy into caller-owned buffers.
 */
#include "core/sr.h"

bool sr_str_eq_nocase(sr_str a, const char *s) {
  size_t i = 0;
  for (; i < a.n; i++) {
    unsigned char x = (unsigned char)a.p[i], y = (unsigned char)s[i];
    if (!y) return false;
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return false;
  }
  return s[i] == '\0';
}

char *sr_str_copy(char *dst, size_t cap, sr_str s) {
  if (cap == 0) return dst;
  size_t n = SR_MIN(s.n, cap - 1);
  if (n) memcpy(dst, s.p, n);
  dst[n] = '\0';
  return dst;
}

size_t sr_utf8_seq(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return len;
}
