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
