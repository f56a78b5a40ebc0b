-- A counter per merchant that every new version of a courier's terms raises, in the same transaction. Ingestion
-- keeps couriers' terms in memory and reads only this counter per batch: an unchanged counter means no courier of
-- the merchant has new terms since they were read.
CREATE TABLE courier_terms_epochs (
    merchant_id TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
