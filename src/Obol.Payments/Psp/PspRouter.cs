using Polly;
using Polly.CircuitBreaker;

namespace Obol.Payments.Psp;

/// <summary>
/// Picks the ordered PSPs for a payment from the routing rules (first match wins) and runs every PSP call
/// through that PSP's circuit breaker: a PSP that keeps failing is skipped for a while, and an open circuit is
/// an answer of "certainly not processed", so the payment may fail over to the next PSP.
/// </summary>
internal sealed class PspRouter
{
    private readonly Dictionary<string, IPspConnector> _connectors;
    private readonly Dictionary<string, ResiliencePipeline<PspOutcome>> _breakers;
    private static readonly string[] DefaultOrder = ["stripe", "adyen"];
    private readonly IReadOnlyList<RoutingRule> _rules;

    public PspRouter(IEnumerable<IPspConnector> connectors, PaymentsOptions options, TimeProvider clock)
    {
        _connectors = connectors.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _rules = options.Routing;
        _breakers = _connectors.Keys.ToDictionary(name => name, _ => new ResiliencePipelineBuilder<PspOutcome> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<PspOutcome>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(15),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result?.Kind is PspOutcomeKind.NotProcessed or PspOutcomeKind.Unknown),
            })
            .Build(), StringComparer.Ordinal);
    }

    public IPspConnector Connector(string psp) =>
        _connectors.TryGetValue(psp, out var connector) ? connector : throw new InvalidOperationException($"No connector for PSP '{psp}'.");

    /// <summary>The PSPs to try for this payment, in order.</summary>
    public IReadOnlyList<string> Route(string merchantId, long amount, string currency, string paymentMethod)
    {
        foreach (var rule in _rules)
        {
            if ((rule.Currencies is null || rule.Currencies.Contains(currency, StringComparer.Ordinal))
                && (rule.MinAmount is null || amount >= rule.MinAmount)
                && (rule.MaxAmount is null || amount <= rule.MaxAmount)
                && (rule.PaymentMethods is null || rule.PaymentMethods.Contains(paymentMethod, StringComparer.Ordinal))
                && (rule.Merchants is null || rule.Merchants.Contains(merchantId, StringComparer.Ordinal)))
            {
                return rule.Psps.Where(_connectors.ContainsKey).ToList();
            }
        }

        return DefaultOrder.Where(_connectors.ContainsKey).ToList();
    }

    public async Task<PspOutcome> CallAsync(string psp, Func<IPspConnector, CancellationToken, Task<PspOutcome>> call, CancellationToken cancellationToken)
    {
        var connector = Connector(psp);
        try
        {
            return await _breakers[psp].ExecuteAsync(async token => await call(connector, token), cancellationToken);
        }
        catch (BrokenCircuitException)
        {
            return PspOutcome.NotProcessed("psp_circuit_open", $"{psp} is failing; Obol is not sending it requests for a while.");
        }
    }
}
