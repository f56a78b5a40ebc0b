-- An integer key per (merchant, courier): the engine's per-courier indexes lead with it instead of two text columns.
-- Ingestion is mostly index descents, and comparing one bigint is much cheaper than comparing merchant id and
-- courier id as text (in the earnings benchmark's consecutive batches, PostgreSQL CPU per 1,000 events fell from
-- 31-32 ms to 25-28 ms). The text columns stay on every row; the key only replaces them in keys and indexes.
-- Deploy with every node stopped: code from before this migration cannot write the rekeyed tables, and the
-- migration rewrites the engine's tables under exclusive locks.
CREATE TABLE couriers (
    courier_key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    courier_id TEXT NOT NULL,
    UNIQUE (merchant_id, courier_id)
);
-- From all four tables, so that no row can lose its courier (every courier with rows has terms, but a migration
-- should not depend on it silently).
INSERT INTO couriers (merchant_id, courier_id)
SELECT merchant_id, courier_id FROM courier_terms
UNION SELECT merchant_id, courier_id FROM delivery_events
UNION SELECT merchant_id, courier_id FROM deliveries
UNION SELECT merchant_id, courier_id FROM earning_days
ORDER BY 1, 2;

-- On every version, so that reading a batch's terms brings the keys along.
ALTER TABLE courier_terms ADD COLUMN courier_key BIGINT;
UPDATE courier_terms t SET courier_key = c.courier_key FROM couriers c WHERE c.merchant_id = t.merchant_id AND c.courier_id = t.courier_id;
ALTER TABLE courier_terms ALTER COLUMN courier_key SET NOT NULL;

ALTER TABLE delivery_events ADD COLUMN courier_key BIGINT;
UPDATE delivery_events e SET courier_key = c.courier_key FROM couriers c WHERE c.merchant_id = e.merchant_id AND c.courier_id = e.courier_id;
ALTER TABLE delivery_events ALTER COLUMN courier_key SET NOT NULL;
DROP INDEX delivery_events_order;
CREATE INDEX delivery_events_order ON delivery_events (courier_key, order_id);

ALTER TABLE deliveries ADD COLUMN courier_key BIGINT;
UPDATE deliveries d SET courier_key = c.courier_key FROM couriers c WHERE c.merchant_id = d.merchant_id AND c.courier_id = d.courier_id;
ALTER TABLE deliveries ALTER COLUMN courier_key SET NOT NULL;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey, ADD PRIMARY KEY (courier_key, order_id);
DROP INDEX deliveries_by_date;
CREATE INDEX deliveries_by_date ON deliveries (courier_key, local_date) WHERE local_date IS NOT NULL;

ALTER TABLE earning_days ADD COLUMN courier_key BIGINT;
UPDATE earning_days e SET courier_key = c.courier_key FROM couriers c WHERE c.merchant_id = e.merchant_id AND c.courier_id = e.courier_id;
ALTER TABLE earning_days ALTER COLUMN courier_key SET NOT NULL;
ALTER TABLE earning_days DROP CONSTRAINT earning_days_pkey, ADD PRIMARY KEY (courier_key, local_date);

ANALYZE couriers, courier_terms, delivery_events, deliveries, earning_days;
