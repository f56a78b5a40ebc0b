namespace Obol.Core.CardNumbers;

/// <summary>
/// Finds anything that looks like a primary account number: a run of 13 to 19 digits, optionally grouped by
/// single spaces or dashes, that passes the Luhn check. Obol never accepts card numbers, so a request that
/// contains one is refused before it is read any further.
/// </summary>
public static class CardNumberDetector
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    public static bool ContainsCardNumber(ReadOnlySpan<char> text)
    {
        Span<byte> digits = stackalloc byte[MaxDigits];
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                i++;
                continue;
            }

            // Collect one run: digits, allowing a single space or dash between two digits.
            var count = 0;
            var j = i;
            while (j < text.Length)
            {
                var c = text[j];
                if (char.IsAsciiDigit(c))
                {
                    if (count < digits.Length)
                    {
                        digits[count] = (byte)(c - '0');
                    }

                    count++;
                    j++;
                }
                else if ((c == ' ' || c == '-') && j + 1 < text.Length && char.IsAsciiDigit(text[j + 1]) && j > i)
                {
                    j++;
                }
                else
                {
                    break;
                }
            }

            if (count is >= MinDigits and <= MaxDigits && PassesLuhn(digits[..count]))
            {
                return true;
            }

            i = j;
        }

        return false;
    }

    public static bool ContainsCardNumber(string? text) => text is not null && ContainsCardNumber(text.AsSpan());

    /// <summary>
    /// The value as it may be stored or shown: unchanged, unless something in it is shaped like a card number; then all
    /// but its first six and last four characters are masked, as card numbers are printed.
    /// </summary>
    public static string? Masked(string? value) =>
        !ContainsCardNumber(value) ? value
        : value!.Length > 10 ? string.Concat(value.AsSpan(0, 6), new string('*', value.Length - 10), value.AsSpan(value.Length - 4))
        : new string('*', value.Length);

    public static bool PassesLuhn(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var k = digits.Length - 1; k >= 0; k--)
        {
            var d = digits[k];
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }
}
