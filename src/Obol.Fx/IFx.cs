using Obol.Core;
using Obol.Core.Storage;
using Obol.Fx.Quotes;
using Obol.Fx.Rates;

namespace Obol.Fx;

/// <summary>What other modules ask of FX, inside their own unit of work.</summary>
public interface IFx
{
    /// <summary>The currency the merchant settles in, or null: each payment settles in its own currency.</summary>
    Task<Currency?> SettlementCurrencyAsync(DbSession session, string merchantId);

    /// <summary>
    /// Uses the merchant's quote <paramref name="quoteId"/> for <paramref name="amount"/> on behalf of <paramref name="usedBy"/>:
    /// it must convert from the amount's currency (and, if it was asked for an amount, that amount), be unexpired and unused.
    /// Throws the <see cref="FxProblems"/> 409s and 400s otherwise; rolled back, the use is undone with the caller's work.
    /// </summary>
    Task<FxQuote> UseQuoteAsync(DbSession session, string merchantId, string quoteId, Money amount, string usedBy);

    /// <summary>Takes a new quote at the current rates (refused if they are stale) and uses it at once.</summary>
    Task<FxQuote> TakeQuoteAsync(DbSession session, string merchantId, Money amount, Currency to, string usedBy);

    Task<FxQuote?> GetQuoteAsync(DbSession session, string merchantId, string quoteId);

    /// <summary>
    /// The latest mid rate from one currency to another, however old (money the PSP already moved must be booked), with the
    /// publication it comes from; null if no publication prices both currencies.
    /// </summary>
    Task<(decimal Rate, StoredRateSet Rates)?> LatestMidRateAsync(DbSession session, Currency from, Currency to);
}
