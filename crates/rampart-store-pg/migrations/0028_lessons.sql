-- Rampart schema, version 28: when an incident's lessons-learned review was
-- recorded, so the lessons register reads the reviewed incidents, newest
-- first, from an index of their own.
ALTER TABLE incidents ADD COLUMN reviewed_at TEXT;
UPDATE incidents SET reviewed_at = data::jsonb -> 'review' ->> 'recorded_at'
WHERE data::jsonb -> 'review' IS NOT NULL AND jsonb_typeof(data::jsonb -> 'review') = 'object';
CREATE INDEX incidents_reviewed ON incidents (reviewed_at, id) WHERE reviewed_at IS NOT NULL;
