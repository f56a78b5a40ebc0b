using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Time;
using Obol.Payments.Domain;

namespace Obol.Scheduling.Schedules;

public sealed record CreateScheduledPaymentRequest(
    long? Amount,
    string? Currency,
    string? PaymentMethod,
    string? CaptureMethod,
    string? Description,
    Dictionary<string, string>? Metadata,
    string? ExecuteAt,
    string? LocalDateTime,
    string? TimeZone,
    RecurrenceRequest? Recurrence);

public sealed record RecurrenceRequest(string? Frequency, int? Interval, int? Count, string? Until);

/// <summary>
/// The rules for a new schedule, as a function of the request and the current instant: either a row to insert
/// or a problem with a stable code. No I/O.
/// </summary>
public static class CreateScheduledPayment
{
    /// <summary>How far in the past an <c>executeAt</c> may be (clock skew between client and server); it then runs at once.</summary>
    public static readonly TimeSpan PastTolerance = TimeSpan.FromSeconds(30);

    public const int MaxYearsAhead = 5;
    public const int MaxOccurrences = 1000;
    public const int MaxInterval = 1000;

    /// <summary>How long after its first execution a recurrence may last: its last occurrence is no later.</summary>
    public const int MaxRecurrenceYears = 100;

    internal static ScheduledPaymentRow Decide(CreateScheduledPaymentRequest request, string id, string merchantId, DateTimeOffset now)
    {
        var errors = new ValidationErrors();
        ValidatePayment(request, errors);
        var recurrence = ValidateRecurrence(request.Recurrence, errors);
        errors.ThrowIfAny();

        var (executeAt, local, zone) = ResolveTime(request);
        if (executeAt < now - PastTolerance)
        {
            throw SchedulingProblems.ExecuteAtInPast(Format(executeAt), Format(now));
        }

        if (executeAt > now.AddYears(MaxYearsAhead))
        {
            throw SchedulingProblems.ExecuteAtTooFar(MaxYearsAhead, Format(executeAt));
        }

        if (recurrence?.Until is { } until && until < executeAt)
        {
            throw Problems.Validation("recurrence.until", "Must not be before the first execution.");
        }

        if (recurrence?.Until is { } end && end > executeAt.AddYears(MaxRecurrenceYears))
        {
            throw Problems.Validation("recurrence.until", $"A recurrence ends at most {MaxRecurrenceYears} years after its first execution.");
        }

        if (recurrence?.Count is { } count && !LastOccurrenceWithinLimit(recurrence.Frequency, recurrence.Interval, count))
        {
            throw Problems.Validation("recurrence.count", $"A recurrence ends at most {MaxRecurrenceYears} years after its first execution; this count and interval go beyond.");
        }

        return new ScheduledPaymentRow
        {
            Id = id,
            MerchantId = merchantId,
            Status = ScheduledPaymentStatus.Scheduled,
            Amount = request.Amount!.Value,
            Currency = request.Currency!,
            PaymentMethod = request.PaymentMethod!,
            CaptureMethod = request.CaptureMethod ?? "automatic",
            Description = request.Description,
            Metadata = request.Metadata is null ? null : JsonSerializer.Serialize(request.Metadata),
            ExecuteAt = executeAt,
            LocalDateTime = local is { } l ? LocalDateTimePattern.ExtendedIso.Format(l) : null,
            TimeZone = zone?.Id,
            RecurrenceFrequency = recurrence?.Frequency,
            RecurrenceInterval = recurrence?.Interval,
            RecurrenceCount = recurrence?.Count,
            RecurrenceUntil = recurrence?.Until,
            Occurrence = 1,
            OccurrenceDueAt = executeAt,
            NextAttemptAt = executeAt,
            Attempts = 0,
            TotalAttempts = 0,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private static void ValidatePayment(CreateScheduledPaymentRequest request, ValidationErrors errors)
    {
        if (request.Amount is not > 0)
        {
            errors.Add("amount", "Required: a positive integer in the currency's minor units.");
        }

        if (request.Currency is null)
        {
            errors.Add("currency", "Required: an ISO 4217 code in upper case, such as USD.");
        }
        else if (!Currency.TryFromCode(request.Currency, out _))
        {
            errors.Add("currency", $"'{request.Currency}' is not an ISO 4217 currency code in upper case.");
        }

        PaymentMethodToken.Validate(errors, "paymentMethod", request.PaymentMethod);

        if (request.CaptureMethod is not (null or "automatic" or "manual"))
        {
            errors.Add("captureMethod", "Must be 'automatic' or 'manual'.");
        }

        if (request.Description is { Length: > 1000 })
        {
            errors.Add("description", "At most 1000 characters.");
        }

        errors.Metadata("metadata", request.Metadata);
    }

    private static Recurrence? ValidateRecurrence(RecurrenceRequest? request, ValidationErrors errors)
    {
        if (request is null)
        {
            return null;
        }

        var valid = true;
        if (request.Frequency is null || !RecurrenceFrequency.All.Contains(request.Frequency, StringComparer.Ordinal))
        {
            errors.Add("recurrence.frequency", "Required: 'daily', 'weekly' or 'monthly'.");
            valid = false;
        }

        if (request.Interval is < 1 or > MaxInterval)
        {
            errors.Add("recurrence.interval", $"Must be between 1 and {MaxInterval}.");
            valid = false;
        }

        if (request.Count is not null && request.Until is not null)
        {
            errors.Add("recurrence", "Give either 'count' or 'until', not both.");
            valid = false;
        }
        else if (request.Count is null && request.Until is null)
        {
            errors.Add("recurrence", "Give 'count' (number of executions) or 'until' (last instant); a schedule must end.");
            valid = false;
        }

        if (request.Count is < 1 or > MaxOccurrences)
        {
            errors.Add("recurrence.count", $"Must be between 1 and {MaxOccurrences}.");
            valid = false;
        }

        DateTimeOffset? until = null;
        if (request.Until is not null)
        {
            if (ApiTime.TryParseInstant(request.Until, out var parsed))
            {
                until = parsed;
            }
            else
            {
                errors.Add("recurrence.until", $"Must be {ApiTime.InstantRule}.");
                valid = false;
            }
        }

        return valid ? new Recurrence(request.Frequency!, request.Interval ?? 1, request.Count, until) : null;
    }

    /// <summary>Whether occurrence <paramref name="count"/> comes at most <see cref="MaxRecurrenceYears"/> years (of 365 days) after the first.</summary>
    public static bool LastOccurrenceWithinLimit(string frequency, int interval, int count)
    {
        var periods = (long)(count - 1) * interval;
        return frequency switch
        {
            RecurrenceFrequency.Daily => periods <= 365L * MaxRecurrenceYears,
            RecurrenceFrequency.Weekly => periods * 7 <= 365L * MaxRecurrenceYears,
            _ => periods <= 12L * MaxRecurrenceYears,
        };
    }

    private static (DateTimeOffset Instant, LocalDateTime? Local, DateTimeZone? Zone) ResolveTime(CreateScheduledPaymentRequest request)
    {
        var hasInstant = request.ExecuteAt is not null;
        var hasLocal = request.LocalDateTime is not null;
        var hasZone = request.TimeZone is not null;

        if (hasInstant && (hasLocal || hasZone))
        {
            throw SchedulingProblems.ScheduleTimeConflict();
        }

        if (hasInstant)
        {
            return ApiTime.TryParseInstant(request.ExecuteAt, out var parsed)
                ? (ScheduleClock.CeilingToMicrosecond(parsed), null, null)
                : throw Problems.Validation("executeAt", $"Must be {ApiTime.InstantRule}.");
        }

        if (!hasLocal && !hasZone)
        {
            throw SchedulingProblems.ScheduleTimeRequired();
        }

        if (!hasZone)
        {
            throw SchedulingProblems.TimeZoneRequired();
        }

        if (!hasLocal)
        {
            throw SchedulingProblems.LocalDateTimeRequired();
        }

        var zone = ScheduleClock.FindZone(request.TimeZone!)
            ?? throw SchedulingProblems.UnknownTimeZone(request.TimeZone!);

        var local = ParseLocal(request.LocalDateTime!) is { Year: >= 1970 and <= 2998 } accepted
            ? accepted
            : throw Problems.Validation("localDateTime", "Must be a local date-time without offset between the years 1970 and 2998, such as 2027-03-14T09:00:00.");
        return (ScheduleClock.Resolve(local, zone), local, zone);
    }

    private static readonly LocalDateTimePattern MinutesPattern = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm");

    /// <summary><c>2027-03-14T09:00:00</c> (fractions allowed) or <c>2027-03-14T09:00</c>.</summary>
    public static LocalDateTime? ParseLocal(string text)
    {
        // NodaTime takes U+0000 for the end of its input: a text with anything but printable ASCII is refused first.
        if (!text.All(c => c is >= '!' and <= '~'))
        {
            return null;
        }

        var full = LocalDateTimePattern.ExtendedIso.Parse(text);
        if (full.Success)
        {
            return full.Value;
        }

        var minutes = MinutesPattern.Parse(text);
        return minutes.Success ? minutes.Value : null;
    }

    private static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
