namespace Obol.Webhooks.Delivery;

/// <summary>
/// When a failed delivery is tried again: 5 s after the first failure, then four times longer each time (20 s, 80 s,
/// about 5 min, 21 min, 85 min, 5.7 h) up to 12 h between tries, each delay moved by up to ±20 % at random so that
/// deliveries that failed together (an endpoint that was down) do not all come back at once. A delivery whose next try
/// would fall after its first try plus the retry window (3 days by default) is given up: about 13 tries in all.
/// </summary>
internal static class RetrySchedule
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(12);
    public const double Growth = 4;
    public const double Jitter = 0.2;

    /// <summary>The delay after failed try number <paramref name="attempts"/> (1 for the first), before jitter.</summary>
    public static TimeSpan BaseDelay(int attempts)
    {
        var seconds = FirstDelay.TotalSeconds * Math.Pow(Growth, Math.Max(0, attempts - 1));
        return seconds >= MaxDelay.TotalSeconds ? MaxDelay : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// The next try after <paramref name="attempts"/> failed ones, or null to give up. <paramref name="random"/> is in
    /// [0, 1) and moves the delay within ±<see cref="Jitter"/>.
    /// </summary>
    public static DateTimeOffset? Next(int attempts, DateTimeOffset firstTry, DateTimeOffset now, TimeSpan retryFor, double random)
    {
        var delay = BaseDelay(attempts) * (1 + Jitter * (2 * random - 1));
        var next = now + delay;
        return next > firstTry + retryFor ? null : next;
    }
}
