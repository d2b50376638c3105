-- A member of staff's post, if the staff file gives one (its optional `job` column, domain.directory.Job): who
-- may be allocated a CPR review goes by it (the framework names senior social workers, ISROs, team managers,
-- heads of service, the Assistant Director and the Director). Like the rest of the directory, only the
-- directory's import (qa_directory) writes it.

ALTER TABLE staff ADD COLUMN job text CHECK (
    job IS NULL OR job IN (
        'director', 'assistant_director', 'head_of_service', 'team_manager', 'isro', 'senior_social_worker',
        'principal_social_worker', 'social_worker', 'family_support_worker', 'personal_adviser', 'qa_officer', 'other'
    )
);

GRANT INSERT (job), UPDATE (job) ON staff TO qa_directory;
