-- Rampart schema, version 16: indexed text search. On PostgreSQL this
-- version adds trigram indexes of the `search` columns. SQLite keeps none
-- yet: kept in the same transaction as each write, an FTS5 trigram index
-- cost the writer about 60 microseconds an event and halved machine intake,
-- so searches on SQLite read the rows in the list's order, as before.
SELECT 1;
