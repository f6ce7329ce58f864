/*
 * bench_pipeline: throughput of the decision path, in one run on the same
 * generated events.
 *
 *  (a) in-process: decode + detect + aggregate on one thread, events/s
 *      (what one worker can do), for the JSON-lines form;
 *  (b) end to end through the embedded broker: `stackrisk run`'s pipeline
 *      (consumer → workers → commands produced) against a baseline consumer
 *      that only counts the same messages with librdkafka, and their ratio.
 *
 * Fixed seed; each case runs --rounds times and the median is printed, one
 * line per case; a hash of every command produced in (a) is printed so a
 * fast but wrong build is caught.
 *
 * usage: bench_pipeline [--size N] [--sessions S] [--rounds R]
 *                       [--workers W] [--seed X] [--skip-kafka]
 *                       [--no-state]
 *
 * --no-state runs (b) without the state database, to show what durable
 * state costs; the default is `stackrisk run`'s, with it.
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <xxhash.h>

#include "aggregator/aggregator.h"
#include "core/arena.h"
#include "core/engine.h"
#include "core/kafka.h"
#include "core/log.h"
#include "core/malloc_conf.h"
#include "core/pipeline.h"
#include "corpus.h"
#include "ingest/decode.h"

/* `stackrisk run`'s allocator options (core/malloc_conf.h). They are the
 * process's, so the baseline consumer runs with them too. */
SR_MALLOC_CONF_DEFINE();

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds on a core and seconds runnable but waiting for one, used so far
 * by this process's threads, summed by role from the thread names
 * (sr-worker-N, sr-consumer, sr-store, librdkafka's rdk:*): where (b)'s two
 * cores go, and whether work waited for them. Read from each thread's
 * /proc schedstat, which the kernel keeps in nanoseconds (its stat file
 * counts 10 ms clock ticks, coarse against a window of ~0.2 s). sleeps[]
 * gets the voluntary context switches (a thread blocking, e.g. on a ring),
 * each of which costs a wake-up elsewhere. */
enum role { ROLE_WORKERS, ROLE_CONSUMER, ROLE_STORE, ROLE_KAFKA, ROLE_OTHER,
            ROLE_N };
static const char *const role_names[ROLE_N] = {
    "workers", "consumer thread", "store", "librdkafka and broker", "other"};

static void cpu_by_role(double out[ROLE_N], double waits[ROLE_N],
                        double sleeps[ROLE_N]) {
  for (int r = 0; r < ROLE_N; r++) out[r] = waits[r] = sleeps[r] = 0;
  DIR *d = opendir("/proc/self/task");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], name[32] = "";
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (!fgets(name, sizeof name, f)) name[0] = '\0';
    fclose(f);
    name[strcspn(name, "\n")] = '\0';
    enum role r = !strncmp(name, "sr-worker", 9)   ? ROLE_WORKERS
                  : !strcmp(name, "sr-consumer")   ? ROLE_CONSUMER
                  : !strcmp(name, "sr-store")      ? ROLE_STORE
                  : !strncmp(name, "rdk:", 4)      ? ROLE_KAFKA
                                                   : ROLE_OTHER;
    snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
    if (!(f = fopen(path, "r"))) continue;
    unsigned long long run_ns, wait_ns;
    if (fscanf(f, "%llu %llu", &run_ns, &wait_ns) == 2) {
      out[r] += (double)run_ns / 1e9;
      waits[r] += (double)wait_ns / 1e9;
    }
    fclose(f);
    snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
    if (!(f = fopen(path, "r"))) continue;
    char buf[256];
    unsigned long vol;
    while (fgets(buf, sizeof buf, f))
      if (sscanf(buf, "voluntary_ctxt_switches: %lu", &vol) == 1)
        sleeps[r] += (double)vol;
    fclose(f);
  }
  closedir(d);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Stage costs on this thread, ns/event: decode alone, then decode plus the
 * catalogue's classification, so RESULTS.md can say where time goes. */
static void stages(const struct sr_engine *e, const struct corpus *c,
                   double *decode_ns, double *classify_ns,
                   double *memo_hits) {
  char err[512];
  struct sr_arena *arena = sr_arena_create(8 << 20);
  struct sr_catalogue_scratch *cs =
      sr_catalogue_scratch_create(sr_detectors_catalogue(e->dets));
  struct sr_decode_opts dopts = {0, 0};
  struct sr_event ev;
  struct sr_op op;
  double t0 = now_s();
  for (size_t i = 0; i < c->n; i++) {
    sr_arena_reset(arena);
    sr_decode_event(c->line[i], c->len[i], &dopts, arena, &ev, err, sizeof err);
  }
  double t1 = now_s();
  for (size_t i = 0; i < c->n; i++) {
    sr_arena_reset(arena);
    sr_decode_event(c->line[i], c->len[i], &dopts, arena, &ev, err, sizeof err);
    sr_catalogue_classify(sr_detectors_catalogue(e->dets), cs, &ev, &op);
  }
  double t2 = now_s();
  *decode_ns = (t1 - t0) * 1e9 / c->n;
  *classify_ns = ((t2 - t1) - (t1 - t0)) * 1e9 / c->n;
  uint64_t lookups, hits;
  sr_catalogue_memo_stats(cs, &lookups, &hits);
  *memo_hits = lookups ? (double)hits / (double)lookups : 0;
  sr_catalogue_scratch_destroy(cs);
  sr_arena_destroy(arena);
}

/* (a): one pass over the corpus on this thread; returns events/s. */
static double in_process(const struct sr_engine *e, const struct corpus *c,
                         uint64_t *hash, uint64_t *commands) {
  uint64_t by_action[SR_ACTION_KILL + 1] = {0};
  char err[512];
  struct sr_aggregator *agg =
      sr_aggregator_create(e->dets, e->policy, err, sizeof err);
  struct sr_arena *arena = sr_arena_create(8 << 20);
  static struct sr_command cmd;
  static char json[65536];
  struct sr_decode_opts dopts = {0, 0};
  XXH64_hash_t h = 0;
  uint64_t ncmd = 0;
  double t0 = now_s();
  for (size_t i = 0; i < c->n; i++) {
    struct sr_event ev;
    sr_arena_reset(arena);
    if (sr_decode_event(c->line[i], c->len[i], &dopts, arena, &ev, err,
                        sizeof err) != SR_OK) {
      fprintf(stderr, "bench: corpus line %zu does not decode: %s\n", i, err);
      exit(1);
    }
    if (sr_aggregator_process(agg, &ev, &cmd) == 1) {
      int n = sr_command_to_json(&cmd, json, sizeof json);
      h = XXH64(json, (size_t)n, h);
      ncmd++;
      by_action[cmd.action]++;
    }
  }
  double dt = now_s() - t0;
  sr_arena_destroy(arena);
  sr_aggregator_destroy(agg);
  *hash = h;
  for (int a = 0; a <= SR_ACTION_KILL; a++) commands[a] = by_action[a];
  return (double)c->n / dt;
}

static double process_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Page faults of the process so far (each a kernel entry and a page
 * zeroed: fresh memory the allocator asked the kernel for). */
static double process_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_minflt + (double)ru.ru_majflt;
}

/* Baseline: a group consumer that only counts; events/s from the first
 * message to the last. *cpu_us gets the CPU the whole process (consumer,
 * librdkafka, embedded broker) used per event meanwhile, to set against
 * the pipeline's, and *faults its page faults per 1000 events. */
static double baseline(const char *brokers, const char *topic, size_t n,
                       int round, double *cpu_us, double *faults) {
  char err[256], group[64];
  snprintf(group, sizeof group, "bench-baseline-%d", round);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_conf_set(conf, "partition.assignment.strategy", "cooperative-sticky",
                    err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  size_t seen = 0;
  double t0 = 0, last = now_s(), cpu0 = 0, f0 = 0;
  while (seen < n) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      if (now_s() - last > 30) {
        fprintf(stderr, "bench: baseline stalled at %zu of %zu messages\n",
                seen, n);
        exit(1);
      }
      continue;
    }
    last = now_s();
    if (!m->err) {
      if (!seen) t0 = now_s(), cpu0 = process_cpu_s(), f0 = process_faults();
      seen++;
    }
    rd_kafka_message_destroy(m);
  }
  double dt = now_s() - t0;
  *cpu_us = (process_cpu_s() - cpu0) * 1e6 / (double)n;
  *faults = (process_faults() - f0) * 1000 / (double)n;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (double)(n - 1) / dt;
}

struct run_arg {
  struct sr_pipeline *p;
  volatile sig_atomic_t stop;
};

static void *run_thread(void *arg) {
  struct run_arg *r = arg;
  pthread_setname_np(pthread_self(), "sr-consumer");
  sr_pipeline_run(r->p, &r->stop);
  return NULL;
}

/* The pipeline on the same topic: events/s from the first processed event
 * to the last, and with the state database to when the last one's state is
 * durable: a checkpoint's SQLite work lags the events it covers, and a
 * window that closed before it would leave that work out (most of it, on a
 * topic read in a third of a second). *tail_ms: how much of the window came
 * after the last event was processed (0 without the database). */
static double pipeline(struct sr_engine *e, size_t n, int round,
                       bool with_state, double cores[ROLE_N],
                       double waiting[ROLE_N], double sleeps[ROLE_N],
                       double us[ROLE_N], double *faults, double *tail_ms) {
  char err[512], group[64], state[64];
  snprintf(group, sizeof group, "bench-stackrisk-%d", round);
  e->settings.group = group;
  /* A fresh state database per round: each round processes the topic
   * from the start, checkpoints included. */
  snprintf(state, sizeof state, "bench-state-%d-%d.db", (int)getpid(), round);
  e->settings.state_path = with_state ? state : "";
  struct run_arg r = {sr_pipeline_create(e, NULL, err, sizeof err), 0};
  if (!r.p) {
    fprintf(stderr, "bench: %s\n", err);
    exit(1);
  }
  pthread_t t;
  pthread_create(&t, NULL, run_thread, &r);
  struct sr_pipeline_stats st;
  double t0 = 0, processed = 0, last = now_s(), cpu0[ROLE_N], cpu1[ROLE_N],
         wt0[ROLE_N], wt1[ROLE_N], sw0[ROLE_N], sw1[ROLE_N], f0 = 0;
  uint64_t before = 0;
  for (;;) {
    sr_pipeline_stats(r.p, &st);
    uint64_t done = st.events + st.dead_letters;
    if (done && !t0) {
      t0 = now_s();
      cpu_by_role(cpu0, wt0, sw0);
      f0 = process_faults();
    }
    if (done >= n && !processed) processed = now_s();
    /* with the database, done means durable */
    if (with_state ? st.durable >= n : done >= n) break;
    if (with_state) done += st.durable; /* progress, for the stall check */
    if (done != before) before = done, last = now_s();
    if (now_s() - last > 30) {
      fprintf(stderr, "bench: pipeline stalled at %llu of %zu events\n",
              (unsigned long long)done, n);
      exit(1);
    }
    /* 1 ms: fine enough for runs of a second or more, and rare enough not
     * to take the CPU from the pipeline it measures (2 cores). */
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  double end = now_s(), dt = end - t0;
  *tail_ms = (end - processed) * 1e3;
  cpu_by_role(cpu1, wt1, sw1);
  *faults = (process_faults() - f0) * 1000 / (double)n;
  /* Threads that ended in between are missing from cpu1: none do while
   * the pipeline runs. */
  for (int k = 0; k < ROLE_N; k++) {
    cores[k] = (cpu1[k] - cpu0[k]) / dt;
    waiting[k] = (wt1[k] - wt0[k]) / dt;
    us[k] = (cpu1[k] - cpu0[k]) * 1e6 / (double)n;
    sleeps[k] = (sw1[k] - sw0[k]) * 1000.0 / (double)n;
  }
  r.stop = 1;
  pthread_join(t, NULL);
  sr_pipeline_destroy(r.p);
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    char path[80];
    snprintf(path, sizeof path, "%s%s", state, suffixes[i]);
    unlink(path);
  }
  return (double)(n - 1) / dt;
}

int main(int argc, char **argv) {
  size_t size = 200000, sessions = 1000;
  int rounds = 5, workers = 2, skip_kafka = 0, commit_ms = 0;
  bool with_state = true;
  uint64_t seed = 42;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) size = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--sessions") && i + 1 < argc) sessions = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--workers") && i + 1 < argc) workers = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--skip-kafka")) skip_kafka = 1;
    else if (!strcmp(argv[i], "--no-state")) with_state = false;
    /* Checkpoint interval: under valgrind, a checkpoint every 200 ms of its
     * slow clock holds ~1 event per session, not the ~80 of a real run. */
    else if (!strcmp(argv[i], "--commit-ms") && i + 1 < argc) commit_ms = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_pipeline [--size N] [--sessions S] "
                      "[--rounds R] [--workers W] [--seed X] [--skip-kafka] "
                      "[--no-state] [--commit-ms MS]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > 99 || size < 2 || sessions < 1) return 2;
  sr_log_set_level(SR_LOG_WARN);
  char err[1024];
  struct sr_engine *e = sr_engine_create(NULL, err, sizeof err);
  if (!e) {
    fprintf(stderr, "bench: %s\n", err);
    return 1;
  }
  struct corpus c = corpus_generate(size, sessions, seed);
  printf("corpus: %zu events, %zu sessions, %.0f bytes/event, seed %llu\n",
         c.n, sessions, (double)c.bytes / c.n, (unsigned long long)seed);

  double v[99];
  uint64_t hash = 0, ncmd[SR_ACTION_KILL + 1];
  for (int r = 0; r < rounds; r++) v[r] = in_process(e, &c, &hash, ncmd);
  printf("in-process decode+detect+aggregate (1 thread, JSON): %.0f events/s "
         "median of %d; commands %llu allow %llu escalate %llu block %llu "
         "kill; result hash %016llx\n",
         median(v, rounds), rounds, (unsigned long long)ncmd[SR_ACTION_ALLOW],
         (unsigned long long)ncmd[SR_ACTION_ESCALATE],
         (unsigned long long)ncmd[SR_ACTION_BLOCK],
         (unsigned long long)ncmd[SR_ACTION_KILL], (unsigned long long)hash);
  double dec[99], cls[99], memo = 0;
  for (int r = 0; r < rounds; r++) stages(e, &c, &dec[r], &cls[r], &memo);
  printf("  of which: JSON decode %.0f ns/event, classification %.0f "
         "ns/event (%.0f%% of scanned calls answered by the memo), "
         "detectors+aggregation the rest (%.0f ns/event in all)\n",
         median(dec, rounds), median(cls, rounds), memo * 100,
         1e9 / median(v, rounds));
  if (skip_kafka) goto done;

  /* The embedded broker keeps at most 5 MiB per partition and drops the
   * oldest beyond: the corpus must fit, or the consumers would wait for
   * messages that are gone. */
  if (c.bytes + 80 * c.n > (size_t)16 * 4 * 1024 * 1024) {
    fprintf(stderr, "bench: %zu events do not fit the embedded broker's "
                    "retention (16 partitions x 5 MiB); use --size %zu or "
                    "less, or --skip-kafka\n",
            c.n, (size_t)16 * 4 * 1024 * 1024 / (c.bytes / c.n + 80));
    return 1;
  }
  const char *topics[] = {"bench.events", "bench.control", "bench.dlq"};
  struct sr_broker *b = sr_broker_create(1, topics, 3, 16, err, sizeof err);
  if (!b) {
    fprintf(stderr, "bench: %s\n", err);
    return 1;
  }
  const char *brokers = sr_broker_bootstraps(b);
  struct sr_producer *prod = sr_producer_create(brokers, NULL, 50, err, sizeof err);
  for (size_t i = 0; i < c.n; i++) {
    /* key = session id, as a harness would */
    const char *k = strstr(c.line[i], "\"session_id\":\"") + 14;
    sr_producer_send(prod, "bench.events", RD_KAFKA_PARTITION_UA, k,
                     strcspn(k, "\""), c.line[i], c.len[i], NULL, 0);
  }
  sr_producer_destroy(prod, 60000);

  e->settings.brokers = brokers;
  e->settings.topic_events = "bench.events";
  e->settings.topic_control = "bench.control";
  e->settings.topic_dlq = "bench.dlq";
  e->settings.workers = workers;
  if (commit_ms > 0) e->settings.commit_interval_ms = commit_ms;
  /* The corpus is native events: no OTLP stage polling a topic that is not
   * there. */
  e->otlp.enabled = false;
  double base[99], pipe[99], ratio[99], cores[ROLE_N][99], waiting[ROLE_N][99],
      sleeps[ROLE_N][99], us[ROLE_N][99], base_us[99], pipe_us[99],
      base_flt[99], pipe_flt[99], tail_ms[99], window_ms[99];
  for (int r = 0; r < rounds; r++) {
    double round_cores[ROLE_N], round_waiting[ROLE_N], round_sleeps[ROLE_N],
        round_us[ROLE_N];
    base[r] = baseline(brokers, "bench.events", c.n, r, &base_us[r],
                       &base_flt[r]);
    pipe[r] = pipeline(e, c.n, r, with_state, round_cores, round_waiting,
                       round_sleeps, round_us, &pipe_flt[r], &tail_ms[r]);
    window_ms[r] = (double)c.n / pipe[r] * 1e3;
    ratio[r] = pipe[r] / base[r];
    pipe_us[r] = 0;
    for (int k = 0; k < ROLE_N; k++) {
      cores[k][r] = round_cores[k];
      waiting[k][r] = round_waiting[k];
      sleeps[k][r] = round_sleeps[k];
      us[k][r] = round_us[k];
      pipe_us[r] += round_us[k];
    }
  }
  printf("baseline librdkafka consumer (count only): %.0f events/s median of %d\n",
         median(base, rounds), rounds);
  printf("stackrisk pipeline through the broker (%d workers, %s): %.0f "
         "events/s median of %d\n",
         workers, with_state ? "state database, signed commands"
                             : "no state database, signed commands",
         median(pipe, rounds), rounds);
  printf("ratio pipeline/baseline: %.2f (median of per-round ratios)\n",
         median(ratio, rounds));
  if (with_state)
    printf(
        "  of the window, after the last event was processed, until its "
        "state was durable, ms (median of %d): %.0f of %.0f\n",
        rounds, median(tail_ms, rounds), median(window_ms, rounds));
  printf("  pipeline CPU while measuring, cores (median of %d):", rounds);
  for (int k = 0; k < ROLE_N; k++)
    printf("%s %s %.2f", k ? "," : "", role_names[k], median(cores[k], rounds));
  printf("\n  waiting for a core (runnable), cores (median of %d):", rounds);
  for (int k = 0; k < ROLE_N; k++)
    printf("%s %s %.2f", k ? "," : "", role_names[k],
           median(waiting[k], rounds));
  printf("\n  pipeline CPU per event, µs (median of %d):", rounds);
  for (int k = 0; k < ROLE_N; k++)
    printf("%s %s %.2f", k ? "," : "", role_names[k], median(us[k], rounds));
  printf("\n  CPU per event in all, µs (median of %d): pipeline %.2f, "
         "baseline %.2f (its whole process: consumer, librdkafka, broker)",
         rounds, median(pipe_us, rounds), median(base_us, rounds));
  printf("\n  page faults per 1000 events (median of %d): pipeline %.1f, "
         "baseline %.1f",
         rounds, median(pipe_flt, rounds), median(base_flt, rounds));
  printf("\n  pipeline sleeps (voluntary context switches) per 1000 events "
         "(median of %d):", rounds);
  for (int k = 0; k < ROLE_N; k++)
    printf("%s %s %.1f", k ? "," : "", role_names[k], median(sleeps[k], rounds));
  printf("\n");
  sr_broker_destroy(b);
done:
  corpus_free(&c);
  sr_engine_destroy(e);
  return 0;
}
