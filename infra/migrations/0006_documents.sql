-- The files the engine publishes (a cycle's findings report, a QAPM pack), kept in the database
-- beside the audit log rather than on a worker's disk: a worker and a reader on different hosts see
-- the same file, and it lasts as long as the record. Each is written once, never changed; the audit
-- event that publishes it records its SHA-256, which readers check before showing it.
CREATE TABLE documents (
    item_id    text NOT NULL,
    name       text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    media_type text NOT NULL,
    content    bytea NOT NULL,
    sha256     bytea NOT NULL CHECK (sha256 = sha256(content)),
    stored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, name)
);

CREATE TRIGGER documents_append_only
    BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER documents_no_truncate
    BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

GRANT SELECT ON documents TO qa_app;
GRANT INSERT (item_id, name, media_type, content, sha256) ON documents TO qa_app;
