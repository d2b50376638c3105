-- The server's own role: it proves who asks and reads for them, and records nothing behind the workflows' back.
--
-- `qa serve` logs in as a member of qa_server, not qa_app. People's changes reach the record only
-- through Temporal: the workflows' activities, run by the worker as qa_app, append the audit events
-- and post, send and close the notifications. So the server may read what people may be shown, and
-- write only what is its own: the access log, the sign-in tables, the cache of folded states, and
-- the record keepers' seals and checkpoints (`qa audit seal`, `qa audit checkpoint make`), whose
-- audit events go to seal streams alone: a row-level policy holds it to them. It may not add,
-- send or close anyone's notifications, write a document, or change the directory.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qa_server') THEN
        CREATE ROLE qa_server NOLOGIN;
    END IF;
END
$$;

GRANT SELECT ON audit_events, audit_streams, staff, case_snapshots, cases, notifications, access_log, documents,
    engine_histories, audit_checkpoints, open_items, item_states TO qa_server;
GRANT INSERT (reader, item_id, command, allowed, detail) ON access_log TO qa_server;
GRANT SELECT, INSERT, UPDATE, DELETE ON item_states TO qa_server;
-- Signing in.
GRANT SELECT, INSERT ON accounts, invitations, tokens, sign_in_handoffs TO qa_server;
GRANT UPDATE (password_hash, set_at) ON accounts TO qa_server;
GRANT UPDATE (used_at) ON invitations, sign_in_handoffs TO qa_server;
GRANT UPDATE (revoked_at) ON tokens TO qa_server;
GRANT SELECT ON sign_ins TO qa_server;
GRANT INSERT (staff_id, method, succeeded, source, detail) ON sign_ins TO qa_server;
-- Seals and checkpoints: the archived histories, and the seal's audit event on its own stream.
GRANT INSERT (workflow_id, run_id, run_number, history, sha256) ON engine_histories TO qa_server;
GRANT INSERT (made_by, body, signature, public_key) ON audit_checkpoints TO qa_server;
GRANT INSERT (stream_id, version, event_id, event_type, actor, business_time, payload, prev_hash, hash, request_id)
    ON audit_events TO qa_server;
GRANT INSERT (stream_id, version, hash), UPDATE (version, hash, updated_at) ON audit_streams TO qa_server;

-- Which rows: every role that could write the log before writes as it did (qa_app, and qa_directory
-- through it); the server, only seal streams. The tables' owner (migrations) is not held by policies.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_streams ENABLE ROW LEVEL SECURITY;
CREATE POLICY application ON audit_events TO qa_app USING (true) WITH CHECK (true);
CREATE POLICY application ON audit_streams TO qa_app USING (true) WITH CHECK (true);
CREATE POLICY server_reads ON audit_events FOR SELECT TO qa_server USING (true);
CREATE POLICY server_reads ON audit_streams FOR SELECT TO qa_server USING (true);
CREATE POLICY server_seals ON audit_events FOR INSERT TO qa_server WITH CHECK (stream_id LIKE 'seal-%');
CREATE POLICY server_seals ON audit_streams FOR INSERT TO qa_server WITH CHECK (stream_id LIKE 'seal-%');
CREATE POLICY server_seal_heads ON audit_streams FOR UPDATE TO qa_server
    USING (stream_id LIKE 'seal-%') WITH CHECK (stream_id LIKE 'seal-%');
