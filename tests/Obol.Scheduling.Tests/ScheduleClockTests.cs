using NodaTime;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Tests;

public class ScheduleClockTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_local_time_in_the_spring_forward_gap_moves_forward_by_the_gap()
    {
        // 2027-03-14 02:00 EST jumps to 03:00 EDT: 02:30 does not exist and becomes 03:30 EDT.
        var instant = ScheduleClock.Resolve(new LocalDateTime(2027, 3, 14, 2, 30), NewYork);
        Assert.Equal(Utc("2027-03-14T07:30:00Z"), instant);
    }

    [Fact]
    public void An_ambiguous_fall_back_local_time_takes_the_earlier_instant()
    {
        // 2027-11-07 01:30 happens twice (EDT, then EST): the first is 05:30Z.
        var instant = ScheduleClock.Resolve(new LocalDateTime(2027, 11, 7, 1, 30), NewYork);
        Assert.Equal(Utc("2027-11-07T05:30:00Z"), instant);
    }

    [Fact]
    public void The_resolver_is_nodatimes_lenient_resolver()
    {
        // Lenient: gap → forward shifted (not "start of interval"), overlap → earlier.
        var justBeforeGapEnd = ScheduleClock.Resolve(new LocalDateTime(2027, 3, 14, 2, 59, 59), NewYork);
        Assert.Equal(Utc("2027-03-14T07:59:59Z"), justBeforeGapEnd);
        var lastAmbiguous = ScheduleClock.Resolve(new LocalDateTime(2027, 11, 7, 1, 59, 59), NewYork);
        Assert.Equal(Utc("2027-11-07T05:59:59Z"), lastAmbiguous);
    }

    [Fact]
    public void A_daily_recurrence_at_nine_local_stays_at_nine_local_across_both_dst_changes()
    {
        var first = new LocalDateTime(2027, 3, 12, 9, 0);
        var recurrence = new Recurrence(RecurrenceFrequency.Daily, 1, 5, null);
        var firstInstant = ScheduleClock.Resolve(first, NewYork);
        var instants = Enumerable.Range(1, 5).Select(n => ScheduleClock.OccurrenceAt(firstInstant, first, NewYork, recurrence, n)).ToList();

        Assert.Equal(
            [Utc("2027-03-12T14:00:00Z"), Utc("2027-03-13T14:00:00Z"), Utc("2027-03-14T13:00:00Z"), Utc("2027-03-15T13:00:00Z"), Utc("2027-03-16T13:00:00Z")],
            instants);
        Assert.All(instants, i => Assert.Equal(new LocalTime(9, 0), Instant.FromDateTimeOffset(i).InZone(NewYork).TimeOfDay));

        var autumn = new LocalDateTime(2027, 11, 6, 9, 0);
        var autumnFirst = ScheduleClock.Resolve(autumn, NewYork);
        Assert.Equal(Utc("2027-11-06T13:00:00Z"), autumnFirst);
        Assert.Equal(Utc("2027-11-07T14:00:00Z"), ScheduleClock.OccurrenceAt(autumnFirst, autumn, NewYork, recurrence, 2));
    }

    [Fact]
    public void A_daily_recurrence_whose_wall_time_falls_in_a_gap_shifts_only_that_day()
    {
        var first = new LocalDateTime(2027, 3, 13, 2, 30);
        var recurrence = new Recurrence(RecurrenceFrequency.Daily, 1, 3, null);
        var firstInstant = ScheduleClock.Resolve(first, NewYork);
        Assert.Equal(Utc("2027-03-13T07:30:00Z"), firstInstant);
        Assert.Equal(Utc("2027-03-14T07:30:00Z"), ScheduleClock.OccurrenceAt(firstInstant, first, NewYork, recurrence, 2)); // 03:30 EDT
        Assert.Equal(Utc("2027-03-15T06:30:00Z"), ScheduleClock.OccurrenceAt(firstInstant, first, NewYork, recurrence, 3)); // 02:30 EDT again
    }

    [Fact]
    public void Monthly_on_the_31st_falls_on_the_last_day_of_shorter_months_and_returns_to_the_31st()
    {
        var first = new LocalDateTime(2027, 1, 31, 10, 0);
        var recurrence = new Recurrence(RecurrenceFrequency.Monthly, 1, 6, null);
        var firstInstant = ScheduleClock.Resolve(first, NewYork);
        var days = Enumerable.Range(1, 6)
            .Select(n => Instant.FromDateTimeOffset(ScheduleClock.OccurrenceAt(firstInstant, first, NewYork, recurrence, n)).InZone(NewYork).LocalDateTime)
            .ToList();

        Assert.Equal(
            [
                new LocalDateTime(2027, 1, 31, 10, 0), new LocalDateTime(2027, 2, 28, 10, 0), new LocalDateTime(2027, 3, 31, 10, 0),
                new LocalDateTime(2027, 4, 30, 10, 0), new LocalDateTime(2027, 5, 31, 10, 0), new LocalDateTime(2027, 6, 30, 10, 0),
            ],
            days);
    }

    [Fact]
    public void Monthly_on_the_31st_in_a_leap_year_falls_on_february_29th()
    {
        var first = new LocalDateTime(2028, 1, 31, 0, 0);
        var instant = ScheduleClock.OccurrenceAt(first.InUtc().ToDateTimeOffset(), first, DateTimeZone.Utc, new Recurrence(RecurrenceFrequency.Monthly, 1, 2, null), 2);
        Assert.Equal(Utc("2028-02-29T00:00:00Z"), instant);
    }

    [Fact]
    public void An_instant_schedule_recurs_in_utc_with_an_interval()
    {
        var first = Utc("2027-01-01T08:00:00Z");
        var weekly = new Recurrence(RecurrenceFrequency.Weekly, 2, 3, null);
        Assert.Equal(Utc("2027-01-15T08:00:00Z"), ScheduleClock.OccurrenceAt(first, null, null, weekly, 2));
        Assert.Equal(Utc("2027-01-29T08:00:00Z"), ScheduleClock.OccurrenceAt(first, null, null, weekly, 3));
    }

    [Fact]
    public void Count_and_until_end_the_recurrence()
    {
        var first = Utc("2027-01-01T08:00:00Z");
        var byCount = new Recurrence(RecurrenceFrequency.Daily, 1, 2, null);
        Assert.Equal(Utc("2027-01-02T08:00:00Z"), ScheduleClock.NextOccurrenceAt(first, null, null, byCount, 1));
        Assert.Null(ScheduleClock.NextOccurrenceAt(first, null, null, byCount, 2));

        var byUntil = new Recurrence(RecurrenceFrequency.Daily, 1, null, Utc("2027-01-03T08:00:00Z"));
        Assert.Equal(Utc("2027-01-03T08:00:00Z"), ScheduleClock.NextOccurrenceAt(first, null, null, byUntil, 2));
        Assert.Null(ScheduleClock.NextOccurrenceAt(first, null, null, byUntil, 3));

        Assert.Null(ScheduleClock.NextOccurrenceAt(first, null, null, null, 1));
    }
}
