using NodaTime;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Core.Time;
using Obol.Payouts.Couriers;

namespace Obol.Payouts.Earnings;

public sealed record EarningsDay(string Date, long Minutes, long Deliveries, long BasePay, long BonusPay, long Cancellations, long CancellationPay, long Total);

public sealed record EarningsLineItem(string OrderId, string Kind, DateTimeOffset? AcceptedAt, DateTimeOffset? FulfilledAt, DateTimeOffset? CancelledAt, long Minutes, long Amount, string Date);

public sealed record EarningsAdjustment(string Id, string PeriodId, string Date, string OriginDate, long Amount, string Reason);

public sealed record EarningsResponse(
    string CourierId,
    string Currency,
    string TimeZone,
    string From,
    string To,
    long BasePay,
    long BonusPay,
    long CancellationPay,
    long Adjustments,
    long Total,
    long TotalToDate,
    IReadOnlyList<EarningsDay> Days,
    IReadOnlyList<EarningsLineItem> LineItems,
    IReadOnlyList<EarningsAdjustment> AdjustmentItems);

/// <summary>
/// Earnings over courier-local dates [from, to]: day aggregates and line items are index range scans on
/// (merchant, courier, local date). Days of closed periods show what was paid; later changes to them appear as
/// adjustments on the first day of the period that pays them.
/// </summary>
internal static class EarningsQuery
{
    public const int MaxDays = 366;

    public static (LocalDate From, LocalDate To) ParseRange(string? from, string? to)
    {
        var errors = new ValidationErrors();
        var fromDate = ApiTime.RequiredDate(errors, "from", from);
        var toDate = ApiTime.RequiredDate(errors, "to", to);
        errors.ThrowIfAny();
        if (toDate < fromDate)
        {
            throw Problems.Validation("to", "Must not be before from.");
        }

        if (Period.Between(fromDate, toDate, PeriodUnits.Days).Days >= MaxDays)
        {
            throw Problems.Validation("to", $"A range covers at most {MaxDays} days.");
        }

        return (fromDate, toDate);
    }

    public static async Task<EarningsResponse> GetAsync(DbSession session, string merchantId, string courierId, LocalDate from, LocalDate to)
    {
        var history = await CourierTermsStore.GetAsync(session, merchantId, courierId) ?? throw Problems.NotFound("courier", courierId);
        var current = history.Current;
        var args = new { merchantId, courierId, courierKey = history.Key, from = DayPricing.Format(from), to = DayPricing.Format(to) };
        var days = await session.QueryAsync<DayRow>(
            $"""
            SELECT {DayRow.Columns} FROM earning_days e
            WHERE e.courier_key = @courierKey AND e.local_date >= @from AND e.local_date <= @to
            ORDER BY e.local_date
            """, args);
        var lines = await session.QueryAsync<LineRow>(
            """
            SELECT order_id AS OrderId, cancellation AS Cancellation, accepted_at AS AcceptedAt, fulfilled_at AS FulfilledAt,
                cancelled_at AS CancelledAt, minutes AS Minutes, amount AS Amount, local_date AS LocalDate
            FROM deliveries
            WHERE courier_key = @courierKey AND local_date >= @from AND local_date <= @to
            ORDER BY local_date, order_id
            """, args);
        var adjustments = await session.QueryAsync<AdjustmentRow>(
            """
            SELECT id AS Id, period_id AS PeriodId, effective_date AS EffectiveDate, origin_date AS OriginDate, amount AS Amount, reason AS Reason
            FROM earning_adjustments
            WHERE merchant_id = @merchantId AND courier_id = @courierId AND effective_date >= @from AND effective_date <= @to
            ORDER BY effective_date, id
            """, args);
        var toDate = await session.QuerySingleAsync<ToDateRow>(
            """
            SELECT
                (SELECT CAST(coalesce(sum(base_pay + bonus_pay + cancellation_pay), 0) AS BIGINT) FROM earning_days
                    WHERE courier_key = @courierKey AND local_date <= @to) AS Days,
                (SELECT CAST(coalesce(sum(amount), 0) AS BIGINT) FROM earning_adjustments
                    WHERE merchant_id = @merchantId AND courier_id = @courierId AND effective_date <= @to) AS Adjustments
            """, args);

        var dayItems = days
            .Where(d => d.Deliveries != 0 || d.Cancellations != 0 || d.ToTotals().Total != 0)
            .Select(d => new EarningsDay(d.LocalDate, d.Minutes, d.Deliveries, d.BasePay, d.BonusPay, d.Cancellations, d.CancellationPay, d.ToTotals().Total))
            .ToList();
        long basePay = 0, bonusPay = 0, cancellationPay = 0, adjusted = 0;
        foreach (var d in days)
        {
            basePay = checked(basePay + d.BasePay);
            bonusPay = checked(bonusPay + d.BonusPay);
            cancellationPay = checked(cancellationPay + d.CancellationPay);
        }

        foreach (var a in adjustments)
        {
            adjusted = checked(adjusted + a.Amount);
        }

        return new EarningsResponse(
            courierId,
            current.Currency.Code,
            current.Zone.Id,
            DayPricing.Format(from),
            DayPricing.Format(to),
            basePay,
            bonusPay,
            cancellationPay,
            adjusted,
            checked(basePay + bonusPay + cancellationPay + adjusted),
            checked(toDate.Days + toDate.Adjustments),
            dayItems,
            lines.Select(l => new EarningsLineItem(l.OrderId, l.Cancellation == 1 ? "cancellation" : "delivery", l.AcceptedAt, l.FulfilledAt, l.CancelledAt, l.Minutes, l.Amount, l.LocalDate)).ToList(),
            adjustments.Select(a => new EarningsAdjustment(a.Id, a.PeriodId, a.EffectiveDate, a.OriginDate, a.Amount, a.Reason)).ToList());
    }


    private sealed class LineRow
    {
        public string OrderId { get; init; } = "";
        public long Cancellation { get; init; }
        public DateTimeOffset? AcceptedAt { get; init; }
        public DateTimeOffset? FulfilledAt { get; init; }
        public DateTimeOffset? CancelledAt { get; init; }
        public long Minutes { get; init; }
        public long Amount { get; init; }
        public string LocalDate { get; init; } = "";
    }

    private sealed class AdjustmentRow
    {
        public string Id { get; init; } = "";
        public string PeriodId { get; init; } = "";
        public string EffectiveDate { get; init; } = "";
        public string OriginDate { get; init; } = "";
        public long Amount { get; init; }
        public string Reason { get; init; } = "";
    }

    private sealed class ToDateRow
    {
        public long Days { get; init; }
        public long Adjustments { get; init; }
    }
}
