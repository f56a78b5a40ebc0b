using System.Security.Cryptography;
using System.Text;

namespace Obol.Webhooks.Delivery;

/// <summary>
/// Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is <c>whsec_</c> and base64 key bytes; the
/// signature of a message is base64 HMAC-SHA256 over <c>{webhook-id}.{webhook-timestamp}.{body}</c>, sent as
/// <c>webhook-signature: v1,&lt;signature&gt;</c>, one per secret in use, separated by spaces.
/// </summary>
internal static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    /// <summary>The secrets that sign at <paramref name="now"/>: the current one, and a rotated-out one until its overlap ends.</summary>
    public static IReadOnlyList<string> SecretsInUse(string current, string? previous, DateTimeOffset? previousUntil, DateTimeOffset now) =>
        previous is not null && previousUntil > now ? [current, previous] : [current];

    /// <summary>The header value: a signature by each secret given (the current one, and a rotated-out one during its overlap).</summary>
    public static string Header(IEnumerable<string> secrets, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var signatures = new List<string>();
        foreach (var secret in secrets)
        {
            signatures.Add(Sign(secret, messageId, timestamp, body));
        }

        return string.Join(' ', signatures);
    }
}
