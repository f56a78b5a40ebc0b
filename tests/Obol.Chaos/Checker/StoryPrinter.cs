using System.Globalization;
using System.Text;
using Obol.Chaos.Client;
using Obol.Chaos.Workload;
using Obol.Chaos.History;
using Obol.Chaos.Simulator;

namespace Obol.Chaos.Checker;

/// <summary>
/// A violation told as the payment's story: what the client asked and was answered, in time order; what the nemesis
/// did meanwhile; Obol's history of the payment (<c>/v1/payments/{id}/events</c>), its PSP attempts and refunds; and
/// the simulator's charges with their movements. Times are seconds since the run started.
/// </summary>
public sealed class StoryPrinter(CheckInput input, IReadOnlyList<PaymentPlan> plans, IReadOnlyList<NemesisAction> nemesis, OperatorApi api)
{
    private readonly Dictionary<string, int> _storyOf = input.PaymentOfStory.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public async Task<string> TellAsync(string paymentId, IReadOnlyList<Violation> violations, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var index = _storyOf.TryGetValue(paymentId, out var i) ? i : (int?)null;
        text.AppendLine($"=== {paymentId}" + (index is { } n ? $" — story {plans[n].Describe()}" : ""));
        foreach (var violation in violations)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  VIOLATION {violation.Kind}: {violation.Detail}");
        }

        var exchanges = index is { } story ? input.Exchanges.Where(e => e.PaymentIndex == story).ToList() : [];
        if (exchanges.Count > 0)
        {
            text.AppendLine("  client (sent → answered, node, request, answer):");
            foreach (var e in exchanges)
            {
                var answer = e.Status is { } status ? $"{status}{(e.Replayed ? " (replayed)" : "")} {Shorten(e.ResponseBody, 400)}" : $"no answer: {e.Error}";
                var key = e.IdempotencyKey is null ? "" : $" key={e.IdempotencyKey}";
                var body = e.RequestBody is null ? "" : $" {e.RequestBody}";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"    +{e.SentAt.TotalSeconds,8:0.000} → +{e.ReceivedAt.TotalSeconds,8:0.000} node{e.Node + 1} {e.Kind} {e.Method} {e.Path}{key}{body}\n        ⇒ {answer}");
            }

            var (from, to) = (exchanges.Min(e => e.SentAt), exchanges.Max(e => e.ReceivedAt) + TimeSpan.FromSeconds(30));
            var during = nemesis.Where(a => a.At <= to && (a.Until ?? a.At) >= from - TimeSpan.FromSeconds(10)).ToList();
            if (during.Count > 0)
            {
                text.AppendLine("  nemesis around it:");
                foreach (var action in during)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"    +{action.At.TotalSeconds,8:0.000} … +{(action.Until ?? action.At).TotalSeconds,8:0.000} {action.Detail}");
                }
            }
        }

        text.AppendLine("  Obol events (GET /v1/payments/{id}/events):");
        try
        {
            var events = await api.GetAsync<Page<PaymentEventView>>($"/v1/payments/{paymentId}/events", cancellationToken);
            foreach (var e in events.Data)
            {
                var move = e.ToStatus is null ? "" : $" {e.FromStatus ?? "∅"} → {e.ToStatus}";
                text.AppendLine(CultureInfo.InvariantCulture, $"    #{e.Sequence} {e.CreatedAt:HH:mm:ss.fff} {e.Type}{move} ({e.Source}) {e.Data?.GetRawText()}");
            }
        }
        catch (Cluster.HarnessException e)
        {
            text.AppendLine("    (could not read them: " + e.Message + ")");
        }

        text.AppendLine("  Obol attempts (payment_attempts):");
        foreach (var a in input.Obol.Attempts[paymentId])
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"    {a.Id} {a.Operation} {a.Psp} {a.Amount}{(a.RefundId is null ? "" : " for " + a.RefundId)} → {a.Status} psp_reference={a.PspReference} "
                + $"error={a.ErrorCode} resolved {a.ResolveCount}× started {a.StartedAt:HH:mm:ss.fff} completed {a.CompletedAt:HH:mm:ss.fff}");
        }

        foreach (var r in input.Obol.Refunds[paymentId])
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  Obol refund {r.Id} {r.Amount} {r.Status} psp_reference={r.PspReference} key={r.IdempotencyKey} error={r.LastErrorCode}");
        }

        if (input.Obol.Payments.FirstOrDefault(p => p.Id == paymentId) is { } payment)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  Obol payment: {payment.Status} {payment.Amount} {payment.Currency} {payment.Psp} {payment.PspReference} captured {payment.AmountCaptured} "
                + $"refunded {payment.AmountRefunded} refunding {payment.AmountRefunding} in flight {payment.OperationInFlight ?? "none"}");
        }

        text.AppendLine("  PSP charges (GET /sim/charges):");
        foreach (var c in input.Charges.Where(c => c.Reference == paymentId))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    {PspAgreement.Describe(c)} created {c.CreatedAt:HH:mm:ss.fff}");
            foreach (var m in c.Movements ?? [])
            {
                var metadata = m.Metadata is { Count: > 0 } md ? " " + string.Join(",", md.Select(kv => $"{kv.Key}={kv.Value}")) : "";
                text.AppendLine(CultureInfo.InvariantCulture, $"      {m.Kind} {m.Id} {m.Amount} reference={m.Reference}{metadata} at {m.At:HH:mm:ss.fff}");
            }
        }

        var discrepancies = input.Reconciliation.Discrepancies.Where(d => d.PaymentId == paymentId || d.Detail.Contains(paymentId, StringComparison.Ordinal)).ToList();
        foreach (var d in discrepancies)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  discrepancy {d.Id} {d.Psp} {d.Code}: {d.Detail}");
        }

        return text.ToString();
    }

    private static string Shorten(string? body, int length) => body is null ? "" : body.Length <= length ? body : body[..length] + "…";
}
