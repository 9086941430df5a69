-- Rampart schema, version 3: evidence items and signed journal checkpoints.

-- Evidence metadata; the content lives in the blob store under its SHA-256.
-- present = 0 once the content was disposed of (the record itself stays).
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    incident TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    present INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX evidence_incident ON evidence (incident);
CREATE INDEX evidence_sha256 ON evidence (sha256);

-- Ed25519 signatures over the journal head; id is the zero-padded sequence.
CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    data TEXT NOT NULL
);

-- Evidence records are never deleted (disposal keeps the record), and
-- checkpoints never change.
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence records are never deleted'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints never change'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints never change'); END;
