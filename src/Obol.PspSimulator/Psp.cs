namespace Obol.PspSimulator;

public enum Psp
{
    Stripe,
    Adyen,
}

public static class PspNames
{
    public static string Name(this Psp psp) => psp == Psp.Stripe ? "stripe" : "adyen";

    public static bool TryParse(string? value, out Psp psp)
    {
        if (string.Equals(value, "stripe", StringComparison.OrdinalIgnoreCase))
        {
            psp = Psp.Stripe;
            return true;
        }

        if (string.Equals(value, "adyen", StringComparison.OrdinalIgnoreCase))
        {
            psp = Psp.Adyen;
            return true;
        }

        psp = default;
        return false;
    }
}
