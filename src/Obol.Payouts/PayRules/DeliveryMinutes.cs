namespace Obol.Payouts.PayRules;

/// <summary>
/// How many paid minutes one delivery spans. Minutes are whole and both ends are included,
/// so a delivery that starts and ends in the same minute is paid for one minute.
/// </summary>
public static class DeliveryMinutes
{
    /// <summary>
    /// <c>end − start + 1</c>, or 0 when the recorded start is after the recorded end
    /// (the seed rule: such a delivery still counts as completed, it just earns no time pay).
    /// </summary>
    public static int Inclusive(MinuteOfDay start, MinuteOfDay end) =>
        start.Value > end.Value ? 0 : end.Value - start.Value + 1;
}
