using System.Net;
using System.Text;
using Obol.Core.Storage;
using Obol.Payments.Psp;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class PspWebhookTests
{
    [Theory]
    [BothDatabases]
    public async Task A_bank_transfer_stays_processing_until_the_psp_webhook_settles_it(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_bank_transfer", 10_000)).GetProperty("id").GetString()!;
        Assert.Equal("processing", (await server.GetAsync(id)).GetProperty("status").GetString());

        server.Clock.Advance(TimeSpan.FromMinutes(1));
        var settled = await EventuallyAsync(async () => (await server.GetAsync(id)).GetProperty("status").GetString() == "captured");

        Assert.True(settled, "the simulator's webhook should have settled the payment");
        var events = await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync();
        Assert.Equal("webhook", events.GetProperty("data").EnumerateArray().Last().GetProperty("source").GetString());
        Assert.Single(await server.ChargesAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task Adyen_bank_transfers_settle_by_a_verified_notification(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Obol:Payments:Routing:0:Psps:0"] = "adyen",
        });
        var payment = await server.CreatedAsync("pm_bank_transfer", 5_000);
        var id = payment.GetProperty("id").GetString()!;
        Assert.Equal("adyen", payment.GetProperty("psp").GetString());

        server.Clock.Advance(TimeSpan.FromMinutes(1));

        Assert.True(await EventuallyAsync(async () => (await server.GetAsync(id)).GetProperty("status").GetString() == "captured"));
    }

    [Theory]
    [BothDatabases]
    public async Task Webhooks_with_a_bad_signature_are_refused_and_recorded_nowhere(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        using var anonymous = server.Server.CreateClient(apiKey: null);
        var stripe = new HttpRequestMessage(HttpMethod.Post, "/webhooks/psp/stripe")
        {
            Content = new StringContent("""{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{}}}""", Encoding.UTF8, "application/json"),
        };
        stripe.Headers.Add("Stripe-Signature", "t=1,v1=deadbeef");
        await (await anonymous.SendAsync(stripe)).ReadProblemAsync(400, "invalid_signature");

        var adyen = """
            {"live":"false","notificationItems":[{"NotificationRequestItem":{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x",
            "amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true","additionalData":{"hmacSignature":"AAAA"}}}]}
            """;
        await (await anonymous.PostJsonAsync("/webhooks/psp/adyen", adyen)).ReadProblemAsync(400, "invalid_signature");

        var recorded = await server.Service<Database>().ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM psp_webhook_events"), CancellationToken.None);
        Assert.Equal(0, recorded);
    }

    public static readonly TheoryData<string> MalformedStripeEvents =
    [
        "null",
        "[]",
        """{"object":"event","type":"payment_intent.succeeded","data":{"object":{}}}""",
        """{"id":42,"object":"event","type":"payment_intent.succeeded","data":{"object":{}}}""",
        """{"id":"evt_1","object":"event","type":null,"data":{"object":{}}}""",
        """{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":null}""",
        """{"id":"evt_nul\u0000","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent"}}}""",
        """{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":100,"currency":"usd","description":"a\u0000b"}}}""",
        "{\"id\":\"evt_" + new string('x', 10_000) + "\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":{}}}",
        """{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":"lots","currency":"usd"}}}""",
        """{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":100}}}""",
        """{"id":"evt_1","object":"event","type":"refund.updated","data":{"object":{"object":"refund","id":"re_1","amount":100,"currency":7}}}""",
        """{"id":"evt_\ud800x","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":100,"currency":"eur"}}}""",
        """{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":100,"currency":"eur","description":"\udc00"}}}""",
        """{"id":"evt_1","id":"evt_2","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":100,"currency":"eur"}}}""",
    ];

    public static readonly TheoryData<string> MalformedAdyenItems =
    [
        """{"pspReference":5,"merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true"}""",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","eventCode":"AUTHORISATION","success":"true"}""",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":"100","currency":"EUR"},"eventCode":"AUTHORISATION","success":"true"}""",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":1.5,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true"}""",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"maybe"}""",
        """{"pspReference":"X1\u0000","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true"}""",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true","reason":"a\u0000b"}""",
        "{\"pspReference\":\"X1\",\"merchantAccountCode\":\"M\",\"merchantReference\":\"" + new string('r', 10_000)
            + "\",\"amount\":{\"value\":100,\"currency\":\"EUR\"},\"eventCode\":\"AUTHORISATION\",\"success\":\"true\"}",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true","additionalData":{"hmacSignature":5}}""",
        """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true","reason":"x\udc00"}""",
        """{"pspReference":"X1\ud800","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"AUTHORISATION","success":"true"}""",
    ];

    [Theory]
    [BothDatabases]
    public async Task Correctly_signed_but_malformed_stripe_events_are_refused_and_recorded_nowhere(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        using var anonymous = server.Server.CreateClient(apiKey: null);
        var secret = server.Service<PaymentsOptions>().Stripe.WebhookSecret;
        foreach (var payload in MalformedStripeEvents)
        {
            var timestamp = server.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/psp/stripe")
            {
                Content = new StringContent(payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Stripe-Signature", $"t={timestamp},v1={Stripe.EventUtility.ComputeSignature(secret, timestamp, payload)}");
            await (await anonymous.SendAsync(request)).ReadProblemAsync(400, "malformed_webhook");
        }

        Assert.Equal(0, await WebhooksRecordedAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task Malformed_adyen_notifications_are_refused_before_the_signature_check_and_recorded_nowhere(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        using var anonymous = server.Server.CreateClient(apiKey: null);
        foreach (var item in MalformedAdyenItems)
        {
            var body = """{"live":"false","notificationItems":[{"NotificationRequestItem":""" + item + "}]}";
            await (await anonymous.PostJsonAsync("/webhooks/psp/adyen", body)).ReadProblemAsync(400, "malformed_webhook");
        }

        Assert.Equal(0, await WebhooksRecordedAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task An_adyen_notification_with_a_repeated_property_is_refused_before_the_signature_check(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        using var anonymous = server.Server.CreateClient(apiKey: null);
        var item = """{"pspReference":"X1","merchantAccountCode":"M","merchantReference":"pay_x","amount":{"value":100,"currency":"EUR"},"eventCode":"REPORT_AVAILABLE","eventCode":"REFUND","success":"true"}""";

        var body = """{"live":"false","notificationItems":[{"NotificationRequestItem":""" + item + "}]}";
        await (await anonymous.PostJsonAsync("/webhooks/psp/adyen", body)).ReadProblemAsync(400, "malformed_json");

        Assert.Equal(0, await WebhooksRecordedAsync(server));
    }

    private static Task<long> WebhooksRecordedAsync(PaymentsServer server) =>
        server.Service<Database>().ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM psp_webhook_events"), CancellationToken.None);

    [Theory]
    [BothDatabases]
    public async Task Duplicated_webhooks_are_stored_once_and_never_move_a_payment_backwards(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        await server.SetFaultsAsync("""{"seed":7,"stripe":{"webhooks":{"duplicateRate":1}}}""");

        var id = (await server.CreatedAsync("pm_card_visa", 4_000, "manual")).GetProperty("id").GetString()!;
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", "{}")).ReadJsonAsync();
        server.Clock.Advance(TimeSpan.FromMinutes(1));

        var database = server.Service<Database>();
        Assert.True(await EventuallyAsync(async () => await database.ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM psp_webhook_events WHERE payment_id = @id", new { id }), CancellationToken.None) >= 2));
        var deliveries = await (await server.Client.GetAsync("/sim/webhooks")).Content.ReadAsStringAsync();
        Assert.Contains("amount_capturable_updated", deliveries, StringComparison.Ordinal);

        // The late 'amount_capturable_updated' (authorized) must not undo the capture.
        var payment = await server.GetAsync(id);
        Assert.Equal("captured", payment.GetProperty("status").GetString());
        var types = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync())
            .GetProperty("data").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["payment.created", "payment.authorized", "payment.capture_requested", "payment.captured"], types);
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
