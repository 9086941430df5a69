-- Rampart schema, version 21: PostgreSQL's trigram indexes see across
-- punctuation, as SQLite's FTS5 trigrams always did, which needs nothing
-- more.
SELECT 1;
