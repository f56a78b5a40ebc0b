using Obol.Chaos.Simulator;

namespace Obol.Chaos.Checker;

/// <summary>
/// Check 3: per currency, the merchant's <c>merchant_payable</c> balance is what Obol's payments say was captured less
/// refunded, and that is what the PSPs say; and the ledger's own verification passes.
/// </summary>
public static class LedgerCheck
{
    public static IEnumerable<Violation> Check(ObolSnapshot obol, IReadOnlyList<SimCharge> charges)
    {
        if (!obol.LedgerVerification.Ok)
        {
            yield return new Violation(ViolationKinds.Ledger, null,
                "GET /v1/ledger/verify is not ok: " + string.Join("; ", obol.LedgerVerification.Problems.Take(10).Select(p => $"{p.Code} {p.AccountId}: {p.Detail}")));
        }

        var ours = obol.Payments.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var currencies = obol.Payments.Select(p => p.Currency).Concat(obol.MerchantPayable.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var currency in currencies)
        {
            var payments = obol.Payments.Where(p => p.Currency == currency).Sum(p => p.AmountCaptured - p.AmountRefunded);
            var psp = charges.Where(c => c.Currency == currency && c.Succeeded && c.Reference is not null && ours.Contains(c.Reference))
                .Sum(c => c.AmountCaptured - c.AmountRefunded);
            var ledger = obol.MerchantPayable.GetValueOrDefault(currency);
            if (ledger != payments || payments != psp)
            {
                yield return new Violation(ViolationKinds.Ledger, null,
                    $"{currency}: merchant_payable {ledger}, Obol's payments captured − refunded {payments}, the PSPs' captured − refunded {psp}");
            }
        }
    }
}
