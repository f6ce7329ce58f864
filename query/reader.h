/*
 * The read side of the state database (schemas/state.sql): one read-only
 * SQLite connection and the documents of the query API built from it. The
 * HTTP server and the `sessions` / `session` subcommands both call these,
 * so a terminal prints exactly what the API serves.
 *
 * Only the columns documented in schemas/state.sql are read, never the
 * processor's opaque `state` blobs. Each document is read in one read
 * transaction, so it never mixes two of the writer's batches.
 *
 * @locality one reader per thread (one sqlite3* per thread).
 */
#ifndef SR_READER_H
#define SR_READER_H

#include <stddef.h>

#include "query/params.h"

#define SR_READER_SCHEMA_VERSION 3
#define SR_STATE_PATH_DEFAULT "stackrisk-state.db" /* --state when not given */
#define SR_READER_RECENT_COMMANDS 50 /* commands in a session document */
#define SR_READER_TIMELINE 200       /* events in a session document */

struct sr_reader;

/* Opens `path` read-only and checks it is a state database this build can
 * read. NULL with err ("cannot open state database PATH: ...") otherwise;
 * the database is never created or written. */
struct sr_reader *sr_reader_open(const char *path, char *err, size_t errlen);
void sr_reader_close(struct sr_reader *r); /* accepts NULL */

/* Each builds one JSON document into *json (heap, NUL-terminated, the
 * caller frees it with free()). 0, SR_ENOTFOUND (unknown session, with err
 * set), or SR_EIO with err on a database error. */
int sr_reader_sessions(struct sr_reader *r, const struct sr_sessions_params *p,
                       char **json, char *err, size_t errlen);
int sr_reader_session(struct sr_reader *r, const char *session_id,
                      char **json, char *err, size_t errlen);
int sr_reader_commands(struct sr_reader *r, const struct sr_commands_params *p,
                       char **json, char *err, size_t errlen);

/* {"error": message, "status": status} as a heap string; NULL only when out
 * of memory. */
char *sr_reader_error_json(int status, const char *message);

#endif
