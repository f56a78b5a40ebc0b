-- Every event a merchant is told about, written in the transaction of the change it reports (the outbox). Append-only.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    -- The order events were written in, for lists (ids made in one millisecond do not sort by time).
    position BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    merchant_id TEXT NOT NULL,
    type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    object_sequence BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- The event's JSON exactly as it is sent and as the events API returns it.
    body TEXT NOT NULL,
    UNIQUE (object_id, object_sequence)
);
CREATE INDEX events_merchant ON events (merchant_id, position);
CREATE INDEX events_merchant_type ON events (merchant_id, type, position);
CREATE INDEX events_merchant_created ON events (merchant_id, created_at);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only';
END;
$$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- The last sequence number given to each object's events: its row lock orders two transactions that report on one object.
CREATE TABLE event_objects (
    object_id TEXT PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT,
    -- '*' or the enabled names between commas: ',payment.captured,refund.*,'
    enabled_events TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TIMESTAMPTZ,
    failing_since TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, id);

-- One event to one endpoint: a work item, until it succeeds or is given up.
CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    object_id TEXT NOT NULL,
    object_sequence BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    leased_until TIMESTAMPTZ,
    completed_at TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_object ON webhook_deliveries (endpoint_id, object_id, object_sequence, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id, id);

-- Every try to send a delivery, with what came back. Append-only.
CREATE TABLE webhook_delivery_attempts (
    id TEXT PRIMARY KEY,
    delivery_id BIGINT NOT NULL,
    endpoint_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER NOT NULL,
    response_body TEXT,
    error TEXT
);
CREATE INDEX webhook_delivery_attempts_endpoint ON webhook_delivery_attempts (endpoint_id, id);
CREATE INDEX webhook_delivery_attempts_event ON webhook_delivery_attempts (event_id, id);

CREATE TRIGGER webhook_delivery_attempts_no_change BEFORE UPDATE OR DELETE ON webhook_delivery_attempts
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
