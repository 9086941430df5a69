-- Rampart schema, version 17: figures and lists whose cost does not grow
-- with the records, and an index for every filter of the registers.
--
-- `tallies` counts events by status and unrestricted incidents by status
-- and class; statement triggers keep it in step with every write, in the
-- same transaction, one change per status a statement moved. Restricted
-- incidents are counted when read, from their own partial index, because
-- who may see them depends on the reader.
CREATE TABLE tallies (
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    class TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (kind, status, class)
);
INSERT INTO tallies (kind, status, class, n)
SELECT 'event', status, '', COUNT(*) FROM events GROUP BY status;
INSERT INTO tallies (kind, status, class, n)
SELECT 'incident', status, class, COUNT(*) FROM incidents WHERE restricted_to = '' GROUP BY status, class;

CREATE FUNCTION rampart_tally_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tallies (kind, status, class, n)
        SELECT 'event', status, '', COUNT(*) FROM new_rows GROUP BY status
        ON CONFLICT (kind, status, class) DO UPDATE SET n = tallies.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tallies (kind, status, class, n)
        SELECT 'event', status, '', SUM(d) FROM (
            SELECT status, 1 AS d FROM new_rows
            UNION ALL
            SELECT status, -1 AS d FROM old_rows
        ) moved GROUP BY status HAVING SUM(d) <> 0
        ON CONFLICT (kind, status, class) DO UPDATE SET n = tallies.n + excluded.n;
    ELSE
        INSERT INTO tallies (kind, status, class, n)
        SELECT 'event', status, '', -COUNT(*) FROM old_rows GROUP BY status
        ON CONFLICT (kind, status, class) DO UPDATE SET n = tallies.n + excluded.n;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_tally_insert AFTER INSERT ON events
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_tally_events();
CREATE TRIGGER events_tally_update AFTER UPDATE ON events
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_tally_events();
CREATE TRIGGER events_tally_delete AFTER DELETE ON events
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_tally_events();

CREATE FUNCTION rampart_tally_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tallies (kind, status, class, n)
        SELECT 'incident', status, class, COUNT(*) FROM new_rows WHERE restricted_to = '' GROUP BY status, class
        ON CONFLICT (kind, status, class) DO UPDATE SET n = tallies.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tallies (kind, status, class, n)
        SELECT 'incident', status, class, SUM(d) FROM (
            SELECT status, class, 1 AS d FROM new_rows WHERE restricted_to = ''
            UNION ALL
            SELECT status, class, -1 AS d FROM old_rows WHERE restricted_to = ''
        ) moved GROUP BY status, class HAVING SUM(d) <> 0
        ON CONFLICT (kind, status, class) DO UPDATE SET n = tallies.n + excluded.n;
    ELSE
        INSERT INTO tallies (kind, status, class, n)
        SELECT 'incident', status, class, -COUNT(*) FROM old_rows WHERE restricted_to = '' GROUP BY status, class
        ON CONFLICT (kind, status, class) DO UPDATE SET n = tallies.n + excluded.n;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER incidents_tally_insert AFTER INSERT ON incidents
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_tally_incidents();
CREATE TRIGGER incidents_tally_update AFTER UPDATE ON incidents
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_tally_incidents();
CREATE TRIGGER incidents_tally_delete AFTER DELETE ON incidents
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_tally_incidents();
CREATE INDEX incidents_restricted ON incidents (status, class) WHERE restricted_to <> '';

-- `action_due`: when the earliest open response action of an open incident
-- is due (Unix seconds), so overdue actions are one index range.
ALTER TABLE incidents ADD COLUMN action_due BIGINT;
UPDATE incidents SET action_due = (
    SELECT MIN(EXTRACT(EPOCH FROM (a ->> 'due')::timestamptz)::BIGINT)
    FROM jsonb_array_elements(data::jsonb -> 'actions') a
    WHERE a ->> 'due' IS NOT NULL AND a ->> 'status' NOT IN ('done', 'cancelled')
)
WHERE status NOT IN ('closed', 'reviewed');
CREATE INDEX incidents_action_due ON incidents (action_due) WHERE action_due IS NOT NULL;

-- The registers' filters, each read from an index in the list's order.
CREATE INDEX incidents_category ON incidents (category, priority, id);
CREATE INDEX incidents_class ON incidents (class, priority, id);
CREATE INDEX incidents_coordinator ON incidents (coordinator, priority, id);
CREATE INDEX incidents_open_coordinator ON incidents (coordinator, priority, id)
WHERE status NOT IN ('closed', 'reviewed');
CREATE INDEX events_source_kind ON events (source_kind, id);
CREATE INDEX events_severity ON events (severity_rank, id);
CREATE INDEX events_category ON events (proposed_category, id);
CREATE INDEX events_reporter_kind ON events (reporter_kind, id);
CREATE INDEX vulnerabilities_status ON vulnerabilities (status, id);
