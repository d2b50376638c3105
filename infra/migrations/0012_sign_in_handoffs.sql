-- Signing in through the council's identity provider from the CLI (`qa login --browser`): the server
-- hands the CLI, through the browser, a one-time code that only the CLI holding the matching verifier
-- can exchange for a token (a PKCE-style proof, RFC 7636). The token itself never appears in a URL or
-- the browser's history. Codes live two minutes and are kept, like tokens, only as their SHA-256.

CREATE TABLE sign_in_handoffs (
    code_hash  bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    staff_id   text NOT NULL CHECK (staff_id <> ''),
    -- SHA-256 of the CLI's verifier, which the CLI alone knows.
    challenge  bytea NOT NULL CHECK (length(challenge) = 32),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

REVOKE ALL ON sign_in_handoffs FROM PUBLIC;
GRANT SELECT, INSERT ON sign_in_handoffs TO qa_app;
GRANT UPDATE (used_at) ON sign_in_handoffs TO qa_app;
