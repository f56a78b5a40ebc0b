using System.Security.Cryptography;

namespace Obol.PspSimulator;

internal static class Ids
{
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string UpperAlphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>A Stripe-style id: prefix, underscore, 24 alphanumerics.</summary>
    public static string Stripe(string prefix) => prefix + "_" + RandomNumberGenerator.GetString(Alphanumeric, 24);

    /// <summary>An Adyen pspReference: 16 upper-case alphanumerics.</summary>
    public static string AdyenPspReference() => RandomNumberGenerator.GetString(UpperAlphanumeric, 16);
}
