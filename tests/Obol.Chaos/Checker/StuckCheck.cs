using Obol.Chaos.Heal;

namespace Obol.Chaos.Checker;

/// <summary>Check 7: after the heal and the bounded wait nothing is pending, processing or in flight.</summary>
public static class StuckCheck
{
    public static IEnumerable<Violation> Check(ObolSnapshot obol, OpenWork last)
    {
        foreach (var payment in obol.Payments)
        {
            var open = new List<string>();
            if (payment.Status is "pending" or "processing")
            {
                open.Add($"status {payment.Status}");
            }

            if (payment.OperationInFlight is not null)
            {
                open.Add($"{payment.OperationInFlight} in flight");
            }

            if (payment.AmountRefunding != 0)
            {
                open.Add($"{payment.AmountRefunding} refunding");
            }

            open.AddRange(obol.Attempts[payment.Id].Where(a => a.Status is "started" or "unknown" or "pending")
                .Select(a => $"{a.Operation} attempt {a.Id} {a.Status} after {a.ResolveCount} resolutions"));
            open.AddRange(obol.Refunds[payment.Id].Where(r => r.Status is "pending" or "processing").Select(r => $"refund {r.Id} {r.Status}"));
            if (open.Count > 0)
            {
                yield return new Violation(ViolationKinds.Stuck, payment.Id, string.Join("; ", open));
            }
        }

        if (last.Webhooks > 0)
        {
            yield return new Violation(ViolationKinds.Stuck, null, $"{last.Webhooks} webhooks still undelivered at the end of the wait");
        }
    }
}
