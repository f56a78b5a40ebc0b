using Obol.Fx.Quotes;
using Obol.Fx.Rates;

namespace Obol.Fx.Api;

/// <param name="LockDuration">How long the rate is held, as an ISO 8601 duration (<c>PT5M</c>, <c>PT1H</c>); 5 minutes when left out.</param>
/// <param name="Amount">In <paramref name="From"/>'s minor units; a quote with an amount converts that amount only.</param>
public sealed record CreateQuoteRequest(string? From, string? To, long? Amount, string? LockDuration);

public sealed record QuoteResponse(
    string Id,
    string From,
    string To,
    decimal MidRate,
    int MarginBps,
    decimal Rate,
    long? Amount,
    long? ConvertedAmount,
    RateProvenance RateSource,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? UsedBy,
    DateTimeOffset? UsedAt)
{
    internal static QuoteResponse Of(FxQuote q) => new(
        q.Id, q.From.Code, q.To.Code, q.MidRate, q.MarginBasisPoints, q.Rate, q.Amount, q.ConvertedAmount,
        new RateProvenance(q.RateSetId, q.RateSource, q.RatePublishedAt, null), q.CreatedAt, q.ExpiresAt, q.UsedBy, q.UsedAt);
}

/// <summary>Where a rate comes from: the stored publication, its publisher, when it was published and when Obol fetched it.</summary>
public sealed record RateProvenance(string Id, string Source, DateTimeOffset PublishedAt, DateTimeOffset? FetchedAt);

public sealed record RateResponse(string Currency, decimal Rate);

/// <param name="Base">The currency the rates convert from: the request's <c>base</c>, or the publisher's own base.</param>
/// <param name="Stale">Published longer ago than new quotes allow (<c>Obol:Fx:MaxRateAge</c>).</param>
public sealed record RatesResponse(string Base, RateProvenance Provenance, bool Stale, IReadOnlyList<RateResponse> Rates)
{
    internal static RatesResponse From(StoredRateSet set, Obol.Core.Currency baseCurrency, bool stale) => new(
        baseCurrency.Code,
        new RateProvenance(set.Id, set.Rates.Source, set.Rates.PublishedAt, set.Rates.FetchedAt),
        stale,
        set.Rates.PerBase.Keys.Append(set.Rates.Base)
            .Where(c => c != baseCurrency)
            .OrderBy(c => c.Code, StringComparer.Ordinal)
            .Select(c => new RateResponse(c.Code, set.Rates.Rate(baseCurrency, c)!.Value))
            .ToList());
}

/// <param name="SettlementCurrency">Payments in another currency are converted into it; left out, each payment settles in its own currency.</param>
public sealed record FxSettingsRequest(string? SettlementCurrency);

public sealed record FxSettingsResponse(string? SettlementCurrency, int MarginBps);
