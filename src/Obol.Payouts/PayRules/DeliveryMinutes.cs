namespace Obol.Payouts.PayRules;

/// <summary>
/// How many paid minutes one delivery spans. Minutes are whole and both ends are included,
/// so a delivery that starts and ends in the same minute is paid for one minute.
/// The seed service counts minutes of one day; the courier-earnings engine counts whole UTC minutes
/// (<see cref="WholeMinute"/>). Both go through <see cref="Inclusive(long, long)"/>.
/// </summary>
internal static class DeliveryMinutes
{
    /// <summary>
    /// <c>end − start + 1</c>, or 0 when the recorded start is after the recorded end
    /// (the seed rule: such a delivery still counts as completed, it just earns no time pay).
    /// </summary>
    public static int Inclusive(MinuteOfDay start, MinuteOfDay end) =>
        (int)Inclusive((long)start.Value, end.Value);

    /// <summary>The same rule on any minute numbering (minute-of-day, or minutes since an epoch).</summary>
    public static long Inclusive(long startMinute, long endMinute) =>
        startMinute > endMinute ? 0 : checked(endMinute - startMinute + 1);

    /// <summary>Time pay for one delivery: <c>rate × inclusive minutes</c>.</summary>
    public static long TimePay(long minutes, long ratePerMinute)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minutes);
        ArgumentOutOfRangeException.ThrowIfNegative(ratePerMinute);
        return checked(minutes * ratePerMinute);
    }
}
