-- The state database: SQLite in WAL mode, written by the processor
-- (aggregator/store.c, one connection per worker thread or one writer
-- thread), read by the query side (query/, `stackrisk sessions`) on their
-- own connections. This file is the contract between the two: readers use
-- only the columns documented here, never the `state` blobs.
--
-- Event times (`*_ts_ms`, `issued_at_ms`) are the producers' event times in
-- Unix milliseconds, as in events.md; nothing here is wall-clock time except
-- `updated_at_ms`. Secrets never reach this database: reasons and summaries
-- are built from catalogue names and bounded, redacted excerpts.

-- Version 3. v1 kept the timeline as one session_events row per event; v2
-- named the default mode "normal", had no `seq` in the audit log and
-- indexed sessions by risk alone.
-- aggregator/store.c migrates an older database when the processor opens
-- it.
PRAGMA user_version = 3;

-- Where each input partition's state was taken: the first offset not yet
-- reflected in the rows below. Written in the same transaction as the
-- session rows, so state and offsets always agree.
CREATE TABLE IF NOT EXISTS input_offsets (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
) WITHOUT ROWID;

-- One row per session still within retention.
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY,
  risk REAL NOT NULL,            -- stacked risk after the last event
  depth INTEGER NOT NULL,        -- elevated dimensions after the last event
  last_action TEXT,              -- ALLOW, ESCALATE, BLOCK, KILL or NULL
  killed INTEGER NOT NULL,       -- 1 once a KILL was issued
  events INTEGER NOT NULL,       -- events seen
  mode TEXT,                     -- declared mode: default, plan, read_only
  environment TEXT,              -- declared environment, canonical
  task TEXT,                     -- declared task, bounded
  first_ts_ms INTEGER NOT NULL,
  last_ts_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  state BLOB NOT NULL            -- the processor's full session state, opaque
);
-- Holds every column the API's list filters on (risk, last action), so
-- that counting the sessions that match reads this index only, not the
-- rows and their state.
CREATE INDEX IF NOT EXISTS sessions_by_risk ON sessions (risk DESC, last_action);
CREATE INDEX IF NOT EXISTS sessions_by_last ON sessions (last_ts_ms);

-- Every dimension of a session that ever scored, as of the session's last
-- event (scores decayed to last_ts_ms).
CREATE TABLE IF NOT EXISTS session_dimensions (
  session_id TEXT NOT NULL,
  dimension TEXT NOT NULL,       -- detector name, e.g. "destructive"
  score REAL NOT NULL,
  elevated INTEGER NOT NULL,     -- 1 when at or above its threshold
  reason TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,        -- event time of the score that set it
  PRIMARY KEY (session_id, dimension)
) WITHOUT ROWID;

-- The audit log: every command issued, the system of record of what was
-- decided and why. A command re-issued after a crash has the same id and
-- is stored once, keeping its seq.
CREATE TABLE IF NOT EXISTS commands (
  -- The order commands were stored in: a command committed later always
  -- has a larger seq, and a seq is never reused (AUTOINCREMENT), even once
  -- its row expired. Readers page through the log by it.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  command_id TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  call_id TEXT,
  action TEXT NOT NULL,          -- ALLOW, ESCALATE, BLOCK, KILL
  risk REAL NOT NULL,
  depth INTEGER NOT NULL,
  dimensions TEXT NOT NULL,      -- JSON array of {"name","score","reason"}
  rule TEXT NOT NULL,            -- policy rule, "approved by X" or "denied by X"
  event_id TEXT,                 -- triggering event
  topic TEXT,                    -- where the triggering event was read
  partition INTEGER,
  offset INTEGER,
  issued_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_by_session
  ON commands (session_id, issued_at_ms);
CREATE INDEX IF NOT EXISTS commands_by_time ON commands (issued_at_ms);

-- A session's recent timeline for the dashboard: its last events (bounded
-- per session), one line each, never raw arguments. Written in chunks: one
-- row per checkpoint in which the session had events, holding those
-- events. The timeline is the entries with seq >= keep_from of the
-- session's newest chunk (the highest first_seq): older entries of a chunk
-- that lies partly before it are not part of it, and chunks wholly before
-- it are deleted.
CREATE TABLE IF NOT EXISTS session_timeline (
  session_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,    -- seq of the chunk's first entry
  last_seq INTEGER NOT NULL,     -- seq of its last entry
  keep_from INTEGER NOT NULL,    -- first seq of the timeline when written
  -- JSON array of entries, seq ascending, each an array
  --   [seq, ts_ms, type, phase, call_id, tool, summary, risk]
  -- seq: the session's event number, from 1; type: session_start,
  -- tool_call, ...; phase: requested, completed, failed or null; call_id,
  -- tool: text or null; summary: e.g. "graphql.volumeDelete on
  -- production"; risk: session risk after this event, 6 significant
  -- digits. Text is as the agent sent it: possibly broken UTF-8.
  entries TEXT NOT NULL,
  PRIMARY KEY (session_id, first_seq)
) WITHOUT ROWID;
