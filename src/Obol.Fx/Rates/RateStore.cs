using System.Globalization;
using Obol.Core;
using Obol.Core.Identity;
using Obol.Core.Storage;

namespace Obol.Fx.Rates;

/// <summary>A publication of rates as stored, with its id (quotes name it).</summary>
public sealed record StoredRateSet(string Id, RateSet Rates);

/// <summary>The fx_rate_sets and fx_rates tables: append-only, one set per source and publication time.</summary>
internal sealed class RateStore(IdGenerator ids)
{
    /// <summary>Stores a publication unless it is stored already (by this node or another); true if this call stored it.</summary>
    public async Task<bool> SaveAsync(DbSession session, RateSet set)
    {
        var id = ids.New("fxr");
        var inserted = await session.ExecuteAsync(
            """
            INSERT INTO fx_rate_sets (id, source, base_currency, published_at, fetched_at)
            VALUES (@id, @Source, @baseCurrency, @PublishedAt, @FetchedAt)
            ON CONFLICT (source, published_at) DO NOTHING
            """,
            new { id, set.Source, baseCurrency = set.Base.Code, set.PublishedAt, set.FetchedAt });
        if (inserted == 0)
        {
            return false;
        }

        await session.ExecuteAsync(
            "INSERT INTO fx_rates (rate_set_id, currency, per_base) VALUES (@id, @currency, @perBase)",
            set.PerBase.Select(r => new { id, currency = r.Key.Code, perBase = r.Value.ToString(CultureInfo.InvariantCulture) }));
        return true;
    }

    public async Task<StoredRateSet?> LatestAsync(DbSession session)
    {
        var head = await session.QuerySingleOrDefaultAsync<SetRow>(
            $"SELECT {SetRow.Columns} FROM fx_rate_sets ORDER BY published_at DESC, fetched_at LIMIT 1");
        return head is null ? null : await WithRatesAsync(session, head);
    }

    public async Task<StoredRateSet?> GetAsync(DbSession session, string id)
    {
        var head = await session.QuerySingleOrDefaultAsync<SetRow>($"SELECT {SetRow.Columns} FROM fx_rate_sets WHERE id = @id", new { id });
        return head is null ? null : await WithRatesAsync(session, head);
    }

    private static async Task<StoredRateSet> WithRatesAsync(DbSession session, SetRow head)
    {
        var rates = await session.QueryAsync<RateRow>(
            "SELECT currency AS Currency, per_base AS PerBase FROM fx_rates WHERE rate_set_id = @Id", new { head.Id });
        return new StoredRateSet(head.Id, new RateSet(
            head.Source,
            Currency.FromCode(head.BaseCurrency),
            head.PublishedAt,
            head.FetchedAt,
            rates.ToDictionary(r => Currency.FromCode(r.Currency), r => decimal.Parse(r.PerBase, CultureInfo.InvariantCulture))));
    }

    private sealed class SetRow
    {
        public const string Columns = "id AS Id, source AS Source, base_currency AS BaseCurrency, published_at AS PublishedAt, fetched_at AS FetchedAt";

        public string Id { get; init; } = "";
        public string Source { get; init; } = "";
        public string BaseCurrency { get; init; } = "";
        public DateTimeOffset PublishedAt { get; init; }
        public DateTimeOffset FetchedAt { get; init; }
    }

    private sealed class RateRow
    {
        public string Currency { get; init; } = "";
        public string PerBase { get; init; } = "";
    }
}
