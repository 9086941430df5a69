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
-- Rampart folds ASCII case only, whatever the database's locale.
CREATE FUNCTION ascii_lower(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
$$;
INSERT INTO event_observables (event, key, reported_at)
SELECT DISTINCT e.number, 'asset:' || ascii_lower(a), e.reported_at
FROM events e, jsonb_array_elements_text(e.data::jsonb -> 'assets') a;
-- New events are indexed as they are stored, in the same statement.
CREATE FUNCTION index_event_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_observables (event, key, reported_at)
    SELECT NEW.number, (o ->> 'type') || ':' || (o ->> 'value'), NEW.reported_at
    FROM jsonb_array_elements(NEW.data::jsonb -> 'observables') o;
    INSERT INTO event_observables (event, key, reported_at)
    SELECT DISTINCT NEW.number, 'asset:' || ascii_lower(a), NEW.reported_at
    FROM jsonb_array_elements_text(NEW.data::jsonb -> 'assets') a;
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_index_keys AFTER INSERT ON events
FOR EACH ROW EXECUTE FUNCTION index_event_keys();

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
