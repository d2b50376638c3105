-- How each person takes their messages by e-mail: one per notification as it comes (the default), or one
-- daily digest at the start of each working day. Alerts always go at once, whatever the choice.
-- Each person sets their own (through the server, or a command on the host); the delivery process reads it.

CREATE TABLE delivery_choices (
    staff_id text PRIMARY KEY REFERENCES staff (staff_id),
    digest   boolean NOT NULL,
    set_at   timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON delivery_choices FROM PUBLIC;
GRANT SELECT ON delivery_choices TO qa_app, qa_server;
GRANT INSERT (staff_id, digest), UPDATE (digest, set_at) ON delivery_choices TO qa_app, qa_server;
