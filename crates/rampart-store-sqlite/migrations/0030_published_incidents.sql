-- Rampart schema, version 30: the audience an incident is published for on
-- the MISP feed, read by the feed from an index of the published ones.
ALTER TABLE incidents ADD COLUMN published TEXT;
CREATE INDEX incidents_published ON incidents (id) WHERE published IS NOT NULL;
