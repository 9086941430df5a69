-- Rampart schema, version 9: the journal page finds the entries of one actor
-- or of one action, newest first, from an index (as it already does for
-- one record with `journal_entity`).
CREATE INDEX journal_actor ON journal (actor, seq);
CREATE INDEX journal_action ON journal (action, seq);
