using Obol.Core.Errors;

namespace Obol.Scheduling;

/// <summary>
/// Scheduling's rejections of a new schedule's time, each with its stable code; the generic ones (validation, not found, an
/// invalid state transition) are Core's <see cref="Problems"/>. Instants are given as the API writes them.
/// </summary>
internal static class SchedulingProblems
{
    public static ProblemException ExecuteAtInPast(string executeAt, string now) =>
        new(400, "execute_at_in_past", "Execution time in the past", $"The schedule resolves to {executeAt}, which is before now ({now}).");

    public static ProblemException ExecuteAtTooFar(int maxYearsAhead, string executeAt) =>
        new(400, "execute_at_too_far", "Execution time too far ahead",
            $"A payment can be scheduled at most {maxYearsAhead} years ahead; {executeAt} is later.");

    public static ProblemException ScheduleTimeConflict() =>
        new(400, "schedule_time_conflict", "Conflicting execution times",
            "Give either 'executeAt' (an instant) or 'localDateTime' with 'timeZone', not both.");

    public static ProblemException ScheduleTimeRequired() =>
        new(400, "schedule_time_required", "Execution time required", "Give 'executeAt' (an instant) or 'localDateTime' with 'timeZone'.");

    public static ProblemException TimeZoneRequired() =>
        new(400, "time_zone_required", "Time zone required",
            "A 'localDateTime' needs a 'timeZone' (an IANA name such as America/New_York) to say when it happens.");

    public static ProblemException LocalDateTimeRequired() =>
        new(400, "local_date_time_required", "Local date-time required", "A 'timeZone' needs a 'localDateTime' (such as 2027-03-14T09:00:00).");

    public static ProblemException UnknownTimeZone(string timeZone) =>
        new(400, "unknown_time_zone", "Unknown time zone", $"'{timeZone}' is not an IANA time zone name (such as America/New_York).");
}
