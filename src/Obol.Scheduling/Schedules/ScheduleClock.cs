using NodaTime;
using NodaTime.TimeZones;

namespace Obol.Scheduling.Schedules;

/// <summary>
/// When a schedule's occurrences fall. A local schedule keeps its wall time in its zone: each occurrence is
/// the first local date-time plus n periods (so a monthly schedule on the 31st falls on the last day of
/// shorter months and comes back to the 31st), resolved leniently: a time in a spring-forward gap moves
/// forward by the length of the gap, an ambiguous fall-back time takes the earlier instant. A schedule given
/// as an instant recurs in UTC.
/// </summary>
internal static class ScheduleClock
{
    /// <summary>NodaTime's lenient resolver: gap → shifted forward by the gap, overlap → earlier offset.</summary>
    public static ZoneLocalMappingResolver Resolver { get; } = Resolvers.LenientResolver;

    public static DateTimeZone? FindZone(string id) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(id);

    public static DateTimeOffset Resolve(LocalDateTime local, DateTimeZone zone) =>
        CeilingToMicrosecond(local.InZone(zone, Resolver).ToDateTimeOffset());

    /// <summary>
    /// Both databases keep microseconds: a due time is rounded up to one so that storing it can never make it
    /// earlier.
    /// </summary>
    public static DateTimeOffset CeilingToMicrosecond(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks;
        var remainder = ticks % 10;
        return new DateTimeOffset(remainder == 0 ? ticks : ticks - remainder + 10, TimeSpan.Zero);
    }

    /// <summary>The instant of occurrence <paramref name="occurrence"/> (1-based).</summary>
    public static DateTimeOffset OccurrenceAt(DateTimeOffset firstInstant, LocalDateTime? firstLocal, DateTimeZone? zone, Recurrence? recurrence, int occurrence)
    {
        if (occurrence == 1 || recurrence is null)
        {
            return firstInstant;
        }

        var periods = checked((occurrence - 1) * recurrence.Interval);
        if (firstLocal is { } local && zone is not null)
        {
            return Resolve(Advance(local, recurrence.Frequency, periods), zone);
        }

        var utc = LocalDateTime.FromDateTime(firstInstant.UtcDateTime);
        return CeilingToMicrosecond(Advance(utc, recurrence.Frequency, periods).InUtc().ToDateTimeOffset());
    }

    /// <summary>The next occurrence after <paramref name="occurrence"/>, or null when the recurrence is over.</summary>
    public static DateTimeOffset? NextOccurrenceAt(DateTimeOffset firstInstant, LocalDateTime? firstLocal, DateTimeZone? zone, Recurrence? recurrence, int occurrence)
    {
        if (recurrence is null || (recurrence.Count is { } count && occurrence >= count))
        {
            return null;
        }

        var next = OccurrenceAt(firstInstant, firstLocal, zone, recurrence, occurrence + 1);
        return recurrence.Until is { } until && next > until ? null : next;
    }

    private static LocalDateTime Advance(LocalDateTime start, string frequency, int periods) => frequency switch
    {
        RecurrenceFrequency.Daily => start.PlusDays(periods),
        RecurrenceFrequency.Weekly => start.PlusWeeks(periods),
        RecurrenceFrequency.Monthly => start.PlusMonths(periods),
        _ => throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "Unknown recurrence frequency."),
    };
}
