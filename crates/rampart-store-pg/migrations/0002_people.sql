-- Rampart schema, version 2: people in the browser and need-to-know.

-- Need-to-know: ',alice,bob,' names the only users who may see the incident;
-- '' means every user whose role allows it.
ALTER TABLE incidents ADD COLUMN restricted_to TEXT NOT NULL DEFAULT '';

-- Password hash (argon2id PHC string) and second factor of a user.
CREATE TABLE credentials (
    user_name TEXT PRIMARY KEY REFERENCES users (name),
    data TEXT NOT NULL
);

-- Browser sessions; only the SHA-256 of the session id is kept.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins per account and per source address, shared by every node.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
