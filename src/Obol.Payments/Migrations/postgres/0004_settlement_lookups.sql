-- Reconciliation finds a settlement report's payment by the PSP's own reference for it.
CREATE INDEX payments_psp_reference ON payments (psp, psp_reference);

-- And lists the captures and refunds Obol recorded in a day, to find those a report left out. Only money
-- movements are indexed, so other history rows cost nothing extra.
CREATE INDEX payment_events_money_movements ON payment_events (created_at)
    WHERE type IN ('payment.captured', 'refund.succeeded');
