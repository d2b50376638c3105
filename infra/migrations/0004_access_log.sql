-- The access log: every read of an item's audit record (`qa audit history`, `replay`,
-- `export`, ...), allowed or refused, is itself recorded here, so reading is audited too.
-- Append-only like the audit log: qa_app may only read and insert, UPDATE, DELETE
-- and TRUNCATE are refused by triggers for every role, and the moment of the read
-- is always the database's clock.

CREATE TABLE access_log (
    access_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The database's clock, never the caller's: qa_app has no INSERT right on it.
    accessed_at timestamptz NOT NULL DEFAULT now(),
    -- Who asked (the --as given, whether or not the directory knows them).
    reader      text NOT NULL CHECK (reader <> ''),
    -- The item (audit stream) asked about.
    item_id     text NOT NULL CHECK (item_id <> ''),
    -- Which command: history, replay, export, access-log.
    command     text NOT NULL CHECK (command <> ''),
    allowed     boolean NOT NULL,
    -- What was asked (e.g. the moment of a replay) or why it was refused.
    detail      text NOT NULL DEFAULT ''
);

CREATE INDEX access_log_by_item ON access_log (item_id, accessed_at);
CREATE INDEX access_log_by_reader ON access_log (reader, accessed_at);

CREATE FUNCTION access_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change();
CREATE TRIGGER access_log_no_truncate
    BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change();

REVOKE ALL ON access_log FROM PUBLIC;
GRANT SELECT ON access_log TO qa_app;
GRANT INSERT (reader, item_id, command, allowed, detail) ON access_log TO qa_app;
