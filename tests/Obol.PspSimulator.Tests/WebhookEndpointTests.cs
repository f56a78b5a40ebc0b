using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Control;
using Stripe;

namespace Obol.PspSimulator.Tests;

/// <summary>Several webhook endpoints per PSP, each with its own secret, deliveries and faults.</summary>
public sealed class WebhookEndpointTests
{
    private const string OtherAdyenKey = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PaymentIntentCreateOptions Create() => new()
    {
        Amount = 1000,
        Currency = "usd",
        PaymentMethod = "pm_card_visa",
        Confirm = true,
        Metadata = new Dictionary<string, string> { ["reference"] = "ord-endpoints" },
    };

    private static JsonElement Item(ReceivedWebhook hook) =>
        JsonDocument.Parse(hook.Body).RootElement.GetProperty("notificationItems")[0].GetProperty("NotificationRequestItem").Clone();

    private static async Task ConfigureAsync(SimulatorHost sim, object body)
    {
        using var response = await sim.Http.PostAsJsonAsync("sim/config", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A loopback URL nothing listens on: connections are refused.</summary>
    private static Uri RefusingUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/hook");
    }

    [Fact]
    public async Task Every_Stripe_event_goes_to_every_endpoint_signed_with_that_endpoints_secret()
    {
        await using var first = await WebhookReceiver.StartAsync();
        await using var second = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { stripe = new { endpoints = new[] { new { url = first.Url, secret = "whsec_first" }, new { url = second.Url, secret = "whsec_second" } } } });

        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create(), cancellationToken: Ct);

        var toFirst = (await first.WaitForAsync(_ => true)).Single();
        var toSecond = (await second.WaitForAsync(_ => true)).Single();
        Assert.Equal(toFirst.Body, toSecond.Body);
        var parsed = EventUtility.ConstructEvent(toFirst.Body, toFirst.Headers["Stripe-Signature"], "whsec_first");
        Assert.Equal(intent.Id, Assert.IsType<PaymentIntent>(parsed.Data.Object).Id);
        EventUtility.ConstructEvent(toSecond.Body, toSecond.Headers["Stripe-Signature"], "whsec_second");
        Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(toSecond.Body, toSecond.Headers["Stripe-Signature"], "whsec_first"));

        var rows = await Eventually.ReturnsAsync(async () =>
            await sim.WebhooksAsync("stripe") is var r && r.All(w => w.State == "delivered") ? r : null);
        Assert.Equal<Uri?>([first.Url, second.Url], rows.Select(r => r.Url));
        Assert.All(rows, r => Assert.Equal(parsed.Id, r.EventId));
        Assert.All(rows, r => Assert.Equal(1, r.Attempts));
    }

    [Fact]
    public async Task Each_Adyen_endpoint_gets_items_signed_with_its_own_key_or_the_default_key()
    {
        await using var first = await WebhookReceiver.StartAsync();
        await using var second = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { adyen = new { endpoints = new object[] { new { url = first.Url, secret = OtherAdyenKey }, new { url = second.Url } } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var toFirst = Item((await first.WaitForAsync(_ => true)).Single());
        var toSecond = Item((await second.WaitForAsync(_ => true)).Single());
        Assert.Equal(toFirst.GetProperty("pspReference").GetString(), toSecond.GetProperty("pspReference").GetString());
        var firstSignature = toFirst.GetProperty("additionalData").GetProperty("hmacSignature").GetString();
        var secondSignature = toSecond.GetProperty("additionalData").GetProperty("hmacSignature").GetString();
        Assert.Equal(WebhookTests.ExpectedAdyenSignature(toFirst, OtherAdyenKey), firstSignature);
        Assert.Equal(WebhookTests.ExpectedAdyenSignature(toSecond, SimulatorHost.AdyenHmacKey), secondSignature);
        Assert.NotEqual(firstSignature, secondSignature);
    }

    [Fact]
    public async Task An_endpoint_that_is_down_delays_only_its_own_deliveries()
    {
        var refusing = RefusingUrl();
        await using var failing = await WebhookReceiver.StartAsync(_ => 503);
        await using var healthy = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { adyen = new { endpoints = new[] { new { url = refusing }, new { url = failing.Url }, new { url = healthy.Url } } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        await healthy.WaitForAsync(_ => true);
        var rows = await Eventually.ReturnsAsync(async () =>
            await sim.WebhooksAsync("adyen") is var r && r.All(w => w.State != "pending") ? r : null);
        Assert.Equal(["failed", "failed", "delivered"], rows.Select(r => r.State).ToArray());
        Assert.Equal([4, 4, 1], rows.Select(r => r.Attempts).ToArray());
        Assert.Equal([null, 503, 200], rows.Select(r => r.LastStatusCode).ToArray());
        var counts = (await sim.FaultCountsAsync()).Adyen.Webhooks;
        Assert.Equal(3, counts.Deliveries);
        Assert.Equal(9, counts.DeliveryAttempts);
        Assert.Equal(8, counts.FailedDeliveryAttempts);
    }

    [Fact]
    public async Task Webhook_faults_are_drawn_for_each_endpoint_delivery()
    {
        await using var first = await WebhookReceiver.StartAsync();
        await using var second = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { adyen = new { endpoints = new[] { new { url = first.Url }, new { url = second.Url } } } });
        await sim.SetFaultsAsync(new { adyen = new { webhooks = new { duplicateRate = 1.0 } } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        await first.WaitForAsync(_ => true, count: 2);
        await second.WaitForAsync(_ => true, count: 2);
        var counts = (await sim.FaultCountsAsync()).Adyen.Webhooks;
        Assert.Equal(2, counts.Deliveries);
        Assert.Equal(2, counts.Duplicated);
        Assert.Equal(4, (await sim.WebhooksAsync("adyen")).Count);
    }

    [Fact]
    public async Task Same_seed_drops_the_same_endpoint_deliveries()
    {
        await using var first = await WebhookReceiver.StartAsync();
        await using var second = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { adyen = new { endpoints = new[] { new { url = first.Url }, new { url = second.Url } } } });

        async Task<string> RunAsync()
        {
            await sim.Http.PostAsync("sim/reset", null, Ct);
            await sim.SetFaultsAsync(new { seed = 99, adyen = new { webhooks = new { dropRate = 0.5 } } });
            for (var i = 0; i < 12; i++)
            {
                await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", reference: "r" + i));
            }

            var rows = await sim.WebhooksAsync("adyen");
            return string.Concat(rows.Select(r => (r.Url == first.Url ? "1" : "2") + (r.State == "dropped" ? "x" : "o")));
        }

        var one = await RunAsync();
        var two = await RunAsync();

        Assert.Equal(one, two);
        Assert.Equal(48, one.Length);
        // Rows come per event, endpoint 1 then 2: some event reached one endpoint and was dropped for the other.
        var pairs = one.Chunk(4).Select(c => new string(c)).ToList();
        Assert.All(pairs, p => Assert.Matches("^1[xo]2[xo]$", p));
        Assert.Contains(pairs, p => p is "1x2o" or "1o2x");
        Assert.Contains(pairs, p => p == "1o2o");
    }

    [Fact]
    public async Task Configured_url_and_endpoint_list_form_one_ordered_list_with_default_secrets()
    {
        await using var first = await WebhookReceiver.StartAsync();
        await using var second = await WebhookReceiver.StartAsync();
        await using var third = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["PspSimulator:Stripe:WebhookUrl"] = first.Url.ToString(),
            ["PspSimulator:Stripe:WebhookEndpoints:0:Url"] = second.Url.ToString(),
            ["PspSimulator:Stripe:WebhookEndpoints:1:Url"] = third.Url.ToString(),
            ["PspSimulator:Stripe:WebhookEndpoints:1:Secret"] = "whsec_third",
            ["PspSimulator:Adyen:WebhookEndpoints:0:Url"] = second.Url.ToString(),
            ["PspSimulator:Adyen:WebhookEndpoints:0:Secret"] = OtherAdyenKey,
        });

        var config = (await sim.Http.GetFromJsonAsync<SimulatorConfigView>("sim/config", Ct))!;
        Assert.Equal([first.Url, second.Url, third.Url], config.Stripe.Endpoints.Select(e => e.Url).ToArray());
        Assert.Equal([second.Url], config.Adyen.Endpoints.Select(e => e.Url).ToArray());
        Assert.Equal(first.Url, config.StripeWebhookUrl);
        Assert.Equal(second.Url, config.AdyenWebhookUrl);

        await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create(), cancellationToken: Ct);
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        static bool IsStripe(ReceivedWebhook hook) => hook.Headers.ContainsKey("Stripe-Signature");
        foreach (var (receiver, secret) in new[] { (first, SimulatorHost.StripeWebhookSecret), (second, SimulatorHost.StripeWebhookSecret), (third, "whsec_third") })
        {
            var hook = (await receiver.WaitForAsync(IsStripe)).Single();
            EventUtility.ConstructEvent(hook.Body, hook.Headers["Stripe-Signature"], secret);
        }

        var adyen = Item((await second.WaitForAsync(h => !IsStripe(h))).Single());
        Assert.Equal(WebhookTests.ExpectedAdyenSignature(adyen, OtherAdyenKey), adyen.GetProperty("additionalData").GetProperty("hmacSignature").GetString());
    }

    [Fact]
    public async Task Config_shows_endpoint_urls_and_never_secrets()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var set = await sim.Http.PostAsJsonAsync("sim/config", new
        {
            stripe = new { endpoints = new[] { new { url = "http://127.0.0.1:1/a", secret = "whsec_hidden" }, new { url = "http://127.0.0.1:1/b", secret = "whsec_hidden_too" } } },
            adyen = new { webhookUrl = "http://127.0.0.1:1/c", secret = OtherAdyenKey },
        }, Ct);

        var text = await set.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(text, await sim.Http.GetStringAsync("sim/config", Ct));
        Assert.DoesNotContain("whsec_", text, StringComparison.Ordinal);
        Assert.DoesNotContain(OtherAdyenKey, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SimulatorHost.StripeWebhookSecret, text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal<string?>(["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"], json.GetProperty("stripe").GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("url").GetString()));
        Assert.Equal("http://127.0.0.1:1/c", json.GetProperty("adyen").GetProperty("endpoints")[0].GetProperty("url").GetString());
        Assert.Equal("http://127.0.0.1:1/a", json.GetProperty("stripeWebhookUrl").GetString());
    }

    [Fact]
    public async Task Old_form_without_url_removes_every_endpoint()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { adyen = new { endpoints = new[] { new { url = receiver.Url }, new { url = receiver.Url } } } });
        await ConfigureAsync(sim, new { adyen = new { webhookUrl = (Uri?)null } });

        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var row = Assert.Single(await sim.WebhooksAsync("adyen"));
        Assert.Equal("noendpoint", row.State);
        Assert.Null(row.Url);
    }

    [Fact]
    public async Task Old_form_secret_becomes_the_default_for_endpoints_without_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync();
        await ConfigureAsync(sim, new { stripe = new { webhookUrl = (Uri?)null, secret = "whsec_new_default" } });
        await ConfigureAsync(sim, new { stripe = new { endpoints = new[] { new { url = receiver.Url } } } });

        await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create(), cancellationToken: Ct);

        var hook = (await receiver.WaitForAsync(_ => true)).Single();
        EventUtility.ConstructEvent(hook.Body, hook.Headers["Stripe-Signature"], "whsec_new_default");
    }

    [Theory]
    [InlineData("""{"stripe":{"webhookUrl":"http://127.0.0.1:1/a","endpoints":[]}}""")]
    [InlineData("""{"stripe":{"endpoints":[{"secret":"whsec_x"}]}}""")]
    [InlineData("""{"stripe":{"endpoints":[{"url":"/relative"}]}}""")]
    [InlineData("""{"stripe":{"webhookUrl":"ftp://127.0.0.1/a"}}""")]
    [InlineData("""{"adyen":{"endpoints":[{"url":"http://127.0.0.1:1/a","secret":"not-hex"}]}}""")]
    [InlineData("""{"stripe":{"endpoints":[{"url":"http://127.0.0.1:1/changed"}]},"adyen":{"secret":"not-hex"}}""")]
    public async Task Invalid_config_is_rejected_and_changes_nothing(string body)
    {
        await using var sim = await SimulatorHost.StartAsync(new Dictionary<string, string?> { ["PspSimulator:Stripe:WebhookUrl"] = "http://127.0.0.1:1/kept" });

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await sim.Http.PostAsync("sim/config", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var config = (await sim.Http.GetFromJsonAsync<SimulatorConfigView>("sim/config", Ct))!;
        Assert.Equal([new Uri("http://127.0.0.1:1/kept")], config.Stripe.Endpoints.Select(e => e.Url).ToArray());
    }

    [Theory]
    [InlineData("PspSimulator:Stripe:WebhookEndpoints:0:Secret", "whsec_without_url")]
    [InlineData("PspSimulator:Adyen:WebhookEndpoints:0:Url", "relative/path")]
    [InlineData("PspSimulator:Adyen:WebhookUrl", "relative/path")]
    public async Task Invalid_endpoint_configuration_fails_at_start_up(string key, string value)
    {
        await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(new Dictionary<string, string?> { [key] = value }));
    }

    [Fact]
    public async Task Non_hex_Adyen_endpoint_key_fails_at_start_up()
    {
        await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["PspSimulator:Adyen:WebhookEndpoints:0:Url"] = "http://127.0.0.1:1/a",
            ["PspSimulator:Adyen:WebhookEndpoints:0:Secret"] = "not-hex",
        }));
    }
}
