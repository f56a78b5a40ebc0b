using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Payouts.PayPeriods;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

public class PayPeriodTests
{
    [Theory]
    [BothDatabases]
    public async Task Closing_books_earnings_and_payout_once_and_the_ledger_verifies(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        await engine.PutCourierAsync("ny", "America/New_York", rate: 10, bonus: 100, perBonus: 2);
        await engine.PostEventsAsync(
            Accepted("ny", "o1", "2027-03-09T10:00:00-05:00"), Fulfilled("ny", "o1", "2027-03-09T10:09:00-05:00"),
            Accepted("ny", "o2", "2027-03-14T23:50:00-04:00"), Fulfilled("ny", "o2", "2027-03-14T23:59:00-04:00"));
        var period = await engine.PayPeriodContainingAsync("ny", "2027-03-14");
        var id = period.Str("id");
        Assert.Equal("open", period.Str("status"));
        Assert.Equal(200, period.Num("total"));

        await (await engine.Client.PostJsonAsync($"/v1/pay-periods/{id}/close", "{}")).ReadProblemAsync(409, "pay_period_not_ended");
        engine.SetNow("2027-03-15T04:00:00Z");
        var closed = await engine.PostAsync($"/v1/pay-periods/{id}/close");
        Assert.Equal("closed", closed.Str("status"));
        Assert.Equal(200, closed.Num("total"));
        Assert.Equal(200, closed.Num("basePay"));
        Assert.Equal(0, closed.Num("bonusPay")); // one delivery on each of two local days
        var payout = closed.GetProperty("payout");
        Assert.StartsWith("po_", payout.Str("id"), StringComparison.Ordinal);
        Assert.Equal(200, payout.Num("amount"));
        Assert.Equal("paid", payout.Str("status"));

        var twice = await engine.PostAsync($"/v1/pay-periods/{id}/close");
        Assert.Equal(closed.ToString(), twice.ToString());
        var verify = await engine.GetJsonAsync("/v1/ledger/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        var database = engine.Server.GetRequiredService<Database>();
        var bookings = await database.ReadAsync(s => s.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM ledger_transactions WHERE external_id LIKE 'courier_%'"), CancellationToken.None);
        Assert.Equal(2, bookings);
    }

    [Theory]
    [BothDatabases]
    public async Task A_late_event_for_a_closed_period_becomes_an_adjustment_in_the_next_open_one(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        await engine.PutCourierAsync("c", "Europe/London", rate: 10, bonus: 100, perBonus: 2, currency: "GBP");
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-03-02T10:00:00Z"), Fulfilled("c", "o1", "2027-03-02T10:09:00Z"));
        var first = await engine.PayPeriodContainingAsync("c", "2027-03-02");
        engine.SetNow("2027-03-10T00:00:00Z");
        var closed = await engine.PostAsync($"/v1/pay-periods/{first.Str("id")}/close");
        Assert.Equal(100, closed.Num("total"));

        // A delivery from the closed week arrives late: 10 minutes and the second delivery of 2027-03-02 → a bonus.
        await engine.PostEventsAsync(Accepted("c", "o2", "2027-03-02T12:00:00Z"), Fulfilled("c", "o2", "2027-03-02T12:09:00Z"));
        var replay = await engine.PostEventsAsync(Accepted("c", "o2", "2027-03-02T12:00:00Z"), Fulfilled("c", "o2", "2027-03-02T12:09:00Z"));
        Assert.Equal(2, replay.Num("duplicates"));

        var again = await engine.GetJsonAsync($"/v1/pay-periods/{first.Str("id")}");
        Assert.Equal(closed.ToString(), again.ToString());
        var closedDay = Assert.Single((await engine.EarningsAsync("c", "2027-03-02", "2027-03-02")).Array("days"));
        Assert.Equal(1, closedDay.Num("deliveries"));

        var next = await engine.PayPeriodContainingAsync("c", "2027-03-08");
        Assert.Equal("open", next.Str("status"));
        Assert.Equal(200, next.Num("adjustments"));
        Assert.Equal(200, next.Num("total"));
        var week = await engine.EarningsAsync("c", "2027-03-08", "2027-03-14");
        Assert.Equal(200, week.Num("adjustments"));
        var adjustment = Assert.Single(week.Array("adjustmentItems"));
        Assert.Equal("2027-03-02", adjustment.Str("originDate"));
        Assert.Equal("2027-03-08", adjustment.Str("date"));
        Assert.Equal(300, week.Num("totalToDate"));

        // A recompute of the closed range does not rewrite it or adjust twice.
        await engine.PostAsync("/v1/couriers/c/recompute?from=2027-03-01&to=2027-03-14");
        Assert.Equal(200, (await engine.PayPeriodContainingAsync("c", "2027-03-08")).Num("adjustments"));

        engine.SetNow("2027-03-16T00:00:00Z");
        var second = await engine.PostAsync($"/v1/pay-periods/{next.Str("id")}/close");
        Assert.Equal(200, second.Num("total"));
        var verify = await engine.GetJsonAsync("/v1/ledger/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }

    [Theory]
    [BothDatabases]
    public async Task Periods_close_automatically_after_the_grace_period(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        await engine.PutCourierAsync("c", "Asia/Kolkata", rate: 10, currency: "INR", startDay: "wednesday");
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-03-02T10:00:00+05:30"), Fulfilled("c", "o1", "2027-03-02T10:09:00+05:30"));
        var period = await engine.PayPeriodContainingAsync("c", "2027-03-02");
        Assert.Equal("2027-02-24", period.Str("startDate"));
        Assert.Equal("2027-03-02T18:30:00Z", period.Str("endsAt"));
        var sweeper = engine.Server.GetRequiredService<PayoutsSweeper>();

        engine.SetNow("2027-03-04T18:29:00Z");
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).Closed);
        engine.SetNow("2027-03-04T18:30:00Z");
        Assert.Equal(1, (await sweeper.RunOnceAsync(CancellationToken.None)).Closed);
        Assert.Equal("closed", (await engine.GetJsonAsync($"/v1/pay-periods/{period.Str("id")}")).Str("status"));
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).Closed);
    }

    [Theory]
    [BothDatabases]
    public async Task Backdated_terms_reprice_open_days_and_adjust_closed_ones(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(
            Accepted("c", "closed-week", "2027-03-03T10:00:00Z"), Fulfilled("c", "closed-week", "2027-03-03T10:09:00Z"),
            Accepted("c", "open-week", "2027-03-09T10:00:00Z"), Fulfilled("c", "open-week", "2027-03-09T10:09:00Z"));
        engine.SetNow("2027-03-10T00:00:00Z");
        var closed = await engine.PostAsync($"/v1/pay-periods/{(await engine.PayPeriodContainingAsync("c", "2027-03-03")).Str("id")}/close");
        Assert.Equal(100, closed.Num("total"));

        // Rates raised retroactively from 2027-03-02: the closed week stays as paid, its difference is adjusted.
        var v2 = await engine.PutCourierAsync("c", "UTC", rate: 15, effectiveAt: "2027-03-02T00:00:00Z");
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        var open = await engine.PayPeriodContainingAsync("c", "2027-03-09");
        Assert.Equal(150, open.Num("basePay"));
        Assert.Equal(50, open.Num("adjustments"));
        Assert.Equal(200, open.Num("total"));
        Assert.Equal(100, (await engine.GetJsonAsync($"/v1/pay-periods/{closed.Str("id")}")).Num("total"));
    }
}
