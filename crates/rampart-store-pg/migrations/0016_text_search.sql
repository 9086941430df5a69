-- Rampart schema, version 16: indexed text search. Each searchable table
-- has a trigram GIN index (pg_trgm) of its lower-cased `search` column,
-- which finds the rows holding a few chosen three-letter pieces of what
-- is searched for; the exact substring is checked on those rows. New
-- entries wait in a pending list, which every search reads whole until it
-- is merged: the list is kept short (256 kB) so that searches stay fast
-- with or without autovacuum.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX events_search ON events USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);
CREATE INDEX incidents_search ON incidents USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);
CREATE INDEX vulnerabilities_search ON vulnerabilities USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);
