/*
 * jemalloc's options for the long-running binaries (`stackrisk` and the
 * benchmark that runs its pipeline). jemalloc reads them from the
 * executable's `malloc_conf` symbol when it starts; the MALLOC_CONF
 * environment variable is read after it, so an operator can still change
 * any of them.
 *
 * Why these:
 *
 * - oversize_threshold:0. By default jemalloc serves every allocation of
 *   8 MiB or more from a dedicated arena that hands freed pages back to
 *   the kernel at once. librdkafka allocates each fetch response (up to
 *   fetch.max.bytes) and each produce request in one piece of that size,
 *   and the embedded broker likewise, so every fetch wrote into fresh pages
 *   the kernel had to fault in and zero: the pipeline's and the baseline
 *   consumer's librdkafka threads spent much of their time in page faults
 *   (perf record -e page-faults). With 0 such buffers come from the normal
 *   arenas and are reused while they stay cached (dirty_decay_ms, 10 s by
 *   default).
 * - background_thread:true. Cached pages are handed back by jemalloc's own
 *   background threads on that decay schedule, instead of by whichever
 *   thread allocates next: freed memory goes back to the kernel also when
 *   the stream goes idle, so a backlog's peak (librdkafka may queue up to
 *   queued.max.messages.kbytes) does not stay resident for good, and the
 *   pipeline's threads do not pay for the purging.
 *
 * The library (sr_lib) does not set them: a program linking it chooses its
 * own allocator options. The test binaries keep jemalloc's defaults.
 */
#ifndef SR_MALLOC_CONF_H
#define SR_MALLOC_CONF_H

#define SR_MALLOC_CONF "oversize_threshold:0,background_thread:true"

/* Defines jemalloc's `malloc_conf` (Debian's jemalloc is built without a
 * symbol prefix). Once per executable, at file scope. */
#define SR_MALLOC_CONF_DEFINE() const char *malloc_conf = SR_MALLOC_CONF

#endif
