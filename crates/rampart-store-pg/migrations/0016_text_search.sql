-- Rampart schema, version 16: indexed text search. Each searchable table
-- has a trigram GIN index (pg_trgm) of its lower-cased `search` column,
-- which finds the rows holding a few chosen three-letter pieces of what
-- is searched for; the exact substring is checked on those rows.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX events_search ON events USING gin (search gin_trgm_ops);
CREATE INDEX incidents_search ON incidents USING gin (search gin_trgm_ops);
CREATE INDEX vulnerabilities_search ON vulnerabilities USING gin (search gin_trgm_ops);
