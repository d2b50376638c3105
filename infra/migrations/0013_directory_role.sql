-- Who works here changes only through the directory's import, under a role of its own.
--
-- The application's role (qa_app), which the server, the worker and the other commands use, may
-- read the staff directory and the open-cases snapshots but no longer write them: before this, it
-- could change anyone's roles with an UPDATE that left no audit event. qa_directory may write them,
-- and appends the import's audit event in the same transaction (as a member of qa_app); only
-- `qa staff import` and `qa cases import` log in with it (QA_DIRECTORY_DATABASE_URL).

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qa_directory') THEN
        CREATE ROLE qa_directory NOLOGIN;
    END IF;
END
$$;

-- Revoking a table's privilege revokes the same privilege on each of its columns.
REVOKE INSERT, UPDATE ON staff FROM qa_app;
REVOKE INSERT ON case_snapshots, cases FROM qa_app;

GRANT qa_app TO qa_directory;
GRANT INSERT (staff_id, display_name, roles, team, line_manager, active) ON staff TO qa_directory;
GRANT UPDATE (display_name, roles, team, line_manager, active) ON staff TO qa_directory;
GRANT INSERT (imported_by, digest, rows) ON case_snapshots TO qa_directory;
GRANT INSERT (snapshot_id, case_number, system, service, team, practitioner, support_began) ON cases TO qa_directory;
