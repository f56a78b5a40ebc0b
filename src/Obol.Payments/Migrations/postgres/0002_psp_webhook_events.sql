-- Every verified PSP webhook, stored once (duplicates are recognised by the PSP's event id).
CREATE TABLE psp_webhook_events (
    psp TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    payment_id TEXT,
    applied INTEGER NOT NULL,
    payload TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (psp, event_id)
);
