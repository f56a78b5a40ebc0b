using System.Net;
using Stripe;

namespace Obol.PspSimulator.Tests;

/// <summary>Every Stripe endpoint the connectors use, driven through the real Stripe.net client.</summary>
public sealed class StripeDialectTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PaymentIntentCreateOptions Create(string paymentMethod, long amount = 1000, string? captureMethod = null, string reference = "ord-1") => new()
    {
        Amount = amount,
        Currency = "usd",
        PaymentMethod = paymentMethod,
        Confirm = true,
        CaptureMethod = captureMethod,
        Metadata = new Dictionary<string, string> { ["reference"] = reference, ["order"] = "42" },
    };

    [Fact]
    public async Task Visa_payment_intent_succeeds_and_is_charged_once()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());

        var intent = await service.CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);

        Assert.StartsWith("pi_", intent.Id, StringComparison.Ordinal);
        Assert.Equal("succeeded", intent.Status);
        Assert.Equal(1000, intent.AmountReceived);
        Assert.Equal(0, intent.AmountCapturable);
        Assert.Equal("usd", intent.Currency);
        Assert.StartsWith("ch_", intent.LatestChargeId, StringComparison.Ordinal);
        Assert.Equal("42", intent.Metadata["order"]);
        var charge = Assert.Single(await sim.ChargesAsync("stripe", "ord-1"));
        Assert.Equal(intent.Id, charge.Id);
        Assert.Equal("captured", charge.Status);
        Assert.Equal(1000, charge.AmountCaptured);
    }

    [Theory]
    [InlineData("kwd", 1_005, "invalid_charge_amount")]
    [InlineData("bhd", 1, "invalid_charge_amount")]
    [InlineData("isk", 100_050, "invalid_charge_amount_no_decimal_compatible")]
    public async Task An_amount_stripe_cannot_take_in_its_currency_is_refused_and_nothing_is_charged(string currency, long amount, string code)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var options = Create("pm_card_visa", amount);
        options.Currency = currency;
        var error = await Assert.ThrowsAsync<StripeException>(() => new PaymentIntentService(sim.StripeClient()).CreateAsync(options, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal(("invalid_request_error", code, "amount"), (error.StripeError.Type, error.StripeError.Code, error.StripeError.Param));
        Assert.Empty(await sim.ChargesAsync("stripe", "ord-1"));
    }

    [Theory]
    [InlineData("kwd", 1_230, 1_225, 1_000, "invalid_charge_amount")]
    [InlineData("isk", 100_000, 99_950, 50_000, "invalid_charge_amount_no_decimal_compatible")]
    public async Task A_partial_capture_or_refund_stripe_cannot_take_is_refused_and_the_amount_it_can_take_goes_through(
        string currency, long amount, long unrepresentable, long refundable, string code)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var options = Create("pm_card_visa", amount, "manual");
        options.Currency = currency;
        var intent = await service.CreateAsync(options, cancellationToken: Ct);

        var capture = await Assert.ThrowsAsync<StripeException>(() =>
            service.CaptureAsync(intent.Id, new PaymentIntentCaptureOptions { AmountToCapture = unrepresentable }, cancellationToken: Ct));
        Assert.Equal((code, "amount_to_capture"), (capture.StripeError.Code, capture.StripeError.Param));
        var captured = await service.CaptureAsync(intent.Id, cancellationToken: Ct);
        Assert.Equal(amount, captured.AmountReceived);

        var refunds = new RefundService(sim.StripeClient());
        var refund = await Assert.ThrowsAsync<StripeException>(() =>
            refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id, Amount = amount - unrepresentable }, cancellationToken: Ct));
        Assert.Equal((code, "amount"), (refund.StripeError.Code, refund.StripeError.Param));
        var refunded = await refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id, Amount = refundable }, cancellationToken: Ct);
        Assert.Equal(refundable, refunded.Amount);
        Assert.Equal(refundable, Assert.Single(await sim.ChargesAsync("stripe", "ord-1")).AmountRefunded);
    }

    [Fact]
    public async Task Mastercard_payment_intent_succeeds()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_card_mastercard"), cancellationToken: Ct);
        Assert.Equal("succeeded", intent.Status);
    }

    [Fact]
    public async Task Manual_capture_holds_then_partial_capture_receives_the_captured_amount()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());

        var authorized = await service.CreateAsync(Create("pm_card_visa", captureMethod: "manual"), cancellationToken: Ct);
        Assert.Equal("requires_capture", authorized.Status);
        Assert.Equal(1000, authorized.AmountCapturable);
        Assert.Equal(0, authorized.AmountReceived);

        var captured = await service.CaptureAsync(authorized.Id, new PaymentIntentCaptureOptions { AmountToCapture = 600 }, cancellationToken: Ct);

        Assert.Equal("succeeded", captured.Status);
        Assert.Equal(600, captured.AmountReceived);
        Assert.Equal(0, captured.AmountCapturable);
        Assert.Equal(600, Assert.Single(await sim.ChargesAsync("stripe")).AmountCaptured);
    }

    [Fact]
    public async Task Capture_more_than_authorized_is_rejected()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var authorized = await service.CreateAsync(Create("pm_card_visa", captureMethod: "manual"), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<StripeException>(() =>
            service.CaptureAsync(authorized.Id, new PaymentIntentCaptureOptions { AmountToCapture = 1001 }, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal("invalid_request_error", error.StripeError.Type);
        Assert.Equal("amount_to_capture", error.StripeError.Param);
        Assert.Equal("requires_capture", (await service.GetAsync(authorized.Id, cancellationToken: Ct)).Status);
    }

    [Fact]
    public async Task Capture_of_a_succeeded_intent_is_an_unexpected_state()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var intent = await service.CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<StripeException>(() => service.CaptureAsync(intent.Id, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal("payment_intent_unexpected_state", error.StripeError.Code);
    }

    [Fact]
    public async Task Declined_card_returns_402_with_decline_code()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());

        var error = await Assert.ThrowsAsync<StripeException>(() => service.CreateAsync(Create("pm_card_declined"), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.PaymentRequired, error.HttpStatusCode);
        Assert.Equal("card_error", error.StripeError.Type);
        Assert.Equal("card_declined", error.StripeError.Code);
        Assert.Equal("generic_decline", error.StripeError.DeclineCode);
        Assert.False(string.IsNullOrEmpty(error.StripeError.Message));
        Assert.Equal("requires_payment_method", error.StripeError.PaymentIntent.Status);
        var retrieved = await service.GetAsync(error.StripeError.PaymentIntent.Id, cancellationToken: Ct);
        Assert.Equal("card_declined", retrieved.LastPaymentError.Code);
        Assert.Equal("declined", Assert.Single(await sim.ChargesAsync("stripe")).Status);
    }

    [Fact]
    public async Task Insufficient_funds_declines_with_insufficient_funds_decline_code()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var error = await Assert.ThrowsAsync<StripeException>(() =>
            new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_card_insufficient_funds"), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.PaymentRequired, error.HttpStatusCode);
        Assert.Equal("card_declined", error.StripeError.Code);
        Assert.Equal("insufficient_funds", error.StripeError.DeclineCode);
    }

    [Fact]
    public async Task Retrieve_returns_the_current_state_and_unknown_id_is_resource_missing()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var created = await service.CreateAsync(Create("pm_card_visa", captureMethod: "manual"), cancellationToken: Ct);

        var retrieved = await service.GetAsync(created.Id, cancellationToken: Ct);
        var missing = await Assert.ThrowsAsync<StripeException>(() => service.GetAsync("pi_does_not_exist", cancellationToken: Ct));

        Assert.Equal(created.Id, retrieved.Id);
        Assert.Equal("requires_capture", retrieved.Status);
        Assert.Equal("manual", retrieved.CaptureMethod);
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatusCode);
        Assert.Equal("resource_missing", missing.StripeError.Code);
    }

    [Fact]
    public async Task Cancel_releases_an_authorization_and_cannot_cancel_twice()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var created = await service.CreateAsync(Create("pm_card_visa", captureMethod: "manual"), cancellationToken: Ct);

        var canceled = await service.CancelAsync(created.Id, new PaymentIntentCancelOptions { CancellationReason = "requested_by_customer" }, cancellationToken: Ct);
        var again = await Assert.ThrowsAsync<StripeException>(() => service.CancelAsync(created.Id, cancellationToken: Ct));

        Assert.Equal("canceled", canceled.Status);
        Assert.Equal("requested_by_customer", canceled.CancellationReason);
        Assert.NotNull(canceled.CanceledAt);
        Assert.Equal("payment_intent_unexpected_state", again.StripeError.Code);
        Assert.Equal("canceled", Assert.Single(await sim.ChargesAsync("stripe")).Status);
    }

    [Fact]
    public async Task Declined_intent_can_be_canceled_but_a_succeeded_one_cannot()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var declined = await Assert.ThrowsAsync<StripeException>(() => service.CreateAsync(Create("pm_card_declined"), cancellationToken: Ct));
        var succeeded = await service.CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);

        var canceled = await service.CancelAsync(declined.StripeError.PaymentIntent.Id, cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<StripeException>(() => service.CancelAsync(succeeded.Id, cancellationToken: Ct));

        Assert.Equal("canceled", canceled.Status);
        Assert.Equal("payment_intent_unexpected_state", refused.StripeError.Code);
    }

    [Fact]
    public async Task Partial_then_full_refund_and_retrieve_refund()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);
        var refunds = new RefundService(sim.StripeClient());

        var partial = await refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id, Amount = 300, Reason = "requested_by_customer" }, cancellationToken: Ct);
        var rest = await refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id }, cancellationToken: Ct);
        var retrieved = await refunds.GetAsync(partial.Id, cancellationToken: Ct);
        var over = await Assert.ThrowsAsync<StripeException>(() =>
            refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id, Amount = 1 }, cancellationToken: Ct));

        Assert.StartsWith("re_", partial.Id, StringComparison.Ordinal);
        Assert.Equal(300, partial.Amount);
        Assert.Equal("succeeded", partial.Status);
        Assert.Equal(700, rest.Amount);
        Assert.Equal(intent.Id, retrieved.PaymentIntentId);
        Assert.Equal(300, retrieved.Amount);
        Assert.Equal("requested_by_customer", retrieved.Reason);
        Assert.Equal("charge_already_refunded", over.StripeError.Code);
        Assert.Equal(1000, Assert.Single(await sim.ChargesAsync("stripe")).AmountRefunded);
    }

    [Fact]
    public async Task Refund_larger_than_the_unrefunded_amount_is_rejected()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_card_visa"), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<StripeException>(() =>
            new RefundService(sim.StripeClient()).CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id, Amount = 1001 }, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal("amount", error.StripeError.Param);
        Assert.Equal(0, Assert.Single(await sim.ChargesAsync("stripe")).AmountRefunded);
    }

    [Fact]
    public async Task Search_by_metadata_finds_the_payment_intent_for_a_reference()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var wanted = await service.CreateAsync(Create("pm_card_visa", reference: "att_1"), cancellationToken: Ct);
        await service.CreateAsync(Create("pm_card_visa", reference: "att_2"), cancellationToken: Ct);

        var found = await service.SearchAsync(new PaymentIntentSearchOptions { Query = "metadata['reference']:'att_1'" }, cancellationToken: Ct);

        Assert.Equal(wanted.Id, Assert.Single(found.Data).Id);
    }

    [Fact]
    public async Task Same_idempotency_key_returns_the_same_payment_intent()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var options = new RequestOptions { IdempotencyKey = "att_same" };

        var first = await service.CreateAsync(Create("pm_card_visa"), options, Ct);
        var second = await service.CreateAsync(Create("pm_card_visa"), options, Ct);

        Assert.Equal(first.Id, second.Id);
        Assert.Single(await sim.ChargesAsync("stripe"));
    }

    [Fact]
    public async Task Same_idempotency_key_with_different_parameters_is_an_idempotency_error()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());
        var options = new RequestOptions { IdempotencyKey = "att_reused" };
        await service.CreateAsync(Create("pm_card_visa"), options, Ct);

        var error = await Assert.ThrowsAsync<StripeException>(() => service.CreateAsync(Create("pm_card_visa", amount: 2000), options, Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal("idempotency_error", error.StripeError.Type);
        Assert.Single(await sim.ChargesAsync("stripe"));
    }

    [Fact]
    public async Task Bank_transfer_is_processing_then_succeeds_later()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var service = new PaymentIntentService(sim.StripeClient());

        var intent = await service.CreateAsync(Create("pm_bank_transfer"), cancellationToken: Ct);
        Assert.Equal("processing", intent.Status);

        var settled = await Eventually.ReturnsAsync(async () =>
        {
            var current = await service.GetAsync(intent.Id, cancellationToken: Ct);
            return current.Status == "succeeded" ? current : null;
        });
        Assert.Equal(1000, settled.AmountReceived);
    }

    [Fact]
    public async Task Wrong_api_key_is_401()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var error = await Assert.ThrowsAsync<StripeException>(() =>
            new PaymentIntentService(sim.StripeClient(apiKey: "sk_test_wrong")).CreateAsync(Create("pm_card_visa"), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, error.HttpStatusCode);
        Assert.Equal("invalid_request_error", error.StripeError.Type);
        Assert.Empty(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Unknown_token_is_rejected_with_param_payment_method()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var error = await Assert.ThrowsAsync<StripeException>(() =>
            new PaymentIntentService(sim.StripeClient()).CreateAsync(Create("pm_nonsense"), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal("resource_missing", error.StripeError.Code);
        Assert.Equal("payment_method", error.StripeError.Param);
    }

    [Fact]
    public void Event_api_version_matches_the_pinned_Stripe_net_version()
    {
        Assert.Equal(StripeConfiguration.ApiVersion, new StripeDialectOptions().ApiVersion);
    }
}
