namespace Obol.PspSimulator.Requests;

/// <summary>
/// Finds values that look like a primary account number: a run of 13–19 digits (single spaces or dashes
/// allowed between digits) that passes the Luhn check. Such values are refused and never stored or logged.
/// </summary>
public static class CardNumberDetector
{
    public static bool ContainsCardNumber(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 13)
        {
            return false;
        }

        Span<byte> digits = stackalloc byte[value.Length];
        var count = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            var c = i < value.Length ? value[i] : '\0';
            if (char.IsAsciiDigit(c))
            {
                digits[count++] = (byte)(c - '0');
                continue;
            }

            var separator = (c == ' ' || c == '-') && count > 0 && i + 1 < value.Length && char.IsAsciiDigit(value[i + 1]);
            if (separator)
            {
                continue;
            }

            if (RunContainsPan(digits[..count]))
            {
                return true;
            }

            count = 0;
        }

        return false;
    }

    /// <summary>Whether the request's path or query holds a card number (bodies are checked by each dialect).</summary>
    public static bool InPathOrQuery(Microsoft.AspNetCore.Http.HttpRequest request) =>
        ContainsCardNumber(request.Path.Value)
        || request.Query.Any(q => ContainsCardNumber(q.Key) || q.Value.Any(ContainsCardNumber));

    private static bool RunContainsPan(ReadOnlySpan<byte> run) =>
        run.Length is >= 13 and <= 19 && PassesLuhn(run);

    public static bool PassesLuhn(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i];
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
