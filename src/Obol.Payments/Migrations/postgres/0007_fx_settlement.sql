-- A payment converted into the merchant's settlement currency (#24): the quote it uses, that quote's rate, and what its
-- captures credited and its refunds took back, in the settlement currency.
ALTER TABLE payments ADD COLUMN fx_quote_id TEXT;
ALTER TABLE payments ADD COLUMN fx_rate TEXT;
ALTER TABLE payments ADD COLUMN settlement_currency TEXT;
ALTER TABLE payments ADD COLUMN settlement_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN settlement_amount_refunded BIGINT NOT NULL DEFAULT 0;

-- A refund of a converted payment: what it took back from the merchant in the settlement currency, and the day's mid rate
-- its cost was valued at (the difference is the platform's FX gain or loss).
ALTER TABLE refunds ADD COLUMN settlement_amount BIGINT;
ALTER TABLE refunds ADD COLUMN settlement_currency TEXT;
ALTER TABLE refunds ADD COLUMN fx_rate TEXT;
