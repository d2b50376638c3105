-- Where the engine's messages reach a member of staff: their work e-mail address, if the staff file gives
-- one (its optional `email` column; domain.directory.check_email checks its form). Like the rest of the
-- directory, only the directory's import (qa_directory) writes it.

ALTER TABLE staff ADD COLUMN email text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'));

GRANT INSERT (email), UPDATE (email) ON staff TO qa_directory;
