-- Rampart schema, version 23: the scheme's documents (policy, plan,
-- procedures, awareness material). `documents` holds each document with
-- its versions and their approvals, not their texts; `review_due` (Unix
-- seconds, null before a version is in force) lets the list put those due
-- for review first. `document_texts` holds each version's Markdown text,
-- keyed `<document>@<version>`, written once and never changed.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    review_due BIGINT,
    data TEXT NOT NULL
);
CREATE TABLE document_texts (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
