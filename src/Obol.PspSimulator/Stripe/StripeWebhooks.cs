using Microsoft.Extensions.Options;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Webhooks;

namespace Obol.PspSimulator.Stripe;

/// <summary>Builds Stripe event objects and hands them to the dispatcher, signed with <c>Stripe-Signature</c>.</summary>
public sealed class StripeWebhooks(WebhookDispatcher dispatcher, TimeProvider time, IOptions<PspSimulatorOptions> options)
{
    public void Publish(string type, object dataObject, string? idempotencyKey)
    {
        var id = Ids.Stripe("evt");
        var stripeEvent = new StripeEvent(
            Id: id,
            Object: "event",
            ApiVersion: options.Value.Stripe.ApiVersion,
            Created: time.GetUtcNow().ToUnixTimeSeconds(),
            Data: new StripeEventData(dataObject),
            Livemode: false,
            PendingWebhooks: 1,
            Request: new StripeEventRequest(null, idempotencyKey),
            Type: type);
        var body = StripeJson.Serialize(stripeEvent);
        dispatcher.Publish(new WebhookMessage(Psp.Stripe, id, type, _ => body, Sign));
    }

    /// <summary>The event that follows a PaymentIntent reaching its current status.</summary>
    public void PublishPaymentIntentState(Charge charge, string? idempotencyKey)
    {
        var type = charge.Status switch
        {
            ChargeStatus.Authorized => "payment_intent.amount_capturable_updated",
            ChargeStatus.Pending => "payment_intent.processing",
            ChargeStatus.Captured => "payment_intent.succeeded",
            ChargeStatus.Canceled => "payment_intent.canceled",
            _ => "payment_intent.payment_failed",
        };
        Publish(type, StripeJson.PaymentIntent(charge), idempotencyKey);
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Sign(string payload, DateTimeOffset at, string secret) =>
        [new(StripeSignature.HeaderName, StripeSignature.Header(payload, at, secret))];
}
