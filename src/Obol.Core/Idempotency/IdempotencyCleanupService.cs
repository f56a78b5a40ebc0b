using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Obol.Core.Idempotency;

/// <summary>Deletes idempotency records past their retention once an hour.</summary>
public sealed partial class IdempotencyCleanupService(IdempotencyStore store, TimeProvider clock, ILogger<IdempotencyCleanupService> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
                var deleted = await store.DeleteExpiredAsync(stoppingToken);
                LogDeleted(logger, deleted);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException)
            {
                LogFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(EventId = CoreLogEvents.IdempotencyRecordsDeleted, Level = LogLevel.Debug, Message = "Deleted {Count} expired idempotency records")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = CoreLogEvents.IdempotencyCleanupFailed, Level = LogLevel.Warning, Message = "Idempotency cleanup failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
