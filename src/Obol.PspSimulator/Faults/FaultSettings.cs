namespace Obol.PspSimulator.Faults;

/// <summary>
/// Fault configuration (<c>POST /sim/faults</c> and <c>PspSimulator:Faults</c>). Rates are probabilities in [0, 1];
/// they decide whether a fault fires and never touch money.
/// </summary>
public sealed record FaultSettings
{
    /// <summary>Seed for the fault random stream; null draws from an unseeded generator.</summary>
    public int? Seed { get; init; }
    public PspFaults Stripe { get; init; } = new();
    public PspFaults Adyen { get; init; } = new();
}

public sealed record PspFaults
{
    /// <summary>Every dialect request answers 503 (the PSP is down).</summary>
    public bool Outage { get; init; }

    /// <summary>Rates applied to every endpoint unless the endpoint has its own entry.</summary>
    public EndpointFaults Default { get; init; } = new();
    public EndpointFaults? Create { get; init; }
    public EndpointFaults? Capture { get; init; }
    public EndpointFaults? Cancel { get; init; }
    public EndpointFaults? Refund { get; init; }
    public WebhookFaults Webhooks { get; init; } = new();
    public SettlementFaults Settlements { get; init; } = new();

    public EndpointFaults For(FaultEndpoint endpoint) => endpoint switch
    {
        FaultEndpoint.Create => Create ?? Default,
        FaultEndpoint.Capture => Capture ?? Default,
        FaultEndpoint.Cancel => Cancel ?? Default,
        FaultEndpoint.Refund => Refund ?? Default,
        _ => Default,
    };
}

public enum FaultEndpoint
{
    Create,
    Capture,
    Cancel,
    Refund,
}

public sealed record EndpointFaults
{
    /// <summary>The operation happens but the response is held and then dropped.</summary>
    public double TimeoutAfterCharge { get; init; }

    /// <summary>500 before anything happens.</summary>
    public double ErrorBeforeCharge { get; init; }

    /// <summary>The operation happens, then 500.</summary>
    public double ErrorAfterCharge { get; init; }

    /// <summary>Added before the request is processed.</summary>
    public int LatencyMs { get; init; }
}

public sealed record WebhookFaults
{
    public double DuplicateRate { get; init; }

    /// <summary>Probability that an event is held back by <see cref="ReorderDelayMs"/>, so later events overtake it.</summary>
    public double ReorderRate { get; init; }
    public int ReorderDelayMs { get; init; } = 500;

    /// <summary>Added to every event's first delivery.</summary>
    public int DelayMs { get; init; }
    public double DropRate { get; init; }
}

public sealed record SettlementFaults
{
    public double DropRowRate { get; init; }

    /// <summary>Probability that a row's gross amount is off by one minor unit.</summary>
    public double ChangeAmountRate { get; init; }

    /// <summary>Rows added to each report that match no charge.</summary>
    public int UnknownRows { get; init; }
}
