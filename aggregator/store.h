/*
 * The state store: per-session state, the audit log and the query tables in
 * SQLite (WAL), written in checkpoints that also record the input offsets,
 * so that after a crash state and offsets agree. The tables are the
 * contract in schemas/state.sql (embedded in the binary); the `state` blob
 * of a session is defined here (sr_store_encode).
 *
 * Three kinds of thread touch it, each with its own sqlite3*:
 *  - the store thread (started by sr_store_start) writes every checkpoint;
 *  - each worker owns one sr_shard: it notes what its events changed,
 *    reloads evicted sessions (read-only connection) and seals its part of
 *    a checkpoint when the barrier reaches it;
 *  - the consumer thread begins checkpoints and reads the stored offsets.
 * See store.c for the checkpoint protocol and why it is shaped so.
 */
#ifndef SR_STORE_H
#define SR_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregator/aggregator.h"
#include "core/kafka.h"

#define SR_STORE_TIMELINE_DEFAULT 50

struct sr_store_opts {
  const char *path;           /* the database file, created when absent */
  int64_t idle_ms;            /* evict sessions idle this long (event time) */
  int64_t retention_ms;       /* forget sessions idle this long (event time) */
  int64_t audit_retention_ms; /* delete commands older than this (event time) */
  uint32_t timeline_max;      /* timeline entries kept per session */
  /* Test-only fault point, "commit:N" (SIGKILL right after the N-th
   * checkpoint commits) or "publish:N" (right after the N-th command is
   * handed to the producer); from STACKRISK_CRASH_AT. NULL: none. */
  const char *crash_at;
};

struct sr_store;
struct sr_shard;
struct sr_checkpoint;

/* Opens (creating the file and tables when absent) the database in WAL mode
 * and reads the stored input offsets. n_shards shards are created, one per
 * worker. dets is borrowed and must outlive the store. NULL with err naming
 * the file and what went wrong. */
struct sr_store *sr_store_open(const struct sr_store_opts *opts,
                               const struct sr_detectors *dets,
                               size_t n_shards, char *err, size_t errlen);
/* Starts the store thread. producer (borrowed, may be NULL) is the one the
 * workers publish commands with: a checkpoint is written only once it has
 * nothing outstanding. */
int sr_store_start(struct sr_store *st, struct sr_producer *producer,
                   char *err, size_t errlen);
/* Stops the thread (an in-flight checkpoint is abandoned, not written) and
 * closes everything; accepts NULL. */
void sr_store_close(struct sr_store *st);

/* Shard i, for worker i. */
struct sr_shard *sr_store_shard(struct sr_store *st, size_t i);

/* Consumer thread --------------------------------------------------------*/

/* The next offset stored for (topic, partition), or -1 when none. */
int64_t sr_store_offset(const struct sr_store *st, const char *topic,
                        int32_t partition);

struct sr_store_offset {
  char topic[256];
  int32_t partition;
  int64_t next; /* first offset not reflected in the state */
};

/* Begins a checkpoint whose state is that of every shard when it meets the
 * barrier, and whose offsets are offs[0..n) (copied). The caller must then
 * hand the returned barrier to every shard after everything it dispatched
 * so far (sr_shard_seal). NULL when the previous checkpoint is still in
 * flight. */
struct sr_checkpoint *sr_store_begin(struct sr_store *st,
                                     const struct sr_store_offset *offs,
                                     size_t n);
/* True once ck is committed: its offsets (sr_checkpoint_offsets) may then
 * be committed to Kafka too. */
bool sr_store_durable(struct sr_store *st, const struct sr_checkpoint *ck);
const struct sr_store_offset *sr_checkpoint_offsets(
    const struct sr_checkpoint *ck, size_t *n);

/* Worker thread ----------------------------------------------------------*/

/* Attaches the shard to the worker's aggregator: sessions not in memory are
 * reloaded from the database, and expire after the retention. */
void sr_shard_attach(struct sr_shard *sh, struct sr_aggregator *agg);

/* Notes what the aggregator's last event changed: the session is dirty,
 * the event joins its timeline, and cmd (NULL when none was issued) joins
 * the audit log with where the event was read (topic may be NULL).
 * @locality worker thread; amortised, no allocation per event. */
void sr_shard_note(struct sr_shard *sh, const struct sr_event *ev,
                   const struct sr_command *cmd, const char *topic);

/* The barrier of ck reached this worker: seals every dirty session, the
 * timeline and the audit rows into ck, then evicts sessions idle for the
 * store's idle time that are already durable. @locality worker thread */
void sr_shard_seal(struct sr_shard *sh, struct sr_checkpoint *ck);

/* Counts commands for the fault point "publish:N" (all shards together);
 * SIGKILLs the process at the N-th. @locality worker thread */
void sr_shard_published(struct sr_shard *sh);

/* Sessions evicted so far by this shard. */
uint64_t sr_shard_evicted(const struct sr_shard *sh);

/* State blob ---------------------------------------------------------------*/

/* Upper bound of an encoded session for this detector set. */
size_t sr_store_blob_max(const struct sr_detectors *dets);
/* Encodes s (version 1): returns the length, or SR_EBOUND. */
int sr_store_encode(const struct sr_detectors *dets,
                    const struct sr_session *s, uint8_t *buf, size_t cap);
/* Decodes into s (id and allocation kept, everything else replaced).
 * Dimensions are matched by name; detectors' scratch is restored only when
 * the detector set has the same layout (same names, same scratch size),
 * else zeroed: a detector then forgets what it saw, it does not misread.
 * SR_EINVAL with err on a blob that does not decode. */
int sr_store_decode(const struct sr_detectors *dets, const void *blob,
                    size_t len, struct sr_session *s, char *err,
                    size_t errlen);

#endif
