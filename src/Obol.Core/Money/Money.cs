using System.Globalization;

namespace Obol.Core;

/// <summary>
/// An amount of money: a whole number of minor units of one currency. All arithmetic is checked:
/// overflow throws <see cref="OverflowException"/>, mixing currencies throws <see cref="CurrencyMismatchException"/>.
/// </summary>
public readonly record struct Money(long MinorUnits, Currency Currency) : IComparable<Money>
{
    public static Money Zero(Currency currency) => new(0, currency);

    public static Money Of(long minorUnits, string currencyCode) => new(minorUnits, Currency.FromCode(currencyCode));

    public bool IsZero => MinorUnits == 0;
    public bool IsPositive => MinorUnits > 0;
    public bool IsNegative => MinorUnits < 0;

    public static Money operator +(Money left, Money right)
    {
        EnsureSameCurrency(left, right);
        return new Money(checked(left.MinorUnits + right.MinorUnits), left.Currency);
    }

    public static Money operator -(Money left, Money right)
    {
        EnsureSameCurrency(left, right);
        return new Money(checked(left.MinorUnits - right.MinorUnits), left.Currency);
    }

    public static Money operator -(Money value) => new(checked(-value.MinorUnits), value.Currency);

    public static Money operator *(Money value, long factor) => new(checked(value.MinorUnits * factor), value.Currency);

    public static bool operator <(Money left, Money right) => left.CompareTo(right) < 0;
    public static bool operator >(Money left, Money right) => left.CompareTo(right) > 0;
    public static bool operator <=(Money left, Money right) => left.CompareTo(right) <= 0;
    public static bool operator >=(Money left, Money right) => left.CompareTo(right) >= 0;

    public Money Add(Money other) => this + other;
    public Money Subtract(Money other) => this - other;
    public Money Negate() => -this;
    public Money Multiply(long factor) => this * factor;

    public int CompareTo(Money other)
    {
        EnsureSameCurrency(this, other);
        return MinorUnits.CompareTo(other.MinorUnits);
    }

    /// <summary>Splits into <paramref name="parts"/> amounts that differ by at most one minor unit and sum to this.</summary>
    public IReadOnlyList<Money> Allocate(int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        return Allocate(Enumerable.Repeat(1L, parts).ToArray());
    }

    /// <summary>
    /// Splits by non-negative ratios with the largest-remainder method: each part gets the floor of its
    /// exact share, and the minor units left over go one each to the largest remainders (earlier parts
    /// first on ties). The parts always sum to this amount exactly.
    /// </summary>
    public IReadOnlyList<Money> Allocate(IReadOnlyList<long> ratios)
    {
        ArgumentNullException.ThrowIfNull(ratios);
        if (ratios.Count == 0)
        {
            throw new ArgumentException("At least one ratio is needed.", nameof(ratios));
        }

        Int128 total = 0;
        foreach (var ratio in ratios)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(ratio, nameof(ratios));
            total += ratio;
        }

        if (total == 0)
        {
            throw new ArgumentException("Ratios must not all be zero.", nameof(ratios));
        }

        // Work on the magnitude so that negative amounts split symmetrically.
        var sign = MinorUnits < 0 ? -1 : 1;
        var magnitude = Int128.Abs(MinorUnits);
        var shares = new long[ratios.Count];
        var remainders = new Int128[ratios.Count];
        Int128 allocated = 0;
        for (var i = 0; i < ratios.Count; i++)
        {
            var exact = magnitude * ratios[i];
            shares[i] = (long)(exact / total);
            remainders[i] = exact % total;
            allocated += shares[i];
        }

        var leftOver = (long)(magnitude - allocated);
        var order = Enumerable.Range(0, ratios.Count)
            .OrderByDescending(i => remainders[i])
            .ThenBy(i => i)
            .Take((int)leftOver);
        foreach (var i in order)
        {
            shares[i]++;
        }

        var currency = Currency;
        return shares.Select(share => new Money(sign * share, currency)).ToArray();
    }

    /// <summary>Formats as a decimal in major units with the currency's exponent, e.g. "12.34" for 1234 USD.</summary>
    public string ToDecimalString()
    {
        var exponent = Currency.Exponent;
        var magnitude = Int128.Abs(MinorUnits);
        var sign = MinorUnits < 0 ? "-" : "";
        if (exponent == 0)
        {
            return sign + magnitude.ToString(CultureInfo.InvariantCulture);
        }

        var perMajor = Currency.MinorUnitsPerMajor;
        var major = magnitude / perMajor;
        var minor = magnitude % perMajor;
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{major}.{minor.ToString(CultureInfo.InvariantCulture).PadLeft(exponent, '0')}");
    }

    public override string ToString() => $"{ToDecimalString()} {Currency.Code}";

    /// <summary>
    /// Parses a decimal string in major units ("12.34", "-5", "1000.500" for KWD). More decimal places than
    /// the currency has, exponents, group separators and anything but ASCII digits are refused.
    /// </summary>
    public static bool TryParse(string? text, Currency currency, out Money money)
    {
        money = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var span = text.AsSpan();
        var negative = span[0] == '-';
        if (negative)
        {
            span = span[1..];
        }

        var dot = span.IndexOf('.');
        var integerPart = dot < 0 ? span : span[..dot];
        var fractionPart = dot < 0 ? ReadOnlySpan<char>.Empty : span[(dot + 1)..];
        if (integerPart.IsEmpty || (dot >= 0 && fractionPart.IsEmpty) || fractionPart.Length > currency.Exponent
            || !IsAsciiDigits(integerPart) || !IsAsciiDigits(fractionPart))
        {
            return false;
        }

        try
        {
            long value = 0;
            foreach (var c in integerPart)
            {
                value = checked((value * 10) + (c - '0'));
            }

            for (var i = 0; i < currency.Exponent; i++)
            {
                var digit = i < fractionPart.Length ? fractionPart[i] - '0' : 0;
                value = checked((value * 10) + digit);
            }

            money = new Money(negative ? -value : value, currency);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public static Money Parse(string text, Currency currency) =>
        TryParse(text, currency, out var money)
            ? money
            : throw new FormatException($"'{text}' is not an amount in {currency.Code}.");

    private static bool IsAsciiDigits(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void EnsureSameCurrency(Money left, Money right)
    {
        if (left.Currency != right.Currency)
        {
            throw new CurrencyMismatchException(left.Currency, right.Currency);
        }
    }
}

public sealed class CurrencyMismatchException(Currency left, Currency right)
    : InvalidOperationException($"Cannot combine {left.Code} with {right.Code}.");
