-- Rampart schema, version 22: the overdue actions are read in their
-- order. The dashboard lists the incidents whose actions fell due first,
-- by `action_due` then `id`; the index held `action_due` alone, so every
-- incident sharing the first due moment was read and sorted before the
-- first fifty were known (2,000 incidents, 6 ms, where actions were
-- imported with one deadline). SQLite's index holds the row's id already.
DROP INDEX incidents_action_due;
CREATE INDEX incidents_action_due ON incidents (action_due, id) WHERE action_due IS NOT NULL;
