namespace Obol.Payouts.Anomalies;

internal static class AnomalyKind
{
    public const string FulfilledWithoutAccepted = "fulfilled_without_accepted";
    public const string AcceptedNotFulfilled = "accepted_not_fulfilled";
    public const string FulfilledBeforeAccepted = "fulfilled_before_accepted";
    public const string CancelledAfterFulfilled = "cancelled_after_fulfilled";

    /// <summary>Two events of one status for an order at different instants, or one event id sent with different content.</summary>
    public const string ConflictingDuplicate = "conflicting_duplicate";

    /// <summary>Kinds derived from an order's events alone: they open and clear as its events change.</summary>
    public static readonly IReadOnlyList<string> Derived =
        [FulfilledWithoutAccepted, FulfilledBeforeAccepted, CancelledAfterFulfilled, ConflictingDuplicate];
}

/// <summary>An anomaly found in an order's events.</summary>
internal sealed record DetectedAnomaly(string Kind, string? EventId, string Detail);
