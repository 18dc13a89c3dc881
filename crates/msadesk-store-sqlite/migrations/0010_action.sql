-- Corrective actions and recalls (issue 8): actions, their recipients, acknowledgement tokens and
-- the outbox of messages to deliver. Times are RFC 3339 UTC text ("2026-12-04T10:00:00Z"), which
-- sorts as text.

-- An action; `body` is the recorded order or measure (msadesk_core::action::NewAction as JSON),
-- `timeline` the steps taken (JSON list). The columns beside them are what lists filter on.
CREATE TABLE actions (
    id          INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,
    action_type TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    due         TEXT NOT NULL,
    status      TEXT NOT NULL,
    timeline    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Every operator the affected versions were supplied to within scope, with the units, and what
-- became of the notice to it and of its answer.
CREATE TABLE action_recipients (
    id                      INTEGER PRIMARY KEY,
    action_id               INTEGER NOT NULL REFERENCES actions(id),
    operator_id             TEXT NOT NULL,
    name                    TEXT NOT NULL,
    country                 TEXT NOT NULL,
    email                   TEXT,
    quantity                INTEGER NOT NULL,
    notified_at             TEXT,
    notified_via            TEXT,
    delivery_state          TEXT,
    delivered_at            TEXT,
    acknowledged_at         TEXT,
    units_on_hand           INTEGER,
    units_returned          INTEGER,
    units_updated           INTEGER,
    units_destroyed         INTEGER,
    sub_recipients_notified INTEGER,
    reminders               INTEGER NOT NULL DEFAULT 0,
    UNIQUE (action_id, operator_id)
);

-- Personal acknowledgement links: only the SHA-256 of the secret is kept.
CREATE TABLE ack_tokens (
    secret_sha256 TEXT PRIMARY KEY,
    recipient_id  INTEGER NOT NULL REFERENCES action_recipients(id),
    purpose       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
);
CREATE INDEX ack_tokens_recipient ON ack_tokens(recipient_id);

-- Messages to deliver, written in the transaction that decided to send them.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    action_id       INTEGER REFERENCES actions(id),
    recipient_id    INTEGER REFERENCES action_recipients(id),
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'bounced', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    receipt         TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_action ON outbox(action_id, recipient_id);
