-- Rampart schema, version 5: the writer stores the correlation keys of the
-- events a batch takes in, many rows a statement, at the end of the batch.
-- The trigger that indexed each event as it was stored goes. Events are
-- never deleted, and only the writer adds keys, for the events it stores in
-- the same transaction: no foreign key to check on each row.
DROP TRIGGER events_index_keys ON events;
DROP FUNCTION index_event_keys();
ALTER TABLE event_observables DROP CONSTRAINT event_observables_event_fkey;
-- The newest events per key, ties in time broken by number, from the index alone.
CREATE INDEX event_observables_recent ON event_observables (key, reported_at, event);
DROP INDEX event_observables_key;
