-- A capture or cancel attempt remembers the Idempotency-Key it was asked for under. A request sent again after the first
-- phase committed (the process died before answering, or the COMMIT's answer was lost) continues that attempt, or is
-- answered with its outcome, instead of being refused while it is in flight or after it is done.
ALTER TABLE payment_attempts ADD COLUMN idempotency_key TEXT;

-- Reconciliation lists the PSP reports that contradicted Obol and could not be applied (kept on the payment's history).
CREATE INDEX payment_events_psp_reports ON payment_events (created_at)
    WHERE type IN ('payment.psp_reported_success', 'payment.psp_reported_failure');
