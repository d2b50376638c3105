-- The request a person's command carried (its Temporal update id), recorded with each event it
-- caused: a retried or doubted command can be matched to what it recorded. NULL for events no
-- request caused (timers, imports, events recorded before this column). Covered by the hash when
-- present (domain/audit_chain.py), so it cannot be changed or added afterwards unnoticed.
ALTER TABLE audit_events ADD COLUMN request_id text
    CHECK (request_id ~ '^[A-Za-z0-9._:-]{1,100}$');
CREATE INDEX audit_events_request_id ON audit_events (request_id) WHERE request_id IS NOT NULL;
GRANT INSERT (request_id) ON audit_events TO qa_app;
