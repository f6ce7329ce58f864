/*
 * /metrics: the pipeline's counters in the Prometheus text exposition
 * format (version 0.0.4).
 */
#ifndef SR_PROM_H
#define SR_PROM_H

#include "core/buf.h"
#include "core/metrics.h"

/* Enough for every series with SR_METRICS_PARTITIONS partitions of topics
 * with the longest names. */
#define SR_PROM_MAX (256 * 1024)

/* Renders a snapshot of m into b (check b->overflow). */
void sr_prom_render(const struct sr_metrics_snapshot *s, struct sr_buf *b);

#endif
