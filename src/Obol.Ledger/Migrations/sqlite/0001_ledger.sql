-- Accounts carry their balances as a cache of the entries, updated in the same transaction as the entries.
CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY,
    merchant_id TEXT,
    code TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    currency TEXT NOT NULL,
    owner_type TEXT NOT NULL CHECK (owner_type IN ('platform', 'merchant', 'courier')),
    owner_id TEXT,
    metadata TEXT NOT NULL,
    debits_must_not_exceed_credits INTEGER NOT NULL,
    credits_must_not_exceed_debits INTEGER NOT NULL,
    debits_posted INTEGER NOT NULL DEFAULT 0,
    credits_posted INTEGER NOT NULL DEFAULT 0,
    debits_pending INTEGER NOT NULL DEFAULT 0,
    credits_pending INTEGER NOT NULL DEFAULT 0,
    last_sequence INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits))
);
-- merchant_id NULL is the platform's own books; codes are unique within each merchant's books.
CREATE UNIQUE INDEX ledger_accounts_code ON ledger_accounts (COALESCE(merchant_id, ''), code);
CREATE INDEX ledger_accounts_merchant ON ledger_accounts (merchant_id, id);

CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    external_id TEXT,
    description TEXT,
    metadata TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reverses_transaction_id TEXT REFERENCES ledger_transactions (id)
);
CREATE UNIQUE INDEX ledger_transactions_external_id ON ledger_transactions (merchant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX ledger_transactions_merchant ON ledger_transactions (merchant_id, id);
-- A transaction is reversed at most once.
CREATE UNIQUE INDEX ledger_transactions_reverses ON ledger_transactions (reverses_transaction_id) WHERE reverses_transaction_id IS NOT NULL;

CREATE TABLE ledger_transaction_metadata (
    merchant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    PRIMARY KEY (merchant_id, key, value, transaction_id)
);

-- kind: posted (single phase), pending (a hold), and the three ways a hold ends: post_pending, void_pending, expire_pending.
-- Transfers and entries carry no foreign keys to accounts and transactions: the bookkeeper writes them only for
-- accounts it has just locked and read, and a per-row key check would cost more than the row itself.
-- Verification recomputes every account from its entries instead.
CREATE TABLE ledger_transfers (
    id TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending', 'expire_pending')),
    debit_account_id TEXT NOT NULL,
    credit_account_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    pending_transfer_id TEXT REFERENCES ledger_transfers (id),
    expires_at TEXT,
    created_at TEXT NOT NULL,
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX ledger_transfers_transaction ON ledger_transfers (transaction_id, position);
-- A hold ends once: at most one transfer posts, voids or expires it.
CREATE UNIQUE INDEX ledger_transfers_pending ON ledger_transfers (pending_transfer_id) WHERE pending_transfer_id IS NOT NULL;

-- Open holds: a work list (deleted when the hold is posted, voided or expired), not part of the books.
CREATE TABLE ledger_pending_holds (
    transfer_id TEXT PRIMARY KEY REFERENCES ledger_transfers (id),
    expires_at TEXT
);
CREATE INDEX ledger_pending_holds_expiry ON ledger_pending_holds (expires_at) WHERE expires_at IS NOT NULL;

-- One entry per transfer per account. posted_amount / pending_amount are the change on the entry's side;
-- the four balance columns are the account's balances after the entry.
CREATE TABLE ledger_entries (
    account_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    transfer_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    posted_amount INTEGER NOT NULL,
    pending_amount INTEGER NOT NULL,
    debits_posted INTEGER NOT NULL,
    credits_posted INTEGER NOT NULL,
    debits_pending INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    effective_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, sequence)
) WITHOUT ROWID;
CREATE INDEX ledger_entries_booked ON ledger_entries (account_id, created_at, sequence);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on ledger_entries is refused'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE on ledger_entries is refused'); END;
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on ledger_transfers is refused'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE on ledger_transfers is refused'); END;
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on ledger_transactions is refused'); END;
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE on ledger_transactions is refused'); END;
