using Obol.Core.Storage;
using Obol.Payments.Domain;
using Obol.Payments.Processing;
using Obol.Payments.Storage;

namespace Obol.Payments;

/// <summary>The payments core as other modules use it, in process (scheduled payments). The rest of the module is its own.</summary>
public interface IPayments
{
    /// <summary>
    /// Creates a payment under the command's idempotency key and drives it to an outcome. Under a key used before, it
    /// continues that payment and its PSP attempt: never a second charge.
    /// </summary>
    Task<PaymentResult> CreateAsync(CreatePaymentCommand command, CancellationToken cancellationToken);

    Task<PaymentResult?> FindByIdempotencyKeyAsync(string merchantId, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>
    /// Refuses, as creating the payment would, an amount that PSPs are routed for but none of them can take exactly: a
    /// <see cref="Core.Errors.ProblemException"/> 400 <c>amount_not_supported</c>. For a payment to be made later (a schedule).
    /// </summary>
    void EnsureAmountSupported(string merchantId, long amount, string currency, string paymentMethod);
}

/// <summary>A payment as another module sees it.</summary>
/// <param name="CertainlyNotCharged">
/// Every PSP attempt of the payment certainly never reached its PSP (the payment failed without charging), so a new payment
/// for the same purpose, under a new key, cannot charge twice.
/// </param>
public sealed record PaymentResult(string Id, PaymentStatus Status, PaymentError? LastError, bool CertainlyNotCharged);

internal sealed class PaymentsCore(PaymentProcessor processor, PaymentStore store, Database database, Psp.PspRouter router) : IPayments
{
    public void EnsureAmountSupported(string merchantId, long amount, string currency, string paymentMethod) =>
        router.RouteNew(merchantId, amount, currency, paymentMethod);

    public async Task<PaymentResult> CreateAsync(CreatePaymentCommand command, CancellationToken cancellationToken) =>
        await ResultAsync(await processor.CreateAsync(command, complete: null, cancellationToken), cancellationToken);

    public async Task<PaymentResult?> FindByIdempotencyKeyAsync(string merchantId, string idempotencyKey, CancellationToken cancellationToken) =>
        await database.ReadAsync(s => store.FindByIdempotencyKeyAsync(s, merchantId, idempotencyKey), cancellationToken) is { } payment
            ? await ResultAsync(payment, cancellationToken)
            : null;

    private async Task<PaymentResult> ResultAsync(Payment payment, CancellationToken cancellationToken)
    {
        var attempts = await database.ReadAsync(s => store.GetAttemptsAsync(s, payment.Id), cancellationToken);
        return new PaymentResult(payment.Id, payment.Status, payment.LastError,
            payment.Status == PaymentStatus.Failed && attempts.Count > 0 && attempts.All(a => a.Status == AttemptStatus.NotProcessed));
    }
}
