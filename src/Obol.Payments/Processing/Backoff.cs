namespace Obol.Payments.Processing;

/// <summary>Exponential backoff with equal jitter: half the delay fixed, half random, capped.</summary>
internal static class Backoff
{
    public static TimeSpan Next(int attempt, TimeSpan initial, TimeSpan max)
    {
        var exponent = Math.Min(attempt, 20);
        var ceiling = Math.Min(max.Ticks, initial.Ticks * (1L << exponent));
        var half = ceiling / 2;
        return TimeSpan.FromTicks(half + Random.Shared.NextInt64(half + 1));
    }
}
