using System.Numerics;
using Obol.Core;

namespace Obol.Fx.Rates;

/// <summary>
/// Converting money at a rate, and the arithmetic of rates. A rate is a decimal number of units of the target currency
/// per unit of the source currency, in major units (USD→JPY 151.2). Conversion is exact integer arithmetic with
/// <b>one</b> rounding: the amount in the target currency's minor units, rounded half to even. Rates themselves are
/// prices, not money: a cross rate is rounded to <see cref="SignificantDigits"/> once, when it is made, and then used
/// exactly as shown.
/// </summary>
public static class Conversion
{
    /// <summary>Significant digits a cross rate keeps (the ECB publishes at most 6).</summary>
    public const int SignificantDigits = 10;

    /// <summary>
    /// <paramref name="amount"/> in <paramref name="to"/> at <paramref name="rate"/>, rounded half to even at the target
    /// currency's exponent. Throws <see cref="OverflowException"/> when the result does not fit in a long.
    /// </summary>
    public static Money Convert(Money amount, Currency to, decimal rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        var (mantissa, scale) = Decompose(rate);
        var numerator = amount.MinorUnits * mantissa * BigInteger.Pow(10, to.Exponent);
        var denominator = BigInteger.Pow(10, scale + amount.Currency.Exponent);
        var rounded = DivideHalfEven(numerator, denominator);
        if (rounded > long.MaxValue || rounded < long.MinValue)
        {
            throw new OverflowException($"{amount} at {rate} does not fit in {to.Code} minor units.");
        }

        return new Money((long)rounded, to);
    }

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/> rounded half to even (denominator positive).</summary>
    public static BigInteger DivideHalfEven(BigInteger numerator, BigInteger denominator)
    {
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = BigInteger.Abs(remainder) * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven))
        {
            quotient += numerator.Sign;
        }

        return quotient;
    }

    /// <summary>The rate from one currency to another through a common base (<paramref name="toPerBase"/> / <paramref name="fromPerBase"/>), rounded to <see cref="SignificantDigits"/>.</summary>
    public static decimal Cross(decimal fromPerBase, decimal toPerBase)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromPerBase);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toPerBase);
        var (toMantissa, toScale) = Decompose(toPerBase);
        var (fromMantissa, fromScale) = Decompose(fromPerBase);

        // rate = (toMantissa / 10^toScale) / (fromMantissa / 10^fromScale); scaled up far enough that the quotient has more
        // digits than are kept, then rounded once.
        const int extra = 40;
        var numerator = toMantissa * BigInteger.Pow(10, fromScale + extra);
        var denominator = fromMantissa * BigInteger.Pow(10, toScale);
        return RoundSignificant(numerator / denominator, toScale: extra, numerator % denominator != 0);
    }

    /// <summary>A rate less a margin in basis points (1 bp = 0.01 %): exact, no rounding beyond what a decimal holds.</summary>
    public static decimal LessMargin(decimal rate, int marginBasisPoints) => rate * (10_000 - marginBasisPoints) / 10_000;

    /// <summary>The mantissa and scale of a positive decimal: value = mantissa / 10^scale.</summary>
    internal static (BigInteger Mantissa, int Scale) Decompose(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = unchecked(((BigInteger)(uint)bits[2] << 64) | ((BigInteger)(uint)bits[1] << 32) | (uint)bits[0]);
        return (mantissa, (bits[3] >> 16) & 0xFF);
    }

    /// <summary>
    /// value = <paramref name="truncated"/> / 10^<paramref name="toScale"/> (plus a nonzero remainder if <paramref name="inexact"/>)
    /// rounded half to even to <see cref="SignificantDigits"/>, trailing zeros dropped.
    /// </summary>
    private static decimal RoundSignificant(BigInteger truncated, int toScale, bool inexact)
    {
        var digits = truncated.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        var drop = digits - SignificantDigits;
        var mantissa = truncated;
        var scale = toScale;
        if (drop > 0)
        {
            var divisor = BigInteger.Pow(10, drop);
            var quotient = BigInteger.DivRem(truncated, divisor, out var remainder);
            var twice = remainder * 2;

            // An inexact quotient lies just above the truncated value, so a remainder of exactly half rounds up.
            if (twice > divisor || (twice == divisor && (inexact || !quotient.IsEven)))
            {
                quotient += 1;
            }

            mantissa = quotient;
            scale -= drop;
        }

        while (scale > 0 && mantissa % 10 == 0)
        {
            mantissa /= 10;
            scale--;
        }

        while (scale < 0)
        {
            mantissa *= 10;
            scale++;
        }

        if (scale > 28)
        {
            var divisor = BigInteger.Pow(10, scale - 28);
            mantissa = DivideHalfEven(mantissa, divisor);
            scale = 28;
        }

        return new decimal(Word(mantissa, 0), Word(mantissa, 1), Word(mantissa, 2), false, (byte)scale);
    }

    /// <summary>The 32-bit word <paramref name="index"/> of a mantissa below 2^96, as decimal's constructor takes it.</summary>
    private static int Word(BigInteger mantissa, int index) => unchecked((int)(uint)((mantissa >> (32 * index)) & uint.MaxValue));
}
