namespace Obol.Scheduling.Schedules;

public static class RecurrenceFrequency
{
    public const string Daily = "daily";
    public const string Weekly = "weekly";
    public const string Monthly = "monthly";

    public static IReadOnlyList<string> All { get; } = [Daily, Weekly, Monthly];
}

/// <summary>Repeat every <see cref="Interval"/> days, weeks or months, <see cref="Count"/> times in all or until an instant.</summary>
internal sealed record Recurrence(string Frequency, int Interval, int? Count, DateTimeOffset? Until);
