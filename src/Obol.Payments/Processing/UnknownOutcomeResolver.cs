using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Core.Storage;
using Obol.Payments.Domain;
using Obol.Payments.Psp;
using Obol.Payments.Storage;

namespace Obol.Payments.Processing;

/// <summary>
/// Finds attempts whose outcome is not known — timed out, pending at the PSP, or left <c>started</c> by a
/// request that died — and resolves them with the same PSP idempotency key, with backoff between tries. Each
/// attempt is claimed with a lease first, so several nodes can run this side by side.
/// </summary>
internal sealed partial class UnknownOutcomeResolver(
    Database database,
    PaymentStore store,
    PaymentProcessor processor,
    PaymentsOptions options,
    TimeProvider clock,
    ILogger<UnknownOutcomeResolver> logger) : BackgroundService
{
    /// <summary>Resolves what is due now; returns how many attempts it worked on.</summary>
    public async Task<int> ResolveDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = await database.ReadAsync(s => store.DueForResolutionAsync(s, now, 50), cancellationToken);
        var worked = 0;
        foreach (var attempt in due)
        {
            var claimed = await database.WriteAsync(s => store.ClaimForResolutionAsync(s, attempt, now + options.Resolver.ClaimLease), cancellationToken);
            if (!claimed)
            {
                continue;
            }

            worked++;
            // The claim marks a started attempt unknown: whatever its own request's answer turns out to be, it is no first send any more.
            var claimedAttempt = attempt with { ResolveAfter = now + options.Resolver.ClaimLease, Status = attempt.Status == AttemptStatus.Started ? AttemptStatus.Unknown : attempt.Status };
            try
            {
                await processor.ResolveAsync(claimedAttempt, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                // One attempt that cannot be resolved now (the database went away, or a fault of ours) holds up no other:
                // its claim runs out and it is tried again.
                LogAttemptFailed(logger, exception, attempt.Id, attempt.PaymentId);
            }
        }

        return worked;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Resolver.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ResolveDueAsync(stoppingToken);
                await Task.Delay(options.Resolver.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, exception);
                await Task.Delay(options.Resolver.PollInterval, clock, stoppingToken);
            }
        }
    }

    [LoggerMessage(EventId = PaymentsLogEvents.ResolverRoundFailed, Level = LogLevel.Warning, Message = "Resolving unknown PSP outcomes failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PaymentsLogEvents.ResolverAttemptFailed, Level = LogLevel.Warning, Message = "Resolving attempt {AttemptId} of payment {PaymentId} failed; it is tried again once its claim runs out")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string attemptId, string paymentId);
}
