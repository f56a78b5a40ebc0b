using System.Globalization;

namespace Obol.PspSimulator;

/// <summary>ISO 4217 minor-unit exponents. Codes not listed as 0 or 3 have 2 decimals.</summary>
public static class Currencies
{
    private static readonly HashSet<string> ZeroDecimal = new(StringComparer.Ordinal)
    {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    private static readonly HashSet<string> ThreeDecimal = new(StringComparer.Ordinal)
    {
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
    };

    /// <summary>Three ASCII letters, any case.</summary>
    public static bool IsWellFormed(string? code) =>
        code is { Length: 3 } && code.All(char.IsAsciiLetter);

    public static int Exponent(string code)
    {
        var upper = code.ToUpperInvariant();
        if (ZeroDecimal.Contains(upper))
        {
            return 0;
        }

        return ThreeDecimal.Contains(upper) ? 3 : 2;
    }

    /// <summary>Formats minor units in major units with the currency's decimals, using integer arithmetic only.</summary>
    public static string FormatMajor(long minorUnits, string currency)
    {
        var exponent = Exponent(currency);
        var negative = minorUnits < 0;
        var magnitude = negative ? (ulong)(-(minorUnits + 1)) + 1UL : (ulong)minorUnits;
        var digits = magnitude.ToString(CultureInfo.InvariantCulture);
        if (exponent > 0)
        {
            digits = digits.PadLeft(exponent + 1, '0');
            digits = string.Concat(digits.AsSpan(0, digits.Length - exponent), ".", digits.AsSpan(digits.Length - exponent));
        }

        return negative ? "-" + digits : digits;
    }
}
