-- The Temporal history of every closed workflow, archived before the namespace's retention drops
-- it (infra.application.seals). The audit log's seal event records each run's SHA-256, so an
-- archived history that no longer matches it is caught by `qa audit verify`. Append-only.
CREATE TABLE engine_histories (
    workflow_id text NOT NULL,
    run_id      text NOT NULL,
    run_number  integer NOT NULL CHECK (run_number >= 1),  -- 1: the oldest run of the workflow
    history     text NOT NULL,  -- the history's canonical JSON, its payloads as the engine held them
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    archived_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, run_id),
    UNIQUE (workflow_id, run_number)
);

CREATE TRIGGER engine_histories_append_only
    BEFORE UPDATE OR DELETE ON engine_histories
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER engine_histories_no_truncate
    BEFORE TRUNCATE ON engine_histories
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

GRANT SELECT ON engine_histories TO qa_app;
GRANT INSERT (workflow_id, run_id, run_number, history, sha256) ON engine_histories TO qa_app;
