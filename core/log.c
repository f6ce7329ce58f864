/*
 * The log sink: one line per call on stderr, written with a single fputs so
 * lines from different threads do not interleave.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/sr.h"

static enum sr_log_level log_level = SR_LOG_INFO;

void sr_log_set_level(enum sr_log_level level) { log_level = level; }

enum sr_log_level sr_log_get_level(void) { return log_level; }

int sr_log_parse_level(const char *s, enum sr_log_level *out) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  for (size_t i = 0; i < SR_ARRAY_LEN(names); i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = (enum sr_log_level)i;
      return SR_OK;
    }
  }
  return SR_EINVAL;
}

void sr_log_utc(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

void sr_log_write(enum sr_log_level level, const char *fmt, ...) {
  static const char *const tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  char line[2048];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, tags[level]);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : SR_MIN((size_t)m, sizeof line - (size_t)n - 2));
  line[len++] = '\n';
  line[len] = '\0';
  fputs(line, stderr);
}

bool sr_log_limit_take(struct sr_log_limit *l, int64_t now_ms,
                       const char *what) {
  if (l->lines == 0 || now_ms - l->window_ms >= SR_LOG_LIMIT_WINDOW_MS) {
    if (l->suppressed)
      SR_WARN("%llu more %s not logged in the last %d s",
              (unsigned long long)l->suppressed, what,
              SR_LOG_LIMIT_WINDOW_MS / 1000);
    *l = (struct sr_log_limit){now_ms, 0, 0};
  }
  if (l->lines < SR_LOG_LIMIT_LINES) {
    l->lines++;
    return true;
  }
  l->suppressed++;
  return false;
}
