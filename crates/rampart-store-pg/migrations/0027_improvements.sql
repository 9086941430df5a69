-- Rampart schema, version 27: improvement actions, tracked to closure as
-- records of their own, with the columns their register reads: the open
-- ones by due date, an incident's, and by owner.
CREATE TABLE improvements (
    id TEXT PRIMARY KEY,
    incident TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    due BIGINT,
    data TEXT NOT NULL
);
CREATE INDEX improvements_incident ON improvements (incident, id);
CREATE INDEX improvements_open_due ON improvements (due, id) WHERE status IN ('open', 'in_progress');
CREATE INDEX improvements_owner ON improvements (owner, due, id);
