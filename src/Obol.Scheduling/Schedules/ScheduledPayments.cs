using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Storage;

namespace Obol.Scheduling.Schedules;

/// <summary>A payment an occurrence produced (or the decline that ended it).</summary>
internal sealed class ExecutionRow
{
    public required string ScheduleId { get; init; }
    public required long Occurrence { get; init; }
    public required string IdempotencyKey { get; init; }
    public string? PaymentId { get; init; }
    public string? PaymentStatus { get; init; }
    public required string Outcome { get; init; }
    public string? DeclineCode { get; init; }
    public required DateTimeOffset ExecutedAt { get; init; }
}

/// <summary>The SQL of the schedule API: insert, read, list, and the two hand-made transitions (cancel, retry).</summary>
internal static class ScheduledPayments
{
    public static async Task InsertAsync(DbSession session, IEventOutbox events, ScheduledPaymentRow row)
    {
        await session.ExecuteAsync(
            """
            INSERT INTO scheduled_payments (id, merchant_id, status, amount, currency, payment_method, capture_method, description, metadata,
                execute_at, local_date_time, time_zone, recurrence_frequency, recurrence_interval, recurrence_count, recurrence_until,
                occurrence, occurrence_due_at, next_attempt_at, attempts, total_attempts, lease_token, last_error_code, created_at, updated_at)
            VALUES (@Id, @MerchantId, @Status, @Amount, @Currency, @PaymentMethod, @CaptureMethod, @Description, @Metadata,
                @ExecuteAt, @LocalDateTime, @TimeZone, @RecurrenceFrequency, @RecurrenceInterval, @RecurrenceCount, @RecurrenceUntil,
                @Occurrence, @OccurrenceDueAt, @NextAttemptAt, @Attempts, @TotalAttempts, @LeaseToken, @LastErrorCode, @CreatedAt, @UpdatedAt)
            """, new
            {
                row.Id, row.MerchantId, row.Status, row.Amount, row.Currency, row.PaymentMethod, row.CaptureMethod, row.Description, row.Metadata,
                ExecuteAt = row.ExecuteAt, row.LocalDateTime, row.TimeZone, row.RecurrenceFrequency, row.RecurrenceInterval,
                row.RecurrenceCount, RecurrenceUntil = row.RecurrenceUntil, row.Occurrence,
                OccurrenceDueAt = row.OccurrenceDueAt, NextAttemptAt = row.NextAttemptAt,
                row.Attempts, row.TotalAttempts, row.LeaseToken, row.LastErrorCode,
                CreatedAt = row.CreatedAt, UpdatedAt = row.UpdatedAt,
            });
        await ScheduleHistory.AppendAsync(session, events, new HistoryEntry(row.Id, row.Occurrence, 0, null, row.Status, HistoryReason.Created, null, null, row.CreatedAt));
    }

    public static Task<ScheduledPaymentRow?> FindAsync(DbSession session, string merchantId, string id) =>
        session.QuerySingleOrDefaultAsync<ScheduledPaymentRow>(
            $"SELECT {ScheduledPaymentRow.Columns} FROM scheduled_payments WHERE id = @id AND merchant_id = @merchantId", new { id, merchantId });

    public static async Task<ScheduledPaymentRow> GetAsync(DbSession session, string merchantId, string id) =>
        await FindAsync(session, merchantId, id) ?? throw Problems.NotFound("scheduled payment", id);

    /// <summary>Newest first (ids sort by creation time), <c>Limit + 1</c> rows so the page knows whether there is more.</summary>
    public static Task<IReadOnlyList<ScheduledPaymentRow>> ListAsync(DbSession session, string merchantId, string? status, PageRequest page) =>
        session.QueryAsync<ScheduledPaymentRow>(
            $"""
            SELECT {ScheduledPaymentRow.Columns} FROM scheduled_payments
            WHERE merchant_id = @merchantId
              AND (@status IS NULL OR status = @status)
              AND (@startingAfter IS NULL OR id < @startingAfter)
            ORDER BY id DESC
            LIMIT @take
            """, new { merchantId, status, startingAfter = page.StartingAfter, take = page.Limit + 1 });

    /// <summary>These schedules, whatever their merchant (for the runner and the events of its batches).</summary>
    internal static Task<IReadOnlyList<ScheduledPaymentRow>> ByIdsAsync(DbSession session, IReadOnlyCollection<string> ids) =>
        session.QueryAsync<ScheduledPaymentRow>(
            $"SELECT {ScheduledPaymentRow.Columns} FROM scheduled_payments WHERE {session.InList("id", "ids")}", new { ids = session.ListOf(ids) });

    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<ExecutionRow>>> ExecutionsAsync(DbSession session, IReadOnlyCollection<string> scheduleIds)
    {
        if (scheduleIds.Count == 0)
        {
            return new Dictionary<string, IReadOnlyList<ExecutionRow>>(StringComparer.Ordinal);
        }

        var rows = await session.QueryAsync<ExecutionRow>(
            $"{ExecutionColumns} WHERE {session.InList("schedule_id", "ids")} ORDER BY schedule_id, occurrence", new { ids = session.ListOf(scheduleIds) });
        return rows.GroupBy(r => r.ScheduleId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ExecutionRow>)g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Cancels while still <c>scheduled</c>. The UPDATE is conditional on the status, so a cancel racing a
    /// runner's claim has exactly one winner: the other sees the row already changed.
    /// </summary>
    public static async Task<ScheduledPaymentRow> CancelAsync(DbSession session, IEventOutbox events, string merchantId, string id, DateTimeOffset now)
    {
        var changed = await session.QuerySingleOrDefaultAsync<ScheduledPaymentRow>(
            $"""
            UPDATE scheduled_payments SET status = 'cancelled', updated_at = @now
            WHERE id = @id AND merchant_id = @merchantId AND status = 'scheduled'
            RETURNING {ScheduledPaymentRow.Columns}
            """, new { id, merchantId, now = now });
        if (changed is null)
        {
            var current = await GetAsync(session, merchantId, id);
            throw Problems.InvalidStateTransition(
                $"Scheduled payment '{id}' is '{current.Status}'; only a 'scheduled' one can be cancelled.");
        }

        await ScheduleHistory.AppendAsync(session, events, new HistoryEntry(
            id, changed.Occurrence, changed.Attempts, ScheduledPaymentStatus.Scheduled, ScheduledPaymentStatus.Cancelled, HistoryReason.CancelledByMerchant, null, null, now));
        return changed;
    }

    /// <summary>Puts a dead-lettered occurrence back in the queue with a fresh set of attempts.</summary>
    public static async Task<ScheduledPaymentRow> RetryAsync(DbSession session, IEventOutbox events, string merchantId, string id, DateTimeOffset now)
    {
        var changed = await session.QuerySingleOrDefaultAsync<ScheduledPaymentRow>(
            $"""
            UPDATE scheduled_payments
            SET status = 'scheduled', attempts = 0, next_attempt_at = CASE WHEN occurrence_due_at > @now THEN occurrence_due_at ELSE @now END,
                updated_at = @now
            WHERE id = @id AND merchant_id = @merchantId AND status = 'dead_lettered'
            RETURNING {ScheduledPaymentRow.Columns}
            """, new { id, merchantId, now = now });
        if (changed is null)
        {
            var current = await GetAsync(session, merchantId, id);
            throw Problems.InvalidStateTransition(
                $"Scheduled payment '{id}' is '{current.Status}'; only a 'dead_lettered' one can be retried.");
        }

        await ScheduleHistory.AppendAsync(session, events, new HistoryEntry(
            id, changed.Occurrence, 0, ScheduledPaymentStatus.DeadLettered, ScheduledPaymentStatus.Scheduled, HistoryReason.RetriedByMerchant, null, null, now));
        return changed;
    }

    private const string ExecutionColumns = """
        SELECT schedule_id AS ScheduleId, occurrence AS Occurrence, idempotency_key AS IdempotencyKey, payment_id AS PaymentId,
               payment_status AS PaymentStatus, outcome AS Outcome, decline_code AS DeclineCode, executed_at AS ExecutedAt
        FROM scheduled_payment_executions
        """;
}
