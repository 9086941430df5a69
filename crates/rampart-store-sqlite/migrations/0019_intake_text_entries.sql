-- Rampart schema, version 19: PostgreSQL's events' trigram index takes a
-- longer pending list. SQLite's text index (version 18) needs nothing.
SELECT 1;
