-- Rampart schema, version 12: observables recorded on incidents, indexed by
-- their correlation key (`ip:203.0.113.9`, `domain:evil.example`) as event
-- observables are, so that a pivot finds every incident carrying one. The
-- writer keeps the rows of an incident equal to its observables not
-- removed, in the transaction that changes the incident. No incident had
-- observables before this version: nothing to fill in.
CREATE TABLE incident_observables (
    key TEXT NOT NULL,
    incident TEXT NOT NULL,
    PRIMARY KEY (key, incident)
) WITHOUT ROWID;
-- The rows of one incident, read when it changes.
CREATE INDEX incident_observables_incident ON incident_observables (incident, key);
