using System.Text.Json;
using Microsoft.Extensions.Logging;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Runner;

/// <summary>What one <see cref="ScheduledPaymentRunner.RunOnceAsync"/> did.</summary>
internal sealed record RunResult(int Claimed, int Completed, int LeasesLost);

/// <summary>A batch this runner holds: the rows as claimed (attempt counted) and the lease token that fences its writes.</summary>
internal sealed record ClaimedBatch(string LeaseToken, DateTimeOffset ClaimedAt, IReadOnlyList<ScheduledPaymentRow> Rows);

/// <summary>
/// Claims due schedules with a lease, executes them through <see cref="IScheduledPaymentExecutor"/> (bounded
/// concurrency) and writes the outcomes. The database is the only source of truth: a node that dies leaves
/// its rows <c>processing</c> with an expired lease (their <c>next_attempt_at</c>), and any runner claims them
/// again. Every execution of an occurrence carries the same idempotency key, so the executor returns the first
/// payment instead of charging twice; writes of a runner whose lease was lost are ignored (the lease token
/// fences them).
/// </summary>
internal sealed partial class ScheduledPaymentRunner(
    Database database,
    IScheduledPaymentExecutor executor,
    IEventOutbox events,
    SchedulingOptions options,
    TimeProvider clock,
    ILogger<ScheduledPaymentRunner> logger)
{
    private static readonly RowShape<Completion> CompletionRows = new RowShape<Completion>()
        .Text("schedule_id", c => c.ScheduleId)
        .Text("status", c => c.Status)
        .Bigint("occurrence", c => c.Occurrence)
        .Timestamp("occurrence_due_at", c => c.OccurrenceDueAt)
        .Timestamp("next_attempt_at", c => c.NextAttemptAt)
        .Bigint("attempts", c => c.Attempts)
        .Bigint("total_attempts", c => c.TotalAttempts)
        .Text("last_error_code", c => c.LastErrorCode);

    private static readonly RowShape<ExecutionRow> ExecutionRows = new RowShape<ExecutionRow>()
        .Text("schedule_id", e => e.ScheduleId)
        .Bigint("occurrence", e => e.Occurrence)
        .Text("idempotency_key", e => e.IdempotencyKey)
        .Text("payment_id", e => e.PaymentId)
        .Text("payment_status", e => e.PaymentStatus)
        .Text("outcome", e => e.Outcome)
        .Text("decline_code", e => e.DeclineCode)
        .Timestamp("executed_at", e => e.ExecutedAt);

    private readonly RetryPolicy _policy = RetryPolicy.From(options.Validate());

    public SchedulingOptions Options => options;

    /// <summary>Claims one batch of due work, executes it and records the outcomes. Tests call this directly.</summary>
    public async Task<RunResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var batch = await ClaimAsync(cancellationToken);
        var claimedAt = clock.GetTimestamp();
        if (batch.Rows.Count == 0)
        {
            return new RunResult(0, 0, 0);
        }

        var results = await ExecuteAsync(batch, claimedAt, cancellationToken);
        var completed = await CompleteAsync(batch, results, cancellationToken);
        return new RunResult(batch.Rows.Count, completed, batch.Rows.Count - completed);
    }

    /// <summary>
    /// Takes up to a batch of rows whose lease expired (<c>processing</c>, <c>next_attempt_at ≤ now</c>) and then
    /// rows that are due (<c>scheduled</c>, <c>next_attempt_at ≤ now</c>), each in due order. PostgreSQL skips
    /// rows another runner is claiming (<c>FOR UPDATE SKIP LOCKED</c>); SQLite has one writer at a time.
    /// </summary>
    public Task<ClaimedBatch> ClaimAsync(CancellationToken cancellationToken) =>
        database.WriteAsync(async session =>
        {
            var now = await NowAsync(session);
            var token = Guid.NewGuid().ToString("N");
            // Expired leases first (their work is the most overdue), then due rows; each SELECT walks the
            // (status, next_attempt_at) index in order and stops at the limit, whatever the backlog.
            var due = new List<DueRow>();
            foreach (var status in (string[])[ScheduledPaymentStatus.Processing, ScheduledPaymentStatus.Scheduled])
            {
                due.AddRange(await session.QueryAsync<DueRow>(session.Sql(
                    sqlite: """
                        SELECT id AS Id, status AS Status, attempts AS Attempts FROM scheduled_payments
                        WHERE status = @status AND next_attempt_at <= @now
                        ORDER BY next_attempt_at LIMIT @limit
                        """,
                    postgres: """
                        SELECT id AS Id, status AS Status, attempts AS Attempts FROM scheduled_payments
                        WHERE status = @status AND next_attempt_at <= @now
                        ORDER BY next_attempt_at LIMIT @limit
                        FOR UPDATE SKIP LOCKED
                        """), new { status, now = now, limit = options.BatchSize - due.Count }));
                if (due.Count >= options.BatchSize)
                {
                    break;
                }
            }

            // A row whose lease expired after its last attempt was held by nodes that died on it: dead-letter it
            // rather than let it take down node after node. A manual retry runs it again with the same key.
            var exhausted = due.Where(d => d.Status == ScheduledPaymentStatus.Processing && d.Attempts >= options.MaxAttempts).ToList();
            if (exhausted.Count > 0)
            {
                await DeadLetterAbandonedAsync(session, exhausted.Select(d => d.Id).ToArray(), now);
                due = due.Except(exhausted).ToList();
            }

            if (due.Count == 0)
            {
                return new ClaimedBatch(token, now, []);
            }

            var rows = await session.QueryAsync<ScheduledPaymentRow>(
                $"""
                UPDATE scheduled_payments
                SET status = 'processing', next_attempt_at = @leaseUntil, lease_token = @token,
                    attempts = attempts + 1, total_attempts = total_attempts + 1, updated_at = @now
                WHERE {session.InList("id", "ids")}
                RETURNING {ScheduledPaymentRow.Columns}
                """, new { now = now, leaseUntil = now + options.LeaseDuration, token, ids = session.ListOf(due.Select(d => d.Id)) });

            var previous = due.ToDictionary(d => d.Id, d => d.Status, StringComparer.Ordinal);
            await ScheduleHistory.AppendAsync(session, events, rows.Select(r => new HistoryEntry(
                r.Id, r.Occurrence, r.Attempts, previous[r.Id], ScheduledPaymentStatus.Processing,
                previous[r.Id] == ScheduledPaymentStatus.Processing ? HistoryReason.LeaseExpiredReclaimed : HistoryReason.Claimed, null, null, now)).ToList());
            return new ClaimedBatch(token, now, rows.OrderBy(r => r.OccurrenceDueAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList());
        }, cancellationToken);

    private async Task DeadLetterAbandonedAsync(DbSession session, string[] ids, DateTimeOffset now)
    {
        var rows = await session.QueryAsync<ScheduledPaymentRow>(
            $"""
            UPDATE scheduled_payments
            SET status = 'dead_lettered', next_attempt_at = @now, lease_token = NULL, last_error_code = 'lease_expired', updated_at = @now
            WHERE {session.InList("id", "ids")}
            RETURNING {ScheduledPaymentRow.Columns}
            """, new { now = now, ids = session.ListOf(ids) });
        await ScheduleHistory.AppendAsync(session, events, rows.Select(r => new HistoryEntry(
            r.Id, r.Occurrence, r.Attempts, ScheduledPaymentStatus.Processing, ScheduledPaymentStatus.DeadLettered,
            HistoryReason.LeaseExpiredAttemptsExhausted, "lease_expired", null, now)).ToList());
        foreach (var row in rows)
        {
            session.AfterCommit(() =>
            {
                LogDeadLettered(logger, row.Id, row.Occurrence, "lease_expired");
                return Task.CompletedTask;
            });
        }
    }

    /// <summary>
    /// Runs the batch's calls, <see cref="SchedulingOptions.MaxConcurrency"/> at a time. Calls are started only
    /// inside <see cref="SchedulingOptions.CallStartWindow"/> of the claim (measured on this node's monotonic
    /// clock), so every call can finish inside the lease; the rows not started get no result and are released.
    /// </summary>
    private async Task<PaymentExecutionResult?[]> ExecuteAsync(ClaimedBatch batch, long claimedAt, CancellationToken cancellationToken)
    {
        var results = new PaymentExecutionResult?[batch.Rows.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, batch.Rows.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrency, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                if (clock.GetElapsedTime(claimedAt) < options.CallStartWindow)
                {
                    results[index] = await ExecuteOneAsync(batch.Rows[index], token);
                }
            });
        return results;
    }

    private async Task<PaymentExecutionResult> ExecuteOneAsync(ScheduledPaymentRow row, CancellationToken cancellationToken)
    {
        var execution = new ScheduledPaymentExecution(
            row.Id, row.MerchantId, (int)row.Occurrence, (int)row.Attempts, row.IdempotencyKeyFor(row.Occurrence), row.Amount, row.Currency,
            row.PaymentMethod, row.CaptureMethod, row.Description,
            row.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(row.Metadata),
            row.OccurrenceDueAt);
        using var timeout = new CancellationTokenSource(options.ExecutionTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await executor.ExecuteAsync(execution, linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The outcome is unknown; the next attempt uses the same key and learns it.
            LogExecutionTimedOut(logger, execution.IdempotencyKey, options.ExecutionTimeout);
            return new PaymentExecutionResult.Retryable("execution_timeout");
        }
#pragma warning disable CA1031 // Any executor failure is a retryable outcome for this occurrence, never a crash of the runner.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogExecutorFailed(logger, exception, execution.IdempotencyKey);
            return new PaymentExecutionResult.Retryable("executor_error");
        }
    }

    /// <summary>
    /// Writes the outcomes of a batch in one transaction. Each row changes only while it is still
    /// <c>processing</c> under this batch's lease token: if the lease expired and another runner took the row,
    /// this runner's outcome is dropped (the other runner executes with the same key and gets the same payment).
    /// </summary>
    public Task<int> CompleteAsync(ClaimedBatch batch, IReadOnlyList<PaymentExecutionResult?> results, CancellationToken cancellationToken) =>
        database.WriteAsync(async session =>
        {
            var now = await NowAsync(session);
            var completions = batch.Rows.Select((row, i) => CompletionRules.Decide(row, results[i], now, _policy, Random.Shared.NextDouble())).ToList();
            var fenced = (await session.QueryAsync<string>(
                $"""
                UPDATE scheduled_payments
                SET status = u.status, occurrence = u.occurrence, occurrence_due_at = u.occurrence_due_at, next_attempt_at = u.next_attempt_at,
                    attempts = u.attempts, total_attempts = u.total_attempts, last_error_code = u.last_error_code, lease_token = NULL, updated_at = @now
                FROM {CompletionRows.From(session, "completions", "u")}
                WHERE scheduled_payments.id = u.schedule_id AND scheduled_payments.status = 'processing' AND scheduled_payments.lease_token = @token
                RETURNING id
                """, CompletionRows.Bind(session, "completions", completions, new { now = now, token = batch.LeaseToken }))).ToHashSet(StringComparer.Ordinal);

            var kept = completions.Where(c => fenced.Contains(c.ScheduleId)).ToList();
            // Executions first: the events of the history rows show the schedule with the payment an occurrence produced.
            await RecordExecutionsAsync(session, kept.Where(c => c.Execution is not null).Select(c => c.Execution!).ToList());
            await ScheduleHistory.AppendAsync(session, events, kept.Select(c => c.History).ToList());

            var lost = completions.Count - kept.Count;
            if (lost > 0)
            {
                session.AfterCommit(() =>
                {
                    LogLeasesLost(logger, lost, batch.LeaseToken);
                    return Task.CompletedTask;
                });
            }

            foreach (var dead in kept.Where(c => c.Status == ScheduledPaymentStatus.DeadLettered))
            {
                session.AfterCommit(() =>
                {
                    LogDeadLettered(logger, dead.ScheduleId, dead.Occurrence, dead.LastErrorCode);
                    return Task.CompletedTask;
                });
            }

            return kept.Count;
        }, cancellationToken);

    private static async Task RecordExecutionsAsync(DbSession session, List<ExecutionRow> executions)
    {
        if (executions.Count == 0)
        {
            return;
        }

        await session.ExecuteAsync(
            $"""
            INSERT INTO scheduled_payment_executions ({ExecutionRows.Columns})
            SELECT {ExecutionRows.Columns} FROM {ExecutionRows.From(session, "executions", "e")} WHERE true
            ON CONFLICT (schedule_id, occurrence) DO NOTHING
            """, ExecutionRows.Bind(session, "executions", executions));
    }

    /// <summary>
    /// The runner's "now": the database clock on PostgreSQL (unless configured off), else the injected clock,
    /// truncated to the microseconds both databases keep so that rounding can never make work due early.
    /// </summary>
    private async Task<DateTimeOffset> NowAsync(DbSession session)
    {
        var now = session.IsPostgres && options.UseDatabaseClock
            ? await session.QuerySingleAsync<DateTimeOffset>("SELECT now()")
            : clock.GetUtcNow();
        return StoredInstant.Of(now);
    }

    private sealed class DueRow
    {
        public required string Id { get; init; }
        public required string Status { get; init; }
        public required long Attempts { get; init; }
    }

    [LoggerMessage(EventId = SchedulingLogEvents.ExecutionTimedOut, Level = LogLevel.Warning, Message = "Executor call for {IdempotencyKey} timed out after {Timeout}; it will be retried with the same key")]
    private static partial void LogExecutionTimedOut(ILogger logger, string idempotencyKey, TimeSpan timeout);

    [LoggerMessage(EventId = SchedulingLogEvents.ExecutorFailed, Level = LogLevel.Warning, Message = "Executor failed for {IdempotencyKey}; it will be retried with the same key")]
    private static partial void LogExecutorFailed(ILogger logger, Exception exception, string idempotencyKey);

    [LoggerMessage(EventId = SchedulingLogEvents.LeasesLost, Level = LogLevel.Warning, Message = "{Count} outcomes of lease {LeaseToken} were dropped: the lease expired and another runner took the rows")]
    private static partial void LogLeasesLost(ILogger logger, int count, string leaseToken);

    [LoggerMessage(EventId = SchedulingLogEvents.DeadLettered, Level = LogLevel.Warning, Message = "Scheduled payment {ScheduleId} occurrence {Occurrence} dead-lettered after its last attempt ({ErrorCode})")]
    private static partial void LogDeadLettered(ILogger logger, string scheduleId, long occurrence, string? errorCode);
}
