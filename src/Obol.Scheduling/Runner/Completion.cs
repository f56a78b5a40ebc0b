using Obol.Scheduling.Execution;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Runner;

/// <summary>The new state of a claimed schedule after its execution, and what to append.</summary>
internal sealed record Completion(
    string ScheduleId,
    string Status,
    long Occurrence,
    DateTimeOffset OccurrenceDueAt,
    DateTimeOffset NextAttemptAt,
    long Attempts,
    long TotalAttempts,
    string? LastErrorCode,
    HistoryEntry History,
    ExecutionRow? Execution);

/// <summary>
/// What an execution result means for a claimed schedule, as a pure function: success moves to the next
/// occurrence or ends the schedule, a decline is final, a retryable failure waits with full-jitter backoff
/// until the attempts run out and the occurrence is dead-lettered.
/// </summary>
internal static class CompletionRules
{
    /// <summary>
    /// A claimed row the runner did not start before its lease ran short: back to <c>scheduled</c>, due at once,
    /// and the claim not counted as an attempt.
    /// </summary>
    public static Completion Release(ScheduledPaymentRow claimed, DateTimeOffset now) =>
        new(claimed.Id, ScheduledPaymentStatus.Scheduled, claimed.Occurrence, claimed.OccurrenceDueAt, now, claimed.Attempts - 1, claimed.TotalAttempts - 1,
            claimed.LastErrorCode,
            new HistoryEntry(claimed.Id, claimed.Occurrence, claimed.Attempts, ScheduledPaymentStatus.Processing, ScheduledPaymentStatus.Scheduled,
                HistoryReason.ReleasedUnstarted, null, null, now),
            null);

    public static Completion Decide(ScheduledPaymentRow claimed, PaymentExecutionResult? result, DateTimeOffset now, RetryPolicy policy, double jitter)
    {
        if (result is null)
        {
            return Release(claimed, now);
        }

        var attempt = claimed.Attempts;
        var key = claimed.IdempotencyKeyFor(claimed.Occurrence);
        HistoryEntry History(string to, string reason, string? error = null, string? paymentId = null) =>
            new(claimed.Id, claimed.Occurrence, attempt, ScheduledPaymentStatus.Processing, to, reason, error, paymentId, now);

        switch (result)
        {
            case PaymentExecutionResult.Succeeded success:
            {
                var execution = new ExecutionRow
                {
                    ScheduleId = claimed.Id, Occurrence = claimed.Occurrence, IdempotencyKey = key, PaymentId = success.PaymentId,
                    PaymentStatus = success.PaymentStatus, Outcome = "succeeded", ExecutedAt = now,
                };
                if (claimed.NextOccurrenceAfterCurrent() is { } next)
                {
                    return new Completion(claimed.Id, ScheduledPaymentStatus.Scheduled, claimed.Occurrence + 1, next, next, 0, claimed.TotalAttempts, null,
                        History(ScheduledPaymentStatus.Scheduled, HistoryReason.OccurrenceSucceeded, paymentId: success.PaymentId), execution);
                }

                return new Completion(claimed.Id, ScheduledPaymentStatus.Succeeded, claimed.Occurrence, claimed.OccurrenceDueAt, now, attempt, claimed.TotalAttempts, null,
                    History(ScheduledPaymentStatus.Succeeded, HistoryReason.Succeeded, paymentId: success.PaymentId), execution);
            }

            case PaymentExecutionResult.Declined declined:
            {
                var execution = new ExecutionRow
                {
                    ScheduleId = claimed.Id, Occurrence = claimed.Occurrence, IdempotencyKey = key, PaymentId = declined.PaymentId,
                    PaymentStatus = "declined", Outcome = "declined", DeclineCode = declined.DeclineCode, ExecutedAt = now,
                };
                return new Completion(claimed.Id, ScheduledPaymentStatus.Failed, claimed.Occurrence, claimed.OccurrenceDueAt, now, attempt, claimed.TotalAttempts, declined.DeclineCode,
                    History(ScheduledPaymentStatus.Failed, HistoryReason.Declined, declined.DeclineCode, declined.PaymentId), execution);
            }

            case PaymentExecutionResult.Retryable retryable when attempt >= policy.MaxAttempts:
                return new Completion(claimed.Id, ScheduledPaymentStatus.DeadLettered, claimed.Occurrence, claimed.OccurrenceDueAt, now, attempt, claimed.TotalAttempts, retryable.Reason,
                    History(ScheduledPaymentStatus.DeadLettered, HistoryReason.AttemptsExhausted, retryable.Reason, retryable.PaymentId), null);

            case PaymentExecutionResult.Retryable retryable:
            {
                var retryAt = now + policy.Delay((int)attempt, jitter);
                return new Completion(claimed.Id, ScheduledPaymentStatus.Scheduled, claimed.Occurrence, claimed.OccurrenceDueAt, retryAt, attempt, claimed.TotalAttempts, retryable.Reason,
                    History(ScheduledPaymentStatus.Scheduled, HistoryReason.RetryScheduled, retryable.Reason, retryable.PaymentId), null);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(result), result, "Unknown execution result.");
        }
    }
}
