namespace Obol.PspSimulator.Charges;

public enum TokenBehavior
{
    Approve,
    Decline,
    InsufficientFunds,

    /// <summary>The charge happens but the response never reaches the client.</summary>
    Timeout,

    /// <summary>Accepted now, settled later by webhook.</summary>
    Pending,
}

/// <summary>The test payment-method tokens, identical on every PSP dialect.</summary>
public static class PaymentMethodTokens
{
    public static TokenBehavior? Resolve(string? token) => token switch
    {
        "pm_card_visa" or "pm_card_mastercard" => TokenBehavior.Approve,
        "pm_card_declined" => TokenBehavior.Decline,
        "pm_card_insufficient_funds" => TokenBehavior.InsufficientFunds,
        "pm_card_timeout" => TokenBehavior.Timeout,
        "pm_bank_transfer" => TokenBehavior.Pending,
        _ => null,
    };
}
