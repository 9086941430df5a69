-- Rampart schema, version 7: background jobs. A job is enqueued once under
-- its key; any node claims it (on SQLite, one writer at a time), holds it for a lease,
-- and marks it done, or queued again for a later attempt, or dead. Times are
-- fixed-width RFC 3339 text, which sorts as time does.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    run_after TEXT NOT NULL,
    locked_by TEXT,
    locked_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_due ON jobs (state, run_after);
