using NodaTime;
using NodaTime.Text;

namespace Obol.Scheduling.Schedules;

/// <summary>One row of <c>scheduled_payments</c>: what to charge, when, and where the runner is with it.</summary>
internal sealed class ScheduledPaymentRow
{
    public const string Columns = """
        id AS Id, merchant_id AS MerchantId, status AS Status, amount AS Amount, currency AS Currency,
        payment_method AS PaymentMethod, capture_method AS CaptureMethod, description AS Description, metadata AS Metadata,
        execute_at AS ExecuteAt, local_date_time AS LocalDateTime, time_zone AS TimeZone,
        recurrence_frequency AS RecurrenceFrequency, recurrence_interval AS RecurrenceInterval,
        recurrence_count AS RecurrenceCount, recurrence_until AS RecurrenceUntil,
        occurrence AS Occurrence, occurrence_due_at AS OccurrenceDueAt, next_attempt_at AS NextAttemptAt,
        attempts AS Attempts, total_attempts AS TotalAttempts, lease_token AS LeaseToken, last_error_code AS LastErrorCode,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public required string Id { get; init; }
    public required string MerchantId { get; init; }
    public required string Status { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }
    public required string PaymentMethod { get; init; }
    public required string CaptureMethod { get; init; }
    public string? Description { get; init; }

    /// <summary>Metadata as a JSON object of strings.</summary>
    public string? Metadata { get; init; }

    /// <summary>The resolved instant of the first occurrence.</summary>
    public required DateTimeOffset ExecuteAt { get; init; }

    /// <summary>The first occurrence's local date-time (ISO, seconds) when the schedule was given in a zone.</summary>
    public string? LocalDateTime { get; init; }

    public string? TimeZone { get; init; }
    public string? RecurrenceFrequency { get; init; }
    public long? RecurrenceInterval { get; init; }
    public long? RecurrenceCount { get; init; }
    public DateTimeOffset? RecurrenceUntil { get; init; }

    /// <summary>The occurrence being worked on (1-based).</summary>
    public required long Occurrence { get; init; }

    /// <summary>When the current occurrence is due (never executed before).</summary>
    public required DateTimeOffset OccurrenceDueAt { get; init; }

    /// <summary>While scheduled: when it may next be claimed. While processing: when the lease expires.</summary>
    public required DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>Attempts made on the current occurrence.</summary>
    public required long Attempts { get; init; }

    public required long TotalAttempts { get; init; }
    public string? LeaseToken { get; init; }
    public string? LastErrorCode { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public Recurrence? Recurrence => RecurrenceFrequency is null
        ? null
        : new Recurrence(RecurrenceFrequency, (int)(RecurrenceInterval ?? 1), (int?)RecurrenceCount, RecurrenceUntil);

    public LocalDateTime? FirstLocal => LocalDateTime is null ? null : LocalDateTimePattern.ExtendedIso.Parse(LocalDateTime).Value;

    public DateTimeZone? Zone => TimeZone is null ? null : DateTimeZoneProviders.Tzdb[TimeZone];

    public string IdempotencyKeyFor(long occurrence) => ExecutionKey.For(Id, occurrence);

    public DateTimeOffset? NextOccurrenceAfterCurrent() =>
        ScheduleClock.NextOccurrenceAt(ExecuteAt, FirstLocal, Zone, Recurrence, (int)Occurrence);
}

/// <summary>The idempotency key of one occurrence: every execution of it, by any runner, uses the same key.</summary>
internal static class ExecutionKey
{
    public static string For(string scheduleId, long occurrence) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{scheduleId}:occ:{occurrence}");
}
