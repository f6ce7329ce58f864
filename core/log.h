/*
 * Level-checked logging. The level is checked before the arguments are
 * evaluated, so a disabled debug line costs one comparison. Lines go to
 * stderr with a timestamp and level; librdkafka's log callback is routed
 * here too (see sr_log_rdkafka in ingest/kafka.c).
 *
 * The level is the one process-wide setting besides the stop flag: it is set
 * once by main before any thread starts and only read afterwards.
 */
#ifndef SR_LOG_H
#define SR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sr_log_level {
  SR_LOG_ERROR = 0,
  SR_LOG_WARN = 1,
  SR_LOG_INFO = 2,
  SR_LOG_DEBUG = 3,
};

/* Sets the level; call before starting threads. */
void sr_log_set_level(enum sr_log_level level);
enum sr_log_level sr_log_get_level(void);
/* Parses "error|warn|info|debug"; returns 0 or SR_EINVAL. */
int sr_log_parse_level(const char *s, enum sr_log_level *out);
/* Unix ms as "2026-11-23T09:12:40Z" (UTC, seconds), for messages that name
 * a moment: the zone the log's own timestamps are in. */
void sr_log_utc(int64_t ms, char *out, size_t cap);

void sr_log_write(enum sr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define SR_LOG(lvl, ...)                                                       \
  do {                                                                         \
    if ((lvl) <= sr_log_get_level()) sr_log_write((lvl), __VA_ARGS__);        \
  } while (0)
#define SR_ERROR(...) SR_LOG(SR_LOG_ERROR, __VA_ARGS__)
#define SR_WARN(...) SR_LOG(SR_LOG_WARN, __VA_ARGS__)
#define SR_INFO(...) SR_LOG(SR_LOG_INFO, __VA_ARGS__)
#define SR_DEBUG(...) SR_LOG(SR_LOG_DEBUG, __VA_ARGS__)

/* A rate limit for a line that bad input can repeat at the input's rate
 * (a dead letter): at most SR_LOG_LIMIT_LINES per SR_LOG_LIMIT_WINDOW_MS,
 * then, with the first line of a later window, one WARN saying how many
 * were left out. Zero-initialised. @locality one thread per struct. */
#define SR_LOG_LIMIT_LINES 10
#define SR_LOG_LIMIT_WINDOW_MS 60000
struct sr_log_limit {
  int64_t window_ms;   /* start of the current window (monotonic) */
  unsigned lines;      /* lines logged in it */
  uint64_t suppressed; /* lines left out of it */
};

/* True when one more line may be logged now (the caller logs it). `what`
 * names the lines in the count of those left out ("dead letters"). */
bool sr_log_limit_take(struct sr_log_limit *l, int64_t now_ms,
                       const char *what);

#endif
