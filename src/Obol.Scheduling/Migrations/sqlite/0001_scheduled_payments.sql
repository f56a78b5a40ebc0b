CREATE TABLE scheduled_payments (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    status TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    capture_method TEXT NOT NULL,
    description TEXT NULL,
    metadata TEXT NULL,
    execute_at TEXT NOT NULL,
    local_date_time TEXT NULL,
    time_zone TEXT NULL,
    recurrence_frequency TEXT NULL,
    recurrence_interval INTEGER NULL,
    recurrence_count INTEGER NULL,
    recurrence_until TEXT NULL,
    occurrence INTEGER NOT NULL,
    occurrence_due_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    total_attempts INTEGER NOT NULL,
    lease_token TEXT NULL,
    last_error_code TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Due work: scheduled rows by due time, and processing rows whose lease (next_attempt_at) expired.
CREATE INDEX scheduled_payments_due ON scheduled_payments (status, next_attempt_at);
-- Merchant lists, newest first (ids sort by creation time).
CREATE INDEX scheduled_payments_merchant ON scheduled_payments (merchant_id, id);
CREATE INDEX scheduled_payments_merchant_status ON scheduled_payments (merchant_id, status, id);

CREATE TABLE scheduled_payment_executions (
    schedule_id TEXT NOT NULL REFERENCES scheduled_payments (id),
    occurrence INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    payment_id TEXT NULL,
    payment_status TEXT NULL,
    outcome TEXT NOT NULL,
    decline_code TEXT NULL,
    executed_at TEXT NOT NULL,
    PRIMARY KEY (schedule_id, occurrence)
);

-- Append-only: every state change of a schedule.
CREATE TABLE scheduled_payment_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id TEXT NOT NULL REFERENCES scheduled_payments (id),
    occurrence INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    from_status TEXT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    error_code TEXT NULL,
    payment_id TEXT NULL,
    occurred_at TEXT NOT NULL
);
CREATE INDEX scheduled_payment_history_schedule ON scheduled_payment_history (schedule_id, seq);

CREATE TRIGGER scheduled_payment_history_no_update BEFORE UPDATE ON scheduled_payment_history
BEGIN
    SELECT RAISE(ABORT, 'scheduled_payment_history is append-only');
END;
CREATE TRIGGER scheduled_payment_history_no_delete BEFORE DELETE ON scheduled_payment_history
BEGIN
    SELECT RAISE(ABORT, 'scheduled_payment_history is append-only');
END;
