/*
 * Prometheus text format. Counter names end in _total, the histogram is in
 * seconds with cumulative `le` buckets, and label values are escaped
 * (backslash, quote, newline) although Kafka topic names never need it.
 * Event kinds and actions are named here, not in core/metrics.
 */
#include "query/prom.h"

#include "aggregator/command.h"
#include "ingest/event.h"

static void label(struct sr_buf *b, const char *v) {
  for (; *v; v++) {
    if (*v == '\\') sr_buf_puts(b, "\\\\");
    else if (*v == '"') sr_buf_puts(b, "\\\"");
    else if (*v == '\n') sr_buf_puts(b, "\\n");
    else sr_buf_append(b, v, 1);
  }
}

static void head(struct sr_buf *b, const char *name, const char *type,
                 const char *help) {
  sr_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample of a per-partition gauge: NAME{topic="T",partition="P"} V. */
static void partition_gauge(struct sr_buf *b, const char *name,
                            const struct sr_metrics_lag_row *row, int64_t v) {
  sr_buf_puts(b, name);
  sr_buf_puts(b, "{topic=\"");
  label(b, row->topic);
  sr_buf_printf(b, "\",partition=\"%d\"} %lld\n", (int)row->partition,
                (long long)v);
}

void sr_prom_render(const struct sr_metrics_snapshot *s, struct sr_buf *b) {
  head(b, "stackrisk_events_total", "counter",
       "Events decoded and aggregated, by kind.");
  for (int k = SR_EV_SESSION_START; k <= SR_EV_APPROVAL; k++)
    sr_buf_printf(b, "stackrisk_events_total{kind=\"%s\"} %llu\n",
                  sr_event_type_name((enum sr_event_type)k),
                  (unsigned long long)s->events[k]);
  /* One series per stage that dead-letters: the workers (stackrisk.events
   * and the repartitioned OTLP events) and the OTLP stage (spans that do not
   * map, messages that do not decode); sum() gives the process's total. */
  head(b, "stackrisk_decode_errors_total", "counter",
       "Input messages that did not decode or broke a size bound, by stage.");
  sr_buf_printf(b,
                "stackrisk_decode_errors_total{stage=\"worker\"} %llu\n"
                "stackrisk_decode_errors_total{stage=\"otlp\"} %llu\n",
                (unsigned long long)s->decode_errors,
                (unsigned long long)s->otlp.dead_messages);
  head(b, "stackrisk_dead_letters_total", "counter",
       "Messages (or single OTLP spans) sent to the dead-letter topic, by "
       "stage.");
  sr_buf_printf(
      b,
      "stackrisk_dead_letters_total{stage=\"worker\"} %llu\n"
      "stackrisk_dead_letters_total{stage=\"otlp\"} %llu\n",
      (unsigned long long)s->dead_letters,
      (unsigned long long)(s->otlp.dead_spans + s->otlp.dead_messages));
  head(b, "stackrisk_otlp_messages_total", "counter",
       "OTLP messages consumed by the OTLP stage.");
  sr_buf_printf(b, "stackrisk_otlp_messages_total %llu\n",
                (unsigned long long)s->otlp.messages);
  head(b, "stackrisk_otlp_spans_total", "counter",
       "Spans in the OTLP messages consumed.");
  sr_buf_printf(b, "stackrisk_otlp_spans_total %llu\n",
                (unsigned long long)s->otlp.spans);
  head(b, "stackrisk_commands_total", "counter",
       "Commands published, by action.");
  for (int a = SR_ACTION_ALLOW; a <= SR_ACTION_KILL; a++)
    sr_buf_printf(b, "stackrisk_commands_total{action=\"%s\"} %llu\n",
                  sr_action_name((enum sr_action)a),
                  (unsigned long long)s->commands[a]);
  head(b, "stackrisk_consumer_lag", "gauge",
       "Messages between the last one consumed and the partition's high "
       "watermark.");
  for (uint32_t i = 0; i < s->n_lag; i++)
    partition_gauge(b, "stackrisk_consumer_lag", &s->lag[i], s->lag[i].lag);
  head(b, "stackrisk_partition_restoring_messages", "gauge",
       "Messages still to read on a partition restored from its topic "
       "(its sessions rebuilt, nothing published) before it publishes "
       "verdicts again; 0 when it is not restoring.");
  for (uint32_t i = 0; i < s->n_lag; i++)
    partition_gauge(b, "stackrisk_partition_restoring_messages", &s->lag[i],
                    s->lag[i].restoring);
  head(b, "stackrisk_kafka_brokers_up", "gauge",
       "Brokers each Kafka client of the pipeline is connected to.");
  for (uint32_t i = 0; i < s->n_kafka; i++)
    sr_buf_printf(b, "stackrisk_kafka_brokers_up{client=\"%s\"} %d\n",
                  s->kafka[i].client, (int)s->kafka[i].brokers_up);
  head(b, "stackrisk_kafka_unreachable_seconds", "gauge",
       "How long each Kafka client of the pipeline has been trying to reach "
       "a broker and reaching none; 0 while it reaches one.");
  for (uint32_t i = 0; i < s->n_kafka; i++)
    sr_buf_printf(b,
                  "stackrisk_kafka_unreachable_seconds{client=\"%s\"} "
                  "%.3f\n",
                  s->kafka[i].client, (double)s->kafka[i].unreachable_ms / 1e3);
  head(b, "stackrisk_processing_seconds", "histogram",
       "Time a worker spends on one message: decode, detect, aggregate, "
       "publish (one message in 16 is timed).");
  for (int i = 0; i < SR_METRICS_BUCKETS; i++) {
    if (i < SR_METRICS_BUCKETS - 1)
      sr_buf_printf(b, "stackrisk_processing_seconds_bucket{le=\"%g\"} %llu\n",
                    (double)sr_metrics_bucket_ns[i] / 1e9,
                    (unsigned long long)s->latency[i]);
    else
      sr_buf_printf(b, "stackrisk_processing_seconds_bucket{le=\"+Inf\"} %llu\n",
                    (unsigned long long)s->latency[i]);
  }
  sr_buf_printf(b, "stackrisk_processing_seconds_sum %.9f\n",
                (double)s->latency_sum_ns / 1e9);
  sr_buf_printf(b, "stackrisk_processing_seconds_count %llu\n",
                (unsigned long long)s->latency_count);
  head(b, "stackrisk_sessions_in_memory", "gauge",
       "Sessions held in memory by the workers.");
  sr_buf_printf(b, "stackrisk_sessions_in_memory %llu\n",
                (unsigned long long)s->sessions);
}
