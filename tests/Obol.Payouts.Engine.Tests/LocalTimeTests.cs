using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

/// <summary>Minutes are real elapsed whole UTC minutes; dates and pay periods are the courier's local ones, DST included.</summary>
public class LocalTimeTests
{
    [Theory]
    [BothDatabases]
    public async Task New_York_spring_forward_week_is_167_hours_and_a_delivery_across_the_gap_pays_elapsed_minutes(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("ny", "America/New_York", rate: 10);
        // 01:50 EST → 03:10 EDT is 20 minutes of real time (21 inclusive), not 80 on the wall clock.
        await engine.PostEventsAsync(
            Accepted("ny", "o1", "2027-03-14T01:50:00-05:00"),
            Fulfilled("ny", "o1", "2027-03-14T03:10:00-04:00"));

        var earnings = await engine.EarningsAsync("ny", "2027-03-14", "2027-03-14");
        var line = Assert.Single(earnings.Array("lineItems"));
        Assert.Equal(21, line.Num("minutes"));
        Assert.Equal(210, line.Num("amount"));
        Assert.Equal("2027-03-14", line.Str("date"));
        Assert.Equal(210, earnings.Num("total"));

        var period = await engine.PayPeriodContainingAsync("ny", "2027-03-14");
        Assert.Equal("2027-03-08", period.Str("startDate"));
        Assert.Equal("2027-03-15", period.Str("endDate"));
        Assert.Equal(167, period.GetProperty("hours").GetDouble());
        Assert.Equal("2027-03-08T05:00:00Z", period.Str("startsAt"));
        Assert.Equal("2027-03-15T04:00:00Z", period.Str("endsAt"));
    }

    [Theory]
    [BothDatabases]
    public async Task New_York_fall_back_week_is_169_hours_and_the_repeated_hour_is_not_paid_twice(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("ny", "America/New_York", rate: 10);
        // 01:50 EDT → 01:10 EST: the wall clock goes back, 20 real minutes pass (21 inclusive).
        await engine.PostEventsAsync(
            Accepted("ny", "o1", "2027-11-07T01:50:00-04:00"),
            Fulfilled("ny", "o1", "2027-11-07T01:10:00-05:00"));

        var line = Assert.Single((await engine.EarningsAsync("ny", "2027-11-07", "2027-11-07")).Array("lineItems"));
        Assert.Equal(21, line.Num("minutes"));

        var period = await engine.PayPeriodContainingAsync("ny", "2027-11-07");
        Assert.Equal("2027-11-01", period.Str("startDate"));
        Assert.Equal(169, period.GetProperty("hours").GetDouble());
    }

    [Theory]
    [BothDatabases]
    public async Task London_weeks_across_both_changes_are_167_and_169_hours(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("ldn", "Europe/London", rate: 10, startDay: "sunday", currency: "GBP");
        await engine.PostEventsAsync(
            Accepted("ldn", "spring", "2027-03-28T00:30:00Z"),
            Fulfilled("ldn", "spring", "2027-03-28T01:30:00Z"), // 02:30 BST, 61 minutes
            Accepted("ldn", "autumn", "2027-10-31T00:30:00Z"),
            Fulfilled("ldn", "autumn", "2027-10-31T01:30:00Z")); // 01:30 GMT the second time round

        var spring = await engine.PayPeriodContainingAsync("ldn", "2027-03-28");
        Assert.Equal("2027-03-28", spring.Str("startDate"));
        Assert.Equal(167, spring.GetProperty("hours").GetDouble());
        var autumn = await engine.PayPeriodContainingAsync("ldn", "2027-10-31");
        Assert.Equal("2027-10-31", autumn.Str("startDate"));
        Assert.Equal(169, autumn.GetProperty("hours").GetDouble());
        Assert.Equal(61, Assert.Single((await engine.EarningsAsync("ldn", "2027-03-28", "2027-03-28")).Array("lineItems")).Num("minutes"));
        Assert.Equal("GBP", (await engine.EarningsAsync("ldn", "2027-10-31", "2027-10-31")).Str("currency"));
    }

    [Theory]
    [BothDatabases("America/New_York", "2027-06-02T03:59:59Z", "2027-06-02T04:00:00Z")]
    [BothDatabases("Asia/Kolkata", "2027-06-01T18:29:59Z", "2027-06-01T18:30:00Z")]
    [BothDatabases("Pacific/Chatham", "2027-06-01T11:14:59Z", "2027-06-01T11:15:00Z")]
    public async Task A_fulfillment_a_second_before_local_midnight_belongs_to_that_day_and_at_midnight_to_the_next(
        DatabaseProvider provider, string zone, string beforeMidnight, string atMidnight)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", zone, rate: 7, bonus: 100, perBonus: 1);
        var before = DateTimeOffset.Parse(beforeMidnight, System.Globalization.CultureInfo.InvariantCulture);
        await engine.PostEventsAsync(
            Accepted("c", "late", before.AddMinutes(-9).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            Fulfilled("c", "late", beforeMidnight),
            Accepted("c", "early", before.AddMinutes(-4).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            Fulfilled("c", "early", atMidnight));

        var earnings = await engine.EarningsAsync("c", "2027-06-01", "2027-06-02");
        var days = earnings.Array("days");
        Assert.Equal(["2027-06-01", "2027-06-02"], days.Select(d => d.Str("date")));
        var lines = earnings.Array("lineItems").ToDictionary(l => l.Str("orderId"));
        Assert.Equal("2027-06-01", lines["late"].Str("date"));
        Assert.Equal("2027-06-02", lines["early"].Str("date"));
        // Bonus per local day: one delivery each day, one bonus each.
        Assert.All(days, d => Assert.Equal(100, d.Num("bonusPay")));
        Assert.Equal(10 * 7, lines["late"].Num("amount"));
        Assert.Equal(6 * 7, lines["early"].Num("amount"));
    }

    [Theory]
    [BothDatabases]
    public async Task Chatham_week_across_its_daylight_saving_start_is_167_hours(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("ch", "Pacific/Chatham", rate: 5, currency: "NZD");
        // Chatham moves from +12:45 to +13:45 at 02:45 local on the last Sunday of September (2027-09-26).
        await engine.PostEventsAsync(
            Accepted("ch", "o", "2027-09-26T02:30:00+12:45"),
            Fulfilled("ch", "o", "2027-09-26T03:50:00+13:45"));
        var period = await engine.PayPeriodContainingAsync("ch", "2027-09-26");
        Assert.Equal(167, period.GetProperty("hours").GetDouble());
        Assert.Equal(21, Assert.Single((await engine.EarningsAsync("ch", "2027-09-26", "2027-09-26")).Array("lineItems")).Num("minutes"));
    }
}
