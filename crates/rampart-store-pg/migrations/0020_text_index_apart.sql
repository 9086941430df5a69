-- Rampart schema, version 20: the trigram indexes leave the write's
-- transaction. Keeping an event's trigram entries cost intake about 110
-- microseconds an event, three quarters of what storing it cost. As on
-- SQLite (version 18), each searchable table now has a narrow companion
-- (`events_text` and so on: the row's id and its lower-cased search text)
-- holding the trigram index, and a write only notes the row in
-- `search_pending`; the writer indexes the noted rows when it is idle, and
-- after each batch once many wait. A search asks the index and also reads
-- the rows still noted, so it finds every row holding the text at any
-- moment.
CREATE TABLE events_text (id BIGINT PRIMARY KEY, search TEXT NOT NULL);
CREATE TABLE incidents_text (id BIGINT PRIMARY KEY, search TEXT NOT NULL);
CREATE TABLE vulnerabilities_text (id BIGINT PRIMARY KEY, search TEXT NOT NULL);

-- The rows written before this version are indexed now, before the index
-- is built (building it over the filled table is the cheaper way).
INSERT INTO events_text (id, search) SELECT id, search FROM events;
INSERT INTO incidents_text (id, search) SELECT id, search FROM incidents;
INSERT INTO vulnerabilities_text (id, search) SELECT id, search FROM vulnerabilities;

CREATE INDEX events_text_search ON events_text USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 4096);
CREATE INDEX incidents_text_search ON incidents_text USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);
CREATE INDEX vulnerabilities_text_search ON vulnerabilities_text USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);

DROP INDEX events_search;
DROP INDEX incidents_search;
DROP INDEX vulnerabilities_search;

-- Rows whose text the index does not hold yet. `stale` is 1 when the
-- index may hold an older text of the row (changed or deleted since).
CREATE TABLE search_pending (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tbl TEXT NOT NULL,
    row BIGINT NOT NULL,
    stale SMALLINT NOT NULL
);
CREATE INDEX search_pending_rows ON search_pending (tbl, row);

-- One trigger a statement, not a row: a batch of events written in one
-- statement is noted in one.
CREATE FUNCTION rampart_text_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (tbl, row, stale) SELECT TG_TABLE_NAME, id, 0 FROM new_rows;
    RETURN NULL;
END
$$;
CREATE FUNCTION rampart_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (tbl, row, stale)
    SELECT TG_TABLE_NAME, n.id, 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.search IS DISTINCT FROM n.search;
    RETURN NULL;
END
$$;
CREATE FUNCTION rampart_text_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (tbl, row, stale) SELECT TG_TABLE_NAME, id, 1 FROM old_rows;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_text_new AFTER INSERT ON events
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_new();
CREATE TRIGGER events_text_changed AFTER UPDATE ON events
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_changed();
CREATE TRIGGER events_text_gone AFTER DELETE ON events
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_gone();

CREATE TRIGGER incidents_text_new AFTER INSERT ON incidents
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_new();
CREATE TRIGGER incidents_text_changed AFTER UPDATE ON incidents
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_changed();
CREATE TRIGGER incidents_text_gone AFTER DELETE ON incidents
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_gone();

CREATE TRIGGER vulnerabilities_text_new AFTER INSERT ON vulnerabilities
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_new();
CREATE TRIGGER vulnerabilities_text_changed AFTER UPDATE ON vulnerabilities
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_changed();
CREATE TRIGGER vulnerabilities_text_gone AFTER DELETE ON vulnerabilities
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_text_gone();
