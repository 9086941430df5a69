-- Rampart schema, version 6. On PostgreSQL this version announces journal
-- entries to the other nodes; an SQLite installation has one node, whose
-- live pages hear of its changes directly. Nothing changes here: the file
-- keeps the versions of both backends the same.
SELECT 1;
