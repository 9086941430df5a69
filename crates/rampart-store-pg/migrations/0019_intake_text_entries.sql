-- Rampart schema, version 19: the events' trigram index takes new entries
-- in a pending list of up to 4 MB (PostgreSQL's default) instead of 256 kB.
-- Merging a short list into the index costs about as much again as
-- writing it, which halved what intake could store a second; a search
-- reads the longer list in about 2 ms more at most. Incidents and
-- vulnerabilities, written far less often, keep the short list.
ALTER INDEX events_search SET (gin_pending_list_limit = 4096);
