using NodaTime;
using Obol.Core.Storage;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.PayPeriods;

internal static class PayPeriodStatus
{
    public const string Open = "open";
    public const string Closed = "closed";
}

/// <summary>A stored pay period.</summary>
internal sealed class PayPeriodRow
{
    public const string Columns = """
        id AS Id, courier_id AS CourierId, start_date AS StartDate, end_date AS EndDate, starts_at AS StartsAt, ends_at AS EndsAt,
        time_zone AS TimeZone, currency AS Currency, status AS Status, base_pay AS BasePay, bonus_pay AS BonusPay,
        cancellation_pay AS CancellationPay, adjustments AS Adjustments, total AS Total, ledger_transaction_id AS LedgerTransactionId,
        payout_id AS PayoutId, created_at AS CreatedAt, closed_at AS ClosedAt
        """;

    public string Id { get; init; } = "";
    public string CourierId { get; init; } = "";
    public string StartDate { get; init; } = "";
    public string EndDate { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public string TimeZone { get; init; } = "";
    public string Currency { get; init; } = "";
    public string Status { get; init; } = "";
    public long? BasePay { get; init; }
    public long? BonusPay { get; init; }
    public long? CancellationPay { get; init; }
    public long? Adjustments { get; init; }
    public long? Total { get; init; }
    public string? LedgerTransactionId { get; init; }
    public string? PayoutId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
}

internal static class PayPeriodStore
{
    private static readonly RowShape<NewPeriod> NewPeriods = new RowShape<NewPeriod>()
        .Text("id", p => p.Id)
        .Text("courier_id", p => p.CourierId)
        .Text("start_date", p => p.StartDate)
        .Text("end_date", p => p.EndDate)
        .Timestamp("starts_at", p => p.StartsAt)
        .Timestamp("ends_at", p => p.EndsAt)
        .Text("time_zone", p => p.TimeZone)
        .Text("currency", p => p.Currency);

    /// <summary>Creates (if missing) the pay periods that contain these courier-days.</summary>
    public static async Task EnsureForDaysAsync(EngineWrite write, IEnumerable<(string CourierId, LocalDate Date)> days, IReadOnlyDictionary<string, CourierTermsHistory> terms)
    {
        var windows = new Dictionary<(string, LocalDate), (CourierTerms Terms, PayPeriodWindow Window)>();
        foreach (var (courierId, date) in days)
        {
            if (terms.TryGetValue(courierId, out var history))
            {
                var current = history.Current;
                var window = PayPeriodCalendar.For(date, current.PayPeriodStartDay, current.Zone);
                windows.TryAdd((courierId, window.StartDate), (current, window));
            }
        }

        if (windows.Count == 0)
        {
            return;
        }

        var rows = windows.Select(w => new NewPeriod(
            write.Ids.New("pp"), w.Key.Item1, DayPricing.Format(w.Value.Window.StartDate), DayPricing.Format(w.Value.Window.EndDate),
            w.Value.Window.StartsAt, w.Value.Window.EndsAt, w.Value.Terms.Zone.Id, w.Value.Terms.Currency.Code)).ToList();
        await write.Session.ExecuteAsync(
            $"""
            INSERT INTO pay_periods ({NewPeriods.Columns}, merchant_id, status, created_at)
            SELECT {NewPeriods.Columns}, @merchantId, 'open', @now FROM {NewPeriods.From(write.Session, "periods", "r")} WHERE true
            ON CONFLICT (merchant_id, courier_id, start_date) DO NOTHING
            """,
            NewPeriods.Bind(write.Session, "periods", rows, new { merchantId = write.MerchantId, now = write.Now }));
    }

    /// <summary>The first open period after the (closed) one containing <paramref name="date"/>, created if it does not exist yet.</summary>
    public static async Task<PayPeriodRow> NextOpenAfterAsync(EngineWrite write, string courierId, LocalDate date, CourierTermsHistory history)
    {
        var current = history.Current;
        var start = PayPeriodCalendar.For(date, current.PayPeriodStartDay, current.Zone).EndDate;
        while (true)
        {
            var window = PayPeriodCalendar.For(start, current.PayPeriodStartDay, current.Zone);
            await EnsureForDaysAsync(write, [(courierId, start)], new Dictionary<string, CourierTermsHistory> { [courierId] = history });
            var period = await write.Session.QuerySingleAsync<PayPeriodRow>(
                $"SELECT {PayPeriodRow.Columns} FROM pay_periods WHERE merchant_id = @merchantId AND courier_id = @courierId AND start_date = @start",
                new { merchantId = write.MerchantId, courierId, start = DayPricing.Format(window.StartDate) });
            if (period.Status == PayPeriodStatus.Open)
            {
                return period;
            }

            start = window.EndDate;
        }
    }

    public static Task<PayPeriodRow?> GetAsync(DbSession session, string merchantId, string id) =>
        session.QuerySingleOrDefaultAsync<PayPeriodRow>(
            $"SELECT {PayPeriodRow.Columns} FROM pay_periods WHERE merchant_id = @merchantId AND id = @id",
            new { merchantId, id });

    public static LocalDate ParseDate(string text) => DayPricing.ParseStored(text);

    private sealed record NewPeriod(
        string Id, string CourierId, string StartDate, string EndDate, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string TimeZone, string Currency);
}
