-- Rampart schema, version 8: an evidence record's content is fixed. The
-- content's SHA-256 (the `sha256` column, and `content.sha256` in the
-- record's document) and its size (`content.size`) are set when the item
-- is collected and never change; an UPDATE that would re-point a record at
-- other content is refused. Legitimate updates (custody, checks, holds,
-- disposal) write the same values again and pass.
CREATE FUNCTION evidence_content_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sha256 IS DISTINCT FROM OLD.sha256
        OR (NEW.data::jsonb -> 'content' -> 'sha256') IS DISTINCT FROM (OLD.data::jsonb -> 'content' -> 'sha256')
        OR (NEW.data::jsonb -> 'content' -> 'size') IS DISTINCT FROM (OLD.data::jsonb -> 'content' -> 'size')
    THEN
        RAISE EXCEPTION 'the content of an evidence record never changes'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER evidence_content_fixed BEFORE UPDATE ON evidence
FOR EACH ROW EXECUTE FUNCTION evidence_content_fixed();
