using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Core.Storage;

namespace Obol.Ledger.Expiry;

public sealed class PendingTransferExpiryOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Expires pending transfers past their timeout, releasing their holds. Reads time from the injected
/// <see cref="TimeProvider"/> (its timer too), so a fake clock drives it in tests. Safe on many nodes at
/// once: a hold that another node ended first is simply skipped.
/// </summary>
public sealed partial class PendingTransferExpiryService(
    Database database,
    ILedger ledger,
    TimeProvider clock,
    PendingTransferExpiryOptions options,
    ILogger<PendingTransferExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A wrong setting stops the host at start-up instead of failing every sweep.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        try
        {
            // A delay after each sweep, not a PeriodicTimer: a clock that jumps ahead (a test's fake clock moved by
            // days) owes one sweep, not one per missed interval.
            while (true)
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogSweepFailed(logger, exception);
                }

                await Task.Delay(options.Interval, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Expires everything due now, in batches; returns how many holds were released.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        var total = 0;
        while (true)
        {
            var expired = await database.WriteAsync(session => ledger.ExpireDuePendingTransfersAsync(session, options.BatchSize), cancellationToken);
            total += expired;
            if (expired < options.BatchSize)
            {
                break;
            }
        }

        if (total > 0)
        {
            LogExpired(logger, total);
        }

        return total;
    }

    [LoggerMessage(EventId = LedgerLogEvents.PendingTransfersExpired, Level = LogLevel.Information, Message = "Expired {Count} pending ledger transfers")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(EventId = LedgerLogEvents.PendingTransferSweepFailed, Level = LogLevel.Error, Message = "Sweeping expired pending ledger transfers failed; will retry")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
