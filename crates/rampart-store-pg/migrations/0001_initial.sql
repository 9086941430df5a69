-- Rampart schema, version 1. Never edit a merged migration; add a new one.
CREATE TABLE counters (
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    next BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
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
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    class TEXT NOT NULL,
    priority BIGINT NOT NULL,
    coordinator TEXT NOT NULL,
    search TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX incidents_priority ON incidents (priority, id);
CREATE INDEX incidents_status ON incidents (status, priority, id);

CREATE TABLE vulnerabilities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    search TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (year, seq)
);

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    token_id TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL REFERENCES users (name),
    data TEXT NOT NULL
);

CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    payload TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX journal_entity ON journal (entity, seq);

CREATE TABLE journal_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO journal_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The journal is append-only: corrections are new entries.
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END;
$$;
CREATE TRIGGER journal_no_update BEFORE UPDATE OR DELETE ON journal
FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
