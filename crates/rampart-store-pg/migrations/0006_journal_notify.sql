-- Rampart schema, version 6: every journal entry is announced on the
-- `rampart_journal` channel when its transaction commits ("seq action
-- entity"), so every node can tell its live pages about changes committed
-- through any node. Notifications are transactional: a rolled-back entry is
-- never announced.
CREATE FUNCTION rampart_journal_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rampart_journal', left(NEW.seq || ' ' || NEW.action || ' ' || NEW.entity, 7000));
    RETURN NULL;
END
$$;
CREATE TRIGGER journal_notify AFTER INSERT ON journal
FOR EACH ROW EXECUTE FUNCTION rampart_journal_notify();
