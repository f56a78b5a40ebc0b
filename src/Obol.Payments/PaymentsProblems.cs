using Obol.Core.Errors;

namespace Obol.Payments;

/// <summary>
/// Payments' rejections, each with its stable code; the generic ones (validation, not found, an invalid state transition)
/// are Core's <see cref="Problems"/>. A capture or cancel the PSP refused is answered 502 <c>psp_refused</c> with the payment
/// in it, by the endpoint (<see cref="Api.PaymentsEndpoints"/>): it is a result the request stores, not a rejection.
/// </summary>
internal static class PaymentsProblems
{
    public static ProblemException AmountExceedsCapturable(long capturable) =>
        new(400, "amount_exceeds_capturable", "Amount exceeds capturable", $"At most {capturable} can be captured.");

    public static ProblemException NothingLeftToRefund() =>
        new(400, "amount_exceeds_refundable", "Amount exceeds refundable", "Nothing is left to refund.");

    public static ProblemException AmountExceedsRefundable(long refundable, long captured, long refundedOrRefunding) =>
        new(400, "amount_exceeds_refundable", "Amount exceeds refundable",
            $"At most {refundable} can be refunded (captured {captured}, refunded or refunding {refundedOrRefunding}).");

    /// <summary>
    /// An amount that the PSPs it would go to cannot represent exactly (Stripe takes KWD only in steps of 0.010, say): PSPs refuse
    /// such amounts, and Obol never rounds one, so the request is refused before anything is stored or sent.
    /// </summary>
    public static ProblemException AmountNotSupported(IReadOnlyList<string> psps, long amount, Core.Currency currency) =>
        new(400, "amount_not_supported", "Amount not supported",
            $"{string.Join(" and ", psps)} cannot take {new Core.Money(amount, currency)} exactly, and Obol never rounds an amount.");

    /// <summary>A PSP webhook whose signature does not match: nothing of it is recorded.</summary>
    public static ProblemException InvalidSignature(string detail) =>
        new(400, "invalid_signature", "Invalid webhook signature", detail);

    /// <summary>A signed PSP webhook that is not well formed: nothing of it is recorded.</summary>
    public static ProblemException MalformedWebhook(string detail) =>
        new(400, "malformed_webhook", "Malformed webhook", detail);

    /// <summary>A body that is not an Adyen notification at all (read before any signature can be checked).</summary>
    public static ProblemException MalformedNotification() =>
        new(400, "malformed_json", "Malformed notification", "Not an Adyen notification.");
}
