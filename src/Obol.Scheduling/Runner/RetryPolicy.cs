namespace Obol.Scheduling.Runner;

/// <summary>Exponential backoff with full jitter: after attempt n, wait uniformly in [0, min(max, base·2^(n−1))].</summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static RetryPolicy From(SchedulingOptions options) => new(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay);

    /// <summary>The upper bound of the wait after <paramref name="attempt"/> (1-based) failed.</summary>
    public TimeSpan Ceiling(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = Math.Min((double)MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The wait after <paramref name="attempt"/> failed, for <paramref name="unit"/> uniform in [0, 1).</summary>
    public TimeSpan Delay(int attempt, double unit) => TimeSpan.FromTicks((long)(Ceiling(attempt).Ticks * Math.Clamp(unit, 0, 1)));
}
