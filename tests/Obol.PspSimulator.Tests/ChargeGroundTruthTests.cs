using System.Net;
using System.Text.Json;
using Stripe;

namespace Obol.PspSimulator.Tests;

/// <summary><c>GET /sim/charges</c> as a checker's ground truth: every capture and refund, tied to the request that made it.</summary>
public sealed class ChargeGroundTruthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object AdyenPayment(string token, string reference, bool manual) => new
    {
        amount = new { value = 1000, currency = "EUR" },
        reference,
        merchantAccount = "ObolMerchant",
        paymentMethod = new { type = "scheme", storedPaymentMethodId = token },
        additionalData = new Dictionary<string, string> { ["manualCapture"] = manual ? "true" : "false" },
        metadata = new Dictionary<string, string> { ["obol_attempt_id"] = "att_create" },
    };

    private static object AdyenModification(long value, string reference) =>
        new { merchantAccount = "ObolMerchant", reference, amount = new { value, currency = "EUR" } };

    [Fact]
    public async Task Stripe_charge_shows_its_capture_and_each_refund_with_the_request_that_made_it()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var intents = new PaymentIntentService(sim.StripeClient());
        var refunds = new RefundService(sim.StripeClient());

        var intent = await intents.CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = 1000,
            Currency = "usd",
            PaymentMethod = "pm_card_mastercard",
            Confirm = true,
            CaptureMethod = "manual",
            Metadata = new Dictionary<string, string> { ["reference"] = "pay_1", ["obol_attempt_id"] = "att_create" },
        }, new RequestOptions { IdempotencyKey = "att_create" }, Ct);
        await intents.CaptureAsync(intent.Id, new PaymentIntentCaptureOptions { AmountToCapture = 600 }, new RequestOptions { IdempotencyKey = "att_capture" }, Ct);
        var first = await refunds.CreateAsync(new RefundCreateOptions
        {
            PaymentIntent = intent.Id,
            Amount = 100,
            Metadata = new Dictionary<string, string> { ["obol_attempt_id"] = "att_refund_1" },
        }, new RequestOptions { IdempotencyKey = "att_refund_1" }, Ct);
        var second = await refunds.CreateAsync(new RefundCreateOptions
        {
            PaymentIntent = intent.Id,
            Amount = 100,
            Metadata = new Dictionary<string, string> { ["obol_attempt_id"] = "att_refund_2" },
        }, new RequestOptions { IdempotencyKey = "att_refund_2" }, Ct);

        var charge = Assert.Single(await sim.ChargesAsync("stripe"));
        Assert.Equal(("manual", "pm_card_mastercard", (string?)null, "att_create"), (charge.CaptureMethod, charge.PaymentMethod, charge.MerchantAccount, charge.IdempotencyKey));
        Assert.Equal("att_create", charge.Metadata["obol_attempt_id"]);
        Assert.Null(charge.DeclineCode);
        Assert.Null(charge.CanceledAt);
        Assert.Equal((600, 200), (charge.AmountCaptured, charge.AmountRefunded));

        Assert.Equal(3, charge.Movements.Count);
        var capture = charge.Movements[0];
        Assert.Equal(("capture", 600L, "att_capture"), (capture.Kind, capture.Amount, capture.IdempotencyKey));
        Assert.StartsWith("ch_", capture.Id, StringComparison.Ordinal);
        Assert.Equal(intent.LatestChargeId, capture.Id);
        foreach (var (movement, refund, attempt) in new[] { (charge.Movements[1], first, "att_refund_1"), (charge.Movements[2], second, "att_refund_2") })
        {
            Assert.Equal(("refund", 100L, refund.Id, attempt, attempt), (movement.Kind, movement.Amount, movement.Id, movement.Metadata["obol_attempt_id"], movement.IdempotencyKey));
            Assert.Null(movement.Reference);
        }
    }

    [Fact]
    public async Task Stripe_immediate_capture_carries_the_payment_requests_reference_and_metadata()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = 700,
            Currency = "usd",
            PaymentMethod = "pm_card_visa",
            Confirm = true,
            Metadata = new Dictionary<string, string> { ["reference"] = "pay_2", ["obol_attempt_id"] = "att_2" },
        }, new RequestOptions { IdempotencyKey = "att_2" }, Ct);

        var charge = Assert.Single(await sim.ChargesAsync("stripe"));
        Assert.Equal("automatic", charge.CaptureMethod);
        var capture = Assert.Single(charge.Movements);
        Assert.Equal(("capture", 700L, "pay_2", "att_2", "att_2"), (capture.Kind, capture.Amount, capture.Reference, capture.Metadata["obol_attempt_id"], capture.IdempotencyKey));
        Assert.Equal(intent.LatestChargeId, capture.Id);
    }

    [Fact]
    public async Task Stripe_settled_bank_transfer_capture_carries_the_payment_requests_key()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var response = await sim.Http.SendAsync(StripeWireTests.CreateRequest("pm_bank_transfer", idempotencyKey: "att_bank"), Ct);

        var charge = await Eventually.ReturnsAsync(async () => (await sim.ChargesAsync("stripe")).SingleOrDefault(c => c.Status == "captured"));

        var capture = Assert.Single(charge.Movements);
        Assert.Equal(("capture", 1000L, "ord-wire", "att_bank"), (capture.Kind, capture.Amount, capture.Reference, capture.IdempotencyKey));
    }

    [Fact]
    public async Task Declined_and_canceled_charges_say_why_and_when()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var intents = new PaymentIntentService(sim.StripeClient());
        await Assert.ThrowsAsync<StripeException>(() => intents.CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = 500, Currency = "usd", PaymentMethod = "pm_card_insufficient_funds", Confirm = true,
            Metadata = new Dictionary<string, string> { ["reference"] = "declined" },
        }, cancellationToken: Ct));
        var held = await intents.CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = 500, Currency = "usd", PaymentMethod = "pm_card_visa", Confirm = true, CaptureMethod = "manual",
            Metadata = new Dictionary<string, string> { ["reference"] = "canceled" },
        }, cancellationToken: Ct);
        await intents.CancelAsync(held.Id, cancellationToken: Ct);
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_declined", reference: "adyen-declined"));

        var declined = Assert.Single(await sim.ChargesAsync("stripe", "declined"));
        Assert.Equal(("declined", "insufficient_funds", "Your card has insufficient funds."), (declined.Status, declined.DeclineCode, declined.DeclineReason));
        Assert.Empty(declined.Movements);
        var canceled = Assert.Single(await sim.ChargesAsync("stripe", "canceled"));
        Assert.Equal("canceled", canceled.Status);
        Assert.NotNull(canceled.CanceledAt);
        Assert.Null(canceled.DeclineCode);
        var refused = Assert.Single(await sim.ChargesAsync("adyen", "adyen-declined"));
        Assert.Equal(("2", "Refused"), (refused.DeclineCode, refused.DeclineReason));
    }

    [Fact]
    public async Task Adyen_refunds_of_the_same_amount_are_told_apart_by_their_modification_reference()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenPayment("pm_card_visa", "pay_a", manual: true), "att_create");
        var psp = payment.GetProperty("pspReference").GetString()!;

        var (_, capture) = await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/captures", AdyenModification(1000, "cap_1"), "att_capture");
        var (_, refundA) = await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/refunds", AdyenModification(300, "ref_a"), "att_refund_a");
        var (_, refundB) = await AdyenDialectTests.PostAsync(sim, $"payments/{psp}/refunds", AdyenModification(300, "ref_b"), "att_refund_b");

        var charge = Assert.Single(await sim.ChargesAsync("adyen"));
        Assert.Equal(("manual", "pm_card_visa", "ObolMerchant", "att_create"), (charge.CaptureMethod, charge.PaymentMethod, charge.MerchantAccount, charge.IdempotencyKey));
        Assert.Equal("att_create", charge.Metadata["obol_attempt_id"]);
        var expected = new[]
        {
            ("capture", 1000L, capture.GetProperty("pspReference").GetString(), "cap_1", "att_capture"),
            ("refund", 300L, refundA.GetProperty("pspReference").GetString(), "ref_a", "att_refund_a"),
            ("refund", 300L, refundB.GetProperty("pspReference").GetString(), "ref_b", "att_refund_b"),
        };
        Assert.Equal(expected, charge.Movements.Select(m => (m.Kind, m.Amount, (string?)m.Id, m.Reference!, m.IdempotencyKey!)).ToArray());
        Assert.All(charge.Movements, m => Assert.Empty(m.Metadata));
    }

    [Fact]
    public async Task Adyen_immediate_capture_and_cancellation_are_shown()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, paid) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenPayment("pm_card_visa", "pay_auto", manual: false), "att_auto");
        var (_, held) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenPayment("pm_card_visa", "pay_held", manual: true));
        var (status, _) = await AdyenDialectTests.PostAsync(sim, $"payments/{held.GetProperty("pspReference").GetString()}/cancels", new { merchantAccount = "ObolMerchant", reference = "cancel_1" });

        var auto = Assert.Single(await sim.ChargesAsync("adyen", "pay_auto"));
        var capture = Assert.Single(auto.Movements);
        Assert.Equal(("capture", paid.GetProperty("pspReference").GetString(), "pay_auto", "att_auto"), (capture.Kind, (string?)capture.Id, capture.Reference, capture.IdempotencyKey));
        Assert.Equal("att_create", capture.Metadata["obol_attempt_id"]);
        Assert.Equal(HttpStatusCode.Created, status);
        var canceled = Assert.Single(await sim.ChargesAsync("adyen", "pay_held"));
        Assert.Equal("canceled", canceled.Status);
        Assert.NotNull(canceled.CanceledAt);
        Assert.Null(canceled.IdempotencyKey);
    }

    [Fact]
    public async Task Charges_json_uses_camel_case_names_and_string_kinds()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa"));

        var charge = JsonDocument.Parse(await sim.Http.GetStringAsync("sim/charges", Ct)).RootElement[0];

        Assert.Equal(
            ["psp", "id", "reference", "amount", "currency", "status", "amountCaptured", "amountRefunded", "createdAt", "captureMethod", "paymentMethod",
             "merchantAccount", "metadata", "idempotencyKey", "declineCode", "declineReason", "canceledAt", "movements"],
            charge.EnumerateObject().Select(p => p.Name).ToArray());
        var movement = charge.GetProperty("movements")[0];
        Assert.Equal(["id", "kind", "amount", "reference", "metadata", "idempotencyKey", "at"], movement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("capture", movement.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Object, charge.GetProperty("metadata").ValueKind);
    }
}
