-- An integer key per (merchant, courier): the engine's per-courier indexes lead with it instead of two text columns
-- (see the PostgreSQL migration). SQLite can neither change a primary key in place nor add a NOT NULL column
-- without a default, so the four tables are rebuilt. Couriers are taken from all four tables, so that no row can
-- lose its courier (every courier with rows has terms, but a migration should not depend on it silently).
CREATE TABLE couriers (
    courier_key INTEGER PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    UNIQUE (merchant_id, courier_id)
);
INSERT INTO couriers (merchant_id, courier_id)
SELECT merchant_id, courier_id FROM courier_terms
UNION SELECT merchant_id, courier_id FROM delivery_events
UNION SELECT merchant_id, courier_id FROM deliveries
UNION SELECT merchant_id, courier_id FROM earning_days
ORDER BY 1, 2;

CREATE TABLE courier_terms_keyed (
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    courier_key INTEGER NOT NULL,
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
INSERT INTO courier_terms_keyed (merchant_id, courier_id, courier_key, version, effective_at, time_zone, currency, base_pay_rate,
    bonus_pay, deliveries_per_bonus, cancellation_pay, pay_period_start_day, created_at)
SELECT t.merchant_id, t.courier_id, c.courier_key, t.version, t.effective_at, t.time_zone, t.currency, t.base_pay_rate,
    t.bonus_pay, t.deliveries_per_bonus, t.cancellation_pay, t.pay_period_start_day, t.created_at
FROM courier_terms t JOIN couriers c ON c.merchant_id = t.merchant_id AND c.courier_id = t.courier_id;
DROP TABLE courier_terms;
ALTER TABLE courier_terms_keyed RENAME TO courier_terms;

CREATE TABLE delivery_events_keyed (
    merchant_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    courier_key INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'fulfilled', 'cancelled')),
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, event_id)
);
INSERT INTO delivery_events_keyed (merchant_id, event_id, courier_id, courier_key, order_id, status, occurred_at, received_at)
SELECT e.merchant_id, e.event_id, e.courier_id, c.courier_key, e.order_id, e.status, e.occurred_at, e.received_at
FROM delivery_events e JOIN couriers c ON c.merchant_id = e.merchant_id AND c.courier_id = e.courier_id;
DROP TABLE delivery_events;
ALTER TABLE delivery_events_keyed RENAME TO delivery_events;
CREATE INDEX delivery_events_order ON delivery_events (courier_key, order_id);

CREATE TABLE deliveries_keyed (
    courier_key INTEGER NOT NULL,
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
    sole_event_id TEXT,
    PRIMARY KEY (courier_key, order_id)
);
INSERT INTO deliveries_keyed (courier_key, merchant_id, courier_id, order_id, state, accepted_at, fulfilled_at, cancelled_at,
    local_date, minutes, amount, completed, cancellation, terms_version, sole_event_id)
SELECT c.courier_key, d.merchant_id, d.courier_id, d.order_id, d.state, d.accepted_at, d.fulfilled_at, d.cancelled_at,
    d.local_date, d.minutes, d.amount, d.completed, d.cancellation, d.terms_version, d.sole_event_id
FROM deliveries d JOIN couriers c ON c.merchant_id = d.merchant_id AND c.courier_id = d.courier_id;
DROP TABLE deliveries;
ALTER TABLE deliveries_keyed RENAME TO deliveries;
CREATE INDEX deliveries_by_date ON deliveries (courier_key, local_date) WHERE local_date IS NOT NULL;
CREATE INDEX deliveries_open ON deliveries (accepted_at) WHERE state = 'accepted';

CREATE TABLE earning_days_keyed (
    courier_key INTEGER NOT NULL,
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
    last_fulfilled_at TEXT,
    PRIMARY KEY (courier_key, local_date)
);
INSERT INTO earning_days_keyed (courier_key, merchant_id, courier_id, local_date, minutes, deliveries, cancellations, base_pay,
    bonus_pay, cancellation_pay, frozen, last_fulfilled_at)
SELECT c.courier_key, e.merchant_id, e.courier_id, e.local_date, e.minutes, e.deliveries, e.cancellations, e.base_pay,
    e.bonus_pay, e.cancellation_pay, e.frozen, e.last_fulfilled_at
FROM earning_days e JOIN couriers c ON c.merchant_id = e.merchant_id AND c.courier_id = e.courier_id;
DROP TABLE earning_days;
ALTER TABLE earning_days_keyed RENAME TO earning_days;
