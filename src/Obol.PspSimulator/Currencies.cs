using System.Globalization;

namespace Obol.PspSimulator;

/// <summary>
/// How each simulated PSP counts a currency: the decimals of its amounts (integers of 10^-exponent, in the API and in reports),
/// which are ISO 4217's except where the PSP documents otherwise. Codes not listed as 0 or 3 have 2 decimals in ISO 4217.
/// </summary>
public static class Currencies
{
    private static readonly HashSet<string> IsoZeroDecimal = new(StringComparer.Ordinal)
    {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    private static readonly HashSet<string> IsoThreeDecimal = new(StringComparer.Ordinal)
    {
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
    };

    /// <summary>Stripe's zero-decimal currencies: MGA among them, ISK not (Stripe kept it at two decimals).</summary>
    private static readonly HashSet<string> StripeZeroDecimal = new(StringComparer.Ordinal)
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    /// <summary>Stripe's three-decimal currencies, whose amounts must end in 0.</summary>
    private static readonly HashSet<string> StripeThreeDecimal = new(StringComparer.Ordinal)
    {
        "BHD", "JOD", "KWD", "OMR", "TND",
    };

    /// <summary>Three ASCII letters, any case.</summary>
    public static bool IsWellFormed(string? code) =>
        code is { Length: 3 } && code.All(char.IsAsciiLetter);

    /// <summary>The decimals <paramref name="psp"/> counts <paramref name="code"/> in.</summary>
    public static int Exponent(Psp psp, string code)
    {
        var upper = code.ToUpperInvariant();
        return (psp, upper) switch
        {
            (Psp.Stripe, _) when StripeZeroDecimal.Contains(upper) => 0,
            (Psp.Stripe, _) when StripeThreeDecimal.Contains(upper) => 3,
            (Psp.Stripe, "ISK") => 2,
            (Psp.Adyen, "CLP" or "ISK") => 2,
            (Psp.Adyen, "CVE" or "IDR") => 0,
            _ => IsoExponent(upper),
        };
    }

    private static int IsoExponent(string upper) => IsoZeroDecimal.Contains(upper) ? 0 : IsoThreeDecimal.Contains(upper) ? 3 : 2;

    /// <summary>
    /// An amount the PSP works out itself (a fee) in whole ISO minor units: where the PSP counts more decimals than ISO 4217
    /// (ISK at Stripe, CLP at Adyen) it books no fraction of a króna or peso, so the rest is cut off.
    /// </summary>
    public static long WholeIsoMinorUnits(Psp psp, long amount, string code)
    {
        var upper = code.ToUpperInvariant();
        long unit = 1;
        for (var i = IsoExponent(upper); i < Exponent(psp, upper); i++)
        {
            unit *= 10;
        }

        return amount - (amount % unit);
    }

    /// <summary>
    /// Why Stripe refuses this amount of this currency although it is a positive integer, or null: a three-decimal amount must end
    /// in 0, and an ISK amount must be whole krónur (a multiple of 100, since ISK keeps two decimals at Stripe).
    /// </summary>
    public static (string Code, string Message)? StripeAmountRefusal(long amount, string code) => code.ToUpperInvariant() switch
    {
        var upper when StripeThreeDecimal.Contains(upper) && amount % 10 != 0 =>
            ("invalid_charge_amount", $"Invalid amount. {upper} amounts must be a multiple of 10: the last of the three decimals must be 0."),
        "ISK" when amount % 100 != 0 =>
            ("invalid_charge_amount_no_decimal_compatible", "Invalid amount. ISK is charged in whole krónur only: the amount must be divisible by 100."),
        _ => null,
    };

    /// <summary>Formats a PSP's amount in major units with that PSP's decimals for the currency, using integer arithmetic only.</summary>
    public static string FormatMajor(Psp psp, long amount, string currency)
    {
        var exponent = Exponent(psp, currency);
        var negative = amount < 0;
        var magnitude = negative ? (ulong)(-(amount + 1)) + 1UL : (ulong)amount;
        var digits = magnitude.ToString(CultureInfo.InvariantCulture);
        if (exponent > 0)
        {
            digits = digits.PadLeft(exponent + 1, '0');
            digits = string.Concat(digits.AsSpan(0, digits.Length - exponent), ".", digits.AsSpan(digits.Length - exponent));
        }

        return negative ? "-" + digits : digits;
    }
}
