-- The id of an order's only raw event, when it has exactly one (an accept still waiting for its fulfillment, most
-- often). Such a row says everything its event does (status from the state, instant from its column), so ingestion
-- re-derives the order without reading the raw log. Null: more than one event, or a row written before this column.
ALTER TABLE deliveries ADD COLUMN sole_event_id TEXT;
