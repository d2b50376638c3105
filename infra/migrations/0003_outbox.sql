-- The notifications outbox: every task, reminder, escalation, alert and note the
-- engine gives a person is one row here. The caller chooses notification_id
-- (deterministic from the workflow), so an activity retry inserts nothing new.
-- The row is the delivery record: a pluggable sender may also deliver it
-- elsewhere, and sent_at says when that was done.
--
-- Subjects and bodies name case numbers, never children.

CREATE TABLE notifications (
    notification_id uuid PRIMARY KEY,
    recipient       text NOT NULL CHECK (recipient <> ''),
    kind            text NOT NULL CHECK (kind IN ('task', 'reminder', 'escalation', 'alert', 'info')),
    -- The workflow / audit stream the notification is about.
    item_id         text NOT NULL CHECK (item_id <> ''),
    -- Tasks only: which task of the item, e.g. 'reflection'.
    task_key        text,
    subject         text NOT NULL CHECK (subject <> ''),
    body            text NOT NULL DEFAULT '',
    due_at          timestamptz,
    -- The database's clock, never the caller's: qa_app has no INSERT right on it.
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    closed_at       timestamptz,
    CONSTRAINT notifications_task_key_only_on_tasks CHECK ((kind = 'task') = (task_key IS NOT NULL)),
    CONSTRAINT notifications_task_has_due_at CHECK (kind <> 'task' OR due_at IS NOT NULL),
    CONSTRAINT notifications_only_tasks_close CHECK (kind = 'task' OR closed_at IS NULL)
);

-- One recipient has at most one open task per (item, task): a new one replaces the old.
CREATE UNIQUE INDEX notifications_one_open_task
    ON notifications (recipient, item_id, task_key)
    WHERE kind = 'task' AND closed_at IS NULL;

-- The inbox: a person's open tasks by due date, and what they were told, newest first.
CREATE INDEX notifications_open_tasks_by_due
    ON notifications (recipient, due_at)
    WHERE kind = 'task' AND closed_at IS NULL;
CREATE INDEX notifications_by_recipient_created
    ON notifications (recipient, created_at DESC);

-- Closing an item's tasks (for every recipient at once).
CREATE INDEX notifications_open_tasks_by_item
    ON notifications (item_id, task_key)
    WHERE kind = 'task' AND closed_at IS NULL;

-- sent_at and closed_at are set once: what was delivered or closed stays so.
CREATE FUNCTION notifications_set_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sent_at IS NOT NULL AND NEW.sent_at IS DISTINCT FROM OLD.sent_at THEN
        RAISE EXCEPTION 'notification % was already sent at %', OLD.notification_id, OLD.sent_at
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.closed_at IS NOT NULL AND NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        RAISE EXCEPTION 'task % was already closed at %', OLD.notification_id, OLD.closed_at
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER notifications_set_once
    BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_set_once();

REVOKE ALL ON notifications FROM PUBLIC;
GRANT SELECT ON notifications TO qa_app;
GRANT INSERT (notification_id, recipient, kind, item_id, task_key, subject, body, due_at) ON notifications TO qa_app;
GRANT UPDATE (sent_at, closed_at) ON notifications TO qa_app;
