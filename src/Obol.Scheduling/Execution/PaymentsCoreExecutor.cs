using Obol.Core;
using Obol.Core.Storage;
using Obol.Payments.Domain;
using Obol.Payments.Processing;
using Obol.Payments.Storage;

namespace Obol.Scheduling.Execution;

/// <summary>
/// Executes occurrences through the payments core's in-process API. The occurrence's key is the payment's
/// idempotency key, so a re-claimed or raced execution gets the first payment back instead of a new charge.
/// A payment that failed because no PSP processed it (every attempt certainly not charged) is final under its
/// key; only then does the next try use a fresh key (<c>…:retry:N</c>), so a retry never charges twice.
/// </summary>
public sealed class PaymentsCoreExecutor(PaymentProcessor payments, PaymentStore store, Database database) : IScheduledPaymentExecutor
{
    public async Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
    {
        if (!EnumText.TryParse<CaptureMethod>(execution.CaptureMethod, out var captureMethod))
        {
            return new PaymentExecutionResult.Declined(null, "invalid_capture_method", $"'{execution.CaptureMethod}' is not a capture method.");
        }

        var key = await CurrentKeyAsync(execution, cancellationToken);
        var payment = await payments.CreateAsync(
            new CreatePaymentCommand(execution.MerchantId, key, execution.Amount, execution.Currency, captureMethod, execution.PaymentMethod,
                execution.Description, execution.Metadata ?? new Dictionary<string, string>()),
            complete: null,
            cancellationToken);

        return payment.Status switch
        {
            PaymentStatus.Authorized or PaymentStatus.Captured or PaymentStatus.PartiallyRefunded or PaymentStatus.Refunded =>
                new PaymentExecutionResult.Succeeded(payment.Id, EnumText.ToSnake(payment.Status)),
            PaymentStatus.Pending or PaymentStatus.Processing => new PaymentExecutionResult.Retryable("payment_processing", payment.Id),
            PaymentStatus.Failed when await NeverChargedAsync(payment.Id, cancellationToken) =>
                new PaymentExecutionResult.Retryable(payment.LastError?.Code ?? "psp_unavailable", payment.Id),
            _ => new PaymentExecutionResult.Declined(payment.Id, payment.LastError?.Code ?? EnumText.ToSnake(payment.Status), payment.LastError?.Message),
        };
    }

    /// <summary>The key of the latest payment for this occurrence, or a fresh one if that payment certainly did not charge.</summary>
    private async Task<string> CurrentKeyAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
    {
        for (var retry = 0; ; retry++)
        {
            var key = retry == 0 ? execution.IdempotencyKey : $"{execution.IdempotencyKey}:retry:{retry}";
            var existing = await database.ReadAsync(s => store.FindByIdempotencyKeyAsync(s, execution.MerchantId, key), cancellationToken);
            if (existing is null || existing.Status != PaymentStatus.Failed || !await NeverChargedAsync(existing.Id, cancellationToken))
            {
                return key;
            }
        }
    }

    private async Task<bool> NeverChargedAsync(string paymentId, CancellationToken cancellationToken)
    {
        var attempts = await database.ReadAsync(s => store.GetAttemptsAsync(s, paymentId), cancellationToken);
        return attempts.Count > 0 && attempts.All(a => a.Status == AttemptStatus.NotProcessed);
    }
}
