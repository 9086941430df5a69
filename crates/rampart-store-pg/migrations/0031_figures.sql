-- Rampart schema, version 31: the facts the scheme's figures are read
-- from, kept apart from the records so a year of figures reads a few
-- small rows per incident and a few tallies per month, however large the
-- records grow.
--
-- `incident_figures`: one row per incident not part of an exercise, in
-- order of the month (UTC) the organisation became aware of it, with what
-- it is counted by and its times in Unix seconds (`closed_at` only while
-- it stays closed). The writer keeps it in the transaction that changes
-- the incident. `incident_costs`: its impact and recovery costs, summed
-- per currency, in hundredths.
--
-- `event_figures` counts events not part of an exercise by the month they
-- were reported in, their source and their status; statement triggers
-- keep it in step with every write, as they do `tallies`.
CREATE TABLE incident_figures (
    month TEXT NOT NULL,
    incident TEXT NOT NULL UNIQUE,
    class TEXT NOT NULL,
    category TEXT NOT NULL,
    rsit_type TEXT NOT NULL,
    source TEXT NOT NULL,
    occurred_at BIGINT,
    discovered_at BIGINT,
    reported_at BIGINT NOT NULL,
    aware_at BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL,
    contained_at BIGINT,
    closed_at BIGINT,
    PRIMARY KEY (month, incident)
);
CREATE TABLE incident_costs (
    incident TEXT NOT NULL,
    currency TEXT NOT NULL,
    hundredths BIGINT NOT NULL,
    PRIMARY KEY (incident, currency)
);
CREATE FUNCTION rampart_epoch(at TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT floor(extract(epoch FROM at::timestamptz))::bigint
$$;
INSERT INTO incident_figures
SELECT
    substr(d ->> 'aware_at', 1, 7),
    i.number,
    i.class,
    i.category,
    coalesce(d -> 'rsit' ->> 'type', ''),
    coalesce(
        (SELECT e.source_kind FROM events e WHERE e.number = d -> 'events' ->> 0),
        ''
    ),
    rampart_epoch(d ->> 'occurred_at'),
    rampart_epoch(d ->> 'discovered_at'),
    rampart_epoch(d ->> 'reported_at'),
    rampart_epoch(d ->> 'aware_at'),
    rampart_epoch(d ->> 'confirmed_at'),
    rampart_epoch(d ->> 'contained_at'),
    CASE WHEN i.status IN ('closed', 'reviewed')
        THEN rampart_epoch(coalesce(d ->> 'closed_at', d ->> 'updated_at')) END
FROM (SELECT number, class, category, status, data::jsonb AS d FROM incidents WHERE exercise IS NULL) i;
INSERT INTO incident_costs (incident, currency, hundredths)
SELECT number, coalesce(c ->> 'currency', 'EUR'), SUM(round((c ->> 'amount')::numeric * 100))::bigint
FROM (SELECT number, data::jsonb AS d FROM incidents WHERE exercise IS NULL) i,
    LATERAL (VALUES
        (d -> 'cia_impact' -> 'confidentiality' -> 'cost'),
        (d -> 'cia_impact' -> 'integrity' -> 'cost'),
        (d -> 'cia_impact' -> 'availability' -> 'cost'),
        (d -> 'recovery_cost_total')
    ) costs(c)
WHERE jsonb_typeof(c) = 'object'
GROUP BY number, coalesce(c ->> 'currency', 'EUR');
DROP FUNCTION rampart_epoch(TEXT);

CREATE TABLE event_figures (
    month TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (month, source, status)
);
INSERT INTO event_figures (month, source, status, n)
SELECT substr(reported_at, 1, 7), source_kind, status, COUNT(*) FROM events
WHERE exercise IS NULL GROUP BY 1, 2, 3;

CREATE FUNCTION rampart_event_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO event_figures (month, source, status, n)
        SELECT substr(reported_at, 1, 7), source_kind, status, COUNT(*) FROM new_rows
        WHERE exercise IS NULL GROUP BY 1, 2, 3
        ON CONFLICT (month, source, status) DO UPDATE SET n = event_figures.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO event_figures (month, source, status, n)
        SELECT month, source, status, SUM(d) FROM (
            SELECT substr(reported_at, 1, 7) AS month, source_kind AS source, status, 1 AS d
            FROM new_rows WHERE exercise IS NULL
            UNION ALL
            SELECT substr(reported_at, 1, 7), source_kind, status, -1
            FROM old_rows WHERE exercise IS NULL
        ) moved GROUP BY month, source, status HAVING SUM(d) <> 0
        ON CONFLICT (month, source, status) DO UPDATE SET n = event_figures.n + excluded.n;
    ELSE
        INSERT INTO event_figures (month, source, status, n)
        SELECT substr(reported_at, 1, 7), source_kind, status, -COUNT(*) FROM old_rows
        WHERE exercise IS NULL GROUP BY 1, 2, 3
        ON CONFLICT (month, source, status) DO UPDATE SET n = event_figures.n + excluded.n;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_figures_insert AFTER INSERT ON events
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_event_figures();
CREATE TRIGGER events_figures_update AFTER UPDATE ON events
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_event_figures();
CREATE TRIGGER events_figures_delete AFTER DELETE ON events
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rampart_event_figures();

-- The dashboard's counts leave out exercise records, counted from these:
-- without them the counts read every event (the status index has no
-- `exercise`), 0.85 s at a million events.
CREATE INDEX events_exercise_counted ON events (status) WHERE exercise IS NOT NULL;
CREATE INDEX incidents_exercise_counted ON incidents (status, class)
WHERE exercise IS NOT NULL AND restricted_to = '';
