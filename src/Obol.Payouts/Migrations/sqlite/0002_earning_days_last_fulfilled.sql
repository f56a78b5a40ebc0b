-- The day's last paid fulfillment (its terms decide the bonus), kept on the row so ingestion can add new deliveries
-- to a day without re-reading all of that day's deliveries.
ALTER TABLE earning_days ADD COLUMN last_fulfilled_at TEXT;
UPDATE earning_days SET last_fulfilled_at = (
    SELECT max(d.fulfilled_at) FROM deliveries d
    WHERE d.merchant_id = earning_days.merchant_id AND d.courier_id = earning_days.courier_id
        AND d.local_date = earning_days.local_date AND d.completed = 1);
