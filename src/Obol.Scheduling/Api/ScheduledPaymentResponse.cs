using System.Text.Json;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Api;

public sealed record RecurrenceResponse(string Frequency, int Interval, int? Count, DateTimeOffset? Until);

/// <summary>A payment one occurrence produced, or the decline that ended the schedule.</summary>
public sealed record ScheduledPaymentResult(int Occurrence, string? PaymentId, string? PaymentStatus, string Outcome, string? DeclineCode, DateTimeOffset ExecutedAt);

public sealed record ScheduledPaymentResponse(
    string Id,
    string Status,
    long Amount,
    string Currency,
    string PaymentMethod,
    string CaptureMethod,
    string? Description,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset ExecuteAt,
    string? LocalDateTime,
    string? TimeZone,
    RecurrenceResponse? Recurrence,
    int Occurrence,
    DateTimeOffset OccurrenceDueAt,
    DateTimeOffset? NextAttemptAt,
    int Attempts,
    int TotalAttempts,
    string? LastErrorCode,
    IReadOnlyList<ScheduledPaymentResult> Payments,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    internal static ScheduledPaymentResponse From(ScheduledPaymentRow row, IReadOnlyList<ExecutionRow>? executions) => new(
        row.Id,
        row.Status,
        row.Amount,
        row.Currency,
        row.PaymentMethod,
        row.CaptureMethod,
        row.Description,
        row.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(row.Metadata),
        row.ExecuteAt,
        row.LocalDateTime,
        row.TimeZone,
        row.Recurrence is { } r ? new RecurrenceResponse(r.Frequency, r.Interval, r.Count, r.Until) : null,
        (int)row.Occurrence,
        row.OccurrenceDueAt,
        row.Status == ScheduledPaymentStatus.Scheduled ? row.NextAttemptAt : null,
        (int)row.Attempts,
        (int)row.TotalAttempts,
        row.LastErrorCode,
        (executions ?? []).Select(e => new ScheduledPaymentResult((int)e.Occurrence, e.PaymentId, e.PaymentStatus, e.Outcome, e.DeclineCode, e.ExecutedAt)).ToList(),
        row.CreatedAt,
        row.UpdatedAt);
}

internal sealed record HistoryResponse(long Occurrence, long Attempt, string? FromStatus, string ToStatus, string Reason, string? ErrorCode, string? PaymentId, DateTimeOffset OccurredAt);
