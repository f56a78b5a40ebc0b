-- A delivery row lists its order's raw event ids (sorted, space-separated: ids are printable ASCII without spaces),
-- and the raw log loses its by-order index: an order's events are found through its row and the raw log's primary
-- key. Every raw event's order has a row written in the same transaction, so the list is as complete as an index.
-- The list replaces sole_event_id: a row with one id is still rebuilt from its own columns.
ALTER TABLE deliveries ADD COLUMN event_ids TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET event_ids = coalesce((
    SELECT group_concat(event_id, ' ' ORDER BY event_id) FROM delivery_events e
    WHERE e.courier_key = deliveries.courier_key AND e.order_id = deliveries.order_id), '');
ALTER TABLE deliveries DROP COLUMN sole_event_id;
DROP INDEX delivery_events_order;
