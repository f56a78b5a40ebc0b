-- One reconciliation of one PSP settlement report: recorded when it starts, its counts filled in when it ends
-- (status running, completed, or failed with the reason). What it booked is in settlement_lines.
CREATE TABLE reconciliation_runs (
    id TEXT PRIMARY KEY,
    psp TEXT NOT NULL,
    report_date TEXT NOT NULL,
    source TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    line_count INTEGER NOT NULL,
    status TEXT NOT NULL,
    matched INTEGER,
    already_reconciled INTEGER,
    discrepancy_count INTEGER,
    failure TEXT,
    started_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX reconciliation_runs_by_date ON reconciliation_runs (psp, report_date, started_at);

-- Each report row as one run saw it, and what the run made of it. Never updated: a row that was a discrepancy is
-- looked at again by a later run (a new observation), a row that matched is booked once and then only recognised.
CREATE TABLE settlement_lines (
    run_id TEXT NOT NULL,
    line_number INTEGER NOT NULL,
    psp TEXT NOT NULL,
    line_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payment_reference TEXT,
    movement_reference TEXT,
    merchant_reference TEXT,
    gross BIGINT NOT NULL,
    fee BIGINT NOT NULL,
    currency TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payment_id TEXT,
    merchant_id TEXT,
    refund_id TEXT,
    outcome TEXT NOT NULL,
    ledger_transaction_id TEXT,
    PRIMARY KEY (run_id, line_number)
);
CREATE INDEX settlement_lines_by_line ON settlement_lines (psp, line_id);
CREATE INDEX settlement_lines_by_payment ON settlement_lines (payment_id);
-- A report row is booked once, and so is each capture and refund, whatever rows claim it.
CREATE UNIQUE INDEX settlement_lines_booked_once ON settlement_lines (psp, line_id) WHERE outcome = 'matched';
CREATE UNIQUE INDEX settlement_lines_movement_booked_once ON settlement_lines (psp, kind, payment_id, coalesce(refund_id, ''))
    WHERE outcome = 'matched';

-- What a run found that it could not book.
CREATE TABLE reconciliation_discrepancies (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    psp TEXT NOT NULL,
    code TEXT NOT NULL,
    line_id TEXT,
    payment_id TEXT,
    merchant_id TEXT,
    refund_id TEXT,
    currency TEXT,
    expected_amount BIGINT,
    reported_amount BIGINT,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reconciliation_discrepancies_by_run ON reconciliation_discrepancies (run_id, id);
