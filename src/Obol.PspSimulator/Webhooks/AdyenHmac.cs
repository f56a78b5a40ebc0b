using System.Security.Cryptography;
using System.Text;

namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// Adyen's notification HMAC: Base64(HMAC-SHA256(hex-decoded key, signing string)) where the signing string is
/// <c>pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success</c>
/// with <c>\</c> and <c>:</c> in each value escaped by a backslash.
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
        }.Select(Escape));

    /// <summary>Whether <paramref name="key"/> is hex-encoded, as Adyen's Customer Area generates HMAC keys.</summary>
    public static bool IsHexKey(string key) => key.Length % 2 == 0 && key.All(char.IsAsciiHexDigit);

    public static string Sign(string signingString, string hexKey) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromHexString(hexKey), Encoding.UTF8.GetBytes(signingString)));

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
}
