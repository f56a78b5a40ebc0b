-- Only deliveries that are paid on a day are looked up by day. As a partial index it can no longer be mistaken for a
-- way to find one order (the primary key is): with stale statistics PostgreSQL took it for that lookup and filtered
-- every delivery of the courier.
DROP INDEX deliveries_by_date;
CREATE INDEX deliveries_by_date ON deliveries (merchant_id, courier_id, local_date) WHERE local_date IS NOT NULL;
