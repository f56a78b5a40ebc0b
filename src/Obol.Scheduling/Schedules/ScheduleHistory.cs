using Obol.Core.Events;
using Obol.Core.Storage;

namespace Obol.Scheduling.Schedules;

/// <summary>One appended row of <c>scheduled_payment_history</c>: a state change, why, and what it produced.</summary>
internal sealed record HistoryEntry(
    string ScheduleId,
    long Occurrence,
    long Attempt,
    string? FromStatus,
    string ToStatus,
    string Reason,
    string? ErrorCode,
    string? PaymentId,
    DateTimeOffset OccurredAt);

/// <summary>Why a history row was appended: the transitions of <see cref="ScheduledPaymentStatus"/>.</summary>
internal static class HistoryReason
{
    public const string Created = "created";
    public const string CancelledByMerchant = "cancelled_by_merchant";
    public const string RetriedByMerchant = "retried_by_merchant";

    /// <summary>A runner took a due row (<c>scheduled → processing</c>).</summary>
    public const string Claimed = "claimed";

    /// <summary>A runner took a row whose previous runner's lease expired (<c>processing → processing</c>).</summary>
    public const string LeaseExpiredReclaimed = "lease_expired_reclaimed";

    /// <summary>A claimed row the runner could not start inside its lease, handed back uncounted.</summary>
    public const string ReleasedUnstarted = "released_unstarted";

    public const string OccurrenceSucceeded = "occurrence_succeeded";
    public const string Succeeded = "succeeded";
    public const string Declined = "declined";
    public const string RetryScheduled = "retry_scheduled";
    public const string AttemptsExhausted = "attempts_exhausted";
    public const string LeaseExpiredAttemptsExhausted = "lease_expired_attempts_exhausted";
}

internal sealed class HistoryRow
{
    public required long Seq { get; init; }
    public required long Occurrence { get; init; }
    public required long Attempt { get; init; }
    public string? FromStatus { get; init; }
    public required string ToStatus { get; init; }
    public required string Reason { get; init; }
    public string? ErrorCode { get; init; }
    public string? PaymentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

internal static class ScheduleHistory
{
    private static readonly RowShape<HistoryEntry> Rows = new RowShape<HistoryEntry>()
        .Text("schedule_id", e => e.ScheduleId)
        .Bigint("occurrence", e => e.Occurrence)
        .Bigint("attempt", e => e.Attempt)
        .Text("from_status", e => e.FromStatus)
        .Text("to_status", e => e.ToStatus)
        .Text("reason", e => e.Reason)
        .Text("error_code", e => e.ErrorCode)
        .Text("payment_id", e => e.PaymentId)
        .Timestamp("occurred_at", e => e.OccurredAt);

    /// <summary>Appends the rows and, in the same unit of work, the merchant events they report (<see cref="ScheduleEvents"/>).</summary>
    internal static Task AppendAsync(DbSession session, IEventOutbox events, HistoryEntry entry) => AppendAsync(session, events, [entry]);

    /// <inheritdoc cref="AppendAsync(DbSession, IEventOutbox, HistoryEntry)"/>
    internal static async Task AppendAsync(DbSession session, IEventOutbox events, IReadOnlyCollection<HistoryEntry> entries)
    {
        await InsertAsync(session, entries);
        await ScheduleEvents.AppendAsync(session, events, entries);
    }

    private static async Task InsertAsync(DbSession session, IReadOnlyCollection<HistoryEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        // In list order, so seq orders a schedule's entries as they were appended.
        await session.ExecuteAsync(
            $"INSERT INTO scheduled_payment_history ({Rows.Columns}) SELECT {Rows.Columns} FROM {Rows.From(session, "entries", "h")}",
            Rows.Bind(session, "entries", entries.ToList()));
    }

    public static Task<IReadOnlyList<HistoryRow>> ReadAsync(DbSession session, string scheduleId) =>
        session.QueryAsync<HistoryRow>(
            """
            SELECT seq AS Seq, occurrence AS Occurrence, attempt AS Attempt, from_status AS FromStatus, to_status AS ToStatus,
                   reason AS Reason, error_code AS ErrorCode, payment_id AS PaymentId, occurred_at AS OccurredAt
            FROM scheduled_payment_history WHERE schedule_id = @scheduleId ORDER BY seq
            """, new { scheduleId });
}
