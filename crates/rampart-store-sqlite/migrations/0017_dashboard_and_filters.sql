-- Rampart schema, version 17: figures and lists whose cost does not grow
-- with the records, and an index for every filter of the registers.
--
-- `tallies` counts events by status and unrestricted incidents by status
-- and class; triggers keep it in step with every write, in the same
-- transaction. Restricted incidents are counted when read, from their own
-- partial index, because who may see them depends on the reader.
CREATE TABLE tallies (
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    class TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, status, class)
);
INSERT INTO tallies (kind, status, class, n)
SELECT 'event', status, '', COUNT(*) FROM events GROUP BY status;
INSERT INTO tallies (kind, status, class, n)
SELECT 'incident', status, class, COUNT(*) FROM incidents WHERE restricted_to = '' GROUP BY status, class;
CREATE TRIGGER events_tally_insert AFTER INSERT ON events BEGIN
    INSERT INTO tallies (kind, status, class, n) VALUES ('event', new.status, '', 1)
    ON CONFLICT (kind, status, class) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER events_tally_update AFTER UPDATE OF status ON events
WHEN old.status IS NOT new.status BEGIN
    UPDATE tallies SET n = n - 1 WHERE kind = 'event' AND status = old.status AND class = '';
    INSERT INTO tallies (kind, status, class, n) VALUES ('event', new.status, '', 1)
    ON CONFLICT (kind, status, class) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER events_tally_delete AFTER DELETE ON events BEGIN
    UPDATE tallies SET n = n - 1 WHERE kind = 'event' AND status = old.status AND class = '';
END;
CREATE TRIGGER incidents_tally_insert AFTER INSERT ON incidents
WHEN new.restricted_to = '' BEGIN
    INSERT INTO tallies (kind, status, class, n) VALUES ('incident', new.status, new.class, 1)
    ON CONFLICT (kind, status, class) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incidents_tally_update AFTER UPDATE OF status, class, restricted_to ON incidents
WHEN old.status IS NOT new.status OR old.class IS NOT new.class
    OR old.restricted_to IS NOT new.restricted_to BEGIN
    UPDATE tallies SET n = n - 1
    WHERE old.restricted_to = '' AND kind = 'incident' AND status = old.status AND class = old.class;
    INSERT INTO tallies (kind, status, class, n)
    SELECT 'incident', new.status, new.class, 1 WHERE new.restricted_to = ''
    ON CONFLICT (kind, status, class) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incidents_tally_delete AFTER DELETE ON incidents
WHEN old.restricted_to = '' BEGIN
    UPDATE tallies SET n = n - 1 WHERE kind = 'incident' AND status = old.status AND class = old.class;
END;
CREATE INDEX incidents_restricted ON incidents (status, class) WHERE restricted_to <> '';

-- `action_due`: when the earliest open response action of an open incident
-- is due (Unix seconds), so overdue actions are one index range.
ALTER TABLE incidents ADD COLUMN action_due INTEGER;
UPDATE incidents SET action_due = (
    SELECT MIN(CAST(strftime('%s', json_extract(a.value, '$.due')) AS INTEGER))
    FROM json_each(data, '$.actions') a
    WHERE json_extract(a.value, '$.due') IS NOT NULL
      AND json_extract(a.value, '$.status') NOT IN ('done', 'cancelled')
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
