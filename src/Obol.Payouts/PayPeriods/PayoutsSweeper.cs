using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Core.Configuration;
using Obol.Core.Events;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Payouts.Anomalies;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.PayPeriods;

/// <summary><c>Obol:Payouts</c> configuration.</summary>
internal sealed class PayoutsOptions
{
    /// <summary>How long after a period ends it is closed automatically (late events in the meantime still land in it).</summary>
    public TimeSpan CloseGracePeriod { get; set; } = TimeSpan.FromDays(2);

    /// <summary>An accepted delivery with no fulfillment or cancellation for this long is an anomaly.</summary>
    public TimeSpan AcceptedTimeout { get; set; } = TimeSpan.FromHours(4);

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Couriers whose terms ingestion keeps in memory, over all merchants (see <see cref="Couriers.CourierTermsCache"/>).</summary>
    public int TermsCacheCapacity { get; set; } = 200_000;

    /// <summary>Run the background sweep (tests turn it off and call <see cref="PayoutsSweeper.RunOnceAsync"/>).</summary>
    public bool BackgroundSweep { get; set; } = true;

    public static IEnumerable<string> Problems(PayoutsOptions options) =>
        ModuleOptions.Positive("AcceptedTimeout", options.AcceptedTimeout)
            .Concat(ModuleOptions.Positive("SweepInterval", options.SweepInterval))
            .Concat(options.CloseGracePeriod < TimeSpan.Zero ? [$"CloseGracePeriod must not be negative, not {options.CloseGracePeriod}."] : [])
            .Concat(options.TermsCacheCapacity < 1 ? ["TermsCacheCapacity must be at least 1."] : []);
}

/// <summary>
/// Periodic work: closes pay periods whose grace period has passed and records accepted-but-never-fulfilled
/// deliveries. Each close is its own transaction, so any number of nodes can run this (a close is idempotent and
/// takes the courier's lock).
/// </summary>
internal sealed partial class PayoutsSweeper(
    Database database, ILedger ledger, IdGenerator ids, IEventOutbox events, TimeProvider clock, PayoutsOptions options, ILogger<PayoutsSweeper> logger)
    : BackgroundService
{
    public async Task<(int Closed, int StaleAccepts)> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = await database.ReadAsync(
            s => s.QueryAsync<DueRow>(
                "SELECT merchant_id AS MerchantId, id AS Id FROM pay_periods WHERE status = 'open' AND ends_at <= @cutoff ORDER BY ends_at LIMIT 500",
                new { cutoff = now - options.CloseGracePeriod }),
            cancellationToken);
        foreach (var period in due)
        {
            await database.WriteAsync(
                s => PayPeriodClose.CloseAsync(new EngineWrite(s, period.MerchantId, now, ids, events), ledger, period.Id), cancellationToken);
            LogClosed(logger, period.Id);
        }

        var merchants = await database.ReadAsync(
            s => s.QueryAsync<string>(
                $"SELECT DISTINCT d.merchant_id FROM deliveries d WHERE d.state = 'accepted' AND d.accepted_at < @cutoff AND {AnomalyStore.NotYetFlagged}",
                new { cutoff = now - options.AcceptedTimeout }),
            cancellationToken);
        var stale = 0;
        foreach (var merchantId in merchants)
        {
            stale += await database.WriteAsync(
                s => AnomalyStore.DetectStaleAcceptsAsync(new EngineWrite(s, merchantId, now, ids, events), options.AcceptedTimeout), cancellationToken);
        }

        return (due.Count, stale);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.BackgroundSweep)
        {
            return;
        }

        // A delay before each sweep, not a PeriodicTimer: a clock that jumps ahead (a test's fake clock moved by days)
        // owes one sweep, not one per missed interval.
        try
        {
            while (true)
            {
                await Task.Delay(options.SweepInterval, clock, stoppingToken);
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogSweepFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = PayoutsLogEvents.PayPeriodClosed, Level = LogLevel.Information, Message = "Closed pay period {PeriodId}")]
    private static partial void LogClosed(ILogger logger, string periodId);

    [LoggerMessage(EventId = PayoutsLogEvents.SweepFailed, Level = LogLevel.Error, Message = "Courier earnings sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    private sealed class DueRow
    {
        public string MerchantId { get; init; } = "";
        public string Id { get; init; } = "";
    }
}
