using Polly;
using Microsoft.Extensions.Logging;
using Obol.Core;
using Polly.CircuitBreaker;

namespace Obol.Payments.Psp;

/// <summary>
/// Picks the ordered PSPs for a payment from the routing rules (first match wins) and runs every PSP call
/// through that PSP's circuit breaker: a PSP that keeps failing is not called for a while. An open circuit answers
/// "not processed": for a first send that means the PSP never saw the request (the payment may fail over); for a
/// request that may have reached the PSP before, it proves nothing (<see cref="Processing.PaymentRules.AsEvidence"/>).
/// </summary>
internal sealed partial class PspRouter
{
    private readonly Dictionary<string, IPspConnector> _connectors;
    private readonly Dictionary<string, ResiliencePipeline<PspOutcome>> _breakers;
    private static readonly string[] DefaultOrder = ["stripe", "adyen"];
    private readonly IReadOnlyList<RoutingRule> _rules;

    public PspRouter(IEnumerable<IPspConnector> connectors, PaymentsOptions options, TimeProvider clock, ILogger<PspRouter> logger)
    {
        _connectors = connectors.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _rules = options.Routing;
        var breaker = options.CircuitBreaker;
        _breakers = _connectors.Keys.ToDictionary(name => name, psp => new ResiliencePipelineBuilder<PspOutcome> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<PspOutcome>
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result?.Kind is PspOutcomeKind.NotProcessed or PspOutcomeKind.Unknown),
                OnOpened = args =>
                {
                    LogOpened(logger, psp, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    LogClosed(logger, psp);
                    return ValueTask.CompletedTask;
                },
            })
            .Build(), StringComparer.Ordinal);
    }

    public IPspConnector Connector(string psp) =>
        _connectors.TryGetValue(psp, out var connector) ? connector : throw new InvalidOperationException($"No connector for PSP '{psp}'.");

    /// <summary>
    /// The PSPs to try for this payment, in order: those of the first matching rule that can take its amount exactly
    /// (<see cref="PspAmountRule"/>). A PSP that would have to round the amount is skipped, never sent it.
    /// </summary>
    public IReadOnlyList<string> Route(string merchantId, long amount, string currency, string paymentMethod)
    {
        var money = Currency.FromCode(currency);
        return Matching(merchantId, amount, currency, paymentMethod).Where(psp => _connectors[psp].Amounts.CanTake(amount, money)).ToList();
    }

    /// <summary>
    /// The route of a new payment. PSPs are configured for it but none of them can take its amount exactly: a 400
    /// <c>amount_not_supported</c>, before anything is stored or sent.
    /// </summary>
    public IReadOnlyList<string> RouteNew(string merchantId, long amount, string currency, string paymentMethod)
    {
        var route = Route(merchantId, amount, currency, paymentMethod);
        var matching = Matching(merchantId, amount, currency, paymentMethod);
        return route.Count == 0 && matching.Count > 0
            ? throw PaymentsProblems.AmountNotSupported(matching, amount, Currency.FromCode(currency))
            : route;
    }

    /// <summary>A capture or refund of <paramref name="amount"/> at the payment's PSP: a 400 <c>amount_not_supported</c> if that PSP cannot take it exactly.</summary>
    public void EnsureCanTake(string psp, long amount, string currency)
    {
        var money = Currency.FromCode(currency);
        if (!Connector(psp).Amounts.CanTake(amount, money))
        {
            throw PaymentsProblems.AmountNotSupported([psp], amount, money);
        }
    }

    private List<string> Matching(string merchantId, long amount, string currency, string paymentMethod)
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

    [LoggerMessage(EventId = PaymentsLogEvents.CircuitOpened, Level = LogLevel.Warning, Message = "Circuit to {Psp} opened for {BreakDuration}: its calls keep failing")]
    private static partial void LogOpened(ILogger logger, string psp, TimeSpan breakDuration);

    [LoggerMessage(EventId = PaymentsLogEvents.CircuitClosed, Level = LogLevel.Information, Message = "Circuit to {Psp} closed")]
    private static partial void LogClosed(ILogger logger, string psp);
}
