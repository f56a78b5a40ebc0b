using Obol.Payments.Psp;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class AdyenRouteTests
{
    private static readonly Dictionary<string, string?> EuroToAdyen = new()
    {
        ["Obol:Payments:Routing:0:Currencies:0"] = "EUR",
        ["Obol:Payments:Routing:0:Psps:0"] = "adyen",
        ["Obol:Payments:Routing:0:Psps:1"] = "stripe",
    };

    [Theory]
    [BothDatabases]
    public async Task Routing_rules_send_euro_payments_to_adyen_through_their_whole_life(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);

        var created = await server.CreateAsync("pm_card_visa", 6_000, "EUR", "manual");
        var payment = await created.ReadJsonAsync();
        var id = payment.GetProperty("id").GetString()!;
        Assert.Equal("adyen", payment.GetProperty("psp").GetString());
        Assert.Equal("authorized", payment.GetProperty("status").GetString());

        var captured = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":5000}""")).ReadJsonAsync();
        Assert.Equal("captured", captured.GetProperty("status").GetString());
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        Assert.Equal("succeeded", refund.GetProperty("status").GetString());

        var charge = Assert.Single(await server.ChargesAsync(id));
        Assert.Equal("adyen", charge.GetProperty("psp").GetString());
        Assert.Equal(5000, charge.GetProperty("amountCaptured").GetInt64());
        Assert.Equal(1000, charge.GetProperty("amountRefunded").GetInt64());
        Assert.Equal((4000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();

        var usd = await server.CreatedAsync("pm_card_visa", 100);
        Assert.Equal("stripe", usd.GetProperty("psp").GetString());
    }

    [Theory]
    [BothDatabases]
    public async Task Adyen_declines_and_cancellations_are_recorded(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);

        var declined = await (await server.CreateAsync("pm_card_insufficient_funds", 100, "EUR")).ReadJsonAsync();
        Assert.Equal("declined", declined.GetProperty("status").GetString());
        Assert.Equal("insufficient_funds", declined.GetProperty("lastError").GetProperty("code").GetString());

        var id = (await (await server.CreateAsync("pm_card_visa", 300, "EUR", "manual")).ReadJsonAsync()).GetProperty("id").GetString();
        var cancelled = await (await server.Client.PostAsync($"/v1/payments/{id}/cancel", null)).ReadJsonAsync();
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task An_adyen_failure_that_matches_no_acknowledged_modification_goes_on_the_history_and_changes_nothing(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var id = (await (await server.CreateAsync("pm_card_visa", 6_000, "EUR", "manual")).ReadJsonAsync()).GetProperty("id").GetString()!;
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":5000}""")).ReadJsonAsync();
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        var before = await server.GetAsync(id);
        var pspReference = before.GetProperty("pspReference").GetString()!;

        Assert.Equal("[accepted]", await NotifyAsync(server, id, pspReference,
            ("CAPFAIL1", "CAPTURE", false, 5000), ("REFFAIL1", "REFUND_FAILED", true, 1000)));
        var after = await server.GetAsync(id);
        Assert.Equal(before.GetProperty("status").GetString(), after.GetProperty("status").GetString());
        Assert.Equal(5000, after.GetProperty("amountCaptured").GetInt64());
        Assert.Equal(1000, after.GetProperty("amountRefunded").GetInt64());
        var reported = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync()).GetProperty("data").EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "payment.psp_reported_failure")
            .Select(e => e.GetProperty("data").GetProperty("eventCode").GetString());
        Assert.Equal(["CAPTURE", "REFUND_FAILED"], reported);
        Assert.Equal((4000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_refund_and_then_a_capture_adyen_reports_failed_after_acknowledging_them_are_undone_in_the_payment_and_the_ledger(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var (id, pspReference) = await CreatedOnAdyenAsync(server, 6_000, "manual");
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":5000}""")).ReadJsonAsync();
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        var attempts = await server.Service<Database>().ReadAsync(s => server.Service<Storage.PaymentStore>().GetAttemptsAsync(s, id), CancellationToken.None);
        var captureReference = attempts.Single(a => a.Operation == Domain.PaymentOperation.Capture).PspReference!;
        var refundReference = attempts.Single(a => a.Operation == Domain.PaymentOperation.Refund).PspReference!;
        Assert.Equal((4000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));

        await NotifyAsync(server, id, pspReference, (refundReference, "REFUND_FAILED", true, 1000));

        var refunded = await server.GetAsync(id);
        Assert.Equal(("captured", 0L), (refunded.GetProperty("status").GetString(), refunded.GetProperty("amountRefunded").GetInt64()));
        var failedRefund = await (await server.Client.GetAsync($"/v1/refunds/{refund.GetProperty("id").GetString()}")).ReadJsonAsync();
        Assert.Equal("failed", failedRefund.GetProperty("status").GetString());
        Assert.Equal((5000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));

        await NotifyAsync(server, id, pspReference, (captureReference, "CAPTURE_FAILED", true, 5000));
        await NotifyAsync(server, id, pspReference, (captureReference, "CAPTURE_FAILED", true, 5000)); // Adyen retries: once only

        var failed = await server.GetAsync(id);
        Assert.Equal(("failed", 0L), (failed.GetProperty("status").GetString(), failed.GetProperty("amountCaptured").GetInt64()));
        Assert.Equal("capture_failed", failed.GetProperty("lastError").GetProperty("code").GetString());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        Assert.Equal((0, 0, 0), await server.AccountAsync("psp_receivable", "EUR"));
        var types = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync()).GetProperty("data").EnumerateArray()
            .Select(e => (e.GetProperty("type").GetString(), e.GetProperty("source").GetString())).ToList();
        Assert.Equal([("refund.reversed", "webhook"), ("payment.capture_reversed", "webhook")], types.TakeLast(2));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task An_automatic_capture_adyen_reports_failed_is_undone(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var (id, pspReference) = await CreatedOnAdyenAsync(server, 2_500);
        Assert.Equal((2500, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));

        // An older account's all-digit reference that passes the Luhn check, as one in ten does: it is not a card number.
        await NotifyAsync(server, id, pspReference, ("8815131751004939", "CAPTURE_FAILED", true, 2500));

        Assert.Equal("failed", (await server.GetAsync(id)).GetProperty("status").GetString());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_capture_and_its_failure_in_one_notification_batch_book_and_reverse_in_order(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var id = (await (await server.CreateAsync("pm_card_visa", 6_000, "EUR", "manual")).ReadJsonAsync()).GetProperty("id").GetString()!;
        await server.SetFaultsAsync("""{"adyen":{"capture":{"timeoutAfterCharge":1},"webhooks":{"dropRate":1}}}""");
        var processing = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":5000}""")).ReadJsonAsync();
        Assert.Equal("processing", processing.GetProperty("status").GetString());
        var pspReference = processing.GetProperty("pspReference").GetString()!;

        await NotifyAsync(server, id, pspReference, ("CAPTUREREF000009", "CAPTURE", true, 5000), ("CAPTUREREF000009", "CAPTURE_FAILED", true, 5000));

        var failed = await server.GetAsync(id);
        Assert.Equal(("failed", 0L), (failed.GetProperty("status").GetString(), failed.GetProperty("amountCaptured").GetInt64()));
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        Assert.Equal((0, 0, 0), await server.AccountAsync("psp_receivable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_capture_failure_is_not_undone_while_a_refund_is_under_way_and_a_failed_refund_report_fails_only_its_refund(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var (id, pspReference) = await CreatedOnAdyenAsync(server, 6_000);
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        await server.SetFaultsAsync("""{"adyen":{"refund":{"timeoutAfterCharge":1},"webhooks":{"dropRate":1}}}""");
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        var attempts = await server.Service<Database>().ReadAsync(s => server.Service<Storage.PaymentStore>().GetAttemptsAsync(s, id), CancellationToken.None);
        var firstRefund = attempts.Single(a => a is { Operation: Domain.PaymentOperation.Refund, Status: Domain.AttemptStatus.Succeeded });
        Assert.Single(attempts, a => a is { Operation: Domain.PaymentOperation.Refund, Status: Domain.AttemptStatus.Unknown });

        await NotifyAsync(server, id, pspReference, ("CAPTUREREF000001", "CAPTURE_FAILED", true, 6000), (firstRefund.PspReference!, "REFUND", false, 1000));

        var payment = await server.GetAsync(id);
        Assert.Equal(("captured", 6000L, 0L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountCaptured").GetInt64(),
            payment.GetProperty("amountRefunded").GetInt64()));
        var events = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync()).GetProperty("data").EnumerateArray()
            .Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Contains("payment.psp_reported_failure", events);
        Assert.Contains("refund.reversed", events);
        Assert.Equal((6000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task An_adyen_notification_with_a_card_number_outside_its_references_is_refused_and_recorded_nowhere(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var (id, pspReference) = await CreatedOnAdyenAsync(server, 2_500);
        var key = server.Service<PaymentsOptions>().Adyen.HmacKey;
        var signature = PspSimulator.Webhooks.AdyenHmac.Sign(PspSimulator.Webhooks.AdyenHmac.SigningString(
            "8815131751004939", pspReference, "ObolTest", id, 2500, "EUR", "CAPTURE_FAILED", true), key);
        using var anonymous = server.Server.CreateClient(apiKey: null);

        var response = await anonymous.PostJsonAsync("/webhooks/psp/adyen", $$$$"""
            {"live":"false","notificationItems":[{"NotificationRequestItem":{"pspReference":"8815131751004939","originalReference":"{{{{pspReference}}}}",
            "merchantAccountCode":"ObolTest","merchantReference":"{{{{id}}}}","amount":{"value":2500,"currency":"EUR"},"eventCode":"CAPTURE_FAILED",
            "success":"true","reason":"card 4242-4242-4242-4242 refused","additionalData":{"hmacSignature":"{{{{signature}}}}"}}}]}
            """);

        await response.ReadProblemAsync(400, "card_number_not_allowed");
        Assert.Equal("captured", (await server.GetAsync(id)).GetProperty("status").GetString());
        var stored = await server.Service<Database>().ReadAsync(s => s.QueryAsync<string>("SELECT event_id FROM psp_webhook_events WHERE psp = 'adyen'"), CancellationToken.None);
        Assert.DoesNotContain(stored, e => e.Contains("8815131751004939", StringComparison.Ordinal));
    }

    /// <summary>A euro payment, routed to Adyen: its id and Adyen's PSP reference for it.</summary>
    private static async Task<(string Id, string PspReference)> CreatedOnAdyenAsync(PaymentsServer server, long amount, string captureMethod = "automatic")
    {
        var payment = await (await server.CreateAsync("pm_card_visa", amount, "EUR", captureMethod)).ReadJsonAsync();
        return (payment.GetProperty("id").GetString()!, payment.GetProperty("pspReference").GetString()!);
    }

    /// <summary>Sends one signed Adyen notification with these items about the payment; returns Adyen's expected answer.</summary>
    private static async Task<string> NotifyAsync(
        PaymentsServer server, string paymentId, string pspReference, params (string Reference, string EventCode, bool Success, long Value)[] items)
    {
        var key = server.Service<PaymentsOptions>().Adyen.HmacKey;
        string Item((string Reference, string EventCode, bool Success, long Value) item)
        {
            var signature = PspSimulator.Webhooks.AdyenHmac.Sign(PspSimulator.Webhooks.AdyenHmac.SigningString(
                item.Reference, pspReference, "ObolTest", paymentId, item.Value, "EUR", item.EventCode, item.Success), key);
            return $$$$"""
                {"NotificationRequestItem":{"pspReference":"{{{{item.Reference}}}}","originalReference":"{{{{pspReference}}}}","merchantAccountCode":"ObolTest",
                "merchantReference":"{{{{paymentId}}}}","amount":{"value":{{{{item.Value}}}},"currency":"EUR"},"eventCode":"{{{{item.EventCode}}}}",
                "success":"{{{{(item.Success ? "true" : "false")}}}}","reason":"Rejected by the scheme","additionalData":{"hmacSignature":"{{{{signature}}}}"}}}
                """;
        }

        using var anonymous = server.Server.CreateClient(apiKey: null);
        var notification = $$"""{"live":"false","notificationItems":[{{string.Join(',', items.Select(Item))}}]}""";
        var response = await anonymous.PostJsonAsync("/webhooks/psp/adyen", notification);
        return await response.Content.ReadAsStringAsync();
    }
}
