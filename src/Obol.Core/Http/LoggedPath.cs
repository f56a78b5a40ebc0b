using Microsoft.AspNetCore.Http;
using Obol.Core.CardNumbers;

namespace Obol.Core.Http;

/// <summary>
/// A request's path as Obol's logs may show it: as sent, unless it holds something shaped like a card number (such a
/// request is refused, and its request line must not reach a log either). Query strings are never logged.
/// </summary>
public static class LoggedPath
{
    public const string Withheld = "(path withheld: it holds what looks like a card number)";

    public static string Of(HttpRequest request) => PathHoldsCardNumber(request) ? Withheld : request.Path.Value ?? "";

    public static bool PathHoldsCardNumber(HttpRequest request) =>
        CardNumberDetector.ContainsCardNumber(Uri.UnescapeDataString(request.Path.Value ?? ""));
}
