using NodaTime;

namespace Obol.Payouts.PayPeriods;

/// <summary>A week of local dates [StartDate, EndDate) and the instants its local midnights fall on.</summary>
internal sealed record PayPeriodWindow(LocalDate StartDate, LocalDate EndDate, DateTimeOffset StartsAt, DateTimeOffset EndsAt)
{
    public Duration Length => Instant.FromDateTimeOffset(EndsAt) - Instant.FromDateTimeOffset(StartsAt);

    public bool Contains(LocalDate date) => date >= StartDate && date < EndDate;
}

/// <summary>
/// Weekly pay periods in the courier's zone, starting on a configurable day at local midnight. The bounds are
/// local dates; their instants come from the zone, so a week across a DST change is 167 or 169 hours. Where a
/// zone skips midnight, the period starts at the first instant of that local day (NodaTime's AtStartOfDay).
/// </summary>
internal static class PayPeriodCalendar
{
    public static PayPeriodWindow For(LocalDate date, IsoDayOfWeek startDay, DateTimeZone zone)
    {
        var back = ((int)date.DayOfWeek - (int)startDay + 7) % 7;
        var start = date.PlusDays(-back);
        var end = start.PlusDays(7);
        return new PayPeriodWindow(start, end,
            zone.AtStartOfDay(start).ToDateTimeOffset().ToUniversalTime(),
            zone.AtStartOfDay(end).ToDateTimeOffset().ToUniversalTime());
    }
}
