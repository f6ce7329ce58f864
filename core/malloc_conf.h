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
 *   the kernel at once. librdkafka reads each fetch response into one
 *   buffer of its size, and the embedded broker builds its responses and
 *   stores produced records the same way, so those threads kept writing
 *   into fresh pages the kernel had to fault in and zero (perf record -e
 *   page-faults: recvmsg and memcpy in rdk:broker1 and rdk:mock). With 0
 *   such buffers come from the normal arenas and are reused while they
 *   stay cached (dirty_decay_ms, 10 s by default).
 * - background_thread:true. Cached pages are handed back by jemalloc's own
 *   background threads on that decay schedule, not by whichever thread
 *   allocates next: memory goes back to the kernel also when the stream
 *   goes idle, so a backlog's peak (librdkafka may queue up to
 *   queued.max.messages.kbytes of it) does not stay resident for good.
 *
 * Measured on `stackrisk run` fed six bursts of 300,000 events (a shared
 * 2-core VM, so CPU figures are rough): with the embedded broker, 24%
 * fewer page faults and ~14% less CPU, RSS 190-223 MiB over the bursts
 * and 160 MiB after 30 s idle (jemalloc's defaults: 209-237 MiB, still
 * 237 MiB idle). Against a broker in another process the CPU was the
 * same, page faults rose (61k against 42k: purged pages faulted in
 * again) and idle RSS fell to 125 MiB from 139 MiB.
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
