/*
 * The running system behind `stackrisk run`, as an object that tests and
 * benchmarks can start in-process: the embedded broker when no brokers are
 * configured, the producer for commands and dead letters, N worker threads
 * and the consumer that feeds them.
 */
#ifndef SR_PIPELINE_H
#define SR_PIPELINE_H

#include <signal.h>
#include <stdint.h>

#include "aggregator/command.h"
#include "core/engine.h"

struct sr_pipeline;

struct sr_pipeline_stats {
  uint64_t events;       /* decoded and aggregated */
  uint64_t dead_letters;
  uint64_t durable; /* messages whose state the database holds (0: none) */
  uint64_t commands[SR_ACTION_KILL + 1];
  uint64_t otlp_spans;        /* spans consumed by the OTLP stage */
  uint64_t otlp_dead_letters; /* spans and messages it dead-lettered */
};

/* Builds and starts everything but the consumer loop. The engine is borrowed
 * and must outlive the pipeline. Brokers that do not answer are no failure:
 * their metadata is waited for a few seconds, or until *stop is raised (stop
 * may be NULL), and then the pipeline is built anyway, to connect when they
 * come back. NULL with err on failure. */
struct sr_pipeline *sr_pipeline_create(const struct sr_engine *engine,
                                       const volatile sig_atomic_t *stop,
                                       char *err, size_t errlen);
/* The bootstrap servers in use (the embedded broker's when it was started). */
const char *sr_pipeline_brokers(const struct sr_pipeline *p);
bool sr_pipeline_embedded(const struct sr_pipeline *p);
/* The query API's base URL when settings.http_listen started it, else NULL. */
const char *sr_pipeline_http_url(const struct sr_pipeline *p);
/* Runs the consumer loop on the calling thread until *stop; then drains and
 * commits. Says it is consuming only when the brokers answered at create;
 * else that it is not yet and keeps retrying. 0, or SR_EKAFKA on a fatal
 * consumer error. */
int sr_pipeline_run(struct sr_pipeline *p, volatile sig_atomic_t *stop);
/* Sums of the workers' counters; callable from any thread. */
void sr_pipeline_stats(const struct sr_pipeline *p,
                       struct sr_pipeline_stats *out);
/* Stops the workers and frees everything; accepts NULL. */
void sr_pipeline_destroy(struct sr_pipeline *p);

#endif
