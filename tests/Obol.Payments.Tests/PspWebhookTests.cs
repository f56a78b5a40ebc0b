using System.Net;
using System.Text;
using Obol.Core.Storage;
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
