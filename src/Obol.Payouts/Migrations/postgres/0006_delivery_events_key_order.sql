-- The raw log's primary key leads with the event id: one merchant's ids all share the merchant column, so putting it
-- first made every comparison in the key's descent compare it before the event id that decides.
ALTER TABLE delivery_events DROP CONSTRAINT delivery_events_pkey, ADD PRIMARY KEY (event_id, merchant_id);
