-- A cache of the open items' states, each folded from the log by its kind's own reducer (domain/),
-- kept with the head (version and hash) and the reducer's fingerprint it was folded at: used only
-- while all three still match, folded afresh otherwise. Not part of the record: `qa audit replay`
-- and every `show` fold the log itself.
CREATE TABLE item_states (
    stream_id   text PRIMARY KEY,
    version     integer NOT NULL,
    head_hash   bytea NOT NULL,
    fingerprint text NOT NULL,
    state       text NOT NULL,
    cached_at   timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON item_states TO qa_app;
