-- Rampart schema, version 22: PostgreSQL's index of overdue actions holds
-- the incident's id after the due moment, as SQLite's always did (an
-- index there ends with the row's id), which needs nothing more.
SELECT 1;
