using System.Globalization;
using Obol.Core;
using Obol.Core.Storage;

namespace Obol.Fx.Quotes;

/// <summary>The fx_quotes and fx_quote_uses tables, append-only. Every write happens inside the caller's unit of work.</summary>
internal sealed class QuoteStore
{
    private const string Select = """
        SELECT q.id AS Id, q.merchant_id AS MerchantId, q.from_currency AS FromCurrency, q.to_currency AS ToCurrency, q.mid_rate AS MidRate,
               q.margin_bps AS MarginBasisPoints, q.rate AS Rate, q.amount AS Amount, q.converted_amount AS ConvertedAmount, q.rate_set_id AS RateSetId,
               s.source AS RateSource, s.published_at AS RatePublishedAt, q.created_at AS CreatedAt, q.expires_at AS ExpiresAt,
               u.used_by AS UsedBy, u.used_at AS UsedAt
        FROM fx_quotes q JOIN fx_rate_sets s ON s.id = q.rate_set_id LEFT JOIN fx_quote_uses u ON u.quote_id = q.id
        """;

    public Task InsertAsync(DbSession session, FxQuote quote) =>
        session.ExecuteAsync(
            """
            INSERT INTO fx_quotes (id, merchant_id, from_currency, to_currency, rate_set_id, mid_rate, margin_bps, rate, amount, converted_amount, created_at, expires_at)
            VALUES (@Id, @MerchantId, @fromCurrency, @toCurrency, @RateSetId, @midRate, @MarginBasisPoints, @rate, @Amount, @ConvertedAmount, @CreatedAt, @ExpiresAt)
            """,
            new
            {
                quote.Id,
                quote.MerchantId,
                fromCurrency = quote.From.Code,
                toCurrency = quote.To.Code,
                quote.RateSetId,
                midRate = quote.MidRate.ToString(CultureInfo.InvariantCulture),
                quote.MarginBasisPoints,
                rate = quote.Rate.ToString(CultureInfo.InvariantCulture),
                quote.Amount,
                quote.ConvertedAmount,
                quote.CreatedAt,
                quote.ExpiresAt,
            });

    /// <summary>Marks a quote used; false if it was used already (a concurrent use waits for the first to commit, then finds it).</summary>
    public async Task<bool> UseAsync(DbSession session, string quoteId, string usedBy, DateTimeOffset now) =>
        await session.ExecuteAsync(
            "INSERT INTO fx_quote_uses (quote_id, used_by, used_at) VALUES (@quoteId, @usedBy, @now) ON CONFLICT (quote_id) DO NOTHING",
            new { quoteId, usedBy, now }) == 1;

    public async Task<FxQuote?> GetAsync(DbSession session, string merchantId, string id) =>
        (await session.QuerySingleOrDefaultAsync<Row>($"{Select} WHERE q.id = @id AND q.merchant_id = @merchantId", new { id, merchantId }))?.ToDomain();

    private sealed class Row
    {
        public string Id { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string FromCurrency { get; init; } = "";
        public string ToCurrency { get; init; } = "";
        public string MidRate { get; init; } = "";
        public int MarginBasisPoints { get; init; }
        public string Rate { get; init; } = "";
        public long? Amount { get; init; }
        public long? ConvertedAmount { get; init; }
        public string RateSetId { get; init; } = "";
        public string RateSource { get; init; } = "";
        public DateTimeOffset RatePublishedAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset ExpiresAt { get; init; }
        public string? UsedBy { get; init; }
        public DateTimeOffset? UsedAt { get; init; }

        public FxQuote ToDomain() => new()
        {
            Id = Id,
            MerchantId = MerchantId,
            From = Currency.FromCode(FromCurrency),
            To = Currency.FromCode(ToCurrency),
            MidRate = decimal.Parse(MidRate, CultureInfo.InvariantCulture),
            MarginBasisPoints = MarginBasisPoints,
            Rate = decimal.Parse(Rate, CultureInfo.InvariantCulture),
            Amount = Amount,
            ConvertedAmount = ConvertedAmount,
            RateSetId = RateSetId,
            RateSource = RateSource,
            RatePublishedAt = RatePublishedAt,
            CreatedAt = CreatedAt,
            ExpiresAt = ExpiresAt,
            UsedBy = UsedBy,
            UsedAt = UsedAt,
        };
    }
}
