-- Sign-in (infra.store.sign_in): who a request comes from is proven, never claimed.
--
-- Local accounts hold an argon2 hash, never a password. Invitations and bearer tokens
-- are random secrets stored only as their SHA-256 (a secret of 256 random bits needs no
-- slow hash): a copy of these tables signs nobody in. Every sign-in attempt, allowed
-- or refused, is appended to sign_ins, whose failures rate-limit the next attempts.

CREATE TABLE accounts (
    staff_id      text PRIMARY KEY CHECK (staff_id <> ''),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    set_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invitations (
    code_hash  bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    staff_id   text NOT NULL CHECK (staff_id <> ''),
    issued_by  text NOT NULL CHECK (issued_by <> ''),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX invitations_by_staff ON invitations (staff_id, issued_at);

CREATE TABLE tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    staff_id   text NOT NULL CHECK (staff_id <> ''),
    -- How it was had: a password or the identity provider (sign-in), or minted on the host.
    method     text NOT NULL CHECK (method IN ('password', 'oidc', 'minted')),
    issued_by  text NOT NULL CHECK (issued_by <> ''),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX tokens_by_staff ON tokens (staff_id, issued_at);

CREATE TABLE sign_ins (
    attempt_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    staff_id     text NOT NULL CHECK (staff_id <> ''),
    method       text NOT NULL CHECK (method IN ('password', 'oidc', 'minted', 'invitation')),
    succeeded    boolean NOT NULL,
    -- Where it came from (the client's address), or the host for a minted token.
    source       text NOT NULL DEFAULT '',
    detail       text NOT NULL DEFAULT ''
);

CREATE INDEX sign_ins_by_staff ON sign_ins (staff_id, attempted_at);
CREATE INDEX sign_ins_by_source ON sign_ins (source, attempted_at);

CREATE FUNCTION sign_ins_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the sign-in log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER sign_ins_append_only
    BEFORE UPDATE OR DELETE ON sign_ins
    FOR EACH ROW EXECUTE FUNCTION sign_ins_refuse_change();
CREATE TRIGGER sign_ins_no_truncate
    BEFORE TRUNCATE ON sign_ins
    FOR EACH STATEMENT EXECUTE FUNCTION sign_ins_refuse_change();

REVOKE ALL ON accounts, invitations, tokens, sign_ins FROM PUBLIC;
GRANT SELECT, INSERT ON accounts TO qa_app;
GRANT UPDATE (password_hash, set_at) ON accounts TO qa_app;
GRANT SELECT, INSERT ON invitations TO qa_app;
GRANT UPDATE (used_at) ON invitations TO qa_app;
GRANT SELECT, INSERT ON tokens TO qa_app;
GRANT UPDATE (revoked_at) ON tokens TO qa_app;
GRANT SELECT ON sign_ins TO qa_app;
GRANT INSERT (staff_id, method, succeeded, source, detail) ON sign_ins TO qa_app;
