-- Rampart schema, version 3: evidence items and signed journal checkpoints.

-- Evidence metadata; the content lives in the blob store under its SHA-256.
-- present = 0 once the content was disposed of (the record itself stays).
CREATE TABLE evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    incident TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    present BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX evidence_incident ON evidence (incident);
CREATE INDEX evidence_sha256 ON evidence (sha256);

-- Ed25519 signatures over the journal head; id is the zero-padded sequence.
CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    data TEXT NOT NULL
);

-- Evidence records are never deleted (disposal keeps the record), and
-- checkpoints never change.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted or changed this way', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_no_change BEFORE UPDATE OR DELETE ON checkpoints
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
