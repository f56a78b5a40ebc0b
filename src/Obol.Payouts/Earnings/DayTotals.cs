using System.Globalization;
using NodaTime;
using Obol.Payouts.Couriers;

namespace Obol.Payouts.Earnings;

/// <summary>One courier-local day: what its deliveries pay.</summary>
internal sealed record DayTotals(long Minutes, long Deliveries, long Cancellations, long BasePay, long BonusPay, long CancellationPay)
{
    public static readonly DayTotals Zero = new(0, 0, 0, 0, 0, 0);

    public long Total => checked(BasePay + BonusPay + CancellationPay);

    public bool IsZero => this == Zero;
}

/// <summary>What the deliveries of one day add up to, before the bonus.</summary>
internal sealed record DaySums(long Minutes, long Deliveries, long Cancellations, long BasePay, long CancellationPay, DateTimeOffset? LastFulfilledAt)
{
    /// <summary>What one delivery adds to its day (the same sums the day query takes over its line items).</summary>
    public static DaySums Of(DeliveryOutcome delivery) => new(
        delivery.Minutes,
        delivery.Completed ? 1 : 0,
        delivery.Cancellation ? 1 : 0,
        delivery.Completed ? delivery.Amount : 0,
        delivery.Cancellation ? delivery.Amount : 0,
        delivery.Completed ? delivery.FulfilledAt : null);

    public DaySums Plus(DaySums other) => new(
        checked(Minutes + other.Minutes),
        checked(Deliveries + other.Deliveries),
        checked(Cancellations + other.Cancellations),
        checked(BasePay + other.BasePay),
        checked(CancellationPay + other.CancellationPay),
        Later(LastFulfilledAt, other.LastFulfilledAt));

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a > b ? a : b);
}

internal static class DayPricing
{
    /// <summary>
    /// The day's bonus is <c>bonusPay × ⌊completed / deliveriesPerBonus⌋</c> with the terms in effect at the day's
    /// last fulfillment (so a rate change mid-day applies its bonus to the whole day once a delivery is fulfilled under it).
    /// </summary>
    public static DayTotals Price(DaySums sums, CourierTermsHistory terms)
    {
        var bonus = sums.LastFulfilledAt is { } last ? terms.At(last).DayBonus(sums.Deliveries) : 0;
        return new DayTotals(sums.Minutes, sums.Deliveries, sums.Cancellations, sums.BasePay, bonus, sums.CancellationPay);
    }

    /// <summary>A local date as stored: ISO <c>yyyy-MM-dd</c>. Formatted directly (NodaTime's pattern allocates a builder per call, and ingestion formats a date per delivery and day).</summary>
    public static string Format(LocalDate date) =>
        date.Year is >= 1 and <= 9999
            ? string.Create(10, date, static (span, d) =>
            {
                d.Year.TryFormat(span[..4], out _, "D4", CultureInfo.InvariantCulture);
                span[4] = '-';
                d.Month.TryFormat(span.Slice(5, 2), out _, "D2", CultureInfo.InvariantCulture);
                span[7] = '-';
                d.Day.TryFormat(span.Slice(8, 2), out _, "D2", CultureInfo.InvariantCulture);
            })
            : NodaTime.Text.LocalDatePattern.Iso.Format(date);

    /// <summary>A stored local date (<see cref="Format"/>).</summary>
    public static LocalDate ParseStored(string text) =>
        text.Length == 10 && text[4] == '-' && text[7] == '-'
            && int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            && int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var month)
            && int.TryParse(text.AsSpan(8, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            ? new LocalDate(year, month, day)
            : NodaTime.Text.LocalDatePattern.Iso.Parse(text).Value;
}
