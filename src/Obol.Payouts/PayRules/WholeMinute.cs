namespace Obol.Payouts.PayRules;

/// <summary>
/// Maps an instant to the whole minute it falls in: the instant floored to the minute in UTC, numbered
/// from 0001-01-01T00:00Z. Seconds are dropped, never rounded, so 09:00:59Z and 09:00:00Z are the same
/// minute, and a delivery accepted at 09:00:59Z and fulfilled at 09:01:00Z spans two minutes.
/// UTC flooring is the same as local flooring in every zone whose offset is a whole number of minutes
/// (all of them today), so the minutes of a delivery never depend on the courier's zone or on DST.
/// </summary>
internal static class WholeMinute
{
    public static long Of(DateTimeOffset instant) => instant.UtcTicks / TimeSpan.TicksPerMinute;
}
