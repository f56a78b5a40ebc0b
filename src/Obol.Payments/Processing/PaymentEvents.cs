using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Payments.Api;
using Obol.Payments.Domain;

namespace Obol.Payments.Processing;

/// <summary>
/// What a merchant is told about its payments and refunds: a history entry a merchant cares about becomes an event in the
/// same unit of work, with the payment or refund as the API returns it after the change. Entries about Obol's own
/// bookkeeping (a capture or cancel asked for, a failover, a PSP report kept for a person) stay in the payment's history.
/// </summary>
internal sealed class PaymentEvents(IEventOutbox outbox)
{
    public static readonly EventType[] Types =
    [
        new("payment.created", "A payment was created; its first PSP call follows."),
        new("payment.processing", "A PSP call's outcome is unknown (a timeout, an ambiguous error); Obol is finding it out and sends the outcome as its own event."),
        new("payment.authorized", "The amount is held on the card and can be captured (capture method manual)."),
        new("payment.captured", "The payment was captured: money will be settled to the merchant."),
        new("payment.declined", "The card issuer or the PSP declined the payment."),
        new("payment.failed", "The payment failed without a decline (no PSP could take it, a PSP error), or a PSP reported a capture failed after accepting it."),
        new("payment.cancelled", "An authorized payment was cancelled and its hold released."),
        new("payment.capture_failed", "A capture was refused by the PSP; the payment stays authorized."),
        new("payment.cancel_failed", "A cancellation was refused by the PSP; the payment stays authorized."),
        new("payment.capture_reversed", "The PSP reported that a capture it had accepted failed (Adyen's CAPTURE_FAILED): the payment is failed and the booking reversed."),
        new("payment.refunded", "Some or all of the captured amount was refunded (status partially_refunded or refunded)."),
        new("refund.created", "A refund was asked for; its PSP call follows."),
        new("refund.succeeded", "The PSP refunded the amount."),
        new("refund.failed", "The PSP refused the refund; the amount is refundable again."),
        new("refund.reversed", "The PSP reported that a refund it had accepted failed (Adyen's REFUND_FAILED); the amount counts as captured again."),
    ];

    private static readonly HashSet<string> PaymentTypes = Types.Select(t => t.Name).Where(n => n.StartsWith("payment.", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The events for one history entry of <paramref name="payment"/>, both as they are after the change.</summary>
    public async Task PublishAsync(DbSession session, string historyType, Payment payment, Refund? refund)
    {
        if (historyType.StartsWith("refund.", StringComparison.Ordinal))
        {
            if (refund is null)
            {
                return;
            }

            await outbox.AppendAsync(session, new MerchantEvent(payment.MerchantId, historyType, refund.Id, RefundResponse.From(refund)));
            if (historyType == "refund.succeeded")
            {
                await outbox.AppendAsync(session, new MerchantEvent(payment.MerchantId, "payment.refunded", payment.Id, PaymentResponse.From(payment)));
            }

            return;
        }

        if (PaymentTypes.Contains(historyType))
        {
            await outbox.AppendAsync(session, new MerchantEvent(payment.MerchantId, historyType, payment.Id, PaymentResponse.From(payment)));
        }
    }
}
