-- Open anomalies by order. When a batch re-derives orders that had rows, it looks up their open anomalies here (a
-- small index: anomalies are exceptions, and resolved ones leave it) and clears those whose condition has gone.
-- Before, it probed the whole table's (merchant, dedupe key) index with four keys per order: about 3 ms of
-- PostgreSQL per 1,000 events once the table held anomalies at all.
CREATE INDEX delivery_anomalies_open_orders ON delivery_anomalies (merchant_id, courier_id, order_id) WHERE status = 'open';
