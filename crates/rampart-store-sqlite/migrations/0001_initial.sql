-- Rampart schema, version 1. Never edit a merged migration; add a new one.
CREATE TABLE counters (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    next INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT,
    submitted_by TEXT,
    reported_at TEXT NOT NULL,
    incident TEXT,
    search TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX events_status ON events (status, id);
CREATE INDEX events_source ON events (source_name, id);
CREATE INDEX events_submitted_by ON events (submitted_by, id);
CREATE INDEX events_reported_at ON events (reported_at);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    class TEXT NOT NULL,
    priority INTEGER NOT NULL,
    coordinator TEXT NOT NULL,
    search TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX incidents_priority ON incidents (priority, id);
CREATE INDEX incidents_status ON incidents (status, priority, id);

CREATE TABLE vulnerabilities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    search TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (year, seq)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    token_id TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL REFERENCES users (name),
    data TEXT NOT NULL
);

CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    payload TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX journal_entity ON journal (entity, seq);

CREATE TABLE journal_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO journal_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The journal is append-only: corrections are new entries.
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
