using Obol.Core.Errors;

namespace Obol.Payments.Domain;

/// <summary>
/// A payment method as every Obol request names it: a token the PSP issued (<c>pm_card_visa</c>), never card data.
/// One rule for a payment now and a scheduled one.
/// </summary>
public static class PaymentMethodToken
{
    public const int MaxLength = 255;

    public static bool IsValid(string? token) =>
        !string.IsNullOrEmpty(token) && token.Length <= MaxLength && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public static void Validate(ValidationErrors errors, string field, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            errors.Add(field, "Required: a payment method token from the PSP (e.g. pm_card_visa).");
        }
        else if (!IsValid(token))
        {
            errors.Add(field, $"Must be a payment method token: up to {MaxLength} letters, digits, '_' or '-'.");
        }
    }
}
