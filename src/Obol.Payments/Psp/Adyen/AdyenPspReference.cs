using System.Text.RegularExpressions;

namespace Obol.Payments.Psp.Adyen;

/// <summary>
/// What an Adyen PSP reference looks like: 16 upper-case letters and digits. Older accounts' are all digits, and one in
/// ten of those passes the Luhn check, so a card-number check must let exactly this shape through where Adyen puts
/// its references (and nowhere else).
/// </summary>
public static partial class AdyenPspReference
{
    [GeneratedRegex("^[0-9A-Z]{16}$")]
    public static partial Regex Shape();
}
