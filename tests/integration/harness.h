/*
 * Shared pieces of the integration tests: start the real stackrisk binary as
 * a child process, talk to the embedded broker with plain librdkafka
 * clients, read test data files. Every wait has a deadline; no fixed sleeps.
 */
#ifndef SR_TEST_HARNESS_H
#define SR_TEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline long long h_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Removes a SQLite database with its WAL and shared-memory files, so that
 * a test starts without state from an earlier run. */
static inline void h_remove_db(const char *path) {
  char p[512];
  unlink(path);
  snprintf(p, sizeof p, "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", path);
  unlink(p);
}

/* Starts argv[0] with stdout and stderr appended to log_path. */
static inline pid_t h_spawn(char *const argv[], const char *log_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

/* Exit code of pid, or -1 if it did not exit within timeout_ms (it is then
 * killed), or 128+signal when killed by a signal. */
static inline int h_wait_exit(pid_t pid, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  int status;
  while (h_now_ms() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

/* Whole file into a NUL-terminated heap buffer; NULL on error. */
static inline char *h_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    if (len) *len = (size_t)n;
  }
  return buf;
}

static inline rd_kafka_t *h_producer(const char *brokers) {
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "1", err, sizeof err);
  rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err, sizeof err);
  return rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
}

static inline int h_produce(rd_kafka_t *rk, const char *topic, const char *key,
                            const void *value, size_t len) {
  return rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
      RD_KAFKA_V_VALUE((void *)value, len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
}

/* The value of "session_id" in a JSON line, copied into out. */
static inline const char *h_json_session(const char *line, char *out,
                                         size_t cap) {
  const char *p = strstr(line, "\"session_id\":\"");
  out[0] = '\0';
  if (!p) return out;
  p += strlen("\"session_id\":\"");
  size_t n = strcspn(p, "\"");
  if (n >= cap) n = cap - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

/* Produces every non-blank line of a JSON-lines text (modified), keyed by
 * session id. Returns the number of lines produced. */
static inline int h_produce_lines(rd_kafka_t *rk, const char *topic,
                                  char *data) {
  int n = 0;
  for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
    if (!*line) continue;
    char sid[256];
    h_json_session(line, sid, sizeof sid);
    if (h_produce(rk, topic, sid[0] ? sid : NULL, line, strlen(line)) == 0) n++;
  }
  rd_kafka_flush(rk, 10000);
  return n;
}

/* Produces every non-blank line of a JSON-lines file, keyed by session id.
 * Returns the number of lines produced. */
static inline int h_produce_file(rd_kafka_t *rk, const char *topic,
                                 const char *path) {
  char *data = h_read_file(path, NULL);
  if (!data) return -1;
  int n = h_produce_lines(rk, topic, data);
  free(data);
  return n;
}

/* Like h_produce_file, with every "ts_ms" moved by the same amount so that
 * the file's last event is at end_ms: a scenario replayed as if it had just
 * happened, next to decisions stamped with the wall clock. */
static inline int h_produce_file_ending_at(rd_kafka_t *rk, const char *topic,
                                           const char *path, long long end_ms) {
  size_t len;
  char *data = h_read_file(path, &len);
  if (!data) return -1;
  const char key[] = "\"ts_ms\":";
  long long last = 0;
  for (const char *p = strstr(data, key); p; p = strstr(p + 1, key))
    if (atoll(p + strlen(key)) > last) last = atoll(p + strlen(key));
  /* Each number grows by at most 20 digits. */
  size_t cap = len * 2 + 64, n = 0;
  char *out = malloc(cap);
  for (const char *p = data; out && *p;) {
    if (!strncmp(p, key, strlen(key)) && n + 64 < cap) {
      char *end;
      long long ts = strtoll(p + strlen(key), &end, 10);
      n +=
          (size_t)snprintf(out + n, cap - n, "%s%lld", key, ts - last + end_ms);
      p = end;
    } else if (n + 1 < cap) {
      out[n++] = *p++;
    } else {
      break;
    }
  }
  free(data);
  if (!out) return -1;
  out[n] = '\0';
  int produced = h_produce_lines(rk, topic, out);
  free(out);
  return produced;
}

/* The wall clock in Unix milliseconds, as event times are stamped. */
static inline long long h_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A group-less consumer of every partition of `topic` from the beginning. */
static inline rd_kafka_t *h_reader(const char *brokers, const char *topic) {
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err);
  /* assign() wants a group id; it does not join the group */
  rd_kafka_conf_set(conf, "group.id", "test-reader", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) return NULL;
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1) {
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return NULL;
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
  for (int i = 0; i < md->topics[0].partition_cnt; i++)
    rd_kafka_topic_partition_list_add(l, topic, md->topics[0].partitions[i].id)
        ->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_metadata_destroy(md);
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  return rk;
}

/* A header's value as a string (copied), or "" when absent. */
static inline const char *h_header(const rd_kafka_message_t *m,
                                   const char *name, char *out, size_t cap) {
  rd_kafka_headers_t *hdrs = NULL;
  const void *v = NULL;
  size_t n = 0;
  out[0] = '\0';
  if (rd_kafka_message_headers(m, &hdrs) || !hdrs) return out;
  if (rd_kafka_header_get_last(hdrs, name, &v, &n)) return out;
  if (n >= cap) n = cap - 1;
  memcpy(out, v, n);
  out[n] = '\0';
  return out;
}

/* Waits until the log has a line "...PREFIXVALUE" and copies VALUE (up to
 * the newline) into out; false at the deadline. */
static inline bool h_wait_line(const char *log, const char *prefix, char *out,
                               size_t cap, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (h_now_ms() < deadline) {
    char *text = h_read_file(log, NULL);
    const char *p = text ? strstr(text, prefix) : NULL;
    if (p) {
      p += strlen(prefix);
      size_t n = strcspn(p, "\n");
      if (n < cap && p[n] == '\n') {
        memcpy(out, p, n);
        out[n] = '\0';
        free(text);
        return true;
      }
    }
    free(text);
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

/* A mock cluster of n_brokers for a test that takes brokers down: hosted
 * by its own handle (*owner, to destroy after the cluster), topics[i] with
 * `partitions` partitions led by broker leaders[i]. NULL on failure. */
static inline rd_kafka_mock_cluster_t *h_mock_cluster(
    int n_brokers, const char *const *topics, const int *leaders,
    size_t n_topics, int partitions, rd_kafka_t **owner) {
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* no bootstrap servers on purpose: it only hosts the cluster */
  rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err);
  *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!*owner) return NULL;
  rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(*owner, n_brokers);
  for (size_t t = 0; mock && t < n_topics; t++) {
    if (rd_kafka_mock_topic_create(mock, topics[t], partitions, 1)) return NULL;
    for (int p = 0; p < partitions; p++)
      rd_kafka_mock_partition_set_leader(mock, topics[t], p, leaders[t]);
  }
  return mock;
}

/* Whether `group` has committed, on each of the first `partitions`
 * partitions of `topic`, an offset at its high watermark: everything in it
 * was processed and answered. */
static inline bool h_committed_to_end(const char *brokers, const char *group,
                                      const char *topic, int partitions) {
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) return false;
  rd_kafka_topic_partition_list_t *l =
      rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(l, topic, p);
  bool done = rd_kafka_committed(rk, l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int p = 0; done && p < partitions; p++) {
    int64_t lo, hi;
    if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000)) {
      done = false;
      break;
    }
    done = hi == 0 || l->elems[p].offset >= hi;
  }
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_destroy(rk);
  return done;
}

/* Waits until h_committed_to_end holds; false at the deadline. */
static inline bool h_wait_committed(const char *brokers, const char *group,
                                    const char *topic, int partitions,
                                    int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (!h_committed_to_end(brokers, group, topic, partitions)) {
    if (h_now_ms() >= deadline) return false;
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
  }
  return true;
}

/* The embedded broker's address, as `stackrisk run` or `broker` prints it. */
static inline bool h_wait_address(const char *log, char *addr, size_t cap,
                                  int timeout_ms) {
  return h_wait_line(log, "embedded Kafka broker at ", addr, cap, timeout_ms);
}

/* The port of "stackrisk: HTTP API at http://HOST:PORT"; 0 at the deadline. */
static inline int h_wait_http_port(const char *log, int timeout_ms) {
  char url[128];
  if (!h_wait_line(log, "HTTP API at ", url, sizeof url, timeout_ms)) return 0;
  const char *colon = strrchr(url, ':');
  return colon ? atoi(colon + 1) : 0;
}

#endif
