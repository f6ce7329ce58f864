/*
 * Fixed-point decimal text, "%.Nf" without printf, for the per-command
 * paths that print scores and risks (signed canonical forms, audit rows):
 * glibc's printf costs ~800 instructions per number there.
 *
 * The digits are always printf's. printf rounds the exact binary value of
 * v to N decimals (ties to even). The fast path scales v by 10^N (exact)
 * with one rounding; rounding is monotonic and every integer and
 * half-integer below 2^52 is a double, so the scaled value lies on the same
 * side of each of them as the exact product does, and rounding it to the
 * nearest integer gives printf's digits, except where it landed exactly on
 * a half (a true tie, or an exact product just beside one). That case,
 * negatives (and -0), values of 1e6 or more, and NaN take printf.
 */
#ifndef SR_FIXED_H
#define SR_FIXED_H

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SR_FIXED_DECIMALS_MAX 6

/* Writes v as snprintf(out, cap, "%.*f", decimals, v) would, truncation
 * included, and returns strlen(out). decimals <= SR_FIXED_DECIMALS_MAX;
 * cap >= 1. */
static inline size_t sr_fixed_format(char *out, size_t cap, double v,
                                     unsigned decimals) {
  static const double scale[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  static const uint64_t iscale[] = {1,     10,     100,    1000,
                                    10000, 100000, 1000000};
  assert(decimals <= SR_FIXED_DECIMALS_MAX && cap >= 1);
  if (v >= 0.0 && v < 1e6 && !signbit(v) && cap >= 16) {
    double t = v * scale[decimals]; /* < 1e12 < 2^52 */
    uint64_t m = (uint64_t)t;
    double frac = t - (double)m; /* exact */
    if (frac != 0.5) {
      if (frac > 0.5) m++;
      uint64_t ip = m / iscale[decimals], fp = m % iscale[decimals];
      char d[8];
      size_t n = 0, i = sizeof d;
      do {
        d[--i] = (char)('0' + ip % 10);
        ip /= 10;
      } while (ip);
      memcpy(out, d + i, sizeof d - i);
      n = sizeof d - i;
      if (decimals) {
        out[n++] = '.';
        for (unsigned k = decimals; k-- > 0; fp /= 10)
          out[n + k] = (char)('0' + fp % 10);
        n += decimals;
      }
      out[n] = '\0';
      return n;
    }
  }
  snprintf(out, cap, "%.*f", (int)decimals, v);
  return strlen(out);
}

#endif
