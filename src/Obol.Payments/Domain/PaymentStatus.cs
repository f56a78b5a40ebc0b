namespace Obol.Payments.Domain;

public enum PaymentStatus
{
    Pending,

    /// <summary>A PSP outcome is unknown and being resolved (query, webhook, reconciliation).</summary>
    Processing,
    Authorized,
    Captured,
    PartiallyRefunded,
    Refunded,
    Declined,
    Failed,
    Cancelled,
}

public enum CaptureMethod
{
    Automatic,
    Manual,
}

internal enum PaymentOperation
{
    Authorize,
    Capture,
    Cancel,
    Refund,
}

internal enum AttemptStatus
{
    /// <summary>Recorded before the PSP call; still here after a crash means the outcome is unknown.</summary>
    Started,
    Succeeded,
    Declined,

    /// <summary>The PSP certainly did not process it (connection refused, circuit open, documented "not processed").</summary>
    NotProcessed,

    /// <summary>Processed and failed (an error that is not a decline).</summary>
    Failed,

    /// <summary>Timed out or an ambiguous error: the PSP may or may not have acted.</summary>
    Unknown,

    /// <summary>Accepted by the PSP, final outcome later (bank transfer).</summary>
    Pending,
}

public enum RefundStatus
{
    Pending,
    Processing,
    Succeeded,
    Failed,
}

public enum EventSource
{
    Api,
    Webhook,
    Resolver,
    Reconciliation,
}

internal static class PaymentTransitions
{
    private static readonly Dictionary<PaymentStatus, PaymentStatus[]> Allowed = new()
    {
        [PaymentStatus.Pending] = [PaymentStatus.Processing, PaymentStatus.Authorized, PaymentStatus.Captured, PaymentStatus.Declined, PaymentStatus.Failed],
        [PaymentStatus.Processing] = [PaymentStatus.Authorized, PaymentStatus.Captured, PaymentStatus.Declined, PaymentStatus.Failed, PaymentStatus.Cancelled],
        [PaymentStatus.Authorized] = [PaymentStatus.Processing, PaymentStatus.Captured, PaymentStatus.Cancelled],
        // A PSP that acknowledged a capture or refund may report later that it failed (Adyen's CAPTURE_FAILED,
        // REFUND_FAILED): the capture of a payment not refunded yet fails it, a refund goes back.
        [PaymentStatus.Captured] = [PaymentStatus.PartiallyRefunded, PaymentStatus.Refunded, PaymentStatus.Failed],
        [PaymentStatus.PartiallyRefunded] = [PaymentStatus.PartiallyRefunded, PaymentStatus.Refunded, PaymentStatus.Captured],
        [PaymentStatus.Refunded] = [PaymentStatus.PartiallyRefunded, PaymentStatus.Captured],
        // The PSP's own late word that it charged after all (its webhook about the very attempt Obol closed as declined
        // or failed) is applied when no other attempt took money for the payment: the records follow the PSP.
        [PaymentStatus.Declined] = [PaymentStatus.Authorized, PaymentStatus.Captured],
        [PaymentStatus.Failed] = [PaymentStatus.Authorized, PaymentStatus.Captured],
        [PaymentStatus.Cancelled] = [],
    };

    public static bool CanMove(PaymentStatus from, PaymentStatus to) => from == to || Allowed[from].Contains(to);

    /// <summary>Throws unless the table allows the move; <see cref="Payment.MoveTo"/> is the only caller that changes a status.</summary>
    public static void EnsureCanMove(PaymentStatus from, PaymentStatus to)
    {
        if (!CanMove(from, to))
        {
            throw Core.Errors.Problems.InvalidStateTransition($"A payment cannot go from {Snake(from)} to {Snake(to)}.");
        }
    }

    public static string Snake(PaymentStatus status) =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());
}
