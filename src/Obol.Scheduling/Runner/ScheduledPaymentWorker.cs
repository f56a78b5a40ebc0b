using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Scheduling.Execution;

namespace Obol.Scheduling.Runner;

/// <summary>
/// Polls the database for due work on every node. Timers here only decide when to look; what is due lives in
/// the database. Does not start when no <see cref="IScheduledPaymentExecutor"/> is registered (until the
/// payments core provides one) or when <c>Obol:Scheduling:RunnerEnabled</c> is false.
/// </summary>
internal sealed partial class ScheduledPaymentWorker(
    IServiceProvider services,
    SchedulingOptions options,
    TimeProvider clock,
    ILogger<ScheduledPaymentWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunnerEnabled)
        {
            LogDisabled(logger);
            return;
        }

        if (services.GetService<IScheduledPaymentExecutor>() is null)
        {
            LogNoExecutor(logger);
            return;
        }

        var runner = services.GetRequiredService<ScheduledPaymentRunner>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A stopping node finishes the batch it holds (each call is bounded by ExecutionTimeout) rather
                // than leave its rows to wait out the lease; if the host kills it first, the lease covers that.
                var result = await runner.RunOnceAsync(CancellationToken.None);
                if (result.Claimed >= options.BatchSize)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must survive a failed round (database down); the work stays in the database.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogRoundFailed(logger, exception);
            }

            try
            {
                await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = SchedulingLogEvents.NoExecutor, Level = LogLevel.Warning, Message = "Scheduled payments runner not started: no IScheduledPaymentExecutor is registered (the payments core provides it)")]
    private static partial void LogNoExecutor(ILogger logger);

    [LoggerMessage(EventId = SchedulingLogEvents.RunnerDisabled, Level = LogLevel.Information, Message = "Scheduled payments runner disabled by configuration")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = SchedulingLogEvents.RoundFailed, Level = LogLevel.Error, Message = "Scheduled payments runner round failed; trying again after the poll interval")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
