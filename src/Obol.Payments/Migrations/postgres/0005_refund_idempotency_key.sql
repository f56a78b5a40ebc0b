-- A refund remembers the Idempotency-Key it was asked for under. A request sent again after the refund's first
-- phase committed (the process died before answering, or the COMMIT's answer was lost) continues that refund and
-- its PSP attempt instead of starting a second one.
ALTER TABLE refunds ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX refunds_idempotency_key ON refunds (merchant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
