-- Rampart schema, version 20: PostgreSQL's trigram indexes leave the
-- write's transaction, as SQLite's text index did in version 18, which
-- needs nothing more.
SELECT 1;
