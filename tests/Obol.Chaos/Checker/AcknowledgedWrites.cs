using Obol.Chaos.Client;
using Obol.Chaos.Heal;
using Obol.Chaos.History;

namespace Obol.Chaos.Checker;

/// <summary>
/// Checks 4 and 5. What Obol acknowledged is what it has: a created payment exists under its key, a capture,
/// cancel or refund answered as done is done (or undone by a reversal on record). An operation the client never got
/// an answer for claims nothing, and neither does an answer that something failed: the PSP's late word may still
/// show it happened. And one key always answers the same: every stored answer the client got for it,
/// and the replay after the heal, have the same status and the same bytes.
/// </summary>
public static class AcknowledgedWrites
{
    public static IEnumerable<Violation> CheckLost(ObolSnapshot obol, IReadOnlyList<OperationResult> operations)
    {
        var payments = obol.Payments.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var refunds = obol.Payments.SelectMany(p => obol.Refunds[p.Id]).ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var operation in operations.Where(o => o.Resolution == Resolution.Acknowledged && o.Answer!.Status is >= 200 and < 300))
        {
            var body = operation.Answer!.ResponseBody;
            switch (operation.Kind)
            {
                case OperationKind.Create when Json.Read<PaymentView>(body) is { Id: not null } created:
                    if (!payments.TryGetValue(created.Id, out var stored))
                    {
                        yield return Lost(created.Id, $"the create under {operation.IdempotencyKey} answered {created.Id}, which Obol does not have");
                    }
                    else if (stored.IdempotencyKey != operation.IdempotencyKey)
                    {
                        yield return Lost(created.Id, $"the create under {operation.IdempotencyKey} answered {created.Id}, which Obol has under {stored.IdempotencyKey}");
                    }

                    break;

                case OperationKind.Capture when Json.Read<PaymentView>(body) is { Id: not null, Status: "captured" } captured:
                    var afterCapture = payments.GetValueOrDefault(captured.Id);
                    var reversed = obol.Events[captured.Id].Any(e => e.Type == "payment.capture_reversed");
                    if (afterCapture is null || (!reversed && afterCapture.AmountCaptured != captured.AmountCaptured))
                    {
                        yield return Lost(captured.Id, $"the capture under {operation.IdempotencyKey} answered captured {captured.AmountCaptured}; "
                            + $"Obol has {afterCapture?.Status ?? "no payment"}, captured {afterCapture?.AmountCaptured}");
                    }

                    break;

                case OperationKind.Cancel when Json.Read<PaymentView>(body) is { Id: not null, Status: "cancelled" } cancelled:
                    if (payments.GetValueOrDefault(cancelled.Id)?.Status != "cancelled")
                    {
                        yield return Lost(cancelled.Id, $"the cancel under {operation.IdempotencyKey} answered cancelled; Obol has {payments.GetValueOrDefault(cancelled.Id)?.Status}");
                    }

                    break;

                case OperationKind.Refund when Json.Read<RefundView>(body) is { Id: not null } refund:
                    var now = refunds.GetValueOrDefault(refund.Id);
                    var undone = now is not null && obol.Events[now.PaymentId].Any(e => e.Type == "refund.reversed" && e.Data?.Contains(refund.Id, StringComparison.Ordinal) == true);
                    if (now is null || now.PaymentId != refund.PaymentId || now.Amount != refund.Amount)
                    {
                        yield return Lost(refund.PaymentId, $"the refund under {operation.IdempotencyKey} answered {refund.Id} of {refund.Amount}; Obol has "
                            + (now is null ? "no such refund" : $"{now.Amount} on {now.PaymentId}"));
                    }
                    else if (refund.Status == "succeeded" && now.Status != "succeeded" && !undone)
                    {
                        yield return Lost(refund.PaymentId, $"the refund under {operation.IdempotencyKey} answered {refund.Id} {refund.Status}; Obol has it {now.Status}");
                    }

                    break;
            }
        }
    }

    public static IEnumerable<Violation> CheckReplays(IReadOnlyList<Exchange> exchanges, IReadOnlyList<ReplayResult> replays, Func<int, string?> paymentOf)
    {
        foreach (var key in exchanges.Where(e => e.IdempotencyKey is not null && e.Status is (>= 200 and < 300) or 502).GroupBy(e => e.IdempotencyKey!))
        {
            var answers = key.OrderBy(e => e.ReceivedAt).ToList();
            var first = answers[0];
            foreach (var other in answers.Skip(1).Where(a => a.Status != first.Status || a.ResponseBody != first.ResponseBody))
            {
                yield return new Violation(ViolationKinds.ReplayMismatch, paymentOf(first.PaymentIndex),
                    $"{key.Key}: #{first.Sequence} answered {first.Status} {Shorten(first.ResponseBody)}; #{other.Sequence} answered {other.Status} {Shorten(other.ResponseBody)}");
            }
        }

        foreach (var replay in replays.Where(r => r.Replay is not null))
        {
            var (original, again) = (replay.Original.Answer!, replay.Replay!);
            if (again.Status != original.Status && again.Status is not ((>= 200 and < 300) or 502))
            {
                yield return new Violation(ViolationKinds.ReplayMismatch, paymentOf(original.PaymentIndex),
                    $"{replay.Original.IdempotencyKey}: answered {original.Status} first (#{original.Sequence}); the replay after the heal (#{again.Sequence}) "
                    + $"answered {again.Status} {Shorten(again.ResponseBody)}");
            }
            else if (again.Status == original.Status && again.ResponseBody == original.ResponseBody && !again.Replayed)
            {
                yield return new Violation(ViolationKinds.ReplayMismatch, paymentOf(original.PaymentIndex),
                    $"{replay.Original.IdempotencyKey}: the replay #{again.Sequence} answered the stored bytes without Idempotent-Replayed: true");
            }
        }
    }

    /// <summary>The client never sends another request under a key it used; if Obol says so, something is off.</summary>
    public static IEnumerable<Violation> CheckKeyReuse(IReadOnlyList<Exchange> exchanges, Func<int, string?> paymentOf) =>
        exchanges.Where(e => e.Status == 422 && RetryingClient.ProblemCode(e.ResponseBody) == "idempotency_key_reused")
            .Select(e => new Violation(ViolationKinds.KeyReused, paymentOf(e.PaymentIndex), $"#{e.Sequence} {e.Method} {e.Path} under {e.IdempotencyKey}: {e.ResponseBody}"));

    private static Violation Lost(string paymentId, string detail) => new(ViolationKinds.LostWrite, paymentId, detail);

    private static string Shorten(string? body) => body is null ? "" : body.Length <= 300 ? body : body[..300] + "…";
}
