using System.Text.Json;
using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Payouts.PayPeriods;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

/// <summary>
/// A pay period's close reports <c>pay_period.closed</c> and its payout <c>payout.paid</c>; an anomaly reports
/// <c>courier.anomaly_opened</c> when recorded and <c>courier.anomaly_resolved</c> when resolved, each once, with the
/// object as the API returns it.
/// </summary>
public class PayoutEventTests
{
    [Theory]
    [BothDatabases]
    public async Task Closing_a_period_reports_it_closed_and_its_payout_paid_once_each(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        await engine.PutCourierAsync("ny", "America/New_York", rate: 10);
        await engine.PostEventsAsync(Accepted("ny", "o1", "2027-03-09T10:00:00-05:00"), Fulfilled("ny", "o1", "2027-03-09T10:09:00-05:00"));
        var id = (await engine.PayPeriodContainingAsync("ny", "2027-03-09")).Str("id");
        await (await engine.Client.PostJsonAsync($"/v1/pay-periods/{id}/close", "{}")).ReadProblemAsync(409, "pay_period_not_ended");
        engine.SetNow("2027-03-15T04:00:00Z");

        var closed = await engine.PostAsync($"/v1/pay-periods/{id}/close");
        await engine.PostAsync($"/v1/pay-periods/{id}/close");

        EventsApi.AssertSameJson(closed, await engine.Client.SingleEventObjectAsync(id, "pay_period.closed"));
        Assert.Equal(["pay_period.closed"], await engine.Client.EventTypesOfAsync(id));
        var payout = closed.GetProperty("payout");
        var payoutId = payout.Str("id");
        var paid = await engine.Client.SingleEventObjectAsync(payoutId, "payout.paid");
        EventsApi.AssertSameJson(payout, paid);
        Assert.Equal(("ny", id, 100L, "paid"), (paid.Str("courierId"), paid.Str("payPeriodId"), paid.Num("amount"), paid.Str("status")));
        Assert.Equal(["payout.paid"], await engine.Client.EventTypesOfAsync(payoutId));
    }

    [Theory]
    [BothDatabases]
    public async Task A_period_closed_by_the_sweep_with_nothing_to_pay_reports_it_closed_once_and_no_payout(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-03-02T10:00:00Z"), Cancelled("c", "o1", "2027-03-02T10:05:00Z"));
        var period = await engine.PayPeriodContainingAsync("c", "2027-03-02");
        var id = period.Str("id");
        var sweeper = engine.Server.GetRequiredService<PayoutsSweeper>();

        engine.SetNow(period.GetProperty("endsAt").GetDateTimeOffset().AddDays(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, (await sweeper.RunOnceAsync(CancellationToken.None)).Closed);
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).Closed);

        var closed = await engine.Client.SingleEventObjectAsync(id, "pay_period.closed");
        EventsApi.AssertSameJson(await engine.GetJsonAsync($"/v1/pay-periods/{id}"), closed);
        Assert.Equal((0L, JsonValueKind.Null), (closed.Num("total"), closed.TryGetProperty("payout", out var p) ? p.ValueKind : JsonValueKind.Null));
        Assert.Equal(["pay_period.closed"], await engine.Client.EventTypesOfAsync(id));
        var payouts = await engine.Database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM courier_payouts"), CancellationToken.None);
        Assert.Equal(0, payouts);
    }

    [Theory]
    [BothDatabases]
    public async Task An_anomaly_reports_opened_once_however_often_it_is_found_and_resolved_once_when_its_accept_arrives(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Fulfilled("c", "o1", "2027-05-03T09:09:00Z"));
        await engine.PostEventsAsync(Fulfilled("c", "o1", "2027-05-03T09:09:00Z"));
        await engine.PostAsync("/v1/couriers/c/recompute?from=2027-05-03&to=2027-05-03");
        var anomaly = Assert.Single(await engine.AnomaliesAsync("c"));
        var id = anomaly.Str("id");

        EventsApi.AssertSameJson(anomaly, await engine.Client.SingleEventObjectAsync(id, "courier.anomaly_opened"));
        Assert.Equal(["courier.anomaly_opened"], await engine.Client.EventTypesOfAsync(id));

        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:00:00Z"));
        var resolved = await engine.Client.SingleEventObjectAsync(id, "courier.anomaly_resolved");
        EventsApi.AssertSameJson(Assert.Single(await engine.AnomaliesAsync("c", "resolved")), resolved);
        Assert.Equal(("resolved", "cleared"), (resolved.Str("status"), resolved.Str("resolution")));
        Assert.Equal(["courier.anomaly_opened", "courier.anomaly_resolved"], await engine.Client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task Resolving_an_anomaly_by_hand_reports_it_resolved_once(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Fulfilled("c", "o1", "2027-05-03T09:09:00Z"));
        var id = Assert.Single(await engine.AnomaliesAsync("c")).Str("id");

        var resolved = await engine.PostAsync($"/v1/couriers/c/anomalies/{id}/resolve",
            """{"acceptedAt":"2027-05-03T09:00:00Z","note":"confirmed with the courier"}""");
        await (await engine.Client.PostJsonAsync($"/v1/couriers/c/anomalies/{id}/resolve", "{}")).ReadProblemAsync(409, "invalid_state_transition");

        EventsApi.AssertSameJson(resolved, await engine.Client.SingleEventObjectAsync(id, "courier.anomaly_resolved"));
        Assert.Equal(["courier.anomaly_opened", "courier.anomaly_resolved"], await engine.Client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task An_accept_flagged_by_the_sweep_reports_opened_once_and_resolved_when_it_is_fulfilled(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T09:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "slow", "2027-05-03T09:00:00Z"));
        var sweeper = engine.Server.GetRequiredService<PayoutsSweeper>();
        engine.SetNow("2027-05-03T13:01:00Z");
        Assert.Equal(1, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts);
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts);
        var anomaly = Assert.Single(await engine.AnomaliesAsync("c"));
        var id = anomaly.Str("id");
        Assert.Equal("accepted_not_fulfilled", anomaly.Str("kind"));
        EventsApi.AssertSameJson(anomaly, await engine.Client.SingleEventObjectAsync(id, "courier.anomaly_opened"));

        await engine.PostEventsAsync(Fulfilled("c", "slow", "2027-05-03T13:05:00Z"));
        Assert.Equal("cleared", (await engine.Client.SingleEventObjectAsync(id, "courier.anomaly_resolved")).Str("resolution"));
        Assert.Equal(["courier.anomaly_opened", "courier.anomaly_resolved"], await engine.Client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task An_event_id_sent_again_with_other_content_reports_one_conflicting_duplicate(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:00:00Z", id: "e1"));
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:01:00Z", id: "e1"));
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:01:00Z", id: "e1"));

        var anomaly = Assert.Single(await engine.AnomaliesAsync("c"));
        Assert.Equal("conflicting_duplicate", anomaly.Str("kind"));
        EventsApi.AssertSameJson(anomaly, await engine.Client.SingleEventObjectAsync(anomaly.Str("id"), "courier.anomaly_opened"));
        Assert.Equal(["courier.anomaly_opened"], await engine.Client.EventTypesOfAsync(anomaly.Str("id")));
    }
}
