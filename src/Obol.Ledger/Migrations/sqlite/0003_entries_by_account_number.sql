-- Entries are keyed by a per-account integer instead of the account's text id, and their one index is the primary
-- key (account_no, sequence); see the PostgreSQL migration of the same name.
ALTER TABLE ledger_accounts ADD COLUMN number INTEGER;
ALTER TABLE ledger_accounts ADD COLUMN last_entry_at TEXT;
UPDATE ledger_accounts SET number = rowid;
CREATE UNIQUE INDEX ledger_accounts_number ON ledger_accounts (number);
-- A new account gets the next number, as PostgreSQL's identity column gives it (the single writer makes MAX + 1 safe).
CREATE TRIGGER ledger_accounts_numbered AFTER INSERT ON ledger_accounts WHEN NEW.number IS NULL
BEGIN UPDATE ledger_accounts SET number = (SELECT COALESCE(MAX(number), 0) + 1 FROM ledger_accounts) WHERE id = NEW.id; END;

CREATE TABLE ledger_entries_numbered (
    account_no INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    transfer_id TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    posted_amount INTEGER NOT NULL,
    pending_amount INTEGER NOT NULL,
    debits_posted INTEGER NOT NULL,
    credits_posted INTEGER NOT NULL,
    debits_pending INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_no, sequence)
) WITHOUT ROWID;
-- An entry booked with a clock reading older than the entry before it keeps the later time (see PostgreSQL's).
INSERT INTO ledger_entries_numbered
SELECT a.number, e.sequence, e.transfer_id, e.side, e.posted_amount, e.pending_amount,
       e.debits_posted, e.credits_posted, e.debits_pending, e.credits_pending,
       MAX(e.created_at) OVER (PARTITION BY e.account_id ORDER BY e.sequence)
FROM ledger_entries e LEFT JOIN ledger_accounts a ON a.id = e.account_id
ORDER BY a.number, e.sequence;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_numbered RENAME TO ledger_entries;
UPDATE ledger_accounts SET last_entry_at = (SELECT MAX(e.created_at) FROM ledger_entries e WHERE e.account_no = ledger_accounts.number)
WHERE last_sequence > 0;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on ledger_entries is refused'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE on ledger_entries is refused'); END;
