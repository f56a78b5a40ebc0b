namespace Obol.Scheduling.Execution;

/// <summary>
/// The one way the scheduler moves money: through the payments core. Implementations must be idempotent on
/// <see cref="ScheduledPaymentExecution.IdempotencyKey"/>: the first call creates the payment, every later call
/// with the same key (a runner whose lease expired, a raced runner, a retry after a timeout) returns that same
/// payment and charges nothing again.
/// </summary>
internal interface IScheduledPaymentExecutor
{
    /// <summary>Creates (or returns the existing) payment for this idempotency key through the payments core.</summary>
    Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken);
}

/// <summary>One occurrence of a schedule to charge, with the key that makes it happen at most once.</summary>
internal sealed record ScheduledPaymentExecution(
    string ScheduleId,
    string MerchantId,
    int Occurrence,
    int Attempt,
    string IdempotencyKey,
    long Amount,
    string Currency,
    string PaymentMethod,
    string CaptureMethod,
    string? Description,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset DueAt);

/// <summary>What the payments core said about one execution.</summary>
internal abstract record PaymentExecutionResult
{
    private PaymentExecutionResult()
    {
    }

    /// <summary>The payment exists and is settled enough to count (authorized, captured, or pending settlement).</summary>
    public sealed record Succeeded(string PaymentId, string PaymentStatus) : PaymentExecutionResult;

    /// <summary>A final refusal (card declined, insufficient funds, invalid method): not retried.</summary>
    public sealed record Declined(string? PaymentId, string DeclineCode, string? Message = null) : PaymentExecutionResult;

    /// <summary>
    /// Not done yet, try again later with the same key: PSP unavailable, circuit open, or the payment's outcome
    /// is still <c>processing</c>.
    /// </summary>
    public sealed record Retryable(string Reason, string? PaymentId = null) : PaymentExecutionResult;
}
