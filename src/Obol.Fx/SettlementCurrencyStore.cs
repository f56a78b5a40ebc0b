using Obol.Core;
using Obol.Core.Identity;
using Obol.Core.Storage;

namespace Obol.Fx;

/// <summary>The fx_settlement_currencies table: each change appended, the latest in force.</summary>
internal sealed class SettlementCurrencyStore(IdGenerator ids)
{
    public async Task<Currency?> CurrentAsync(DbSession session, string merchantId)
    {
        var row = await session.QuerySingleOrDefaultAsync<Row>(
            "SELECT currency AS Currency FROM fx_settlement_currencies WHERE merchant_id = @merchantId ORDER BY set_at DESC, id DESC LIMIT 1",
            new { merchantId });
        return row?.Currency is { } code ? Currency.FromCode(code) : null;
    }

    public Task SetAsync(DbSession session, string merchantId, Currency? currency, DateTimeOffset now) =>
        session.ExecuteAsync(
            "INSERT INTO fx_settlement_currencies (id, merchant_id, currency, set_at) VALUES (@id, @merchantId, @currency, @now)",
            new { id = ids.New("fxs"), merchantId, currency = currency?.Code, now });

    private sealed class Row
    {
        public string? Currency { get; init; }
    }
}
