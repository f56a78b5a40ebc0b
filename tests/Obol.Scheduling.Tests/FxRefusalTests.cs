using Obol.Core.Errors;
using Obol.Payments;
using Obol.Payments.Processing;
using Obol.Scheduling.Execution;

namespace Obol.Scheduling.Tests;

/// <summary>An occurrence the payments core refuses for FX reasons before any PSP call: stale rates come right, a missing rate does not.</summary>
public class FxRefusalTests
{
    private static readonly ScheduledPaymentExecution Execution = new(
        "sch_1", "mer_1", 1, 1, "sch_1:1", 10_000, "JPY", "pm_card_visa", "automatic", null, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Stale_rates_make_the_occurrence_retryable() =>
        Assert.Equal(new PaymentExecutionResult.Retryable("fx_rates_stale"),
            await new PaymentsCoreExecutor(new Refusing(Fx.FxProblems.RatesStale(DateTimeOffset.UnixEpoch))).ExecuteAsync(Execution, CancellationToken.None));

    [Fact]
    public async Task No_rate_for_the_settlement_currency_declines_the_occurrence() =>
        Assert.IsType<PaymentExecutionResult.Declined>(
            await new PaymentsCoreExecutor(new Refusing(Fx.FxProblems.RatesUnavailable("JPY", "XOF"))).ExecuteAsync(Execution, CancellationToken.None));

    private sealed class Refusing(ProblemException problem) : IPayments
    {
        public Task<PaymentResult> CreateAsync(CreatePaymentCommand command, CancellationToken cancellationToken) => throw problem;

        public Task<PaymentResult?> FindByIdempotencyKeyAsync(string merchantId, string idempotencyKey, CancellationToken cancellationToken) =>
            Task.FromResult<PaymentResult?>(null);

        public void EnsureAmountSupported(string merchantId, long amount, string currency, string paymentMethod)
        {
        }
    }
}
