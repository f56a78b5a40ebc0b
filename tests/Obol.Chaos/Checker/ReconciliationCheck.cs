using Obol.Chaos.Client;
using Obol.Chaos.Simulator;

namespace Obol.Chaos.Checker;

/// <summary>
/// Check 8: every payment on which the checker found Obol and the PSPs disagreeing is also an open discrepancy after
/// reconciliation (by payment id, or its id or a charge's id in the detail). Some cannot be: an authorization that was
/// never captured is in no settlement report. They are listed all the same, with what reconciliation did say.
/// </summary>
public static class ReconciliationCheck
{
    public static IEnumerable<Violation> Check(IReadOnlyList<Violation> found, IReadOnlyList<DiscrepancyView> discrepancies, IReadOnlyList<SimCharge> charges)
    {
        var disagreeing = found.Where(v => v.PaymentId is not null && ViolationKinds.WithPsp.Contains(v.Kind)).Select(v => v.PaymentId!).Distinct(StringComparer.Ordinal);
        var chargesOf = charges.ToLookup(c => c.Reference ?? "", StringComparer.Ordinal);
        foreach (var paymentId in disagreeing)
        {
            var ids = chargesOf[paymentId].Select(c => c.Id).Append(paymentId).ToList();
            var listed = discrepancies.Any(d => d.PaymentId == paymentId || ids.Any(id => d.Detail.Contains(id, StringComparison.Ordinal)));
            if (!listed)
            {
                var settled = chargesOf[paymentId].Any(c => c.AmountCaptured > 0) ? "" : " (no charge of it was captured, so no settlement report shows it)";
                yield return new Violation(ViolationKinds.NotReconciled, paymentId, "reconciliation lists no discrepancy for this payment" + settled);
            }
        }
    }
}
