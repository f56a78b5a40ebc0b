using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;
using Stripe;

namespace Obol.PspSimulator.Tests;

public sealed class FaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object StripeCreateFaults(object create, int? seed = null) => new { seed, stripe = new { create } };

    [Fact]
    public async Task Error_before_charge_returns_500_and_charges_nothing()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(StripeCreateFaults(new { errorBeforeCharge = 1.0 }));

        using var response = await sim.Http.SendAsync(StripeWireTests.CreateRequest(idempotencyKey: "k"), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("api_error", (await StripeWireTests.JsonAsync(response)).GetProperty("error").GetProperty("type").GetString());
        Assert.Empty(await sim.ChargesAsync());

        await sim.SetFaultsAsync(new { });
        using var retry = await sim.Http.SendAsync(StripeWireTests.CreateRequest(idempotencyKey: "k"), Ct);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Single(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Error_after_charge_returns_500_but_the_charge_exists_and_a_retry_replays_it()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(StripeCreateFaults(new { errorAfterCharge = 1.0 }));

        using var response = await sim.Http.SendAsync(StripeWireTests.CreateRequest(idempotencyKey: "k"), Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("captured", Assert.Single(await sim.ChargesAsync()).Status);

        await sim.SetFaultsAsync(new { });
        using var retry = await sim.Http.SendAsync(StripeWireTests.CreateRequest(idempotencyKey: "k"), Ct);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Timeout_after_charge_leaves_the_client_without_an_answer_but_the_charge_exists()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(new { adyen = new { create = new { timeoutAfterCharge = 1.0 } } });
        using var client = new HttpClient { BaseAddress = sim.BaseAddress, Timeout = TimeSpan.FromSeconds(1) };
        client.DefaultRequestHeaders.Add("X-API-Key", SimulatorHost.AdyenKey);

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() =>
            client.PostAsJsonAsync("sim/adyen/v71/payments", AdyenDialectTests.Payment("pm_card_visa", reference: "lost"), Ct));

        var charge = await Eventually.ReturnsAsync(async () => (await sim.ChargesAsync("adyen", "lost")).SingleOrDefault());
        Assert.Equal("captured", charge.Status);
    }

    [Fact]
    public async Task Timeout_token_charges_but_the_client_times_out()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient(timeout: TimeSpan.FromSeconds(1)));
        var options = new PaymentIntentCreateOptions
        {
            Amount = 1234,
            Currency = "usd",
            PaymentMethod = "pm_card_timeout",
            Confirm = true,
            Metadata = new Dictionary<string, string> { ["reference"] = "att_timeout" },
        };

        var thrown = await Record.ExceptionAsync(() => service.CreateAsync(options, new RequestOptions { IdempotencyKey = "att_timeout" }, Ct));

        Assert.NotNull(thrown);
        var charge = await Eventually.ReturnsAsync(async () => (await sim.ChargesAsync("stripe", "att_timeout")).SingleOrDefault());
        Assert.Equal(1234, charge.AmountCaptured);

        // The resolver's path: ask by reference, or retry with the same key.
        var found = await new PaymentIntentService(sim.StripeClient()).SearchAsync(new PaymentIntentSearchOptions { Query = "metadata['reference']:'att_timeout'" }, cancellationToken: Ct);
        Assert.Equal("succeeded", Assert.Single(found.Data).Status);
        var replay = await new PaymentIntentService(sim.StripeClient()).CreateAsync(options, new RequestOptions { IdempotencyKey = "att_timeout" }, Ct);
        Assert.Equal(charge.Id, replay.Id);
        Assert.Single(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Adyen_timeout_token_charges_but_the_client_times_out()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = new HttpClient { BaseAddress = sim.BaseAddress, Timeout = TimeSpan.FromSeconds(1) };
        client.DefaultRequestHeaders.Add("X-API-Key", SimulatorHost.AdyenKey);

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() =>
            client.PostAsJsonAsync("sim/adyen/v71/payments", AdyenDialectTests.Payment("pm_card_timeout", reference: "att_t"), Ct));

        var charge = await Eventually.ReturnsAsync(async () => (await sim.ChargesAsync("adyen", "att_t")).SingleOrDefault());
        Assert.Equal("captured", charge.Status);
    }

    [Fact]
    public async Task Outage_answers_503_for_every_endpoint_of_that_psp_only()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(new { stripe = new { outage = true } });
        var service = new PaymentIntentService(sim.StripeClient());

        var create = await Assert.ThrowsAsync<StripeException>(() =>
            service.CreateAsync(new PaymentIntentCreateOptions { Amount = 1, Currency = "usd", PaymentMethod = "pm_card_visa", Confirm = true }, cancellationToken: Ct));
        var retrieve = await Assert.ThrowsAsync<StripeException>(() => service.GetAsync("pi_x", cancellationToken: Ct));
        var (adyenStatus, _) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.HttpStatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, retrieve.HttpStatusCode);
        Assert.Equal(HttpStatusCode.OK, adyenStatus);
        Assert.Equal("adyen", Assert.Single(await sim.ChargesAsync()).Psp);
    }

    [Fact]
    public async Task Latency_delays_the_response_by_the_configured_time()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetFaultsAsync(new { adyen = new { create = new { latencyMs = 3000 } } });
        var started = clock.GetUtcNow();

        var request = AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));
        for (var step = 0; !request.IsCompleted && step < 2_000; step++)
        {
            // Only simulated time passes; the response cannot come before 3 s of it have.
            clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.WhenAny(request, Task.Delay(20, Ct));
        }

        var (status, _) = await request;
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(clock.GetUtcNow() - started >= TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Capture_faults_apply_only_to_capture()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(new { adyen = new { capture = new { errorBeforeCharge = 1.0 } } });
        var (created, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", manual: true));

        var (captured, error) = await AdyenDialectTests.PostAsync(sim, $"payments/{payment.GetProperty("pspReference").GetString()}/captures",
            new { merchantAccount = "ObolMerchant", amount = new { value = 1000, currency = "EUR" } });

        Assert.Equal(HttpStatusCode.OK, created);
        Assert.Equal(HttpStatusCode.InternalServerError, captured);
        Assert.Equal("internal", error.GetProperty("errorType").GetString());
        Assert.Equal("authorized", Assert.Single(await sim.ChargesAsync()).Status);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_fault_sequence()
    {
        await using var sim = await SimulatorHost.StartAsync();

        async Task<string> RunAsync()
        {
            await sim.Http.PostAsync("sim/reset", null, Ct);
            await sim.SetFaultsAsync(StripeCreateFaults(new { errorBeforeCharge = 0.5 }, seed: 1234));
            var pattern = new System.Text.StringBuilder();
            for (var i = 0; i < 24; i++)
            {
                using var response = await sim.Http.SendAsync(StripeWireTests.CreateRequest(), Ct);
                pattern.Append(response.StatusCode == HttpStatusCode.OK ? 'o' : 'x');
            }

            return pattern.ToString();
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains("o", first, StringComparison.Ordinal);
        Assert.Contains("x", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_fault_rates_are_rejected()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var response = await sim.Http.PostAsJsonAsync("sim/faults", new { stripe = new { create = new { errorBeforeCharge = 1.5 } } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Faults_from_configuration_apply_at_start_up()
    {
        await using var sim = await SimulatorHost.StartAsync(new Dictionary<string, string?> { ["PspSimulator:Faults:Adyen:Outage"] = "true" });
        var (status, body) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(503, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Reset_clears_charges_and_faults()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));
        await sim.SetFaultsAsync(new { adyen = new { outage = true } });

        using var reset = await sim.Http.PostAsync("sim/reset", null, Ct);
        var (status, _) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Single(await sim.ChargesAsync());
    }
}
