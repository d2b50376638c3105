-- The staff directory and the open-cases snapshots ("data that comes in").
--
-- Staff who leave become inactive and are never deleted: reviews, allocations and
-- audit events keep naming them. Each cases import is a new snapshot, kept for
-- good, so a sample drawn from it can be proven afterwards. Case rows hold case
-- numbers and staff ids only, never a child's name or other personal details.
-- Every import is also recorded in the audit log, in the same transaction.

CREATE TABLE staff (
    staff_id     text PRIMARY KEY CHECK (staff_id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    display_name text NOT NULL CHECK (display_name <> ''),
    roles        text[] NOT NULL CHECK (cardinality(roles) > 0),
    team         text NOT NULL CHECK (team <> ''),
    line_manager text REFERENCES staff (staff_id) DEFERRABLE INITIALLY DEFERRED,
    active       boolean NOT NULL DEFAULT true,
    -- The database's clock, never the caller's: a trigger sets it on every update.
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT staff_not_own_manager CHECK (line_manager IS DISTINCT FROM staff_id)
);

CREATE TABLE case_snapshots (
    snapshot_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The database's clock, never the caller's: qa_app has no INSERT right on it.
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL REFERENCES staff (staff_id),
    -- SHA-256 of the snapshot's canonical CSV (domain.directory.cases_digest).
    digest      text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    rows        integer NOT NULL CHECK (rows >= 0)
);

CREATE TABLE cases (
    snapshot_id   bigint NOT NULL REFERENCES case_snapshots (snapshot_id),
    case_number   text NOT NULL CHECK (case_number ~ '^[A-Za-z0-9-]{3,20}$'),
    system        text NOT NULL CHECK (system IN ('LCS', 'EHM')),
    service       text NOT NULL CHECK (service <> ''),
    team          text NOT NULL CHECK (team <> ''),
    practitioner  text NOT NULL REFERENCES staff (staff_id),
    support_began date NOT NULL,
    PRIMARY KEY (snapshot_id, case_number)
);

CREATE INDEX cases_by_service ON cases (snapshot_id, service);

CREATE FUNCTION staff_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER staff_touch
    BEFORE UPDATE ON staff
    FOR EACH ROW EXECUTE FUNCTION staff_touch();

CREATE FUNCTION directory_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'staff' THEN
        RAISE EXCEPTION 'staff are never deleted (% on staff is refused): import a staff file without them to make them inactive', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'case snapshots are kept as imported: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER staff_no_delete
    BEFORE DELETE ON staff
    FOR EACH ROW EXECUTE FUNCTION directory_refuse_change();
CREATE TRIGGER staff_no_truncate
    BEFORE TRUNCATE ON staff
    FOR EACH STATEMENT EXECUTE FUNCTION directory_refuse_change();
CREATE TRIGGER case_snapshots_unchanged
    BEFORE UPDATE OR DELETE ON case_snapshots
    FOR EACH ROW EXECUTE FUNCTION directory_refuse_change();
CREATE TRIGGER case_snapshots_no_truncate
    BEFORE TRUNCATE ON case_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION directory_refuse_change();
CREATE TRIGGER cases_unchanged
    BEFORE UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION directory_refuse_change();
CREATE TRIGGER cases_no_truncate
    BEFORE TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION directory_refuse_change();

REVOKE ALL ON staff, case_snapshots, cases FROM PUBLIC;
GRANT SELECT ON staff, case_snapshots, cases TO qa_app;
GRANT INSERT (staff_id, display_name, roles, team, line_manager, active) ON staff TO qa_app;
GRANT UPDATE (display_name, roles, team, line_manager, active) ON staff TO qa_app;
GRANT INSERT (imported_by, digest, rows) ON case_snapshots TO qa_app;
GRANT INSERT (snapshot_id, case_number, system, service, team, practitioner, support_began) ON cases TO qa_app;
