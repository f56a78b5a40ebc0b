using System.Text.Json;

namespace Obol.PspSimulator.Tests;

public sealed class WebhookFaultTests
{
    private static string EventCode(ReceivedWebhook hook) =>
        JsonDocument.Parse(hook.Body).RootElement.GetProperty("notificationItems")[0].GetProperty("NotificationRequestItem").GetProperty("eventCode").GetString()!;

    private static string PspReference(ReceivedWebhook hook) =>
        JsonDocument.Parse(hook.Body).RootElement.GetProperty("notificationItems")[0].GetProperty("NotificationRequestItem").GetProperty("pspReference").GetString()!;

    [Fact]
    public async Task Dropped_webhooks_are_never_sent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { dropRate = 1.0 } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var record = Assert.Single(await sim.WebhooksAsync("adyen"));
        Assert.Equal("dropped", record.State);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Duplicated_webhooks_arrive_twice_with_the_same_identity()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { duplicateRate = 1.0 } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var hooks = await receiver.WaitForAsync(h => EventCode(h) == "AUTHORISATION", count: 2);
        Assert.Equal(PspReference(hooks[0]), PspReference(hooks[1]));
        Assert.Equal(hooks[0].Body, hooks[1].Body);
    }

    [Fact]
    public async Task Reordered_webhook_arrives_after_a_later_event()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { reorderRate = 1.0, reorderDelayMs = 3000 } } });
        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", manual: true));
        await sim.SetFaultsAsync(new { });

        await AdyenDialectTests.PostAsync(sim, $"payments/{payment.GetProperty("pspReference").GetString()}/captures",
            new { merchantAccount = "ObolMerchant", amount = new { value = 1000, currency = "EUR" } });
        await receiver.WaitForAsync(h => EventCode(h) == "CAPTURE");
        clock.Advance(TimeSpan.FromSeconds(3));

        var hooks = await receiver.WaitForAsync(_ => true, count: 2);
        Assert.Equal(["CAPTURE", "AUTHORISATION"], hooks.Select(EventCode).ToArray());
    }

    [Fact]
    public async Task Delayed_webhook_waits_for_simulated_time()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { delayMs = 60_000 } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));
        Assert.Equal("pending", Assert.Single(await sim.WebhooksAsync("adyen")).State);
        Assert.Empty(receiver.Received);

        clock.Advance(TimeSpan.FromSeconds(60));
        await receiver.WaitForAsync(h => EventCode(h) == "AUTHORISATION");
    }
}
