-- A chunk that matches report rows, or shows movements a run reported missing, finds the open discrepancies it
-- supersedes through these (and reports them superseded).
CREATE INDEX reconciliation_discrepancies_by_line ON reconciliation_discrepancies (psp, line_id);
CREATE INDEX reconciliation_discrepancies_missing_by_payment ON reconciliation_discrepancies (psp, payment_id) WHERE code = 'missing_from_report';
