-- The append-only audit log: one table of events, hash-chained per stream.
-- The application's role (qa_app) may only read and insert events; UPDATE,
-- DELETE and TRUNCATE are refused by triggers for every role, owner included.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qa_app') THEN
        CREATE ROLE qa_app NOLOGIN;
    END IF;
END
$$;

-- One head per stream: the newest version and its hash. Without it, removing a
-- stream's newest events would leave a chain that still verifies.
CREATE TABLE audit_streams (
    stream_id  text PRIMARY KEY,
    version    integer NOT NULL CHECK (version >= 0),
    hash       bytea NOT NULL CHECK (length(hash) = 32),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
    position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id     text NOT NULL,
    version       integer NOT NULL CHECK (version >= 1),
    event_id      uuid NOT NULL UNIQUE,
    event_type    text NOT NULL,
    actor         text NOT NULL,
    business_time timestamptz NOT NULL,
    -- The database's clock, never the caller's: qa_app has no INSERT right on it.
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    -- json, not jsonb: the exact canonical text that was hashed is kept.
    payload       json NOT NULL,
    prev_hash     bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash          bytea NOT NULL CHECK (length(hash) = 32),
    UNIQUE (stream_id, version)
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_streams_no_delete
    BEFORE DELETE ON audit_streams
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_streams_no_truncate
    BEFORE TRUNCATE ON audit_streams
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- A head only moves forward, and only onto an event that is in the log.
CREATE FUNCTION audit_stream_head_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stream_id <> OLD.stream_id OR NEW.version <= OLD.version THEN
        RAISE EXCEPTION 'the head of stream % only moves forward (v% to v% refused)',
            OLD.stream_id, OLD.version, NEW.version
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM audit_events
        WHERE stream_id = NEW.stream_id AND version = NEW.version AND hash = NEW.hash
    ) THEN
        RAISE EXCEPTION 'the head of stream % must point at a recorded event (v%)',
            NEW.stream_id, NEW.version
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_streams_forward_only
    BEFORE UPDATE ON audit_streams
    FOR EACH ROW EXECUTE FUNCTION audit_stream_head_forward();

REVOKE ALL ON audit_events, audit_streams FROM PUBLIC;
GRANT SELECT ON audit_events, audit_streams TO qa_app;
GRANT INSERT (stream_id, version, event_id, event_type, actor, business_time, payload, prev_hash, hash)
    ON audit_events TO qa_app;
GRANT INSERT (stream_id, version, hash), UPDATE (version, hash, updated_at) ON audit_streams TO qa_app;
