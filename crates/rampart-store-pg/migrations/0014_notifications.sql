-- Rampart schema, version 14: notifications. One row per person told of a
-- notice, under `<notice>.<user>`; `listed` is 1 when it shows in the
-- person's notification centre, `unread` 1 until they read it. `seq` orders
-- a person's notifications, newest first. What each person chose to be told
-- (and their e-mail address) is a settings row named `notify:<user>`.
CREATE TABLE inbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    listed BIGINT NOT NULL,
    unread BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX inbox_listed ON inbox (user_name, listed, seq);
CREATE INDEX inbox_unread ON inbox (user_name, unread, listed);
-- Webhook subscriptions, by id (`wh_` and 12 hex digits). The document
-- holds the signing secret: it is read by the node that posts, never served.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
