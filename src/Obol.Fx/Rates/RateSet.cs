using Obol.Core;

namespace Obol.Fx.Rates;

/// <summary>
/// One publication of reference rates: how many units of each currency one <see cref="Base"/> buys, with where the
/// rates came from, when their publisher published them and when Obol fetched them.
/// </summary>
public sealed record RateSet(
    string Source,
    Currency Base,
    DateTimeOffset PublishedAt,
    DateTimeOffset FetchedAt,
    IReadOnlyDictionary<Currency, decimal> PerBase)
{
    /// <summary>The mid rate from one currency to another, crossed through the base; null if either is not published.</summary>
    public decimal? Rate(Currency from, Currency to)
    {
        if (from == to)
        {
            return 1m;
        }

        return PerUnit(from) is { } fromPerBase && PerUnit(to) is { } toPerBase ? Conversion.Cross(fromPerBase, toPerBase) : null;
    }

    private decimal? PerUnit(Currency currency) =>
        currency == Base ? 1m : PerBase.TryGetValue(currency, out var rate) ? rate : null;
}
