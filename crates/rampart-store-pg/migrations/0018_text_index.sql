-- Rampart schema, version 18: SQLite's text index, kept by its writer
-- between batches. PostgreSQL keeps its trigram indexes (version 16) in
-- the transaction of each write and needs nothing more.
SELECT 1;
