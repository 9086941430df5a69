-- Rampart schema, version 28: when an incident's lessons-learned review was
-- recorded, so the lessons register reads the reviewed incidents, newest
-- first, from an index of their own.
ALTER TABLE incidents ADD COLUMN reviewed_at TEXT;
UPDATE incidents SET reviewed_at = json_extract(data, '$.review.recorded_at')
WHERE json_extract(data, '$.review') IS NOT NULL;
CREATE INDEX incidents_reviewed ON incidents (reviewed_at, id) WHERE reviewed_at IS NOT NULL;
