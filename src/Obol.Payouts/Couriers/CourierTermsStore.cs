using NodaTime;
using Obol.Core;
using Obol.Core.Storage;

namespace Obol.Payouts.Couriers;

/// <summary>Reads and appends versions of courier terms.</summary>
internal static class CourierTermsStore
{
    /// <summary>SQL for the storage key of the courier <c>@courierId</c> of merchant <c>@merchantId</c>, for statements that have no terms at hand.</summary>
    public const string KeyOfCourier = "(SELECT courier_key FROM couriers WHERE merchant_id = @merchantId AND courier_id = @courierId)";

    private static readonly RowShape<string> CourierIds = new RowShape<string>().Text("courier", id => id);

    private const string Columns = """
        courier_key AS CourierKey, courier_id AS CourierId, version AS Version, effective_at AS EffectiveAt, time_zone AS TimeZone, currency AS Currency,
        base_pay_rate AS BasePayRate, bonus_pay AS BonusPay, deliveries_per_bonus AS DeliveriesPerBonus,
        cancellation_pay AS CancellationPay, pay_period_start_day AS PayPeriodStartDay
        """;

    public static async Task<CourierTermsHistory?> GetAsync(DbSession session, string merchantId, string courierId)
    {
        var all = await GetManyAsync(session, merchantId, [courierId]);
        return all.GetValueOrDefault(courierId);
    }

    public static async Task<Dictionary<string, CourierTermsHistory>> GetManyAsync(DbSession session, string merchantId, IReadOnlyCollection<string> courierIds)
    {
        if (courierIds.Count == 0)
        {
            return new Dictionary<string, CourierTermsHistory>(StringComparer.Ordinal);
        }

        var rows = await session.QueryAsync<TermsRow>(
            $"""
            SELECT {Columns}
            FROM {CourierIds.From(session, "ids", "k")} {session.JoinEach("courier_terms", "t", "t.merchant_id = @merchantId AND t.courier_id = k.courier")}
            ORDER BY courier_id, version
            """,
            CourierIds.Bind(session, "ids", courierIds, new { merchantId }));
        return rows.GroupBy(r => r.CourierId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new CourierTermsHistory(g.First().CourierKey, g.Select(r => r.ToTerms()).ToList()), StringComparer.Ordinal);
    }

    /// <summary>The merchant's terms epoch: raised by every appended version (0 before the first).</summary>
    public static Task<long> EpochAsync(DbSession session, string merchantId) =>
        session.ExecuteScalarAsync<long>(
            "SELECT coalesce((SELECT epoch FROM courier_terms_epochs WHERE merchant_id = @merchantId), 0)", new { merchantId });

    /// <summary>Appends a version and raises the merchant's epoch; the first version of a courier also gives it its key.</summary>
    public static async Task AppendAsync(DbSession session, string merchantId, CourierTerms terms, DateTimeOffset now)
    {
        if (terms.Version == 1)
        {
            // Two first PUTs at once: the second waits for the first and inserts nothing here, then fails on the
            // terms' primary key as it did before couriers had keys.
            await session.ExecuteAsync(
                "INSERT INTO couriers (merchant_id, courier_id) VALUES (@merchantId, @courierId) ON CONFLICT (merchant_id, courier_id) DO NOTHING",
                new { merchantId, courierId = terms.CourierId });
        }

        // Concurrent PUTs of one merchant's couriers queue here for the rest of their transactions; PUTs are rare.
        await session.ExecuteAsync(
            """
            INSERT INTO courier_terms_epochs (merchant_id, epoch) VALUES (@merchantId, 1)
            ON CONFLICT (merchant_id) DO UPDATE SET epoch = courier_terms_epochs.epoch + 1
            """,
            new { merchantId });
        await session.ExecuteAsync(
            $"""
            INSERT INTO courier_terms (merchant_id, courier_id, courier_key, version, effective_at, time_zone, currency, base_pay_rate,
                bonus_pay, deliveries_per_bonus, cancellation_pay, pay_period_start_day, created_at)
            VALUES (@merchantId, @courierId, {KeyOfCourier},
                @Version, @EffectiveAt, @TimeZone, @Currency, @BasePayRate, @BonusPay, @DeliveriesPerBonus, @CancellationPay, @StartDay, @now)
            """,
            new
            {
                merchantId,
                courierId = terms.CourierId,
                Version = (long)terms.Version,
                EffectiveAt = terms.EffectiveAt,
                TimeZone = terms.Zone.Id,
                Currency = terms.Currency.Code,
                terms.BasePayRate,
                terms.BonusPay,
                terms.DeliveriesPerBonus,
                terms.CancellationPay,
                StartDay = CourierTermsDecision.DayName(terms.PayPeriodStartDay),
                now = now,
            });
    }

    private sealed class TermsRow
    {
        public long CourierKey { get; init; }
        public string CourierId { get; init; } = "";
        public long Version { get; init; }
        public DateTimeOffset EffectiveAt { get; init; }
        public string TimeZone { get; init; } = "";
        public string Currency { get; init; } = "";
        public long BasePayRate { get; init; }
        public long BonusPay { get; init; }
        public long DeliveriesPerBonus { get; init; }
        public long CancellationPay { get; init; }
        public string PayPeriodStartDay { get; init; } = "";

        public CourierTerms ToTerms() => new()
        {
            CourierId = CourierId,
            Version = checked((int)Version),
            EffectiveAt = EffectiveAt,
            Zone = DateTimeZoneProviders.Tzdb[TimeZone],
            Currency = Obol.Core.Currency.FromCode(Currency),
            BasePayRate = BasePayRate,
            BonusPay = BonusPay,
            DeliveriesPerBonus = DeliveriesPerBonus,
            CancellationPay = CancellationPay,
            PayPeriodStartDay = CourierTermsDecision.TryParseDay(PayPeriodStartDay, out var day) ? day : IsoDayOfWeek.Monday,
        };
    }
}
