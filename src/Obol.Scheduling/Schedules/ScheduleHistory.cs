using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
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

/// <summary>
/// Set-based writes: many rows go to the database as one JSON array parameter and one statement, read with
/// <c>jsonb_to_recordset</c> on PostgreSQL and <c>json_each</c> on SQLite, so a batch costs a few round trips.
/// </summary>
internal static class JsonRows
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize<T>(IEnumerable<T> rows) => JsonSerializer.Serialize(rows, Options);

    /// <summary>The same fixed-width UTC text the SQLite handler writes; PostgreSQL reads it as timestamptz.</summary>
    public static string Instant(DateTimeOffset value) => Obol.Core.Storage.StoredInstant.SqliteText(value);
}

internal static class ScheduleHistory
{
    /// <summary>Appends the rows and, in the same unit of work, the merchant events they report (<see cref="ScheduleEvents"/>).</summary>
    internal static Task AppendAsync(DbSession session, IEventOutbox events, HistoryEntry entry) => AppendAsync(session, events, [entry]);

    /// <inheritdoc cref="AppendAsync(DbSession, IEventOutbox, HistoryEntry)"/>
    internal static async Task AppendAsync(DbSession session, IEventOutbox events, IReadOnlyCollection<HistoryEntry> entries)
    {
        await InsertAsync(session, entries);
        await ScheduleEvents.AppendAsync(session, events, entries);
    }

    private sealed record Json(
        string ScheduleId, long Occurrence, long Attempt, string? FromStatus, string ToStatus, string Reason, string? ErrorCode, string? PaymentId, string OccurredAt);

    private static async Task InsertAsync(DbSession session, IReadOnlyCollection<HistoryEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var payload = JsonRows.Serialize(entries.Select(e => new Json(
            e.ScheduleId, e.Occurrence, e.Attempt, e.FromStatus, e.ToStatus, e.Reason, e.ErrorCode, e.PaymentId, JsonRows.Instant(e.OccurredAt))));
        await session.ExecuteAsync(session.Sql(
            sqlite: """
                INSERT INTO scheduled_payment_history (schedule_id, occurrence, attempt, from_status, to_status, reason, error_code, payment_id, occurred_at)
                SELECT value ->> '$.schedule_id', value ->> '$.occurrence', value ->> '$.attempt', value ->> '$.from_status', value ->> '$.to_status',
                       value ->> '$.reason', value ->> '$.error_code', value ->> '$.payment_id', value ->> '$.occurred_at'
                FROM json_each(@payload)
                ORDER BY key
                """,
            postgres: """
                INSERT INTO scheduled_payment_history (schedule_id, occurrence, attempt, from_status, to_status, reason, error_code, payment_id, occurred_at)
                SELECT schedule_id, occurrence, attempt, from_status, to_status, reason, error_code, payment_id, occurred_at
                FROM jsonb_to_recordset(@payload::jsonb) AS h(schedule_id text, occurrence int, attempt int, from_status text, to_status text,
                                                              reason text, error_code text, payment_id text, occurred_at timestamptz)
                """), new { payload });
    }

    public static Task<IReadOnlyList<HistoryRow>> ReadAsync(DbSession session, string scheduleId) =>
        session.QueryAsync<HistoryRow>(
            """
            SELECT seq AS Seq, occurrence AS Occurrence, attempt AS Attempt, from_status AS FromStatus, to_status AS ToStatus,
                   reason AS Reason, error_code AS ErrorCode, payment_id AS PaymentId, occurred_at AS OccurredAt
            FROM scheduled_payment_history WHERE schedule_id = @scheduleId ORDER BY seq
            """, new { scheduleId });
}
