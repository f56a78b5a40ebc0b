-- Which days the scheduled reconciliation has done (run_id) or is doing (a claim until claimed_until), per PSP, so
-- that any number of nodes reconcile each day once.
CREATE TABLE reconciliation_schedule (
    psp TEXT NOT NULL,
    report_date TEXT NOT NULL,
    claimed_until TEXT NOT NULL,
    run_id TEXT,
    PRIMARY KEY (psp, report_date)
);
