-- Rampart schema, version 13: evidence secured while an event is in triage,
-- and physical items. An item secured for an event has the event's number in
-- `event` and an empty `incident` until the event is confirmed as, or added
-- to, an incident; then `incident` is set and `event` stays, saying where the
-- item came from. A physical item (a laptop, a USB stick, a paper log) has no
-- content in the blob store: its `sha256` is empty and its document's
-- `content` is null. The content trigger of version 8 holds as before.
ALTER TABLE evidence ADD COLUMN event TEXT;
CREATE INDEX evidence_event ON evidence (event);
