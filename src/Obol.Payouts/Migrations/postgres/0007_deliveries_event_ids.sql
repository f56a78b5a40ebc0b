-- A delivery row lists its order's raw event ids (sorted, space-separated: ids are printable ASCII without spaces),
-- and the raw log loses its by-order index: an order's events are found through its row and the raw log's primary
-- key. Every raw event's order has a row written in the same transaction, under the courier's lock, so the list is
-- as complete as an index. Maintaining the by-order index was half the cost of appending a raw event (random inserts
-- across every courier's orders: about 3 ms of PostgreSQL per 1,000 events in the earnings benchmark).
-- The list replaces sole_event_id: a row with one id is still rebuilt from its own columns.
-- Deploy with every node stopped: code from before this migration reads the raw log by order.
ALTER TABLE deliveries ADD COLUMN event_ids TEXT;
UPDATE deliveries d SET event_ids = e.ids
FROM (
    SELECT courier_key, order_id, string_agg(event_id, ' ' ORDER BY event_id COLLATE "C") AS ids
    FROM delivery_events GROUP BY courier_key, order_id
) e
WHERE e.courier_key = d.courier_key AND e.order_id = d.order_id;
ALTER TABLE deliveries ALTER COLUMN event_ids SET NOT NULL;
ALTER TABLE deliveries DROP COLUMN sole_event_id;
DROP INDEX delivery_events_order;
ANALYZE deliveries, delivery_events;
