-- Rampart schema, version 24: the point-of-contact and ISIRT teams, each
-- with its members, rotation, covers and latest hand-overs in one
-- document. There are at most a hundred teams.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    duty TEXT NOT NULL,
    data TEXT NOT NULL
);
