using Obol.Core;

namespace Obol.Payments.Psp;

/// <summary>
/// How one PSP counts an amount: Obol holds ISO 4217 minor units, and a PSP may count a currency with other decimals
/// (Stripe's ISK, Adyen's IDR) or take only some of its amounts (Stripe's three-decimal currencies). Every conversion is
/// exact or refused, never rounded, so an amount that went to a PSP and came back is the amount Obol sent
/// (docs/payments.md, "Currencies").
/// </summary>
public abstract class PspAmountRule
{
    /// <summary>The rule of a PSP by the name payments use for it.</summary>
    public static PspAmountRule For(string psp) => psp switch
    {
        Stripe.StripeConnector.PspName => Stripe.StripeAmountRule.Instance,
        Adyen.AdyenConnector.PspName => Adyen.AdyenAmountRule.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(psp), psp, "Not a PSP Obol talks to."),
    };

    /// <summary>The PSP's decimals for <paramref name="currency"/>, and the step its amounts (in those decimals) must be a multiple of.</summary>
    protected abstract (int Exponent, long Step) Units(Currency currency);

    /// <summary>The number of decimals the PSP counts <paramref name="currency"/> in (its amounts are integers of 10^-exponent).</summary>
    public int Exponent(Currency currency) => Units(currency).Exponent;

    /// <summary>Whether the PSP can take exactly this amount (it would be refused, or would not fit in a long, otherwise).</summary>
    public bool CanTake(long minorUnits, Currency currency) => TryToPsp(minorUnits, currency, out _);

    /// <summary>Obol's ISO minor units as the PSP's amount; false when the PSP cannot represent it exactly.</summary>
    public bool TryToPsp(long minorUnits, Currency currency, out long pspAmount)
    {
        var (exponent, step) = Units(currency);
        return TryShift(minorUnits, exponent - currency.Exponent, out pspAmount) && pspAmount % step == 0;
    }

    /// <summary>A PSP's amount (an answer, a webhook, a report) in Obol's ISO minor units; false when it has more decimals than ISO 4217 allows.</summary>
    public bool TryFromPsp(long pspAmount, Currency currency, out long minorUnits) =>
        TryShift(pspAmount, currency.Exponent - Units(currency).Exponent, out minorUnits);

    /// <summary>A PSP's amount of the currency it names, in ISO minor units; null when the code is not ISO 4217's or the amount is not exact in it.</summary>
    public long? MinorUnitsOf(long pspAmount, string currencyCode) =>
        Currency.TryFromCode(currencyCode, out var currency) && TryFromPsp(pspAmount, currency, out var minorUnits) ? minorUnits : null;

    /// <summary>
    /// A signed decimal in major units as the PSP writes it in its reports (<c>-12.34</c>, <c>500</c> yen, <c>1.230</c> dinar), read with
    /// the PSP's decimals for the currency and converted exactly to ISO minor units. Exponents, group separators and more decimals
    /// than the PSP uses are refused.
    /// </summary>
    public bool TryParseMajor(string text, Currency currency, out long minorUnits)
    {
        minorUnits = 0;
        var span = text.AsSpan();
        var negative = !span.IsEmpty && span[0] == '-';
        if (negative)
        {
            span = span[1..];
        }

        var dot = span.IndexOf('.');
        var whole = dot < 0 ? span : span[..dot];
        var fraction = dot < 0 ? ReadOnlySpan<char>.Empty : span[(dot + 1)..];
        var exponent = Exponent(currency);
        if (whole.IsEmpty || (dot >= 0 && fraction.IsEmpty) || fraction.Length > exponent
            || whole.ContainsAnyExceptInRange('0', '9') || fraction.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        long pspAmount = 0;
        try
        {
            foreach (var digit in whole)
            {
                pspAmount = checked((pspAmount * 10) + (digit - '0'));
            }

            for (var i = 0; i < exponent; i++)
            {
                pspAmount = checked((pspAmount * 10) + (i < fraction.Length ? fraction[i] - '0' : 0));
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        return TryFromPsp(negative ? -pspAmount : pspAmount, currency, out minorUnits);
    }

    /// <summary>Multiplies by 10^<paramref name="shift"/>, or divides by 10^-shift when that is exact; false on overflow or a remainder.</summary>
    private static bool TryShift(long amount, int shift, out long shifted)
    {
        shifted = 0;
        long factor = 1;
        for (var i = 0; i < Math.Abs(shift); i++)
        {
            factor *= 10;
        }

        if (shift < 0)
        {
            if (amount % factor != 0)
            {
                return false;
            }

            shifted = amount / factor;
            return true;
        }

        try
        {
            shifted = checked(amount * factor);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
