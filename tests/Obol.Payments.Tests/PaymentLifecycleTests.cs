using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class PaymentLifecycleTests
{
    [Theory]
    [BothDatabases]
    public async Task An_automatic_payment_is_captured_once_at_the_psp(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);

        var payment = await server.CreatedAsync("pm_card_visa", 1999);

        Assert.Equal("captured", payment.GetProperty("status").GetString());
        Assert.Equal(1999, payment.GetProperty("amountCaptured").GetInt64());
        Assert.Equal("stripe", payment.GetProperty("psp").GetString());
        Assert.StartsWith("pay_", payment.GetProperty("id").GetString(), StringComparison.Ordinal);
        var charges = await server.ChargesAsync(payment.GetProperty("id").GetString());
        var charge = Assert.Single(charges);
        Assert.Equal(1999, charge.GetProperty("amountCaptured").GetInt64());
        Assert.Equal((1999, 0, 0), await server.AccountAsync("merchant_payable"));
        Assert.Equal((1999, 0, 0), await server.AccountAsync("psp_receivable"));
        await server.AssertLedgerBalancedAsync();

        var events = await (await server.Client.GetAsync($"/v1/payments/{payment.GetProperty("id").GetString()}/events")).ReadJsonAsync();
        Assert.Equal(["payment.created", "payment.captured"], events.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_manual_payment_is_authorized_then_partially_captured_and_refunded_in_parts(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var payment = await server.CreatedAsync("pm_card_mastercard", 5000, "manual");
        var id = payment.GetProperty("id").GetString();
        Assert.Equal("authorized", payment.GetProperty("status").GetString());
        Assert.Equal(5000, payment.GetProperty("amountCapturable").GetInt64());
        Assert.Equal((0, 0, 5000), await server.AccountAsync("merchant_payable"));

        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":6000}""")).ReadProblemAsync(400, "amount_exceeds_capturable");
        var captured = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":4000}""")).ReadJsonAsync();
        Assert.Equal("captured", captured.GetProperty("status").GetString());
        Assert.Equal(4000, captured.GetProperty("amountCaptured").GetInt64());
        Assert.Equal(0, captured.GetProperty("amountCapturable").GetInt64());
        Assert.Equal((4000, 0, 0), await server.AccountAsync("merchant_payable"));

        var first = await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1500,"reason":"requested_by_customer"}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal("succeeded", (await first.ReadJsonAsync()).GetProperty("status").GetString());
        Assert.Equal("partially_refunded", (await server.GetAsync(id!)).GetProperty("status").GetString());

        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":2600}""")).ReadProblemAsync(400, "amount_exceeds_refundable");
        var rest = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", "{}")).ReadJsonAsync();
        Assert.Equal(2500, rest.GetProperty("amount").GetInt64());
        var refunded = await server.GetAsync(id!);
        Assert.Equal("refunded", refunded.GetProperty("status").GetString());
        Assert.Equal(4000, refunded.GetProperty("amountRefunded").GetInt64());
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", "{}")).ReadProblemAsync(409, "invalid_state_transition");

        var refundId = rest.GetProperty("id").GetString();
        var fetched = await (await server.Client.GetAsync($"/v1/refunds/{refundId}")).ReadJsonAsync();
        Assert.Equal(id, fetched.GetProperty("paymentId").GetString());
        var charge = Assert.Single(await server.ChargesAsync(id));
        Assert.Equal(4000, charge.GetProperty("amountRefunded").GetInt64());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable"));
        Assert.Equal((0, 0, 0), await server.AccountAsync("psp_receivable"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Declines_are_recorded_with_their_code(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);

        var declined = await server.CreatedAsync("pm_card_declined");
        Assert.Equal("declined", declined.GetProperty("status").GetString());
        Assert.Equal("card_declined", declined.GetProperty("lastError").GetProperty("code").GetString());

        var poor = await server.CreatedAsync("pm_card_insufficient_funds");
        Assert.Equal("declined", poor.GetProperty("status").GetString());
        Assert.Equal("insufficient_funds", poor.GetProperty("lastError").GetProperty("code").GetString());

        var id = declined.GetProperty("id").GetString();
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", "{}")).ReadProblemAsync(409, "invalid_state_transition");
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", "{}")).ReadProblemAsync(409, "invalid_state_transition");
    }

    [Theory]
    [BothDatabases]
    public async Task Cancelling_an_authorization_releases_it_and_ends_the_payment(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_card_visa", 700, "manual")).GetProperty("id").GetString();

        var cancelled = await (await server.Client.PostAsync($"/v1/payments/{id}/cancel", null)).ReadJsonAsync();

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0, cancelled.GetProperty("amountCapturable").GetInt64());
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", "{}")).ReadProblemAsync(409, "invalid_state_transition");
        Assert.Equal("canceled", Assert.Single(await server.ChargesAsync(id)).GetProperty("status").GetString());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Capture_racing_cancel_lets_exactly_one_win(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_card_visa", 900, "manual")).GetProperty("id").GetString();

        var capture = server.Client.PostJsonAsync($"/v1/payments/{id}/capture", "{}");
        var cancel = server.Client.PostAsync($"/v1/payments/{id}/cancel", null);
        var results = await Task.WhenAll(capture, cancel);

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Conflict);
        var final = (await server.GetAsync(id!)).GetProperty("status").GetString();
        Assert.Contains(final, new[] { "captured", "cancelled" });
        var charge = Assert.Single(await server.ChargesAsync(id));
        Assert.Equal(final == "captured" ? "captured" : "canceled", charge.GetProperty("status").GetString());
        Assert.Equal((final == "captured" ? 900 : 0, 0, 0), await server.AccountAsync("merchant_payable"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Payments_are_listed_newest_first_and_filtered_by_status(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await server.CreatedAsync("pm_card_visa", 100 + i)).GetProperty("id").GetString()!);
            server.Clock.Advance(TimeSpan.FromMilliseconds(5));
        }

        await server.CreatedAsync("pm_card_declined");

        var captured = await (await server.Client.GetAsync("/v1/payments?status=captured&limit=2")).ReadJsonAsync();
        Assert.Equal([ids[2], ids[1]], captured.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.True(captured.GetProperty("hasMore").GetBoolean());
        var next = await (await server.Client.GetAsync($"/v1/payments?status=captured&limit=2&startingAfter={ids[1]}")).ReadJsonAsync();
        Assert.Equal([ids[0]], next.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.False(next.GetProperty("hasMore").GetBoolean());
        await (await server.Client.GetAsync("/v1/payments?status=nope")).ReadProblemAsync(400, "validation_failed");
    }

    [Theory]
    [BothDatabases(true)]
    [BothDatabases(false)]
    public async Task A_capture_after_the_ledger_hold_expired_books_the_captured_money_directly(DatabaseProvider provider, bool swept)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_card_visa", 3000, "manual")).GetProperty("id").GetString();
        server.Clock.Advance(TimeSpan.FromDays(8));
        if (swept)
        {
            Assert.Equal(1, await server.ExpireLedgerHoldsAsync());
        }

        var captured = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":2500}""")).ReadJsonAsync();

        Assert.Equal("captured", captured.GetProperty("status").GetString());
        Assert.Equal(2500, captured.GetProperty("amountCaptured").GetInt64());
        Assert.Equal(swept ? 0 : 1, await server.ExpireLedgerHoldsAsync());
        Assert.Equal((2500, 0, 0), await server.AccountAsync("merchant_payable"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Cancelling_after_the_ledger_hold_expired_ends_the_payment_with_nothing_left_held(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_card_visa", 1200, "manual")).GetProperty("id").GetString();
        server.Clock.Advance(TimeSpan.FromDays(8));

        var cancelled = await (await server.Client.PostAsync($"/v1/payments/{id}/cancel", null)).ReadJsonAsync();

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(1, await server.ExpireLedgerHoldsAsync());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable"));
        await server.AssertLedgerBalancedAsync();
    }
}
