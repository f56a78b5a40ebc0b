using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Obol.PspSimulator.Webhooks;

/// <summary>Stripe's <c>Stripe-Signature: t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256("t.payload", endpoint secret)&gt;</c>.</summary>
public static class StripeSignature
{
    public const string HeaderName = "Stripe-Signature";

    public static string Header(string payload, DateTimeOffset at, string secret)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes(timestamp + "." + payload);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return "t=" + timestamp + ",v1=" + Convert.ToHexStringLower(mac);
    }
}
