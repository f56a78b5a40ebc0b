namespace Obol.PspSimulator.Faults;

/// <summary>Something the simulator did to a request or a webhook that <c>GET /sim/faults/counts</c> reports.</summary>
public enum CountedFault
{
    Outage,
    Latency,
    ErrorBeforeCharge,
    ErrorAfterCharge,
    TimeoutAfterCharge,

    /// <summary>One (event, endpoint) delivery decided: the count the webhook fault rates apply to.</summary>
    WebhookDelivery,
    WebhookDropped,
    WebhookDuplicated,
    WebhookDelayed,
    WebhookReordered,
    WebhookAttempt,
    WebhookFailedAttempt,
}

public sealed record WebhookFaultCounts(
    long Deliveries,
    long Dropped,
    long Duplicated,
    long Delayed,
    long Reordered,
    long DeliveryAttempts,
    long FailedDeliveryAttempts);

public sealed record PspFaultCounts(
    long Outage,
    long Latency,
    long ErrorBeforeCharge,
    long ErrorAfterCharge,
    long TimeoutAfterCharge,
    WebhookFaultCounts Webhooks);

public sealed record FaultCountsView(PspFaultCounts Stripe, PspFaultCounts Adyen);

/// <summary>
/// How many times each fault was actually injected, per PSP, since start-up or the last <c>POST /sim/reset</c>.
/// <c>POST /sim/faults</c> keeps them, so a harness that changes fault phases during a run reads totals at the end.
/// </summary>
public sealed class FaultCounts
{
    private static readonly int Kinds = Enum.GetValues<CountedFault>().Length;

    private readonly long[] _counts = new long[2 * Kinds];

    public void Add(Psp psp, CountedFault fault) => Interlocked.Increment(ref _counts[Slot(psp, fault)]);

    public void Clear()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            Interlocked.Exchange(ref _counts[i], 0);
        }
    }

    public FaultCountsView Snapshot() => new(For(Psp.Stripe), For(Psp.Adyen));

    private PspFaultCounts For(Psp psp)
    {
        long Get(CountedFault fault) => Interlocked.Read(ref _counts[Slot(psp, fault)]);
        return new PspFaultCounts(
            Get(CountedFault.Outage),
            Get(CountedFault.Latency),
            Get(CountedFault.ErrorBeforeCharge),
            Get(CountedFault.ErrorAfterCharge),
            Get(CountedFault.TimeoutAfterCharge),
            new WebhookFaultCounts(
                Get(CountedFault.WebhookDelivery),
                Get(CountedFault.WebhookDropped),
                Get(CountedFault.WebhookDuplicated),
                Get(CountedFault.WebhookDelayed),
                Get(CountedFault.WebhookReordered),
                Get(CountedFault.WebhookAttempt),
                Get(CountedFault.WebhookFailedAttempt)));
    }

    private static int Slot(Psp psp, CountedFault fault) => ((int)psp * Kinds) + (int)fault;
}
