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

#endif
