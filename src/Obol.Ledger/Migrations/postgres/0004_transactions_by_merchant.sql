-- Fewer index entries per booked transfer. Transactions are keyed by (merchant_id, id): every look-up knows the
-- merchant, and the key also serves the merchant's newest-first list, which had an index of its own. Transfer ids
-- booked from now on are their transaction's id with the transfer's position appended, so a transaction's
-- transfers are found by primary key (transfer_count says how many); the index by transaction is kept only for
-- the transfers booked before, whose ids are 29 characters long.
ALTER TABLE ledger_transaction_metadata DROP CONSTRAINT ledger_transaction_metadata_transaction_id_fkey;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_reverses_transaction_id_fkey;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_pkey;
DROP INDEX ledger_transactions_merchant;
ALTER TABLE ledger_transactions ADD PRIMARY KEY (merchant_id, id);
ALTER TABLE ledger_transactions ADD COLUMN transfer_count INTEGER;

DROP INDEX ledger_transfers_transaction;
CREATE INDEX ledger_transfers_transaction ON ledger_transfers (transaction_id, position) WHERE length(id) = 29;
