-- Rampart schema, version 15: response-time targets. Each event and
-- incident with a target running keeps which one (`target_key`: the class,
-- 1 to 4, times ten plus the stage: 1 triage, 2 assess, 3 confirm,
-- 4 contain, 5 close) and when it started (`target_from`, Unix seconds).
-- The due time is the start plus the target in force, so a change of
-- targets needs no rewrite; lists by state or time left read one index
-- range per key. `incidents.regimes` counts the notification regimes
-- found to apply, so the deadlines board finds the incidents with clocks
-- without reading the others.
ALTER TABLE events ADD COLUMN target_key INTEGER;
ALTER TABLE events ADD COLUMN target_from INTEGER;
ALTER TABLE incidents ADD COLUMN target_key INTEGER;
ALTER TABLE incidents ADD COLUMN target_from INTEGER;
UPDATE events SET
    target_key = (
        CASE
            WHEN json_extract(data, '$.assessment.escalate') = 1 AND severity_rank < 5 THEN 3
            WHEN severity_rank = 5 THEN 4
            WHEN severity_rank = 4 THEN 3
            WHEN severity_rank IN (1, 2) THEN 1
            ELSE 2
        END
    ) * 10 + CASE status WHEN 'reported' THEN 1 WHEN 'triage' THEN 2 ELSE 3 END,
    target_from = CAST(strftime('%s', reported_at) AS INTEGER)
WHERE status IN ('reported', 'triage', 'escalated');
UPDATE incidents SET
    target_key = (
        CASE class WHEN 'IV' THEN 4 WHEN 'III' THEN 3 WHEN 'II' THEN 2 ELSE 1 END
    ) * 10 + CASE WHEN json_extract(data, '$.contained_at') IS NULL THEN 4 ELSE 5 END,
    target_from = CAST(strftime('%s', json_extract(data, '$.aware_at')) AS INTEGER)
WHERE status NOT IN ('closed', 'reviewed');
CREATE INDEX events_target ON events (target_key, target_from) WHERE target_key IS NOT NULL;
CREATE INDEX incidents_target ON incidents (target_key, target_from) WHERE target_key IS NOT NULL;
ALTER TABLE incidents ADD COLUMN regimes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_regimes ON incidents (id) WHERE regimes > 0;
