using System.Diagnostics.CodeAnalysis;
using NodaTime;
using NodaTime.Text;
using Obol.Core.Errors;

namespace Obol.Core.Time;

/// <summary>
/// The dates and instants the API accepts, one rule for every module: instants are RFC 3339 with an offset
/// (<c>Z</c> or <c>±hh:mm</c>) and nothing after them, dates are <c>YYYY-MM-DD</c>, and both lie in the years
/// 1970 to 2999. The range is far wider than any payment needs and far enough inside what .NET, NodaTime and both
/// databases represent that a day, a period or a thousand recurrences on either side of an accepted value is still
/// representable: nothing Obol computes from an accepted value can overflow.
/// </summary>
public static class ApiTime
{
    public static readonly DateTimeOffset EarliestInstant = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first instant not accepted.</summary>
    public static readonly DateTimeOffset EndOfInstants = new(3000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly LocalDate EarliestDate = new(1970, 1, 1);

    public static readonly LocalDate LatestDate = new(2999, 12, 31);

    public const string InstantRule = "an RFC 3339 timestamp with an offset (such as 2027-03-14T09:30:00-04:00 or 2027-03-14T13:30:00Z) between the years 1970 and 2999";

    public const string DateRule = "a date YYYY-MM-DD between 1970-01-01 and 2999-12-31";

    public static bool IsAccepted(DateTimeOffset instant) => instant >= EarliestInstant && instant < EndOfInstants;

    public static bool IsAccepted(LocalDate date) => date >= EarliestDate && date <= LatestDate;

    /// <summary>An RFC 3339 timestamp with an offset, in range; kept to the tick, in UTC.</summary>
    public static bool TryParseInstant([NotNullWhen(true)] string? text, out DateTimeOffset instant)
    {
        instant = default;
        // The longest RFC 3339 text NodaTime reads has nine fraction digits and an offset: 35 characters.
        if (string.IsNullOrEmpty(text) || text.Length > 40 || !IsPrintableAscii(text))
        {
            return false;
        }

        // Years far from the range are refused before the conversion to UTC, which overflows at year 1 or 9999 with an offset.
        var parsed = OffsetDateTimePattern.Rfc3339.Parse(text);
        if (!parsed.Success || parsed.Value.Year is < 1969 or > 3000)
        {
            return false;
        }

        var utc = parsed.Value.ToInstant().ToDateTimeOffset();
        if (!IsAccepted(utc))
        {
            return false;
        }

        instant = utc;
        return true;
    }

    /// <summary>Exactly <c>YYYY-MM-DD</c>, in range.</summary>
    public static bool TryParseDate([NotNullWhen(true)] string? text, out LocalDate date)
    {
        date = default;
        if (text is not { Length: 10 } || !IsPrintableAscii(text))
        {
            return false;
        }

        var parsed = LocalDatePattern.Iso.Parse(text);
        if (!parsed.Success || !IsAccepted(parsed.Value))
        {
            return false;
        }

        date = parsed.Value;
        return true;
    }

    // NodaTime's parser takes U+0000 for the end of its input, so "2027-03-14T09:30:00Z\0junk" would parse.
    private static bool IsPrintableAscii(string text) => text.All(c => c is >= '!' and <= '~');

    /// <summary>An optional instant (a query parameter): <c>null</c> when absent, a field error when not accepted.</summary>
    public static DateTimeOffset? OptionalInstant(ValidationErrors errors, string field, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (TryParseInstant(text, out var instant))
        {
            return instant;
        }

        errors.Add(field, $"Must be {InstantRule}.");
        return null;
    }

    /// <summary>A required date (a query parameter or field): a field error when absent or not accepted.</summary>
    public static LocalDate RequiredDate(ValidationErrors errors, string field, string? text)
    {
        if (TryParseDate(text, out var date))
        {
            return date;
        }

        errors.Add(field, string.IsNullOrEmpty(text) ? $"Required: {DateRule}." : $"Must be {DateRule}.");
        return default;
    }
}
