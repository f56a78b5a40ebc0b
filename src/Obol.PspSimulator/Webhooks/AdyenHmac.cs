using System.Security.Cryptography;
using System.Text;

namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// Adyen's notification HMAC: Base64(HMAC-SHA256(hex-decoded key, signing string)) where the signing string is
/// <c>pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success</c>, the
/// values joined as they are (an absent one empty). Nothing is escaped: the escaping of <c>\</c> and <c>:</c> belongs to
/// Adyen's other HMAC, over sorted key-value pairs (hosted payment pages and links), as <c>@adyen/api-library</c>'s
/// <c>hmacValidator</c> shows.
/// </summary>
public static class AdyenHmac
{
    public static string SigningString(
        string pspReference,
        string? originalReference,
        string merchantAccountCode,
        string merchantReference,
        long value,
        string currency,
        string eventCode,
        bool success) =>
        string.Join(':', new[]
        {
            pspReference,
            originalReference ?? string.Empty,
            merchantAccountCode,
            merchantReference,
            value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            currency,
            eventCode,
            success ? "true" : "false",
        });

    /// <summary>Whether <paramref name="key"/> is hex-encoded, as Adyen's Customer Area generates HMAC keys.</summary>
    public static bool IsHexKey(string key) => key.Length % 2 == 0 && key.All(char.IsAsciiHexDigit);

    public static string Sign(string signingString, string hexKey) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromHexString(hexKey), Encoding.UTF8.GetBytes(signingString)));
}
