using Microsoft.Extensions.Options;

namespace Obol.PspSimulator.Faults;

public sealed record RequestFaults(bool Outage, int LatencyMs, bool ErrorBeforeCharge, bool ErrorAfterCharge, bool TimeoutAfterCharge);

/// <summary>One webhook delivery's faults: <paramref name="ReorderDelay"/> is the hold-back that lets later events overtake it.</summary>
public sealed record WebhookFaultDecision(bool Drop, bool Duplicate, TimeSpan Delay, TimeSpan ReorderDelay);

/// <summary>
/// Draws faults from one seeded <see cref="Random"/> in the order requests arrive. Each request draws a fixed
/// number of values whatever the rates, so a seed replays the same faults for the same request sequence;
/// concurrent requests make that sequence, and so the draws, depend on arrival order.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private FaultSettings _settings;
    private Random _random;

    public FaultInjector(IOptions<PspSimulatorOptions> options)
    {
        _settings = options.Value.Faults;
        _random = NewRandom(_settings.Seed);
    }

    public FaultSettings Current
    {
        get
        {
            lock (_gate)
            {
                return _settings;
            }
        }
    }

    public void Apply(FaultSettings settings)
    {
        lock (_gate)
        {
            _settings = settings;
            _random = NewRandom(settings.Seed);
        }
    }

    public RequestFaults ForRequest(Psp psp, FaultEndpoint? endpoint)
    {
        lock (_gate)
        {
            var pspFaults = For(psp);
            if (endpoint is null)
            {
                return new RequestFaults(pspFaults.Outage, 0, false, false, false);
            }

            var rates = pspFaults.For(endpoint.Value);
            var before = _random.NextDouble() < rates.ErrorBeforeCharge;
            var after = _random.NextDouble() < rates.ErrorAfterCharge;
            var timeout = _random.NextDouble() < rates.TimeoutAfterCharge;
            return new RequestFaults(pspFaults.Outage, rates.LatencyMs, before, after && !before, timeout && !before && !after);
        }
    }

    public WebhookFaultDecision ForWebhook(Psp psp)
    {
        lock (_gate)
        {
            var faults = For(psp).Webhooks;
            var drop = _random.NextDouble() < faults.DropRate;
            var duplicate = _random.NextDouble() < faults.DuplicateRate;
            var reorder = _random.NextDouble() < faults.ReorderRate;
            return new WebhookFaultDecision(
                drop,
                duplicate && !drop,
                TimeSpan.FromMilliseconds(faults.DelayMs),
                TimeSpan.FromMilliseconds(reorder ? faults.ReorderDelayMs : 0));
        }
    }

    /// <summary>Row mutations for one settlement report row: (drop, change amount).</summary>
    public (bool Drop, bool ChangeAmount) ForSettlementRow(Psp psp)
    {
        lock (_gate)
        {
            var faults = For(psp).Settlements;
            var drop = _random.NextDouble() < faults.DropRowRate;
            var change = _random.NextDouble() < faults.ChangeAmountRate;
            return (drop, change && !drop);
        }
    }

    private PspFaults For(Psp psp) => psp == Psp.Stripe ? _settings.Stripe : _settings.Adyen;

    private static Random NewRandom(int? seed) => seed is { } s ? new Random(s) : new Random();
}
