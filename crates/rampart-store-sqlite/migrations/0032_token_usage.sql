-- Rampart schema, version 32: when each API token was last used, to the
-- minute. Usage, not a change of any record: it is not journaled, and a
-- revoked token's row is left behind harmlessly (every read joins it to
-- the tokens that exist).
CREATE TABLE token_usage (
    token_hash TEXT PRIMARY KEY,
    last_used_at BIGINT NOT NULL
) WITHOUT ROWID;
