-- Rampart schema, version 26: exercises, one document each with its
-- injects; and the exercise an event or incident is part of, so the
-- registers and figures leave exercise records out (an index holds the
-- few that are, to count them apart).
CREATE TABLE exercises (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
ALTER TABLE events ADD COLUMN exercise TEXT;
ALTER TABLE incidents ADD COLUMN exercise TEXT;
CREATE INDEX events_exercise ON events (exercise, id) WHERE exercise IS NOT NULL;
CREATE INDEX incidents_exercise ON incidents (exercise, status, class) WHERE exercise IS NOT NULL;
