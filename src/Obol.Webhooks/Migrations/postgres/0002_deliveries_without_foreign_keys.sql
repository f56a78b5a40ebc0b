-- A delivery's endpoint and event are no longer checked by foreign keys. The check share-locks the endpoint's row, which
-- every transaction that reports an event to that endpoint then holds at once (a payment's, a refund's …): PostgreSQL
-- records concurrent lockers of a row in a MultiXact rebuilt for each new one, and that cost about a third of what the
-- dispatcher adds to a payments run (bench/results/webhooks.md). Nothing is lost: deliveries are only ever inserted for
-- endpoints and events their transaction has read or written, events are append-only, and endpoints are deleted softly
-- (deleted_at), which the trigger below makes a rule.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_fkey;

CREATE FUNCTION webhook_endpoints_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'webhook_endpoints rows are never deleted (set deleted_at)';
END;
$$;
CREATE TRIGGER webhook_endpoints_no_delete BEFORE DELETE ON webhook_endpoints FOR EACH ROW EXECUTE FUNCTION webhook_endpoints_kept();
