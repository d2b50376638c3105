-- Deliveries: each notification taken beyond the app, one row per channel (e-mail), sent at most once.
--
-- A notification posted for someone whose staff record gives an address is queued here in the same
-- transaction as the notification itself, so nothing posted is lost. The delivery process (`qa
-- deliver`) claims one row at a time: `sending` is committed before the message leaves, so a process
-- that dies mid-send leaves that one row `sending`; it is never sent again on its own (it may have
-- left), but listed for the QA team as of unknown outcome (`qa notifications failed`). A failure the
-- mail server reports is retried with backoff, and listed once the tries run out.

CREATE TABLE deliveries (
    notification_id uuid NOT NULL REFERENCES notifications (notification_id),
    channel         text NOT NULL CHECK (channel IN ('email')),
    address         text NOT NULL CHECK (address <> ''),  -- where it goes: the address when it was posted
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (notification_id, channel),
    CONSTRAINT deliveries_sent_has_a_time CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);

-- What the delivery process takes next, and what the QA team is shown.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'queued';
CREATE INDEX deliveries_failed ON deliveries (queued_at) WHERE state IN ('failed', 'sending');

REVOKE ALL ON deliveries FROM PUBLIC;
GRANT SELECT ON deliveries TO qa_app, qa_server;
GRANT INSERT (notification_id, channel, address) ON deliveries TO qa_app;
GRANT UPDATE (state, attempts, next_attempt_at, last_error, sent_at) ON deliveries TO qa_app;
