using Obol.Core;

namespace Obol.Payments.Psp.Adyen;

/// <summary>
/// Adyen's amounts (its "Currency codes and minor units" page): minor units with Adyen's decimals, which are ISO 4217's except
/// for four currencies, CLP and ISK (two decimals at Adyen, none in ISO 4217) and CVE and IDR (none at Adyen, two in ISO 4217).
/// </summary>
public sealed class AdyenAmountRule : PspAmountRule
{
    public static readonly AdyenAmountRule Instance = new();

    private AdyenAmountRule()
    {
    }

    protected override (int Exponent, long Step) Units(Currency currency) => currency.Code switch
    {
        "CLP" or "ISK" => (2, 1),
        "CVE" or "IDR" => (0, 1),
        _ => (currency.Exponent, 1),
    };
}
