-- Rampart schema, version 25: the playbooks, one document each with its
-- versions (at most two hundred playbooks).
CREATE TABLE playbooks (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
