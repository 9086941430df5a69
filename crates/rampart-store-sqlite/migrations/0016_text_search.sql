-- Rampart schema, version 16: indexed text search. Each searchable table
-- has an FTS5 index of its lower-cased `search` column, trigram-tokenised so
-- that any substring of three characters or more is found through it. The
-- index keeps no copy of the text (it reads it from the table) and no
-- positions; triggers keep it in step with the table in the same
-- transaction as every write.
CREATE VIRTUAL TABLE events_fts USING fts5(
    search, content = 'events', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1', detail = 'none'
);
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER events_fts_update AFTER UPDATE OF search ON events
WHEN old.search IS NOT new.search BEGIN
    INSERT INTO events_fts (events_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO events_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
INSERT INTO events_fts (events_fts) VALUES ('rebuild');
CREATE VIRTUAL TABLE incidents_fts USING fts5(
    search, content = 'incidents', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1', detail = 'none'
);
CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF search ON incidents
WHEN old.search IS NOT new.search BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO incidents_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild');
CREATE VIRTUAL TABLE vulnerabilities_fts USING fts5(
    search, content = 'vulnerabilities', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1', detail = 'none'
);
CREATE TRIGGER vulnerabilities_fts_insert AFTER INSERT ON vulnerabilities BEGIN
    INSERT INTO vulnerabilities_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER vulnerabilities_fts_update AFTER UPDATE OF search ON vulnerabilities
WHEN old.search IS NOT new.search BEGIN
    INSERT INTO vulnerabilities_fts (vulnerabilities_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO vulnerabilities_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER vulnerabilities_fts_delete AFTER DELETE ON vulnerabilities BEGIN
    INSERT INTO vulnerabilities_fts (vulnerabilities_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
INSERT INTO vulnerabilities_fts (vulnerabilities_fts) VALUES ('rebuild');
