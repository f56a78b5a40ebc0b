-- Every booking rewrites the balances of the accounts it touches. With room left on each page the new row
-- version stays on its page and no index changes (a HOT update); full pages send every update through all
-- three account indexes and bloat them. Applies to pages written from now on.
ALTER TABLE ledger_accounts SET (fillfactor = 50);
