-- Rampart schema, version 8: an evidence record's content is fixed. The
-- content's SHA-256 (the `sha256` column, and `content.sha256` in the
-- record's document) and its size (`content.size`) are set when the item
-- is collected and never change; an UPDATE that would re-point a record at
-- other content is refused. Legitimate updates (custody, checks, holds,
-- disposal) write the same values again and pass.
CREATE TRIGGER evidence_content_fixed BEFORE UPDATE OF sha256, data ON evidence
FOR EACH ROW
WHEN NEW.sha256 IS NOT OLD.sha256
  OR json_extract(NEW.data, '$.content.sha256') IS NOT json_extract(OLD.data, '$.content.sha256')
  OR json_extract(NEW.data, '$.content.size') IS NOT json_extract(OLD.data, '$.content.size')
BEGIN SELECT RAISE(ABORT, 'the content of an evidence record never changes'); END;
