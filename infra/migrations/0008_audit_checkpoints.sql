-- Signed checkpoints of the audit log (domain/checkpoints.py): every stream's head at a moment,
-- signed with an Ed25519 key kept outside the database. Kept here so the newest can be exported;
-- what vouches for one is its signature, checked with the public key the auditors hold.
CREATE TABLE audit_checkpoints (
    checkpoint_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    made_by       text NOT NULL,
    body          text NOT NULL,  -- the canonical JSON that was signed
    signature     text NOT NULL,  -- base64
    public_key    text NOT NULL,  -- PEM of the key that signed it
    stored_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate
    BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

GRANT SELECT ON audit_checkpoints TO qa_app;
GRANT INSERT (made_by, body, signature, public_key) ON audit_checkpoints TO qa_app;
