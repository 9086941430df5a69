-- Rampart schema, version 18: SQLite's text index. Each searchable table
-- has an FTS5 trigram index of its lower-cased `search` column that keeps
-- only which rows hold which three-character pieces (no copy of the text,
-- no positions). The index is not kept in the transaction of each write,
-- which would cost intake about 60 microseconds an event: a write only
-- notes the row in `search_pending`, and the writer indexes the noted rows
-- between batches. A search asks the index and also reads the rows still
-- noted, so it finds every row holding the text at any moment.
CREATE VIRTUAL TABLE events_text USING fts5(
    search, content = '', contentless_delete = 1, detail = none,
    tokenize = 'trigram case_sensitive 1'
);
CREATE VIRTUAL TABLE incidents_text USING fts5(
    search, content = '', contentless_delete = 1, detail = none,
    tokenize = 'trigram case_sensitive 1'
);
CREATE VIRTUAL TABLE vulnerabilities_text USING fts5(
    search, content = '', contentless_delete = 1, detail = none,
    tokenize = 'trigram case_sensitive 1'
);

-- Rows whose text the index does not hold yet. `stale` is 1 when the
-- index may hold an older text of the row (changed or deleted since).
CREATE TABLE search_pending (
    seq INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    row INTEGER NOT NULL,
    stale INTEGER NOT NULL
);
CREATE INDEX search_pending_rows ON search_pending (tbl, row);

CREATE TRIGGER events_text_new AFTER INSERT ON events BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('events', NEW.id, 0);
END;
CREATE TRIGGER events_text_changed AFTER UPDATE OF search ON events
WHEN OLD.search IS NOT NEW.search BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('events', NEW.id, 1);
END;
CREATE TRIGGER events_text_gone AFTER DELETE ON events BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('events', OLD.id, 1);
END;

CREATE TRIGGER incidents_text_new AFTER INSERT ON incidents BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('incidents', NEW.id, 0);
END;
CREATE TRIGGER incidents_text_changed AFTER UPDATE OF search ON incidents
WHEN OLD.search IS NOT NEW.search BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('incidents', NEW.id, 1);
END;
CREATE TRIGGER incidents_text_gone AFTER DELETE ON incidents BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('incidents', OLD.id, 1);
END;

CREATE TRIGGER vulnerabilities_text_new AFTER INSERT ON vulnerabilities BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('vulnerabilities', NEW.id, 0);
END;
CREATE TRIGGER vulnerabilities_text_changed AFTER UPDATE OF search ON vulnerabilities
WHEN OLD.search IS NOT NEW.search BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('vulnerabilities', NEW.id, 1);
END;
CREATE TRIGGER vulnerabilities_text_gone AFTER DELETE ON vulnerabilities BEGIN
    INSERT INTO search_pending (tbl, row, stale) VALUES ('vulnerabilities', OLD.id, 1);
END;

-- The rows written before this version wait for the writer like new ones.
INSERT INTO search_pending (tbl, row, stale) SELECT 'events', id, 0 FROM events;
INSERT INTO search_pending (tbl, row, stale) SELECT 'incidents', id, 0 FROM incidents;
INSERT INTO search_pending (tbl, row, stale) SELECT 'vulnerabilities', id, 0 FROM vulnerabilities;
