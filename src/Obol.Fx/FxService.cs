using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Fx.Quotes;
using Obol.Fx.Rates;

namespace Obol.Fx;

internal sealed class FxService(RateStore rates, QuoteStore quotes, SettlementCurrencyStore settlement, FxOptions options, IdGenerator ids, TimeProvider clock) : IFx
{
    public Task<Currency?> SettlementCurrencyAsync(DbSession session, string merchantId) => settlement.CurrentAsync(session, merchantId);

    public async Task<FxQuote> CreateQuoteAsync(DbSession session, string merchantId, Currency from, Currency to, long? amount, TimeSpan lockDuration)
    {
        var latest = await rates.LatestAsync(session) ?? throw FxProblems.RatesUnavailable(from.Code, to.Code);
        var now = StoredInstant.Of(clock.GetUtcNow());
        if (now - latest.Rates.PublishedAt > options.MaxRateAge)
        {
            throw FxProblems.RatesStale(latest.Rates.PublishedAt);
        }

        var mid = latest.Rates.Rate(from, to) ?? throw FxProblems.RatesUnavailable(from.Code, to.Code);
        var margin = from == to ? 0 : options.MarginFor(merchantId);
        var rate = Conversion.LessMargin(mid, margin);
        long? converted = null;
        if (amount is { } value)
        {
            try
            {
                converted = Conversion.Convert(new Money(value, from), to, rate).MinorUnits;
            }
            catch (OverflowException)
            {
                throw FxProblems.AmountTooLarge($"{value} {from.Code} minor units converted to {to.Code} do not fit in a 64-bit count of minor units.");
            }
        }

        var quote = new FxQuote
        {
            Id = ids.New("fxq"),
            MerchantId = merchantId,
            From = from,
            To = to,
            MidRate = mid,
            MarginBasisPoints = margin,
            Rate = rate,
            Amount = amount,
            ConvertedAmount = converted,
            RateSetId = latest.Id,
            RateSource = latest.Rates.Source,
            RatePublishedAt = latest.Rates.PublishedAt,
            CreatedAt = now,
            ExpiresAt = StoredInstant.Of(now + lockDuration),
        };
        await quotes.InsertAsync(session, quote);
        return quote;
    }

    public async Task<FxQuote> UseQuoteAsync(DbSession session, string merchantId, string quoteId, Money amount, string usedBy) =>
        await UseAsync(session, await quotes.GetAsync(session, merchantId, quoteId) ?? throw Problems.Validation("fxQuote", $"No FX quote with id '{quoteId}'."),
            amount, usedBy);

    public async Task<FxQuote> TakeQuoteAsync(DbSession session, string merchantId, Money amount, Currency to, string usedBy) =>
        await UseAsync(session, await CreateQuoteAsync(session, merchantId, amount.Currency, to, amount.MinorUnits, options.DefaultLockDuration), amount, usedBy);

    private async Task<FxQuote> UseAsync(DbSession session, FxQuote quote, Money amount, string usedBy)
    {
        if (quote.From != amount.Currency)
        {
            throw FxProblems.QuoteMismatch($"Quote {quote.Id} converts {quote.From.Code}, not {amount.Currency.Code}.");
        }

        if (quote.Amount is { } quoted && quoted != amount.MinorUnits)
        {
            throw FxProblems.QuoteMismatch($"Quote {quote.Id} is for {quoted} {quote.From.Code} minor units, not {amount.MinorUnits}.");
        }

        var now = StoredInstant.Of(clock.GetUtcNow());
        if (quote.UsedBy is not null)
        {
            throw FxProblems.QuoteUsed(quote.Id);
        }

        if (now >= quote.ExpiresAt)
        {
            throw FxProblems.QuoteExpired(quote.Id, quote.ExpiresAt);
        }

        try
        {
            quote.Settle(amount);
        }
        catch (OverflowException)
        {
            throw FxProblems.AmountTooLarge($"{amount} at {quote.Rate} does not fit in {quote.To.Code} minor units.");
        }

        if (!await quotes.UseAsync(session, quote.Id, usedBy, now))
        {
            throw FxProblems.QuoteUsed(quote.Id);
        }

        return quote with { UsedBy = usedBy, UsedAt = now };
    }

    public Task<FxQuote?> GetQuoteAsync(DbSession session, string merchantId, string quoteId) => quotes.GetAsync(session, merchantId, quoteId);

    public async Task<(decimal Rate, StoredRateSet Rates)?> LatestMidRateAsync(DbSession session, Currency from, Currency to) =>
        await rates.LatestAsync(session) is { } latest && latest.Rates.Rate(from, to) is { } rate ? (rate, latest) : null;
}
