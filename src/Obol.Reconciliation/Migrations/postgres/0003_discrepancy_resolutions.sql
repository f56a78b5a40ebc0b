-- A person's word that a discrepancy is dealt with: booked by hand, taken up with the PSP, or nothing to do. Once.
CREATE TABLE reconciliation_resolutions (
    discrepancy_id TEXT PRIMARY KEY,
    note TEXT NOT NULL,
    resolved_by_key TEXT NOT NULL,
    resolved_at TIMESTAMPTZ NOT NULL
);
