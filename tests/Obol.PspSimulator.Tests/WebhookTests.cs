using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Obol.PspSimulator.Webhooks;
using Stripe;

namespace Obol.PspSimulator.Tests;

public sealed class WebhookTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PaymentIntentCreateOptions Create(string paymentMethod, string? captureMethod = null) => new()
    {
        Amount = 1000,
        Currency = "usd",
        PaymentMethod = paymentMethod,
        Confirm = true,
        CaptureMethod = captureMethod,
        Metadata = new Dictionary<string, string> { ["reference"] = "ord-hook" },
    };

    private static bool IsType(ReceivedWebhook hook, string type) =>
        JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString() == type;

    private static bool IsEventCode(ReceivedWebhook hook, string code) =>
        Item(hook).GetProperty("eventCode").GetString() == code;

    private static JsonElement Item(ReceivedWebhook hook) =>
        JsonDocument.Parse(hook.Body).RootElement.GetProperty("notificationItems")[0].GetProperty("NotificationRequestItem").Clone();

    [Fact]
    public async Task Stripe_webhook_signature_verifies_with_Stripe_net_EventUtility()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(stripe: receiver.Url);

        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);
        var hook = (await receiver.WaitForAsync(h => IsType(h, "payment_intent.succeeded"))).Single();

        var stripeEvent = EventUtility.ConstructEvent(hook.Body, hook.Headers["Stripe-Signature"], SimulatorHost.StripeWebhookSecret);
        Assert.Equal(EventTypes.PaymentIntentSucceeded, stripeEvent.Type);
        Assert.StartsWith("evt_", stripeEvent.Id, StringComparison.Ordinal);
        var data = Assert.IsType<PaymentIntent>(stripeEvent.Data.Object);
        Assert.Equal(intent.Id, data.Id);
        Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(hook.Body, hook.Headers["Stripe-Signature"], "whsec_wrong"));
    }

    [Fact]
    public async Task Stripe_emits_capturable_cancel_failure_and_refund_events()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(stripe: receiver.Url);
        var service = new PaymentIntentService(sim.StripeClient());

        var manual = await service.CreateAsync(Create("pm_card_visa", "manual"), cancellationToken: Ct);
        await service.CancelAsync(manual.Id, cancellationToken: Ct);
        await Assert.ThrowsAsync<StripeException>(() => service.CreateAsync(Create("pm_card_declined"), cancellationToken: Ct));
        var paid = await service.CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);
        await new RefundService(sim.StripeClient()).CreateAsync(new RefundCreateOptions { PaymentIntent = paid.Id, Amount = 100 }, cancellationToken: Ct);

        foreach (var type in new[] { "payment_intent.amount_capturable_updated", "payment_intent.canceled", "payment_intent.payment_failed", "charge.refunded", "refund.created" })
        {
            var hook = (await receiver.WaitForAsync(h => IsType(h, type))).Single();
            var parsed = EventUtility.ConstructEvent(hook.Body, hook.Headers["Stripe-Signature"], SimulatorHost.StripeWebhookSecret);
            Assert.Equal(type, parsed.Type);
        }
    }

    [Fact]
    public async Task Adyen_notification_hmac_verifies_with_the_documented_algorithm()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", reference: "ord:with\\specials", manual: true));
        var psp = payment.GetProperty("pspReference").GetString()!;
        await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/captures", new { merchantAccount = "ObolMerchant", amount = new { value = 1000, currency = "EUR" } });

        var authorisation = Item((await receiver.WaitForAsync(h => IsEventCode(h, "AUTHORISATION"))).Single());
        var capture = Item((await receiver.WaitForAsync(h => IsEventCode(h, "CAPTURE"))).Single());

        Assert.Equal("true", authorisation.GetProperty("success").GetString());
        Assert.Equal(psp, capture.GetProperty("originalReference").GetString());
        Assert.Equal("ord:with\\specials", capture.GetProperty("merchantReference").GetString());
        foreach (var item in new[] { authorisation, capture })
        {
            Assert.Equal(ExpectedAdyenSignature(item, SimulatorHost.AdyenHmacKey), item.GetProperty("additionalData").GetProperty("hmacSignature").GetString());
        }
    }

    [Fact]
    public async Task Adyen_modification_notifications_report_the_modifications_own_reference()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", reference: "order-7"));
        var psp = payment.GetProperty("pspReference").GetString()!;
        await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/refunds", new { merchantAccount = "ObolMerchant", reference = "refund-1", amount = new { value = 100, currency = "EUR" } });
        await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/refunds", new { merchantAccount = "ObolMerchant", reference = "refund-2", amount = new { value = 100, currency = "EUR" } });

        var refunds = (await receiver.WaitForAsync(h => IsEventCode(h, "REFUND"), count: 2)).Select(Item).ToList();

        Assert.Equal(["refund-1", "refund-2"], refunds.Select(r => r.GetProperty("merchantReference").GetString()).Order(StringComparer.Ordinal));
        Assert.All(refunds, r => Assert.Equal(psp, r.GetProperty("originalReference").GetString()));
        Assert.All(refunds, r => Assert.Equal(ExpectedAdyenSignature(r, SimulatorHost.AdyenHmacKey), r.GetProperty("additionalData").GetProperty("hmacSignature").GetString()));
    }

    [Fact]
    public void Adyen_signing_matches_an_independently_computed_vector()
    {
        // Computed outside .NET, with Python's hmac module and with @adyen/api-library 32.1.0's hmacValidator, both
        // giving this signature. The notification signing string escapes nothing: an earlier version of this vector
        // escaped ':' and '\' (TestPayment\:1\\x), which is Adyen's other HMAC (hosted pages), not the notification's.
        var signing = AdyenHmac.SigningString("7914073381342284", null, "TestMerchant", "TestPayment:1\\x", 1130, "EUR", "AUTHORISATION", true);

        Assert.Equal("7914073381342284::TestMerchant:TestPayment:1\\x:1130:EUR:AUTHORISATION:true", signing);
        Assert.Equal("1FehVlgHa0YkSFNVMPPaEE9G+DXDND5YL/OKK0xW9nc=", AdyenHmac.Sign(signing, SimulatorHost.AdyenHmacKey));
    }

    [Fact]
    public void Adyen_signing_reproduces_notifications_signed_by_the_official_library()
    {
        // tests/psp-clients/fixtures: items signed by @adyen/api-library (its node tests check the signatures there).
        using var fixture = JsonDocument.Parse(System.IO.File.ReadAllText(RepositoryFile("tests/psp-clients/fixtures/adyen-notification-signed.json")));
        var key = fixture.RootElement.GetProperty("hmacKey").GetString()!;
        var signingStrings = fixture.RootElement.GetProperty("signingStrings").EnumerateArray().Select(e => e.GetString()).ToList();
        var items = fixture.RootElement.GetProperty("notification").GetProperty("notificationItems").EnumerateArray()
            .Select(i => i.GetProperty("NotificationRequestItem")).ToList();

        Assert.Equal(2, items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string? Field(string name) => item.TryGetProperty(name, out var v) ? v.GetString() : null;
            var amount = item.GetProperty("amount");
            var signing = AdyenHmac.SigningString(
                Field("pspReference")!, Field("originalReference"), Field("merchantAccountCode")!, Field("merchantReference")!,
                amount.GetProperty("value").GetInt64(), amount.GetProperty("currency").GetString()!, Field("eventCode")!, Field("success") == "true");
            Assert.Equal(signingStrings[i], signing);
            Assert.Equal(item.GetProperty("additionalData").GetProperty("hmacSignature").GetString(), AdyenHmac.Sign(signing, key));
            Assert.Equal(item.GetProperty("additionalData").GetProperty("hmacSignature").GetString(), ExpectedAdyenSignature(item, key));
        }
    }

    [Fact]
    public async Task Adyen_refused_payment_notifies_authorisation_failure_with_reason()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_declined"));

        var item = Item((await receiver.WaitForAsync(h => IsEventCode(h, "AUTHORISATION"))).Single());
        Assert.Equal("false", item.GetProperty("success").GetString());
        Assert.Equal("Refused", item.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Adyen_failed_capture_is_reported_by_notification()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));
        var psp = payment.GetProperty("pspReference").GetString();

        var (status, _) = await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/captures", new { merchantAccount = "ObolMerchant", amount = new { value = 1000, currency = "EUR" } });

        Assert.Equal(System.Net.HttpStatusCode.Created, status);
        var item = Item((await receiver.WaitForAsync(h => IsEventCode(h, "CAPTURE"))).Single());
        Assert.Equal("false", item.GetProperty("success").GetString());
    }

    [Fact]
    public async Task Adyen_cancel_and_refund_notifications_are_sent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);
        var (_, held) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", manual: true, reference: "a"));
        var (_, paid) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", reference: "b"));

        await AdyenDialectTests.PostAsync(sim, $"payments/{held.GetProperty("pspReference").GetString()}/cancels", new { merchantAccount = "ObolMerchant" });
        await AdyenDialectTests.PostAsync(sim, $"payments/{paid.GetProperty("pspReference").GetString()}/refunds", new { merchantAccount = "ObolMerchant", amount = new { value = 400, currency = "EUR" } });

        var cancellation = Item((await receiver.WaitForAsync(h => IsEventCode(h, "CANCELLATION"))).Single());
        var refund = Item((await receiver.WaitForAsync(h => IsEventCode(h, "REFUND"))).Single());
        Assert.Equal("true", cancellation.GetProperty("success").GetString());
        Assert.Equal(400, refund.GetProperty("amount").GetProperty("value").GetInt64());
        Assert.Equal(paid.GetProperty("pspReference").GetString(), refund.GetProperty("originalReference").GetString());
    }

    [Fact]
    public async Task Adyen_bank_transfer_notifies_authorisation_only_when_settled()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(new Dictionary<string, string?> { ["PspSimulator:BankTransferSettleDelay"] = "01:00:00" }, clock);
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_bank_transfer"));
        Assert.Empty(await sim.WebhooksAsync("adyen"));
        Assert.Equal("pending", Assert.Single(await sim.ChargesAsync()).Status);

        clock.Advance(TimeSpan.FromHours(1));

        var item = Item((await receiver.WaitForAsync(h => IsEventCode(h, "AUTHORISATION"))).Single());
        Assert.Equal("true", item.GetProperty("success").GetString());
        Assert.Equal("captured", Assert.Single(await sim.ChargesAsync()).Status);
    }

    [Fact]
    public async Task Stripe_signing_secret_can_be_changed_at_run_time()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        using var config = await sim.Http.PostAsJsonAsync("sim/config", new { stripe = new { webhookUrl = receiver.Url, secret = "whsec_rotated" } }, Ct);
        config.EnsureSuccessStatusCode();

        await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);

        var hook = (await receiver.WaitForAsync(h => IsType(h, "payment_intent.succeeded"))).Single();
        Assert.Equal("payment_intent.succeeded", EventUtility.ConstructEvent(hook.Body, hook.Headers["Stripe-Signature"], "whsec_rotated").Type);
    }

    [Fact]
    public async Task Failed_deliveries_are_retried_until_the_receiver_accepts()
    {
        await using var receiver = await WebhookReceiver.StartAsync(attempt => attempt <= 2 ? 500 : 200);
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        await receiver.WaitForAsync(h => IsEventCode(h, "AUTHORISATION"));
        var record = await Eventually.ReturnsAsync(async () => (await sim.WebhooksAsync("adyen")).SingleOrDefault(w => w.State == "delivered"));
        Assert.Equal(3, record.Attempts);
    }

    [Fact]
    public async Task A_delivery_whose_connection_breaks_with_a_bare_socket_error_is_retried_until_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var breaks = new StrongBox<int>(2);
        await using var sim = await SimulatorHost.StartAsync(services: s =>
            s.AddHttpClient(WebhookDispatcher.HttpClientName).AddHttpMessageHandler(() => new BreakingConnections(breaks)));
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        await receiver.WaitForAsync(h => IsEventCode(h, "AUTHORISATION"));
        var record = await Eventually.ReturnsAsync(async () => (await sim.WebhooksAsync("adyen")).SingleOrDefault(w => w.State == "delivered"));
        Assert.Equal(3, record.Attempts);
    }

    /// <summary>The first calls fail as SocketsHttpHandler fails when the peer resets a connection it is still setting up.</summary>
    private sealed class BreakingConnections(StrongBox<int> remaining) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Decrement(ref remaining.Value) >= 0
                ? throw new SocketException((int)SocketError.NotConnected)
                : base.SendAsync(request, cancellationToken);
    }

    [Fact]
    public async Task Delivery_gives_up_after_the_configured_attempts()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 503);
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetWebhookUrlsAsync(adyen: receiver.Url);

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var record = await Eventually.ReturnsAsync(async () => (await sim.WebhooksAsync("adyen")).SingleOrDefault(w => w.State == "failed"));
        Assert.Equal(4, record.Attempts);
        Assert.Equal(503, record.LastStatusCode);
    }

    [Fact]
    public void Retry_schedule_is_exponential_and_capped()
    {
        var retry = new WebhookRetryOptions { InitialDelay = TimeSpan.FromSeconds(5), BackoffFactor = 3, MaxDelay = TimeSpan.FromMinutes(1) };

        Assert.Equal(TimeSpan.Zero, retry.DelayBeforeAttempt(1));
        Assert.Equal(TimeSpan.FromSeconds(5), retry.DelayBeforeAttempt(2));
        Assert.Equal(TimeSpan.FromSeconds(15), retry.DelayBeforeAttempt(3));
        Assert.Equal(TimeSpan.FromSeconds(45), retry.DelayBeforeAttempt(4));
        Assert.Equal(TimeSpan.FromMinutes(1), retry.DelayBeforeAttempt(5));
        Assert.Equal(TimeSpan.FromMinutes(1), retry.DelayBeforeAttempt(30));
    }

    internal static string ExpectedAdyenSignature(JsonElement item, string hexKey)
    {
        string Field(string name) => item.TryGetProperty(name, out var v) ? v.GetString() ?? string.Empty : string.Empty;
        var amount = item.GetProperty("amount");
        var data = string.Join(':', new[]
        {
            Field("pspReference"), Field("originalReference"), Field("merchantAccountCode"), Field("merchantReference"),
            amount.GetProperty("value").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            amount.GetProperty("currency").GetString()!, Field("eventCode"), Field("success"),
        });
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Convert.FromHexString(hexKey), System.Text.Encoding.UTF8.GetBytes(data));
        return Convert.ToBase64String(mac);
    }

    /// <summary>A file of this repository, found from the test's output directory up to <c>Obol.slnx</c>.</summary>
    internal static string RepositoryFile(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "Obol.slnx")))
            {
                return Path.Combine(directory.FullName, relativePath);
            }
        }

        throw new InvalidOperationException($"Obol.slnx not found above {AppContext.BaseDirectory}");
    }
}
