-- Rampart schema, version 11: the triage queue at volume. Three columns
-- derived from an event's document sort and filter the queue on indexes:
-- the sensor's severity as a rank (0 unknown, 1 info ... 5 critical), who
-- reported it (`employee`, `public` through the public form, `sensor`) and
-- the category the rules proposed.
ALTER TABLE events ADD COLUMN severity_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN reporter_kind TEXT NOT NULL DEFAULT 'employee';
ALTER TABLE events ADD COLUMN proposed_category TEXT;
UPDATE events SET
    severity_rank = CASE json_extract(data, '$.severity')
        WHEN 'info' THEN 1 WHEN 'low' THEN 2 WHEN 'medium' THEN 3
        WHEN 'high' THEN 4 WHEN 'critical' THEN 5 ELSE 0 END,
    reporter_kind = CASE
        WHEN source_kind = 'sensor' THEN 'sensor'
        WHEN submitted_by = 'public' THEN 'public'
        ELSE 'employee' END,
    proposed_category = json_extract(data, '$.proposal.category');
-- The queue (events not yet assessed): most severe first, then oldest; or
-- oldest first. Only the queue's rows are in these indexes.
CREATE INDEX events_queue_severity ON events (severity_rank DESC, id)
    WHERE status IN ('reported', 'triage');
CREATE INDEX events_queue_age ON events (id)
    WHERE status IN ('reported', 'triage');
-- Past events (assessed to an end, or linked to an incident), newest first.
CREATE INDEX events_past ON events (id)
    WHERE status IN ('false_alarm', 'handled_locally', 'not_incident', 'linked');
