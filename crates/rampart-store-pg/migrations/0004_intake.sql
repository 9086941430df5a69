-- Rampart schema, version 4: machine intake (deduplication, correlation,
-- dead letters, categorization rules).

-- A sensor's own reference identifies a repeated alert.
ALTER TABLE events ADD COLUMN source_ref TEXT;
UPDATE events SET source_ref = data::jsonb -> 'source' ->> 'ref';
CREATE INDEX events_source_ref ON events (source_name, source_ref);

-- Correlation keys of every event: `ip:203.0.113.9`, `asset:mail gateway`.
CREATE TABLE event_observables (
    event TEXT NOT NULL REFERENCES events (number),
    key TEXT NOT NULL,
    reported_at TEXT NOT NULL
);
CREATE INDEX event_observables_key ON event_observables (key, reported_at);
INSERT INTO event_observables (event, key, reported_at)
SELECT e.number, (o ->> 'type') || ':' || (o ->> 'value'), e.reported_at
FROM events e, jsonb_array_elements(e.data::jsonb -> 'observables') o;
INSERT INTO event_observables (event, key, reported_at)
SELECT DISTINCT e.number, 'asset:' || lower(trim(a)), e.reported_at
FROM events e, jsonb_array_elements_text(e.data::jsonb -> 'assets') a;

-- Machine messages that could not be taken in, with the reason.
CREATE TABLE dead_letters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at TEXT NOT NULL,
    data TEXT NOT NULL
);

-- Single documents of configuration kept in the database (categorization rules).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
