namespace Obol.Scheduling.Schedules;

/// <summary>
/// <c>scheduled → processing → succeeded | failed</c>, <c>scheduled → cancelled</c>,
/// <c>processing → scheduled</c> (retry later, or the next occurrence) <c>→ dead_lettered</c> after the last attempt,
/// <c>dead_lettered → scheduled</c> by hand.
/// </summary>
public static class ScheduledPaymentStatus
{
    public const string Scheduled = "scheduled";
    public const string Processing = "processing";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string DeadLettered = "dead_lettered";

    public static IReadOnlyList<string> All { get; } = [Scheduled, Processing, Succeeded, Failed, Cancelled, DeadLettered];
}
