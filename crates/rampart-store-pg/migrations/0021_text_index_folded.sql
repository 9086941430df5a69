-- Rampart schema, version 21: the trigram indexes see across punctuation.
-- `pg_trgm` takes its pieces from words of letters and digits only, so an
-- address such as 10.1.77.3 gave it the words 10, 1, 77 and 3, whose
-- pieces most rows hold. The companion tables now hold the text folded:
-- each ASCII punctuation character stands as a letter (`.` as q, `:` as z,
-- `-` as x, any other as j), so an address or host name is one word and
-- its pieces span its dots and dashes, as SQLite's trigrams do. The fold
-- maps one character to one, so every row holding a text holds its fold:
-- the index only narrows the rows, and each is still checked for the text
-- itself. The store folds the searched text the same way.
CREATE FUNCTION rampart_index_text(t TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT translate(t, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', 'jjjjjjjjjjjjxqjzjjjjjjjjjjjjjjjj') $$;

-- Each table is written anew (rather than updated in place, which would
-- leave every old row behind for a vacuum) and its index built after.
CREATE TABLE events_text_folded (id BIGINT PRIMARY KEY, search TEXT NOT NULL);
INSERT INTO events_text_folded (id, search) SELECT id, rampart_index_text(search) FROM events_text;
DROP TABLE events_text;
ALTER TABLE events_text_folded RENAME TO events_text;
ALTER INDEX events_text_folded_pkey RENAME TO events_text_pkey;
CREATE INDEX events_text_search ON events_text USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 4096);

CREATE TABLE incidents_text_folded (id BIGINT PRIMARY KEY, search TEXT NOT NULL);
INSERT INTO incidents_text_folded (id, search) SELECT id, rampart_index_text(search) FROM incidents_text;
DROP TABLE incidents_text;
ALTER TABLE incidents_text_folded RENAME TO incidents_text;
ALTER INDEX incidents_text_folded_pkey RENAME TO incidents_text_pkey;
CREATE INDEX incidents_text_search ON incidents_text USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);

CREATE TABLE vulnerabilities_text_folded (id BIGINT PRIMARY KEY, search TEXT NOT NULL);
INSERT INTO vulnerabilities_text_folded (id, search)
SELECT id, rampart_index_text(search) FROM vulnerabilities_text;
DROP TABLE vulnerabilities_text;
ALTER TABLE vulnerabilities_text_folded RENAME TO vulnerabilities_text;
ALTER INDEX vulnerabilities_text_folded_pkey RENAME TO vulnerabilities_text_pkey;
CREATE INDEX vulnerabilities_text_search ON vulnerabilities_text USING gin (search gin_trgm_ops)
WITH (gin_pending_list_limit = 256);
