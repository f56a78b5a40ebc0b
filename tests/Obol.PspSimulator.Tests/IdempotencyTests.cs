using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;

namespace Obol.PspSimulator.Tests;

/// <summary>The PSPs' idempotency keys while a request is in flight and after its answer was lost.</summary>
public sealed class IdempotencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private static HttpRequestMessage AdyenCreate(string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "sim/adyen/v71/payments") { Content = JsonContent.Create(AdyenDialectTests.Payment("pm_card_visa")) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    private static HttpRequestMessage Create(string psp, string idempotencyKey) =>
        psp == "stripe" ? StripeWireTests.CreateRequest(idempotencyKey: idempotencyKey) : AdyenCreate(idempotencyKey);

    private static async Task<long> LatencyCountAsync(SimulatorHost sim, string psp)
    {
        var counts = await sim.FaultCountsAsync();
        return psp == "stripe" ? counts.Stripe.Latency : counts.Adyen.Latency;
    }

    [Fact]
    public async Task Stripe_key_reused_while_the_first_request_is_in_flight_answers_409()
    {
        var clock = Clock();
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetFaultsAsync(new { stripe = new { create = new { latencyMs = 3000 } } });

        var first = sim.Http.SendAsync(Create("stripe", "k"), Ct);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, "stripe") == 1);
        var second = sim.Http.SendAsync(Create("stripe", "k"), Ct);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, "stripe") == 2);
        clock.Advance(TimeSpan.FromSeconds(3));

        using var answered = await first;
        using var conflict = await second;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        var error = (await StripeWireTests.JsonAsync(conflict)).GetProperty("error");
        Assert.Equal("idempotency_error", error.GetProperty("type").GetString());
        Assert.Equal("idempotency_key_in_use", error.GetProperty("code").GetString());
        Assert.Single(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Adyen_key_reused_while_the_first_request_is_in_flight_answers_422_704()
    {
        var clock = Clock();
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetFaultsAsync(new { adyen = new { create = new { latencyMs = 3000 } } });

        var first = sim.Http.SendAsync(Create("adyen", "k"), Ct);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, "adyen") == 1);
        var second = sim.Http.SendAsync(Create("adyen", "k"), Ct);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, "adyen") == 2);
        clock.Advance(TimeSpan.FromSeconds(3));

        using var answered = await first;
        using var conflict = await second;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);
        var error = await StripeWireTests.JsonAsync(conflict);
        Assert.Equal("704", error.GetProperty("errorCode").GetString());
        Assert.Equal(422, error.GetProperty("status").GetInt32());
        Assert.Single(await sim.ChargesAsync());
    }

    [Theory]
    [InlineData("stripe")]
    [InlineData("adyen")]
    public async Task Key_reused_after_the_first_request_answered_replays_it(string psp)
    {
        var clock = Clock();
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetFaultsAsync(new { stripe = new { create = new { latencyMs = 3000 } }, adyen = new { create = new { latencyMs = 3000 } } });

        var first = sim.Http.SendAsync(Create(psp, "k"), Ct);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, psp) == 1);
        clock.Advance(TimeSpan.FromSeconds(3));
        using var answered = await first;
        var retry = sim.Http.SendAsync(Create(psp, "k"), Ct);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, psp) == 2);
        clock.Advance(TimeSpan.FromSeconds(3));
        using var replayed = await retry;

        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await answered.Content.ReadAsStringAsync(Ct), await replayed.Content.ReadAsStringAsync(Ct));
        Assert.Single(await sim.ChargesAsync());
    }

    [Theory]
    [InlineData("stripe")]
    [InlineData("adyen")]
    public async Task Timeout_after_charge_then_a_retry_with_the_same_key_replays_the_stored_result(string psp)
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(new Dictionary<string, object> { [psp] = new { create = new { timeoutAfterCharge = 1.0 } } });
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var lost = sim.Http.SendAsync(Create(psp, "k"), giveUp.Token);
        await Eventually.TrueAsync(async () => await sim.FaultCountsAsync() is var c && c.Stripe.TimeoutAfterCharge + c.Adyen.TimeoutAfterCharge == 1);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lost);
        var charge = Assert.Single(await sim.ChargesAsync());

        using var retry = await sim.Http.SendAsync(Create(psp, "k"), Ct);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        var body = await StripeWireTests.JsonAsync(retry);
        Assert.Equal(charge.Id, body.GetProperty(psp == "stripe" ? "id" : "pspReference").GetString());
        Assert.Single(await sim.ChargesAsync());
        Assert.Equal(1, (await sim.FaultCountsAsync()) is var counts ? counts.Stripe.TimeoutAfterCharge + counts.Adyen.TimeoutAfterCharge : 0);
    }

    [Fact]
    public async Task A_request_abandoned_during_its_latency_charges_nothing_and_frees_its_key()
    {
        var clock = Clock();
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetFaultsAsync(new { stripe = new { create = new { latencyMs = 3000 } } });
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var abandoned = sim.Http.SendAsync(Create("stripe", "k"), giveUp.Token);
        await Eventually.TrueAsync(async () => await LatencyCountAsync(sim, "stripe") == 1);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await sim.SetFaultsAsync(new { });

        // The server notices the abandoned connection shortly after the client does; until then the key is in use.
        var retried = await Eventually.ReturnsAsync(async () =>
        {
            var response = await sim.Http.SendAsync(Create("stripe", "k"), Ct);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                response.Dispose();
                return null;
            }

            return response;
        });

        using (retried)
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
            Assert.False(retried.Headers.Contains("Idempotent-Replayed"));
        }

        Assert.Single(await sim.ChargesAsync());
    }
}
