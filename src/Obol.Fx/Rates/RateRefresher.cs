using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Core.Storage;

namespace Obol.Fx.Rates;

/// <summary>
/// Fetches the reference rates on every node at start-up and every <see cref="FxOptions.RefreshInterval"/>. A publication
/// is stored once, whichever node fetches it first. A fetch that fails or a file that does not parse is logged and
/// changes nothing: the rates stored before stay in force (and, once older than <see cref="FxOptions.MaxRateAge"/>,
/// are refused for new quotes).
/// </summary>
internal sealed partial class RateRefresher(
    IFxRateSource source,
    RateStore store,
    Database database,
    FxOptions options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<RateRefresher> logger) : BackgroundService
{
    /// <summary>Fetches and stores once; true if a new publication was stored.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var rates = await source.FetchAsync(cancellationToken);
        var stored = await database.WriteAsync(session => store.SaveAsync(session, rates), cancellationToken);
        if (stored)
        {
            LogStored(logger, rates.Source, rates.PublishedAt, rates.PerBase.Count);
        }

        return stored;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A rates URL on this very server (the in-process simulator) answers only once start-up is done.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var next = options.RefreshInterval;
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
                next = TimeSpan.FromTicks(Math.Min(next.Ticks, FailureRetry.Ticks));
            }

            await Task.Delay(next, clock, stoppingToken);
        }
    }

    /// <summary>How soon a failed fetch is tried again (at most <see cref="FxOptions.RefreshInterval"/>).</summary>
    private static readonly TimeSpan FailureRetry = TimeSpan.FromMinutes(1);

    [LoggerMessage(EventId = FxLogEvents.RatesStored, Level = LogLevel.Information, Message = "Stored {Source} rates published at {PublishedAt:O} ({Count} currencies)")]
    private static partial void LogStored(ILogger logger, string source, DateTimeOffset publishedAt, int count);

    [LoggerMessage(EventId = FxLogEvents.RatesRefreshFailed, Level = LogLevel.Warning, Message = "Could not refresh exchange rates; the rates stored before stay in force")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
