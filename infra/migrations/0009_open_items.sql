-- The items still open, kept by the audit log in the same transaction as each append (an item is
-- opened by its kind's opening event and closed by one of its closing events: domain/kinds.py), so
-- the reads of open work (qa overdue, qa status, qa cpr list) cost what the open items cost, not
-- the whole history. Derived from the log alone: filled from it when this migration is applied
-- (infra/db.py), and rebuilt the same way if ever in doubt.
CREATE TABLE open_items (
    stream_id text PRIMARY KEY,
    kind      text NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_items_by_kind ON open_items (kind, stream_id);

GRANT SELECT, INSERT, DELETE ON open_items TO qa_app;
