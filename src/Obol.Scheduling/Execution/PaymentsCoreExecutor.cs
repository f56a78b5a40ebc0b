using Obol.Core;
using Obol.Core.Errors;
using Obol.Payments;
using Obol.Payments.Domain;
using Obol.Payments.Processing;

namespace Obol.Scheduling.Execution;

/// <summary>
/// Executes occurrences through the payments core's in-process API. The occurrence's key is the payment's
/// idempotency key, so a re-claimed or raced execution gets the first payment back instead of a new charge.
/// A payment that failed because no PSP processed it (every attempt certainly not charged) is final under its
/// key; only then does the next try use a fresh key (<c>…:retry:N</c>), so a retry never charges twice.
/// </summary>
internal sealed class PaymentsCoreExecutor(IPayments payments) : IScheduledPaymentExecutor
{
    public async Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
    {
        if (!EnumText.TryParse<CaptureMethod>(execution.CaptureMethod, out var captureMethod))
        {
            return new PaymentExecutionResult.Declined(null, "invalid_capture_method", $"'{execution.CaptureMethod}' is not a capture method.");
        }

        var key = await CurrentKeyAsync(execution, cancellationToken);
        PaymentResult payment;
        try
        {
            payment = await payments.CreateAsync(
                new CreatePaymentCommand(execution.MerchantId, key, execution.Amount, execution.Currency, captureMethod, execution.PaymentMethod,
                    execution.Description, execution.Metadata ?? new Dictionary<string, string>()),
                cancellationToken);
        }
        catch (ProblemException refused) when (refused.Code is "amount_not_supported" or "fx_rate_unavailable")
        {
            // The routing changed since the schedule was accepted, or the merchant now settles in a currency no published rate
            // converts into: no PSP call was made, and retrying will not change that.
            return new PaymentExecutionResult.Declined(null, refused.Code, refused.Detail);
        }
        catch (ProblemException refused) when (refused.Code == "fx_rates_stale")
        {
            // The merchant settles in another currency and the rates are out of date: nothing was charged, and fresh rates will come.
            return new PaymentExecutionResult.Retryable(refused.Code);
        }

        return payment.Status switch
        {
            PaymentStatus.Authorized or PaymentStatus.Captured or PaymentStatus.PartiallyRefunded or PaymentStatus.Refunded =>
                new PaymentExecutionResult.Succeeded(payment.Id, EnumText.ToSnake(payment.Status)),
            PaymentStatus.Pending or PaymentStatus.Processing => new PaymentExecutionResult.Retryable("payment_processing", payment.Id),
            PaymentStatus.Failed when payment.CertainlyNotCharged =>
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
            if (await payments.FindByIdempotencyKeyAsync(execution.MerchantId, key, cancellationToken) is not { CertainlyNotCharged: true })
            {
                return key;
            }
        }
    }
}
