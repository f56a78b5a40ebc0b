using System.Net;
using Obol.Core.Storage;
using Obol.Payments.Processing;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class PaymentIdempotencyAndFaultTests
{
    [Theory]
    [BothDatabases]
    public async Task Fifty_parallel_creates_with_one_key_charge_once(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => server.CreateAsync("pm_card_visa", 4200, key: "same-key"))));

        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var ids = created.Select(r => r.ReadJsonAsync().Result.GetProperty("id").GetString()).Distinct().ToList();
        Assert.Single(ids);
        Assert.Single(await server.ChargesAsync());

        var replay = await server.CreateAsync("pm_card_visa", 4200, key: "same-key");
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await (await server.CreateAsync("pm_card_visa", 4300, key: "same-key")).ReadProblemAsync(422, "idempotency_key_reused");
        Assert.Single(await server.ChargesAsync());
    }

    [Theory]
    [BothDatabases]
    public async Task A_psp_timeout_leaves_the_payment_processing_until_the_resolver_finds_the_charge(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        await server.SetFaultsAsync("""{"seed":3,"stripe":{"webhooks":{"dropRate":1}}}""");

        var payment = await server.CreatedAsync("pm_card_timeout", 3100);
        var id = payment.GetProperty("id").GetString()!;
        Assert.Equal("processing", payment.GetProperty("status").GetString());
        Assert.Single(await server.ChargesAsync(id));

        server.Clock.Advance(TimeSpan.FromMinutes(10));
        await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None);

        var resolved = await server.GetAsync(id);
        Assert.Equal("captured", resolved.GetProperty("status").GetString());
        Assert.Equal(3100, resolved.GetProperty("amountCaptured").GetInt64());
        Assert.Single(await server.ChargesAsync(id));
        var events = await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync();
        Assert.Equal("resolver", events.GetProperty("data").EnumerateArray().Last().GetProperty("source").GetString());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_psp_timeout_can_be_settled_first_by_the_psps_webhook(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);

        var id = (await server.CreatedAsync("pm_card_timeout", 3200)).GetProperty("id").GetString()!;

        var payment = await server.GetAsync(id);
        Assert.Equal("captured", payment.GetProperty("status").GetString());
        var sources = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync())
            .GetProperty("data").EnumerateArray().Select(e => e.GetProperty("source").GetString()).ToList();
        Assert.Contains("webhook", sources);
        Assert.Equal(0, await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None));
        Assert.Single(await server.ChargesAsync(id));
        Assert.Equal((3200, 0, 0), await server.AccountAsync("merchant_payable"));
    }

    [Theory]
    [BothDatabases]
    public async Task An_error_after_the_charge_never_fails_over_and_is_resolved_to_one_charge(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        // Webhooks dropped so that the resolver, not a racing webhook, settles the payment.
        await server.SetFaultsAsync("""{"seed":1,"stripe":{"create":{"errorAfterCharge":1},"webhooks":{"dropRate":1}}}""");

        var payment = await server.CreatedAsync("pm_card_visa", 2500);
        var id = payment.GetProperty("id").GetString()!;
        Assert.Equal("processing", payment.GetProperty("status").GetString());
        Assert.Equal("stripe", Assert.Single(await server.ChargesAsync(id)).GetProperty("psp").GetString());

        await server.SetFaultsAsync("{}");
        server.Clock.Advance(TimeSpan.FromMinutes(10));
        await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None);

        Assert.Equal("captured", (await server.GetAsync(id)).GetProperty("status").GetString());
        Assert.Single(await server.ChargesAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task When_stripe_cannot_be_reached_payments_fail_over_to_adyen(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Obol:Payments:Stripe:BaseUrl"] = "http://127.0.0.1:9/",
        });

        var payment = await server.CreatedAsync("pm_card_visa", 1234);
        var id = payment.GetProperty("id").GetString()!;

        Assert.Equal("captured", payment.GetProperty("status").GetString());
        Assert.Equal("adyen", payment.GetProperty("psp").GetString());
        Assert.Equal("adyen", Assert.Single(await server.ChargesAsync(id)).GetProperty("psp").GetString());
        var events = await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync();
        Assert.Contains(events.GetProperty("data").EnumerateArray(), e => e.GetProperty("type").GetString() == "payment.failed_over");

        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":234}""")).ReadJsonAsync();
        Assert.Equal("succeeded", refund.GetProperty("status").GetString());
    }

    [Theory]
    [BothDatabases]
    public async Task A_request_that_died_after_recording_its_attempt_is_finished_by_the_resolver_without_a_second_charge(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);

        // No webhook: one arriving after the rewind below would settle the payment before the resolver gets to it.
        await server.SetFaultsAsync("""{"seed":5,"stripe":{"webhooks":{"dropRate":1}}}""");
        var id = (await server.CreatedAsync("pm_card_visa", 800)).GetProperty("id").GetString()!;

        // Make the database look as if the process died right after the PSP charged: attempt started, payment pending.
        var database = server.Service<Database>();
        await database.WriteAsync(async s =>
        {
            await s.ExecuteAsync("UPDATE payment_attempts SET status = 'started', completed_at = NULL, resolve_after = @at WHERE payment_id = @id",
                new { id, at = server.Clock.GetUtcNow() });
            await s.ExecuteAsync("UPDATE payments SET status = 'pending', amount_captured = 0 WHERE id = @id", new { id });
        }, CancellationToken.None);

        server.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None));

        var payment = await server.GetAsync(id);
        Assert.Equal("captured", payment.GetProperty("status").GetString());
        Assert.Single(await server.ChargesAsync(id));
        Assert.Equal(0, await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None));
    }

    /// <summary>
    /// A refund asked for again under the same Idempotency-Key after its first phase committed (the process died, or the
    /// COMMIT's answer was lost, and the key's claim ran out) continues that refund and its PSP attempt: one refund.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task A_refund_asked_again_under_its_key_continues_the_first_refund(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_card_visa", 1000)).GetProperty("id").GetString()!;
        var processor = server.Service<PaymentProcessor>();
        var merchantId = (await server.Service<Database>().ReadAsync(s => s.ExecuteScalarAsync<string>("SELECT merchant_id FROM payments WHERE id = @id", new { id }),
            CancellationToken.None))!;

        var first = await processor.RefundAsync(merchantId, id, 300, null, "refund-key-1", null, CancellationToken.None);
        var again = await processor.RefundAsync(merchantId, id, 300, null, "refund-key-1", null, CancellationToken.None);
        var other = await processor.RefundAsync(merchantId, id, 200, null, "refund-key-2", null, CancellationToken.None);

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal(500, Assert.Single(await server.ChargesAsync(id)).GetProperty("amountRefunded").GetInt64());
        Assert.Equal(500, (await server.GetAsync(id)).GetProperty("amountRefunded").GetInt64());
        await server.AssertLedgerBalancedAsync();
    }
}
