using System.Globalization;

namespace Obol.Payouts.PayRules;

/// <summary>A whole minute of one day, 00:00 (0) to 23:59 (1439).</summary>
internal readonly record struct MinuteOfDay
{
    public const int MinutesPerDay = 24 * 60;

    private MinuteOfDay(int value) => Value = value;

    public int Value { get; }

    public static MinuteOfDay FromMinutes(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, MinutesPerDay);
        return new MinuteOfDay(value);
    }

    /// <summary>Parses exactly <c>HH:MM</c> on a 24-hour clock; no padding is optional and nothing else is accepted.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MinuteOfDay minute)
    {
        minute = default;
        if (text.Length != 5 || text[2] != ':'
            || !TryDigit(text[0], out var h1) || !TryDigit(text[1], out var h2)
            || !TryDigit(text[3], out var m1) || !TryDigit(text[4], out var m2))
        {
            return false;
        }

        var hours = (h1 * 10) + h2;
        var minutes = (m1 * 10) + m2;
        if (hours > 23 || minutes > 59)
        {
            return false;
        }

        minute = new MinuteOfDay((hours * 60) + minutes);
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Value / 60:D2}:{Value % 60:D2}");

    private static bool TryDigit(char c, out int digit)
    {
        digit = c - '0';
        return c is >= '0' and <= '9';
    }
}
