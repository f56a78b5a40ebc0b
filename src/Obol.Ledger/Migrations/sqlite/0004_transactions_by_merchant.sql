-- Fewer index entries per booked transfer; see the PostgreSQL migration of the same name. SQLite cannot change a
-- primary key or drop a foreign key in place, so the transactions table and its metadata (whose foreign key points
-- at the old key; rebuilt first, so dropping the old transactions table leaves no rows pointing at it) are rebuilt.
CREATE TABLE ledger_transaction_metadata_keyed (
    merchant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    PRIMARY KEY (merchant_id, key, value, transaction_id)
);
INSERT INTO ledger_transaction_metadata_keyed (merchant_id, key, value, transaction_id)
SELECT merchant_id, key, value, transaction_id FROM ledger_transaction_metadata;
DROP TABLE ledger_transaction_metadata;
ALTER TABLE ledger_transaction_metadata_keyed RENAME TO ledger_transaction_metadata;

CREATE TABLE ledger_transactions_keyed (
    id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    external_id TEXT,
    description TEXT,
    metadata TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reverses_transaction_id TEXT,
    transfer_count INTEGER,
    PRIMARY KEY (merchant_id, id)
) WITHOUT ROWID;
INSERT INTO ledger_transactions_keyed (id, merchant_id, external_id, description, metadata, effective_at, created_at, reverses_transaction_id)
SELECT id, merchant_id, external_id, description, metadata, effective_at, created_at, reverses_transaction_id FROM ledger_transactions;
DROP TABLE ledger_transactions;
ALTER TABLE ledger_transactions_keyed RENAME TO ledger_transactions;
CREATE UNIQUE INDEX ledger_transactions_external_id ON ledger_transactions (merchant_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_transactions_reverses ON ledger_transactions (reverses_transaction_id) WHERE reverses_transaction_id IS NOT NULL;
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on ledger_transactions is refused'); END;
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE on ledger_transactions is refused'); END;

DROP INDEX ledger_transfers_transaction;
CREATE INDEX ledger_transfers_transaction ON ledger_transfers (transaction_id, position) WHERE length(id) = 29;
