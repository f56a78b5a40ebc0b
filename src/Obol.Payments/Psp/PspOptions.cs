namespace Obol.Payments.Psp;

/// <summary>
/// Configuration section <c>Obol:Payments</c>. A PSP without a base URL talks to the PSP simulator that the
/// server hosts in-process under <c>/sim</c> (the default run); give a real base URL and key to use the real PSP.
/// </summary>
public sealed class PaymentsOptions
{
    public StripeOptions Stripe { get; set; } = new();
    public AdyenOptions Adyen { get; set; } = new();

    /// <summary>How long one PSP call may take before its outcome counts as unknown.</summary>
    public TimeSpan PspTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Routing rules, first match wins; with none, every payment tries Stripe then Adyen.</summary>
    public List<RoutingRule> Routing { get; set; } = [];

    public ResolverOptions Resolver { get; set; } = new();

    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();
}

public sealed class StripeOptions
{
    public string? BaseUrl { get; set; }
    public string ApiKey { get; set; } = "sk_test_obol_simulator";
    public string WebhookSecret { get; set; } = "whsec_obol_simulator";
}

public sealed class AdyenOptions
{
    public string? BaseUrl { get; set; }
    public string ApiKey { get; set; } = "adyen_test_obol_simulator";
    public string MerchantAccount { get; set; } = "ObolMerchantAccount";
    public string HmacKey { get; set; } = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
}

public sealed class RoutingRule
{
    public List<string>? Currencies { get; set; }
    public long? MinAmount { get; set; }
    public long? MaxAmount { get; set; }
    public List<string>? PaymentMethods { get; set; }
    public List<string>? Merchants { get; set; }
    public List<string> Psps { get; set; } = [];
}

public sealed class ResolverOptions
{
    /// <summary>Runs the background loop; tests that drive <c>ResolveDueAsync</c> themselves switch it off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the resolver looks for unknown outcomes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An attempt still <c>started</c> this long after it began belongs to a crashed request.</summary>
    public TimeSpan StartedLease { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one node works on an attempt before another may take it (a node that died while resolving).</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Each PSP's circuit breaker (per node): opened when at least <see cref="MinimumThroughput"/> calls in
/// <see cref="SamplingDuration"/> fail at <see cref="FailureRatio"/> or more (not processed, or unknown), open for
/// <see cref="BreakDuration"/>, then one trial call.
/// </summary>
public sealed class CircuitBreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 10;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
