-- Rampart schema, version 4: machine intake (deduplication, correlation,
-- dead letters, categorization rules).

-- A sensor's own reference identifies a repeated alert.
ALTER TABLE events ADD COLUMN source_ref TEXT;
UPDATE events SET source_ref = json_extract(data, '$.source.ref');
CREATE INDEX events_source_ref ON events (source_name, source_ref);

-- Correlation keys of every event: `ip:203.0.113.9`, `asset:mail gateway`.
CREATE TABLE event_observables (
    event TEXT NOT NULL REFERENCES events (number),
    key TEXT NOT NULL,
    reported_at TEXT NOT NULL
);
CREATE INDEX event_observables_key ON event_observables (key, reported_at);
INSERT INTO event_observables (event, key, reported_at)
SELECT e.number, json_extract(o.value, '$.type') || ':' || json_extract(o.value, '$.value'), e.reported_at
FROM events e, json_each(e.data, '$.observables') o;
INSERT INTO event_observables (event, key, reported_at)
SELECT DISTINCT e.number, 'asset:' || lower(a.value), e.reported_at
FROM events e, json_each(e.data, '$.assets') a;
-- New events are indexed as they are stored, in the same statement.
-- (SQLite's lower() folds ASCII only, as Rampart's keys do.)
CREATE TRIGGER events_index_keys AFTER INSERT ON events
BEGIN
    INSERT INTO event_observables (event, key, reported_at)
    SELECT NEW.number, json_extract(o.value, '$.type') || ':' || json_extract(o.value, '$.value'), NEW.reported_at
    FROM json_each(NEW.data, '$.observables') o;
    INSERT INTO event_observables (event, key, reported_at)
    SELECT DISTINCT NEW.number, 'asset:' || lower(a.value), NEW.reported_at
    FROM json_each(NEW.data, '$.assets') a;
END;

-- Machine messages that could not be taken in, with the reason.
CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    data TEXT NOT NULL
);

-- Single documents of configuration kept in the database (categorization rules).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
