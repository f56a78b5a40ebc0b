using System.Collections.Frozen;
using Obol.Core;

namespace Obol.Payments.Psp.Stripe;

/// <summary>
/// Stripe's amounts (its "Supported currencies" page): a zero-decimal list that differs from ISO 4217 (MGA has no decimals at
/// Stripe, ISO gives it two); five three-decimal currencies whose amounts must end in 0; ISK, zero-decimal in ISO 4217, still
/// counted with two decimals for compatibility and only in whole krónur (multiples of 100). Everything else at its ISO exponent.
/// </summary>
public sealed class StripeAmountRule : PspAmountRule
{
    public static readonly StripeAmountRule Instance = new();

    private static readonly FrozenSet<string> ZeroDecimal = FrozenSet.Create(StringComparer.Ordinal,
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF");

    private static readonly FrozenSet<string> ThreeDecimal = FrozenSet.Create(StringComparer.Ordinal, "BHD", "JOD", "KWD", "OMR", "TND");

    private StripeAmountRule()
    {
    }

    protected override (int Exponent, long Step) Units(Currency currency) =>
        ZeroDecimal.Contains(currency.Code) ? (0, 1)
        // Stripe's card partners take no fils: the least significant of the three digits must be 0.
        : ThreeDecimal.Contains(currency.Code) ? (3, 10)
        : currency.Code == "ISK" ? (2, 100)
        : (currency.Exponent, 1);
}
