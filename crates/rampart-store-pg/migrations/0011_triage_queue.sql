-- Rampart schema, version 11: the triage queue at volume. Columns
-- derived from an event's document sort and filter the queue on indexes:
-- the sensor's severity as a rank (0 unknown, 1 info ... 5 critical), who
-- reported it (`employee`, `public` through the public form, `sensor`) and
-- the category the rules proposed.
ALTER TABLE events ADD COLUMN severity_rank BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN reporter_kind TEXT NOT NULL DEFAULT 'employee';
ALTER TABLE events ADD COLUMN proposed_category TEXT;
UPDATE events SET
    severity_rank = CASE data::jsonb ->> 'severity'
        WHEN 'info' THEN 1 WHEN 'low' THEN 2 WHEN 'medium' THEN 3
        WHEN 'high' THEN 4 WHEN 'critical' THEN 5 ELSE 0 END,
    reporter_kind = CASE
        WHEN source_kind = 'sensor' THEN 'sensor'
        WHEN submitted_by = 'public' THEN 'public'
        ELSE 'employee' END,
    proposed_category = data::jsonb -> 'proposal' ->> 'category';
-- Where an event stands for the triage work: `queue` (reported, in
-- triage), `escalated`, or `past` (false alarm, handled locally, not an
-- incident, linked). Each list is one equality on the stage, so the indexes
-- give its order without a sort.
ALTER TABLE events ADD COLUMN stage TEXT NOT NULL DEFAULT 'queue';
UPDATE events SET stage = CASE
    WHEN status IN ('reported', 'triage') THEN 'queue'
    WHEN status = 'escalated' THEN 'escalated'
    ELSE 'past' END;
-- The queue most severe first, then oldest; any stage by age.
CREATE INDEX events_stage_severity ON events (stage, severity_rank DESC, id);
CREATE INDEX events_stage ON events (stage, id);
