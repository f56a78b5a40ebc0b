-- The ledger's pending transfer that holds an authorized amount until it is captured (posted) or cancelled (voided).
ALTER TABLE payments ADD COLUMN ledger_hold_transfer_id TEXT;
