-- Courier earnings. Instants are ISO 8601 UTC text (sorts as text); local dates are 'YYYY-MM-DD' text.
CREATE TABLE courier_terms (
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    effective_at TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency TEXT NOT NULL,
    base_pay_rate INTEGER NOT NULL,
    bonus_pay INTEGER NOT NULL,
    deliveries_per_bonus INTEGER NOT NULL,
    cancellation_pay INTEGER NOT NULL,
    pay_period_start_day TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, courier_id, version)
);

-- Raw events, append-only: never updated or deleted.
CREATE TABLE delivery_events (
    merchant_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'fulfilled', 'cancelled')),
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, event_id)
);
CREATE INDEX delivery_events_order ON delivery_events (merchant_id, courier_id, order_id);

-- One row per (courier, order): what the raw events say, and the line item it pays.
CREATE TABLE deliveries (
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    state TEXT NOT NULL,
    accepted_at TEXT,
    fulfilled_at TEXT,
    cancelled_at TEXT,
    local_date TEXT,
    minutes INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    completed INTEGER NOT NULL,
    cancellation INTEGER NOT NULL,
    terms_version INTEGER,
    PRIMARY KEY (merchant_id, courier_id, order_id)
);
CREATE INDEX deliveries_by_date ON deliveries (merchant_id, courier_id, local_date);
-- Only deliveries still waiting for a fulfillment, for the accepted-not-fulfilled sweep.
CREATE INDEX deliveries_open ON deliveries (accepted_at) WHERE state = 'accepted';

-- Per (courier, local date) aggregates; frozen once the day's pay period is closed.
CREATE TABLE earning_days (
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    local_date TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    deliveries INTEGER NOT NULL,
    cancellations INTEGER NOT NULL,
    base_pay INTEGER NOT NULL,
    bonus_pay INTEGER NOT NULL,
    cancellation_pay INTEGER NOT NULL,
    frozen INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, courier_id, local_date)
);

-- Corrections to closed days, paid in the next open period (effective_date is that period's first day).
CREATE TABLE earning_adjustments (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    period_id TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    origin_date TEXT NOT NULL,
    amount INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX earning_adjustments_effective ON earning_adjustments (merchant_id, courier_id, effective_date);
CREATE INDEX earning_adjustments_origin ON earning_adjustments (merchant_id, courier_id, origin_date);

CREATE TABLE delivery_anomalies (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    event_id TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    detail TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT,
    UNIQUE (merchant_id, dedupe_key)
);
CREATE INDEX delivery_anomalies_courier ON delivery_anomalies (merchant_id, courier_id, id);

CREATE TABLE pay_periods (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    base_pay INTEGER,
    bonus_pay INTEGER,
    cancellation_pay INTEGER,
    adjustments INTEGER,
    total INTEGER,
    ledger_transaction_id TEXT,
    payout_id TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (merchant_id, courier_id, start_date)
);
CREATE INDEX pay_periods_due ON pay_periods (status, ends_at);

CREATE TABLE courier_payouts (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    period_id TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    ledger_transaction_id TEXT,
    created_at TEXT NOT NULL
);
