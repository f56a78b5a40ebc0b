using Obol.Chaos.Client;
using Obol.Chaos.History;
using Obol.Payments.Domain;

namespace Obol.Chaos.Checker;

/// <summary>
/// Check 6: each payment's history counts up by one, each change starts where the last one ended and is one that
/// <see cref="PaymentTransitions"/> allows, and it ends at the payment's status. And what the client saw never goes
/// back in real time: a status read after another was answered must be reachable from it through the table (which
/// holds the documented late-failure reversals), and amounts captured or refunded only shrink with a reversal on record.
/// </summary>
public static class HistoryChecks
{
    private static readonly Dictionary<string, PaymentStatus> Statuses =
        Enum.GetValues<PaymentStatus>().ToDictionary(PaymentTransitions.Snake, StringComparer.Ordinal);

    private static readonly Dictionary<string, HashSet<string>> Reachable = BuildReachable();

    public static IEnumerable<Violation> CheckEvents(ObolSnapshot obol)
    {
        foreach (var payment in obol.Payments)
        {
            Violation Broken(string detail) => new(ViolationKinds.NotMonotone, payment.Id, detail);
            var events = obol.Events[payment.Id].OrderBy(e => e.Sequence).ToList();
            string? current = null;
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (e.Sequence != i + 1)
                {
                    yield return Broken($"event {i + 1} has sequence {e.Sequence} ({e.Type})");
                }

                if (e.ToStatus is null)
                {
                    continue;
                }

                if (e.FromStatus != current)
                {
                    yield return Broken($"#{e.Sequence} {e.Type} goes from {e.FromStatus ?? "nothing"}, but the payment was {current ?? "nothing"}");
                }
                else if (current is not null && current != e.ToStatus && !IsStep(current, e.ToStatus))
                {
                    yield return Broken($"#{e.Sequence} {e.Type}: {current} -> {e.ToStatus} is not an allowed transition");
                }

                current = e.ToStatus;
            }

            if (current != payment.Status)
            {
                yield return Broken($"the history ends at {current ?? "nothing"}, the payment is {payment.Status}");
            }
        }
    }

    /// <summary>Each pair of payment reads where one was answered before the other was sent.</summary>
    public static IEnumerable<Violation> CheckObserved(ObolSnapshot obol, IReadOnlyList<Exchange> exchanges)
    {
        var payments = obol.Payments.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var seen = exchanges
            .Where(e => !e.Replayed && e.Kind != OperationKind.Replay && e.Status is >= 200 and < 300 or 502)
            .Select(e => (Exchange: e, Payment: ObservedPayment(e)))
            .Where(o => o.Payment is not null && payments.ContainsKey(o.Payment.Id))
            .GroupBy(o => o.Payment!.Id, StringComparer.Ordinal);
        foreach (var group in seen)
        {
            var types = obol.Events[group.Key].Select(e => e.Type).ToHashSet(StringComparer.Ordinal);
            var ordered = group.OrderBy(o => o.Exchange.ReceivedAt).ToList();
            foreach (var before in ordered)
            {
                foreach (var after in ordered.Where(o => o.Exchange.SentAt > before.Exchange.ReceivedAt))
                {
                    var (a, b) = (before.Payment!, after.Payment!);
                    var back = a.Status != b.Status && !CanMove(a.Status, b.Status) ? $"status {a.Status} -> {b.Status}"
                        : b.AmountCaptured < a.AmountCaptured && !types.Contains("payment.capture_reversed") ? $"captured {a.AmountCaptured} -> {b.AmountCaptured}"
                        : b.AmountRefunded < a.AmountRefunded && !types.Contains("refund.reversed") ? $"refunded {a.AmountRefunded} -> {b.AmountRefunded}"
                        : null;
                    if (back is not null)
                    {
                        yield return new Violation(ViolationKinds.NotMonotone, group.Key,
                            $"the client saw {back}: answer at +{before.Exchange.ReceivedAt.TotalSeconds:0.000}s (#{before.Exchange.Sequence}), "
                            + $"then a request sent at +{after.Exchange.SentAt.TotalSeconds:0.000}s (#{after.Exchange.Sequence})");
                        break;
                    }
                }
            }
        }
    }

    /// <summary>From <paramref name="from"/> to <paramref name="to"/> in any number of allowed steps.</summary>
    public static bool CanMove(string from, string to) => Reachable.TryGetValue(from, out var reachable) && reachable.Contains(to);

    /// <summary>One transition of the table.</summary>
    private static bool IsStep(string from, string to) =>
        Statuses.TryGetValue(from, out var f) && Statuses.TryGetValue(to, out var t) && PaymentTransitions.CanMove(f, t);

    private static PaymentView? ObservedPayment(Exchange exchange) =>
        exchange.Kind is OperationKind.Create or OperationKind.Capture or OperationKind.Cancel or OperationKind.GetPayment
            ? Json.Read<PaymentView>(exchange.ResponseBody) is { Id: not null, Status: not null } view ? view : Json.Read<RefusalView>(exchange.ResponseBody)?.Payment
            : null;

    private static Dictionary<string, HashSet<string>> BuildReachable()
    {
        var statuses = Enum.GetValues<PaymentStatus>();
        var reachable = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var start in statuses)
        {
            var found = new HashSet<PaymentStatus> { start };
            var frontier = new Queue<PaymentStatus>([start]);
            while (frontier.TryDequeue(out var status))
            {
                foreach (var next in statuses.Where(n => PaymentTransitions.CanMove(status, n) && found.Add(n)))
                {
                    frontier.Enqueue(next);
                }
            }

            reachable[PaymentTransitions.Snake(start)] = found.Select(PaymentTransitions.Snake).ToHashSet(StringComparer.Ordinal);
        }

        return reachable;
    }
}
