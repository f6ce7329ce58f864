/*
 * The operation catalogue, credential registry and resource inventory: what
 * the detectors know about the world.
 *
 * The catalogue classifies a tool call once per event (one Hyperscan scan of
 * the tool name and arguments, in their raw and word-normalised forms) into
 * a `struct sr_op`: is it destructive, how severe and reversible, what kind of
 * resource, which scope it needs. The built-in catalogue covers filesystems,
 * SQL and NoSQL databases, git and GitHub, cloud CLIs and IaC, PaaS APIs,
 * buckets and snapshots; the configuration file adds entries
 * (`catalogue.destructive`), credentials (`credentials`) and resources
 * (`resources`).
 *
 * @locality built at setup, read-only afterwards; classification needs a
 * per-thread scratch.
 */
#ifndef SR_CATALOGUE_H
#define SR_CATALOGUE_H

#include "detectors/detector.h"

struct sr_catalogue;
struct sr_catalogue_scratch;

/* Builds the catalogue from the built-in table plus the config root's
 * `catalogue`, `credentials` and `resources` sections (root may be NULL).
 * NULL with err naming the key and line on a bad entry (an invalid pattern
 * too). */
struct sr_catalogue *sr_catalogue_create(const struct sr_conf_node *root,
                                         char *err, size_t errlen);
void sr_catalogue_destroy(struct sr_catalogue *cat);

struct sr_catalogue_scratch *sr_catalogue_scratch_create(
    const struct sr_catalogue *cat);
void sr_catalogue_scratch_destroy(struct sr_catalogue_scratch *s);

/*
 * Fills *op for one event (zeroed first). For tool calls: catalogue match,
 * environment and backups (event first, then the resource inventory by
 * target id), credential (inline, completed by the registry).
 * Views in *op borrow from ev, the catalogue or the scratch: valid until the
 * next call with the same scratch.
 * @locality worker thread; no allocation.
 */
void sr_catalogue_classify(const struct sr_catalogue *cat,
                           struct sr_catalogue_scratch *scratch,
                           const struct sr_event *ev, struct sr_op *op);

/* How many classifications of tool calls the scratch has looked up in its
 * memo of recent answers, and how many it found there (for the bench). */
void sr_catalogue_memo_stats(const struct sr_catalogue_scratch *scratch,
                             uint64_t *lookups, uint64_t *hits);

/* Number of destructive entries (built-in + configured), for --help/tests. */
size_t sr_catalogue_size(const struct sr_catalogue *cat);

#endif
