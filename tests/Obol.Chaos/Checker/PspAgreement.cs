using Obol.Chaos.Simulator;

namespace Obol.Chaos.Checker;

/// <summary>
/// Checks 1 and 2: at most one charge the PSPs acted on per payment, and Obol's payment and refunds equal that charge
/// and its movements. The simulator's charges are the truth; a declined charge is not a charge.
/// </summary>
public static class PspAgreement
{
    private static readonly string[] StillOpen = ["pending", "processing"];

    public static IEnumerable<Violation> Check(ObolSnapshot obol, IReadOnlyList<SimCharge> charges)
    {
        var byReference = charges.ToLookup(c => c.Reference ?? "", StringComparer.Ordinal);
        var known = obol.Payments.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in charges.Where(c => c.Succeeded && (c.Reference is null || !known.Contains(c.Reference))))
        {
            yield return new Violation(ViolationKinds.PspDisagreement, null,
                $"{orphan.Psp} charge {orphan.Id} ({orphan.Status}, {orphan.Amount} {orphan.Currency}) has reference '{orphan.Reference}', which is no Obol payment");
        }

        foreach (var payment in obol.Payments)
        {
            var acted = byReference[payment.Id].Where(c => c.Succeeded).ToList();
            if (acted.Count > 1)
            {
                yield return new Violation(ViolationKinds.DoubleCharge, payment.Id,
                    $"{acted.Count} charges for one payment: " + string.Join("; ", acted.Select(Describe)));
            }

            foreach (var violation in ComparePayment(payment, acted))
            {
                yield return violation;
            }

            var charge = acted.FirstOrDefault(c => c.Id == payment.PspReference) ?? (acted.Count == 1 ? acted[0] : null);
            foreach (var violation in CompareRefunds(payment, obol.Refunds[payment.Id].ToList(), obol.Attempts[payment.Id].ToList(), charge))
            {
                yield return violation;
            }
        }
    }

    private static IEnumerable<Violation> ComparePayment(DbPayment payment, List<SimCharge> acted)
    {
        if (StillOpen.Contains(payment.Status))
        {
            yield break; // stuck, reported as such
        }

        Violation Disagree(string detail) => new(ViolationKinds.PspDisagreement, payment.Id, detail);
        if (payment.Status is "declined" or "failed")
        {
            if (acted.Count > 0)
            {
                yield return Disagree($"Obol has it {payment.Status}; the PSP acted: {string.Join("; ", acted.Select(Describe))}");
            }

            yield break;
        }

        var charge = acted.FirstOrDefault(c => c.Id == payment.PspReference);
        if (charge is null)
        {
            yield return Disagree(acted.Count == 0
                ? $"Obol has it {payment.Status} on {payment.Psp} {payment.PspReference}; no PSP charge for it"
                : $"Obol has it {payment.Status} on {payment.Psp} {payment.PspReference}; the PSP's charges are {string.Join("; ", acted.Select(Describe))}");
            yield break;
        }

        if (charge.Psp != payment.Psp)
        {
            yield return Disagree($"Obol has the charge on {payment.Psp}; it is on {charge.Psp}");
        }

        var expected = payment.Status switch
        {
            "authorized" => "authorized",
            "cancelled" => "canceled",
            _ => "captured",
        };
        if (charge.Status != expected || charge.AmountCaptured != payment.AmountCaptured || charge.AmountRefunded != payment.AmountRefunded)
        {
            yield return Disagree(
                $"Obol: {payment.Status}, captured {payment.AmountCaptured}, refunded {payment.AmountRefunded}; "
                + $"{charge.Psp} {charge.Id}: {charge.Status}, captured {charge.AmountCaptured}, refunded {charge.AmountRefunded}");
        }
    }

    /// <summary>
    /// Every succeeded Obol refund is exactly one PSP refund of the same amount and every PSP refund is one succeeded Obol
    /// refund; a failed Obol refund has none; and the PSP refund id Obol recorded for a refund is the one the PSP made for
    /// it. A PSP refund belongs to the Obol refund whose request made it: the reference or metadata Obol sent (its refund
    /// id, or the attempt id whose refund it is), else the PSP refund id Obol recorded. Needs the simulator's movements;
    /// without them only the sums are compared (in <see cref="ComparePayment"/>).
    /// </summary>
    private static IEnumerable<Violation> CompareRefunds(DbPayment payment, IReadOnlyList<DbRefund> refunds, IReadOnlyList<DbAttempt> attempts, SimCharge? charge)
    {
        Violation Disagree(string detail) => new(ViolationKinds.RefundDisagreement, payment.Id, detail);
        var succeeded = refunds.Where(r => r.Status == "succeeded").ToList();
        if (succeeded.Sum(r => r.Amount) != payment.AmountRefunded)
        {
            yield return Disagree($"Obol's payment says refunded {payment.AmountRefunded}, its succeeded refunds add up to {succeeded.Sum(r => r.Amount)}");
        }

        foreach (var shared in refunds.Where(r => r.PspReference is not null).GroupBy(r => r.PspReference!).Where(g => g.Count() > 1))
        {
            yield return Disagree($"Obol refunds {string.Join(" and ", shared.Select(r => $"{r.Id} ({r.Amount}, {r.Status})"))} all record PSP refund {shared.Key}");
        }

        if (charge?.Movements is not { } movements)
        {
            yield break;
        }

        var refundOfAttempt = attempts.Where(a => a.RefundId is not null).ToDictionary(a => a.Id, a => a.RefundId!, StringComparer.Ordinal);
        var byId = refunds.ToDictionary(r => r.Id, StringComparer.Ordinal);
        DbRefund? Find(string? reference) =>
            reference is null ? null
            : byId.TryGetValue(reference, out var refund) ? refund
            : refundOfAttempt.TryGetValue(reference, out var refundId) ? byId.GetValueOrDefault(refundId)
            : null;
        DbRefund? Owner(SimMovement movement) =>
            Find(movement.Reference)
            ?? Find(movement.Metadata?.GetValueOrDefault("obol_refund_id"))
            ?? Find(movement.Metadata?.GetValueOrDefault("obol_attempt_id"))
            ?? refunds.FirstOrDefault(r => r.PspReference == movement.Id);

        var claimed = new Dictionary<string, List<SimMovement>>(StringComparer.Ordinal);
        foreach (var movement in movements.Where(m => m.Kind == "refund"))
        {
            var owner = Owner(movement);
            if (owner is null)
            {
                yield return Disagree($"{charge.Psp} refunded {movement.Amount} ({movement.Id}, reference {movement.Reference}); no Obol refund is it");
                continue;
            }

            claimed.TryAdd(owner.Id, []);
            claimed[owner.Id].Add(movement);
            if (owner.Status != "succeeded")
            {
                yield return Disagree($"{charge.Psp} refunded {movement.Amount} ({movement.Id}) for Obol refund {owner.Id}, which Obol has {owner.Status}");
            }
            else if (owner.Amount != movement.Amount)
            {
                yield return Disagree($"Obol refund {owner.Id} is {owner.Amount}; {charge.Psp} refunded {movement.Amount} for it ({movement.Id})");
            }
            else if (owner.PspReference is { } recorded && recorded != movement.Id)
            {
                yield return Disagree($"Obol refund {owner.Id} records PSP refund {recorded}; the PSP refund its request made is {movement.Id}");
            }
        }

        foreach (var refund in succeeded)
        {
            var matched = claimed.GetValueOrDefault(refund.Id) ?? [];
            if (matched.Count == 0)
            {
                yield return Disagree($"Obol refund {refund.Id} of {refund.Amount} succeeded (PSP reference {refund.PspReference}); {charge.Psp} has no refund for it");
            }
            else if (matched.Count > 1)
            {
                yield return Disagree($"Obol refund {refund.Id} of {refund.Amount} is {matched.Count} refunds at {charge.Psp}: {string.Join(", ", matched.Select(m => m.Id))}");
            }
        }
    }

    public static string Describe(SimCharge c) =>
        $"{c.Psp} {c.Id} {c.Status} amount {c.Amount} captured {c.AmountCaptured} refunded {c.AmountRefunded}";
}
