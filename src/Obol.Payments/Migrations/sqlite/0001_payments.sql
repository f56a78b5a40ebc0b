CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    idempotency_key TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    capture_method TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    description TEXT,
    metadata TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_capturable BIGINT NOT NULL DEFAULT 0,
    amount_captured BIGINT NOT NULL DEFAULT 0,
    amount_refunded BIGINT NOT NULL DEFAULT 0,
    amount_refunding BIGINT NOT NULL DEFAULT 0,
    psp TEXT,
    psp_reference TEXT,
    last_error_code TEXT,
    last_error_message TEXT,
    operation_in_flight TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (amount_captured <= amount AND amount_refunded + amount_refunding <= amount_captured)
);
CREATE UNIQUE INDEX payments_idempotency ON payments (merchant_id, idempotency_key);
CREATE INDEX payments_merchant_status ON payments (merchant_id, status, id);
CREATE INDEX payments_merchant ON payments (merchant_id, id);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    merchant_id TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    psp_reference TEXT,
    last_error_code TEXT,
    last_error_message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- One row per PSP call; its id is the PSP idempotency key.
CREATE TABLE payment_attempts (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    merchant_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    psp TEXT NOT NULL,
    amount BIGINT NOT NULL,
    refund_id TEXT REFERENCES refunds (id),
    status TEXT NOT NULL,
    psp_reference TEXT,
    error_code TEXT,
    error_message TEXT,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    resolve_after TEXT,
    resolve_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payment_attempts_payment ON payment_attempts (payment_id, started_at);
CREATE INDEX payment_attempts_open ON payment_attempts (status, resolve_after);

-- Append-only history of every change to a payment.
CREATE TABLE payment_events (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    sequence INTEGER NOT NULL,
    type TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    source TEXT NOT NULL,
    data TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (payment_id, sequence)
);
