-- Every publication of reference rates Obol fetched, kept for good: a quote names the one it was priced from.
CREATE TABLE fx_rate_sets (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    base_currency TEXT NOT NULL,
    published_at TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    -- Nodes fetch on their own; the first to store a publication keeps it.
    UNIQUE (source, published_at)
);
CREATE INDEX fx_rate_sets_latest ON fx_rate_sets (source, published_at DESC);

-- Units of the currency per one base unit, as the publisher wrote it (decimal text: exact on both databases).
CREATE TABLE fx_rates (
    rate_set_id TEXT NOT NULL REFERENCES fx_rate_sets (id),
    currency TEXT NOT NULL,
    per_base TEXT NOT NULL,
    PRIMARY KEY (rate_set_id, currency)
);

CREATE TABLE fx_quotes (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    from_currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    rate_set_id TEXT NOT NULL REFERENCES fx_rate_sets (id),
    mid_rate TEXT NOT NULL,
    margin_bps INTEGER NOT NULL,
    rate TEXT NOT NULL,
    amount BIGINT,
    converted_amount BIGINT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX fx_quotes_merchant ON fx_quotes (merchant_id, id);

-- A quote is used at most once: the primary key refuses a second use, whoever commits second.
CREATE TABLE fx_quote_uses (
    quote_id TEXT PRIMARY KEY REFERENCES fx_quotes (id),
    used_by TEXT NOT NULL,
    used_at TEXT NOT NULL
);

-- Each merchant's settlement currency as it was set over time; the latest row is in force. NULL: settle in the payment's currency.
CREATE TABLE fx_settlement_currencies (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    currency TEXT,
    set_at TEXT NOT NULL
);
CREATE INDEX fx_settlement_currencies_merchant ON fx_settlement_currencies (merchant_id, set_at DESC, id DESC);

CREATE TRIGGER fx_rate_sets_no_update BEFORE UPDATE ON fx_rate_sets BEGIN SELECT RAISE(ABORT, 'fx_rate_sets is append-only'); END;
CREATE TRIGGER fx_rate_sets_no_delete BEFORE DELETE ON fx_rate_sets BEGIN SELECT RAISE(ABORT, 'fx_rate_sets is append-only'); END;
CREATE TRIGGER fx_rates_no_update BEFORE UPDATE ON fx_rates BEGIN SELECT RAISE(ABORT, 'fx_rates is append-only'); END;
CREATE TRIGGER fx_rates_no_delete BEFORE DELETE ON fx_rates BEGIN SELECT RAISE(ABORT, 'fx_rates is append-only'); END;
CREATE TRIGGER fx_quotes_no_update BEFORE UPDATE ON fx_quotes BEGIN SELECT RAISE(ABORT, 'fx_quotes is append-only'); END;
CREATE TRIGGER fx_quotes_no_delete BEFORE DELETE ON fx_quotes BEGIN SELECT RAISE(ABORT, 'fx_quotes is append-only'); END;
CREATE TRIGGER fx_quote_uses_no_update BEFORE UPDATE ON fx_quote_uses BEGIN SELECT RAISE(ABORT, 'fx_quote_uses is append-only'); END;
CREATE TRIGGER fx_quote_uses_no_delete BEFORE DELETE ON fx_quote_uses BEGIN SELECT RAISE(ABORT, 'fx_quote_uses is append-only'); END;
CREATE TRIGGER fx_settlement_currencies_no_update BEFORE UPDATE ON fx_settlement_currencies BEGIN SELECT RAISE(ABORT, 'fx_settlement_currencies is append-only'); END;
CREATE TRIGGER fx_settlement_currencies_no_delete BEFORE DELETE ON fx_settlement_currencies BEGIN SELECT RAISE(ABORT, 'fx_settlement_currencies is append-only'); END;
