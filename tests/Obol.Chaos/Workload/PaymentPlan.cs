namespace Obol.Chaos.Workload;

public enum StepKind
{
    /// <summary>Capture an authorized payment, in full (no amount) or in part.</summary>
    Capture,
    Cancel,

    /// <summary>A capture and a refund sent at once: the refund may find the payment captured or not yet.</summary>
    CaptureRacingRefund,

    /// <summary>One refund, partial or (no amount) of whatever is left.</summary>
    Refund,

    /// <summary>Two refunds of the same amount on one payment, sent at once, each with its own key.</summary>
    ConcurrentRefunds,
}

/// <summary>One step of a payment's story after its creation; amounts are in the payment's minor units.</summary>
public sealed record PlannedStep(StepKind Kind, long? Amount = null, long? RefundAmount = null);

/// <summary>
/// A payment's whole story, decided from the run's seed before the run starts: what is created and what is asked of
/// it afterwards. Steps that no longer apply (the payment was declined, an authorization failed) are skipped.
/// </summary>
public sealed record PaymentPlan(
    int Index,
    long Amount,
    string Currency,
    string PaymentMethod,
    bool ManualCapture,
    IReadOnlyList<PlannedStep> Steps,
    int ClientSeed)
{
    public string Describe() =>
        $"#{Index}: {Amount} {Currency} {PaymentMethod} {(ManualCapture ? "manual" : "automatic")}; "
        + (Steps.Count == 0 ? "no steps" : string.Join(", ", Steps.Select(s => s.Kind + (s.Amount is { } a ? $"({a})" : "") + (s.RefundAmount is { } r ? $"+refund({r})" : ""))));
}
