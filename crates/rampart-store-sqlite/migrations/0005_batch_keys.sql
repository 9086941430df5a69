-- Rampart schema, version 5: the writer stores the correlation keys of the
-- events a batch takes in, many rows a statement, at the end of the batch.
-- The trigger that indexed each event as it was stored goes, and the keys
-- live in their index alone (one b-tree instead of a table and an index).
-- Events are never deleted, and only the writer adds keys, for the events
-- it stores in the same transaction: no foreign key to check on each row.
DROP TRIGGER events_index_keys;
CREATE TABLE event_keys (
    key TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (key, reported_at, event)
) WITHOUT ROWID;
INSERT OR IGNORE INTO event_keys (key, reported_at, event)
SELECT key, reported_at, event FROM event_observables;
DROP TABLE event_observables;
ALTER TABLE event_keys RENAME TO event_observables;
