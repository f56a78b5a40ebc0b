using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Obol.PspSimulator.Faults;

namespace Obol.PspSimulator.Tests;

public sealed class FaultCountTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Nothing_is_counted_without_faults()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var counts = await sim.FaultCountsAsync();

        Assert.Equal(new PspFaultCounts(0, 0, 0, 0, 0, new WebhookFaultCounts(0, 0, 0, 0, 0, 0, 0)), counts.Stripe);
        Assert.Equal(new PspFaultCounts(0, 0, 0, 0, 0, new WebhookFaultCounts(0, 0, 0, 0, 0, 0, 0)), counts.Adyen);
    }

    [Fact]
    public async Task Request_faults_are_counted_per_psp_as_they_are_injected()
    {
        await using var sim = await SimulatorHost.StartAsync();

        await sim.SetFaultsAsync(new { stripe = new { create = new { errorBeforeCharge = 1.0, latencyMs = 1 } }, adyen = new { outage = true } });
        for (var i = 0; i < 2; i++)
        {
            using var failed = await sim.Http.SendAsync(StripeWireTests.CreateRequest(), Ct);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));
        await sim.SetFaultsAsync(new { adyen = new { create = new { errorAfterCharge = 1.0 } } });
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var counts = await sim.FaultCountsAsync();
        Assert.Equal(new PspFaultCounts(0, 2, 2, 0, 0, new WebhookFaultCounts(0, 0, 0, 0, 0, 0, 0)), counts.Stripe);
        Assert.Equal(1, counts.Adyen.Outage);
        Assert.Equal(1, counts.Adyen.ErrorAfterCharge);
        Assert.Equal(0, counts.Adyen.ErrorBeforeCharge);
    }

    [Fact]
    public async Task Timeout_after_charge_is_counted_when_the_response_is_held()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(new { adyen = new { create = new { timeoutAfterCharge = 1.0 } } });
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var held = sim.Http.PostAsJsonAsync("sim/adyen/v71/payments", AdyenDialectTests.Payment("pm_card_visa"), giveUp.Token);
        await Eventually.TrueAsync(async () => (await sim.FaultCountsAsync()).Adyen.TimeoutAfterCharge == 1);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        Assert.Equal(0, (await sim.FaultCountsAsync()).Stripe.TimeoutAfterCharge);
    }

    [Fact]
    public async Task Counts_survive_a_change_of_faults_and_are_cleared_by_reset()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync(new { stripe = new { outage = true } });
        using (await sim.Http.SendAsync(StripeWireTests.CreateRequest(), Ct))
        {
        }

        await sim.SetFaultsAsync(new { stripe = new { create = new { errorAfterCharge = 1.0 } } });
        using (await sim.Http.SendAsync(StripeWireTests.CreateRequest(), Ct))
        {
        }

        var phased = await sim.FaultCountsAsync();
        Assert.Equal(1, phased.Stripe.Outage);
        Assert.Equal(1, phased.Stripe.ErrorAfterCharge);

        using var reset = await sim.Http.PostAsync("sim/reset", null, Ct);
        var cleared = await sim.FaultCountsAsync();
        Assert.Equal(0, cleared.Stripe.Outage);
        Assert.Equal(0, cleared.Stripe.ErrorAfterCharge);
    }

    [Fact]
    public async Task Webhook_faults_and_delivery_attempts_are_counted()
    {
        await using var receiver = await WebhookReceiver.StartAsync(attempt => attempt <= 2 ? 500 : 200);
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { dropRate = 1.0 } } });
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", reference: "dropped"));
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { delayMs = 5, reorderRate = 1.0, reorderDelayMs = 5 } } });
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", reference: "late"));

        // Two failed attempts, then accepted on the third.
        await receiver.WaitForAsync(_ => true);
        var counts = await Eventually.ReturnsAsync(async () =>
            await sim.FaultCountsAsync() is { Adyen.Webhooks.DeliveryAttempts: 3 } c ? c : null);
        Assert.Equal(new WebhookFaultCounts(Deliveries: 2, Dropped: 1, Duplicated: 0, Delayed: 1, Reordered: 1, DeliveryAttempts: 3, FailedDeliveryAttempts: 2), counts.Adyen.Webhooks);
        Assert.Equal(0, counts.Stripe.Webhooks.Deliveries);
    }

    [Fact]
    public async Task Duplicated_delivery_is_counted_once_as_a_delivery_and_once_as_a_duplicate()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { duplicateRate = 1.0 } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        await receiver.WaitForAsync(_ => true, count: 2);
        var counts = await Eventually.ReturnsAsync(async () =>
            await sim.FaultCountsAsync() is { Adyen.Webhooks.DeliveryAttempts: 2 } c ? c : null);
        Assert.Equal(new WebhookFaultCounts(1, 0, 1, 0, 0, 2, 0), counts.Adyen.Webhooks);
        Assert.Equal(2, (await sim.WebhooksAsync("adyen")).Count);
    }

    [Fact]
    public async Task Counts_are_camel_case_json_nested_per_psp()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var json = JsonDocument.Parse(await sim.Http.GetStringAsync("sim/faults/counts", Ct)).RootElement;

        var stripe = json.GetProperty("stripe");
        foreach (var name in new[] { "outage", "latency", "errorBeforeCharge", "errorAfterCharge", "timeoutAfterCharge" })
        {
            Assert.Equal(0, stripe.GetProperty(name).GetInt64());
        }

        foreach (var name in new[] { "deliveries", "dropped", "duplicated", "delayed", "reordered", "deliveryAttempts", "failedDeliveryAttempts" })
        {
            Assert.Equal(0, json.GetProperty("adyen").GetProperty("webhooks").GetProperty(name).GetInt64());
        }
    }
}
