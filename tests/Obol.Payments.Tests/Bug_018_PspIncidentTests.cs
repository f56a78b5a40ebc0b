using System.Text.Json;
using Obol.Core.Storage;
using Obol.Payments.Domain;
using Obol.Payments.Processing;
using Obol.Payments.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

/// <summary>
/// Issue 18: double charges and records that disagree with the PSP under PSP incidents. Each test replays one incident with the
/// simulator's fault injection on a fake clock. Webhooks are dropped unless a test sends them itself, so what settles each
/// payment is the code under test, not a racing delivery.
/// </summary>
public class Bug_018_PspIncidentTests
{
    private const string NoWebhooks = """{"seed":18,"stripe":{"webhooks":{"dropRate":1}},"adyen":{"webhooks":{"dropRate":1}}}""";

    private static readonly Dictionary<string, string?> EuroToAdyen = new()
    {
        ["Obol:Payments:Routing:0:Currencies:0"] = "EUR",
        ["Obol:Payments:Routing:0:Psps:0"] = "adyen",
        ["Obol:Payments:Routing:0:Psps:1"] = "stripe",
    };

    /// <summary>
    /// Charges time out at Stripe after Stripe charged them, and Stripe goes down while the resolver asks about them: its 503s
    /// open the circuit breaker, and an open circuit used to count as "not charged", so each payment failed over to Adyen and was
    /// charged a second time. Only Stripe's own answer about those very requests may settle them.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task An_open_circuit_while_unknown_charges_are_resolved_never_fails_them_over(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        await server.SetFaultsAsync("""{"seed":18,"stripe":{"create":{"timeoutAfterCharge":1},"webhooks":{"dropRate":1}},"adyen":{"webhooks":{"dropRate":1}}}""");
        var ids = await Task.WhenAll(Enumerable.Range(1, 10).Select(async i => (await server.CreatedAsync("pm_card_visa", 1_000 + i)).GetProperty("id").GetString()!));
        Assert.All(await StatusesAsync(server, ids), s => Assert.Equal("processing", s));

        await server.SetFaultsAsync("""{"seed":18,"stripe":{"outage":true,"webhooks":{"dropRate":1}},"adyen":{"webhooks":{"dropRate":1}}}""");
        for (var round = 0; round < 4; round++)
        {
            server.Clock.Advance(TimeSpan.FromSeconds(5));
            await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None);
        }

        Assert.All(await StatusesAsync(server, ids), s => Assert.Equal("processing", s));
        await AssertOneChargeEachAsync(server, ids, "stripe");

        await HealAndResolveAsync(server);

        Assert.All(await StatusesAsync(server, ids), s => Assert.Equal("captured", s));
        await AssertOneChargeEachAsync(server, ids, "stripe");
        Assert.Equal((ids.Length * 1_000L + 55, 0, 0), await server.AccountAsync("merchant_payable"));
        await server.AssertLedgerBalancedAsync();
    }

    /// <summary>
    /// The same incident for captures and refunds: Stripe performed them, their answers were lost, and the open circuit used to
    /// mark them failed, so Obol showed an uncaptured payment and a failed refund where Stripe had moved the money.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task Captures_and_refunds_whose_answers_were_lost_are_not_failed_by_an_open_circuit(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        await server.SetFaultsAsync(NoWebhooks);
        var manual = await Task.WhenAll(Enumerable.Range(1, 5).Select(async i => (await server.CreatedAsync("pm_card_visa", 2_000, "manual")).GetProperty("id").GetString()!));
        var automatic = await Task.WhenAll(Enumerable.Range(1, 5).Select(async i => (await server.CreatedAsync("pm_card_visa", 3_000)).GetProperty("id").GetString()!));

        await server.SetFaultsAsync("""{"seed":18,"stripe":{"capture":{"timeoutAfterCharge":1},"refund":{"timeoutAfterCharge":1},"webhooks":{"dropRate":1}},"adyen":{"webhooks":{"dropRate":1}}}""");
        var captures = await Task.WhenAll(manual.Select(id => server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":1500}""")));
        var refunds = await Task.WhenAll(automatic.Select(id => server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")));
        Assert.All(await Task.WhenAll(captures.Select(r => r.ReadJsonAsync())), p => Assert.Equal("processing", p.GetProperty("status").GetString()));
        var refundIds = (await Task.WhenAll(refunds.Select(r => r.ReadJsonAsync()))).Select(r => r.GetProperty("id").GetString()!).ToList();

        await server.SetFaultsAsync("""{"seed":18,"stripe":{"outage":true,"webhooks":{"dropRate":1}},"adyen":{"webhooks":{"dropRate":1}}}""");
        for (var round = 0; round < 4; round++)
        {
            server.Clock.Advance(TimeSpan.FromSeconds(5));
            await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None);
        }

        Assert.All(await StatusesAsync(server, manual), s => Assert.Equal("processing", s));
        Assert.All(await RefundStatusesAsync(server, refundIds), s => Assert.Equal("processing", s));

        await HealAndResolveAsync(server);

        Assert.All(await StatusesAsync(server, manual), s => Assert.Equal("captured", s));
        Assert.All(await StatusesAsync(server, automatic), s => Assert.Equal("partially_refunded", s));
        Assert.All(await RefundStatusesAsync(server, refundIds), s => Assert.Equal("succeeded", s));
        foreach (var id in manual.Concat(automatic))
        {
            var charge = Assert.Single(await server.ChargesAsync(id));
            var payment = await server.GetAsync(id);
            Assert.Equal(charge.GetProperty("amountCaptured").GetInt64(), payment.GetProperty("amountCaptured").GetInt64());
            Assert.Equal(charge.GetProperty("amountRefunded").GetInt64(), payment.GetProperty("amountRefunded").GetInt64());
        }

        Assert.Equal((5 * 1_500L + 5 * 2_000L, 0, 0), await server.AccountAsync("merchant_payable"));
        await server.AssertLedgerBalancedAsync();
    }

    /// <summary>
    /// Two refunds of the same amount on one Adyen payment: the first got a 5xx before Adyen acted (unknown), the second was
    /// answered. The second's REFUND notification names the payment and the second's own PSP reference; it used to be credited
    /// to the first ("an open refund without a reference and the same amount"), so Obol showed two refunds where Adyen made one.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task An_adyen_refund_notification_is_credited_to_its_own_refund_never_to_another_of_the_same_amount(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        await server.SetFaultsAsync(NoWebhooks);
        var payment = await (await server.CreateAsync("pm_card_visa", 10_000, "EUR")).ReadJsonAsync();
        var id = payment.GetProperty("id").GetString()!;
        var pspReference = payment.GetProperty("pspReference").GetString()!;

        await server.SetFaultsAsync("""{"seed":18,"adyen":{"refund":{"errorBeforeCharge":1},"webhooks":{"dropRate":1}},"stripe":{"webhooks":{"dropRate":1}}}""");
        var unknown = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        Assert.Equal("processing", unknown.GetProperty("status").GetString());
        await server.SetFaultsAsync(NoWebhooks);
        var answered = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        Assert.Equal("succeeded", answered.GetProperty("status").GetString());
        var answeredReference = (await AttemptOfRefundAsync(server, id, answered.GetProperty("id").GetString()!)).PspReference!;

        Assert.Equal("[accepted]", await AdyenNotifications.SendAsync(server.Server,
            new AdyenNotificationItem(answeredReference, pspReference, id, "REFUND", true, 1_000)));

        Assert.Equal("processing", await RefundStatusAsync(server, unknown.GetProperty("id").GetString()!));
        Assert.Equal(1_000, (await server.GetAsync(id)).GetProperty("amountRefunded").GetInt64());
        Assert.Equal(1_000, Assert.Single(await server.ChargesAsync(id)).GetProperty("amountRefunded").GetInt64());

        // The unknown refund is settled by Adyen's answer about its own request: it had never reached Adyen, so it is made now.
        await HealAndResolveAsync(server);

        Assert.Equal("succeeded", await RefundStatusAsync(server, unknown.GetProperty("id").GetString()!));
        Assert.Equal(2_000, (await server.GetAsync(id)).GetProperty("amountRefunded").GetInt64());
        Assert.Equal(2_000, Assert.Single(await server.ChargesAsync(id)).GetProperty("amountRefunded").GetInt64());
        Assert.Equal((8_000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    /// <summary>Obol sends its refund id as Adyen's modification reference; a notification that reports it back settles exactly that refund.</summary>
    [Theory]
    [BothDatabases]
    public async Task An_adyen_notification_naming_our_refund_id_settles_that_refund_whatever_its_amount_twins(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        await server.SetFaultsAsync("""{"seed":18,"adyen":{"refund":{"errorAfterCharge":1},"webhooks":{"dropRate":1}},"stripe":{"webhooks":{"dropRate":1}}}""");
        var payment = await (await server.CreateAsync("pm_card_visa", 10_000, "EUR")).ReadJsonAsync();
        var id = payment.GetProperty("id").GetString()!;
        var first = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        var second = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        Assert.Equal(("processing", "processing"), (first.GetProperty("status").GetString(), second.GetProperty("status").GetString()));

        var secondId = second.GetProperty("id").GetString()!;
        var movements = await MovementsAsync(server, id);
        var movement = Assert.Single(movements, m => m.Reference == secondId);

        // Naming only the payment, a notification could be about either refund: neither is picked, and nothing is reported as a disagreement.
        await AdyenNotifications.SendAsync(server.Server, new AdyenNotificationItem(
            Assert.Single(movements, m => m.Reference != secondId).PspReference, payment.GetProperty("pspReference").GetString(), id, "REFUND", true, 1_000));
        Assert.Equal(("processing", "processing"), (await RefundStatusAsync(server, first.GetProperty("id").GetString()!), await RefundStatusAsync(server, secondId)));
        var history = await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync();
        Assert.DoesNotContain(history.GetProperty("data").EnumerateArray(), e => e.GetProperty("type").GetString()!.StartsWith("payment.psp_reported", StringComparison.Ordinal));

        await AdyenNotifications.SendAsync(server.Server,
            new AdyenNotificationItem(movement.PspReference, payment.GetProperty("pspReference").GetString(), secondId, "REFUND", true, 1_000));

        Assert.Equal("processing", await RefundStatusAsync(server, first.GetProperty("id").GetString()!));
        Assert.Equal("succeeded", await RefundStatusAsync(server, secondId));
        Assert.Equal(movement.PspReference, (await AttemptOfRefundAsync(server, id, secondId)).PspReference);
    }

    /// <summary>
    /// Obol concluded an authorization was not charged (as it did under the incident) and Adyen's own AUTHORISATION notification
    /// says it was: the PSP's late word is applied, not dropped because the attempt is closed.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task A_psps_late_notification_that_it_charged_after_all_is_applied_to_a_payment_obol_had_failed(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        await server.SetFaultsAsync("""{"seed":18,"adyen":{"create":{"timeoutAfterCharge":1},"webhooks":{"dropRate":1}},"stripe":{"webhooks":{"dropRate":1}}}""");
        var id = (await (await server.CreateAsync("pm_card_visa", 7_000, "EUR")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var charge = Assert.Single(await server.ChargesAsync(id));

        // What the old code concluded from an open circuit: not processed, and with no PSP left, failed.
        await server.Service<Database>().WriteAsync(async s =>
        {
            await s.ExecuteAsync("UPDATE payment_attempts SET status = 'not_processed', completed_at = resolve_after, resolve_after = NULL WHERE payment_id = @id", new { id });
            await s.ExecuteAsync("UPDATE payments SET status = 'failed', last_error_code = 'psp_circuit_open', last_error_message = 'open' WHERE id = @id", new { id });
        }, CancellationToken.None);

        Assert.Equal("[accepted]", await AdyenNotifications.SendAsync(server.Server,
            new AdyenNotificationItem(charge.GetProperty("id").GetString()!, null, id, "AUTHORISATION", true, 7_000)));

        var payment = await server.GetAsync(id);
        Assert.Equal(("captured", 7_000L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountCaptured").GetInt64()));
        var last = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync()).GetProperty("data").EnumerateArray().Last();
        Assert.Equal(("payment.captured", "failed", "captured", "webhook"), (last.GetProperty("type").GetString(), last.GetProperty("fromStatus").GetString(),
            last.GetProperty("toStatus").GetString(), last.GetProperty("source").GetString()));
        Assert.Equal((7_000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    /// <summary>
    /// A request whose first send was answered "not processed" while a re-send of the same request (the resolver's, after the
    /// attempt's lease ran out) reached the PSP: the first answer proves nothing once the request was re-sent, so no failover.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task A_started_attempt_claimed_by_the_resolver_is_no_first_send_any_more(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        await server.SetFaultsAsync(NoWebhooks);
        var id = (await server.CreatedAsync("pm_card_visa", 900)).GetProperty("id").GetString()!;
        await server.Service<Database>().WriteAsync(async s =>
        {
            await s.ExecuteAsync("UPDATE payment_attempts SET status = 'started', completed_at = NULL, resolve_after = @at WHERE payment_id = @id",
                new { id, at = server.Clock.GetUtcNow() });
            await s.ExecuteAsync("UPDATE payments SET status = 'pending', amount_captured = 0 WHERE id = @id", new { id });
        }, CancellationToken.None);

        var store = server.Service<PaymentStore>();
        var database = server.Service<Database>();
        var attempt = Assert.Single(await database.ReadAsync(s => store.GetAttemptsAsync(s, id), CancellationToken.None));
        Assert.True(await database.WriteAsync(s => store.ClaimForResolutionAsync(s, attempt, server.Clock.GetUtcNow().AddMinutes(1)), CancellationToken.None));

        Assert.Equal(AttemptStatus.Unknown, Assert.Single(await database.ReadAsync(s => store.GetAttemptsAsync(s, id), CancellationToken.None)).Status);
    }

    private static async Task HealAndResolveAsync(PaymentsServer server)
    {
        await server.SetFaultsAsync(NoWebhooks);
        for (var round = 0; round < 3; round++)
        {
            server.Clock.Advance(TimeSpan.FromMinutes(10));
            await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None);
        }
    }

    private static async Task<string[]> StatusesAsync(PaymentsServer server, IEnumerable<string> ids) =>
        await Task.WhenAll(ids.Select(async id => (await server.GetAsync(id)).GetProperty("status").GetString()!));

    private static async Task<string[]> RefundStatusesAsync(PaymentsServer server, IEnumerable<string> ids) =>
        await Task.WhenAll(ids.Select(id => RefundStatusAsync(server, id)));

    private static async Task<string> RefundStatusAsync(PaymentsServer server, string refundId) =>
        (await (await server.Client.GetAsync($"/v1/refunds/{refundId}")).ReadJsonAsync()).GetProperty("status").GetString()!;

    private static async Task<PaymentAttempt> AttemptOfRefundAsync(PaymentsServer server, string paymentId, string refundId) =>
        (await server.Service<Database>().ReadAsync(s => server.Service<PaymentStore>().GetAttemptsAsync(s, paymentId), CancellationToken.None))
        .Single(a => a.RefundId == refundId);

    private static async Task AssertOneChargeEachAsync(PaymentsServer server, IEnumerable<string> ids, string psp)
    {
        foreach (var id in ids)
        {
            Assert.Equal(psp, Assert.Single(await server.ChargesAsync(id)).GetProperty("psp").GetString());
        }
    }

    /// <summary>The PSP's refunds of a payment as the simulator holds them: the PSP's reference for each and the reference Obol sent.</summary>
    private static async Task<List<(string PspReference, string? Reference)>> MovementsAsync(PaymentsServer server, string paymentId) =>
        Assert.Single(await server.ChargesAsync(paymentId)).GetProperty("movements").EnumerateArray()
            .Where(m => m.GetProperty("kind").GetString() == "refund")
            .Select(m => (m.GetProperty("id").GetString()!, m.TryGetProperty("reference", out var reference) && reference.ValueKind == JsonValueKind.String ? reference.GetString() : null))
            .ToList();
}
