-- Rampart schema, version 24: the point-of-contact and ISIRT teams, each
-- with its members, rotation, covers and latest hand-overs in one document
-- (at most a hundred teams); and the contact directory, one document per
-- organisation or person (at most two thousand), with its category for
-- the list's filter.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    duty TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    data TEXT NOT NULL
);
