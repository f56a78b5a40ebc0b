using Obol.Core.Errors;

namespace Obol.Fx;

/// <summary>FX's rejections, each with its stable code; the generic ones (validation, not found) are Core's <see cref="Problems"/>.</summary>
public static class FxProblems
{
    public static ProblemException RatesUnavailable(string from, string to) =>
        new(400, "fx_rate_unavailable", "No rate for this currency pair", $"No published rate converts {from} to {to}.");

    public static ProblemException RatesStale(DateTimeOffset publishedAt) =>
        new(503, "fx_rates_stale", "Exchange rates are out of date",
            $"The latest rates were published at {publishedAt:O}, longer ago than new quotes allow; try again once fresh rates are fetched.");

    public static ProblemException QuoteExpired(string id, DateTimeOffset expiresAt) =>
        new(409, "fx_quote_expired", "FX quote expired", $"Quote {id} expired at {expiresAt:O}; ask for a new one.");

    public static ProblemException QuoteUsed(string id) =>
        new(409, "fx_quote_used", "FX quote already used", $"Quote {id} was used already; a quote converts one payment.");

    public static ProblemException QuoteMismatch(string detail) =>
        new(400, "fx_quote_mismatch", "FX quote does not fit", detail);

    public static ProblemException AmountTooLarge(string detail) =>
        new(400, "amount_too_large", "Amount too large after conversion", detail);
}
