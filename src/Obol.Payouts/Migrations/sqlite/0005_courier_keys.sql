-- An integer key per (merchant, courier): the engine's per-courier indexes lead with it instead of two text columns
-- (see the PostgreSQL migration). SQLite cannot change a primary key in place, so deliveries and earning_days are
-- rebuilt; it cannot add a NOT NULL column without a default either, so courier_terms and delivery_events get a
-- nullable one that every insert fills.
CREATE TABLE couriers (
    courier_key INTEGER PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    UNIQUE (merchant_id, courier_id)
);
INSERT INTO couriers (merchant_id, courier_id)
SELECT DISTINCT merchant_id, courier_id FROM courier_terms ORDER BY merchant_id, courier_id;

ALTER TABLE courier_terms ADD COLUMN courier_key INTEGER;
UPDATE courier_terms SET courier_key = (
    SELECT c.courier_key FROM couriers c WHERE c.merchant_id = courier_terms.merchant_id AND c.courier_id = courier_terms.courier_id);

ALTER TABLE delivery_events ADD COLUMN courier_key INTEGER;
UPDATE delivery_events SET courier_key = (
    SELECT c.courier_key FROM couriers c WHERE c.merchant_id = delivery_events.merchant_id AND c.courier_id = delivery_events.courier_id);
DROP INDEX delivery_events_order;
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
