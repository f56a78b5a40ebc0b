using System.Globalization;
using Obol.Chaos.Client;
using Obol.Chaos.History;

namespace Obol.Chaos.Workload;

/// <summary>
/// Plays one payment's story as a merchant's client would: create it, wait while its outcome is being resolved, then
/// capture or cancel it and refund it as planned, each mutating request under its own Idempotency-Key. Whatever Obol
/// answers is in the history; the story goes on from what the client last saw.
/// </summary>
public sealed class StoryRunner(RetryingClient client, int seed)
{
    private static readonly TimeSpan SettleWithin = TimeSpan.FromSeconds(20);

    /// <summary>The Idempotency-Key of a payment's create, which the checker also finds the payment by.</summary>
    public static string CreateKey(int seed, int index) => $"chaos-{seed}-{index}-create";

    public async Task RunAsync(PaymentPlan plan, CancellationToken cancellationToken)
    {
        var random = new Random(plan.ClientSeed);
        var body = Json.Write(new
        {
            amount = plan.Amount,
            currency = plan.Currency,
            paymentMethod = plan.PaymentMethod,
            captureMethod = plan.ManualCapture ? "manual" : "automatic",
            metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["chaos_seed"] = seed.ToString(CultureInfo.InvariantCulture),
                ["chaos_payment"] = plan.Index.ToString(CultureInfo.InvariantCulture),
            },
        });
        var create = await client.SendAsync(OperationKind.Create, plan.Index, HttpMethod.Post, "/v1/payments", CreateKey(seed, plan.Index), body, random,
            cancellationToken);
        if (create.Resolution != Resolution.Acknowledged || Json.Read<PaymentView>(create.Answer!.ResponseBody) is not { } payment)
        {
            return;
        }

        payment = await SettleAsync(plan.Index, payment, random, cancellationToken);
        for (var step = 0; step < plan.Steps.Count; step++)
        {
            var planned = plan.Steps[step];
            var key = $"chaos-{seed}-{plan.Index}-{step}";
            payment = planned.Kind switch
            {
                StepKind.Capture when payment.Status == "authorized" =>
                    await ModifyAsync(plan.Index, payment, OperationKind.Capture, "capture", AmountBody(planned.Amount), key, random, cancellationToken),
                StepKind.Cancel when payment.Status == "authorized" =>
                    await ModifyAsync(plan.Index, payment, OperationKind.Cancel, "cancel", null, key, random, cancellationToken),
                StepKind.CaptureRacingRefund when payment.Status == "authorized" =>
                    await CaptureRacingRefundAsync(plan.Index, payment, planned, key, random, cancellationToken),
                StepKind.Refund when payment.Status is "captured" or "partially_refunded" =>
                    await RefundAsync(plan.Index, payment, [planned.Amount], key, random, cancellationToken),
                StepKind.ConcurrentRefunds when payment.Status is "captured" or "partially_refunded" =>
                    await RefundAsync(plan.Index, payment, [planned.Amount, planned.Amount], key, random, cancellationToken),
                _ => payment,
            };
        }
    }

    private async Task<PaymentView> ModifyAsync(
        int index, PaymentView payment, OperationKind kind, string action, string? body, string key, Random random, CancellationToken cancellationToken)
    {
        var result = await client.SendAsync(kind, index, HttpMethod.Post, $"/v1/payments/{payment.Id}/{action}", key, body, random, cancellationToken);
        switch (result.Resolution)
        {
            case Resolution.Rejected:
                return await ReadAsync(index, payment, random, cancellationToken);
            case Resolution.Ambiguous:
                // No answer at all: the client looks until the payment has left authorized (or gives up).
                return await SettleAsync(index, payment, random, cancellationToken, stillOpen: ["processing", "pending", "authorized"]);
            default:
                var answered = Json.Read<PaymentView>(result.Answer!.ResponseBody) is { Id: not null } view
                    ? view
                    : Json.Read<RefusalView>(result.Answer.ResponseBody)?.Payment ?? payment;
                return await SettleAsync(index, answered, random, cancellationToken);
        }
    }

    private async Task<PaymentView> CaptureRacingRefundAsync(
        int index, PaymentView payment, PlannedStep planned, string key, Random random, CancellationToken cancellationToken)
    {
        var captureRandom = new Random(random.Next());
        var refundRandom = new Random(random.Next());
        var head = TimeSpan.FromMilliseconds(random.Next(0, 60));
        var capture = ModifyAsync(index, payment, OperationKind.Capture, "capture", AmountBody(planned.Amount), key, captureRandom, cancellationToken);
        var refund = Task.Run(async () =>
        {
            await Task.Delay(head, cancellationToken);
            await client.SendAsync(OperationKind.Refund, index, HttpMethod.Post, $"/v1/payments/{payment.Id}/refunds", key + "-racing-refund",
                AmountBody(planned.RefundAmount), refundRandom, cancellationToken);
        }, cancellationToken);
        await Task.WhenAll(capture, refund);
        return await ReadAsync(index, await capture, random, cancellationToken);
    }

    /// <summary>One refund, or several of the same amount at once, each under its own key.</summary>
    private async Task<PaymentView> RefundAsync(
        int index, PaymentView payment, IReadOnlyList<long?> amounts, string key, Random random, CancellationToken cancellationToken)
    {
        var randoms = amounts.Select(_ => new Random(random.Next())).ToList();
        await Task.WhenAll(amounts.Select((amount, i) => client.SendAsync(OperationKind.Refund, index, HttpMethod.Post,
            $"/v1/payments/{payment.Id}/refunds", amounts.Count == 1 ? key : $"{key}-{(char)('a' + i)}", AmountBody(amount), randoms[i], cancellationToken)));
        return await ReadAsync(index, payment, random, cancellationToken);
    }

    /// <summary>While Obol is still finding out what the PSP did, the client looks again, as a merchant's would.</summary>
    private async Task<PaymentView> SettleAsync(
        int index, PaymentView payment, Random random, CancellationToken cancellationToken, IReadOnlyCollection<string>? stillOpen = null)
    {
        stillOpen ??= ["processing", "pending"];
        var deadline = DateTimeOffset.UtcNow + SettleWithin;
        while (stillOpen.Contains(payment.Status) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300 + random.Next(400)), cancellationToken);
            payment = await ReadAsync(index, payment, random, cancellationToken);
        }

        return payment;
    }

    private async Task<PaymentView> ReadAsync(int index, PaymentView payment, Random random, CancellationToken cancellationToken)
    {
        var read = await client.GetAsync(OperationKind.GetPayment, index, $"/v1/payments/{payment.Id}", random, cancellationToken);
        return Json.Read<PaymentView>(read?.ResponseBody) ?? payment;
    }

    private static string AmountBody(long? amount) => amount is { } value ? Json.Write(new { amount = value }) : "{}";
}
