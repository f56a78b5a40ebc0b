using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Runs;

/// <summary>
/// Reconciles each PSP's report for every published day, once: a day is claimed with a lease in the database (so
/// several nodes can run this side by side), fetched, reconciled and marked done. A fetch that fails leaves the day
/// to the next poll; days missed while Obol was down are caught up, a few days back.
/// </summary>
internal sealed partial class ScheduledReconciliation(
    Database database,
    Reconciler reconciler,
    SettlementReportSource source,
    ReconciliationOptions options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<ScheduledReconciliation> logger) : BackgroundService
{
    /// <summary>Reconciles the published days not yet done; returns the runs it made.</summary>
    public async Task<IReadOnlyList<string>> RunDueAsync(CancellationToken cancellationToken)
    {
        var schedule = options.Schedule;
        var now = clock.GetUtcNow();
        var latest = DateOnly.FromDateTime((now - schedule.PublishedAfter).UtcDateTime).AddDays(-1);
        var runs = new List<string>();
        for (var day = latest.AddDays(1 - Math.Max(1, schedule.CatchUpDays)); day <= latest; day = day.AddDays(1))
        {
            foreach (var psp in SettlementReports.Psps)
            {
                var text = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var claimed = await database.WriteAsync(s => ClaimAsync(s, psp, text, now, now + schedule.ClaimLease), cancellationToken);
                if (!claimed)
                {
                    continue;
                }

                try
                {
                    var asOf = clock.GetUtcNow();
                    var report = await source.FetchAsync(psp, day, cancellationToken);
                    var runId = await reconciler.ReconcileAsync(psp, day, report, "scheduled", asOf, cancellationToken);
                    await database.WriteAsync(s => s.ExecuteAsync(
                        "UPDATE reconciliation_schedule SET run_id = @runId WHERE psp = @psp AND report_date = @text",
                        new { runId, psp, text }), cancellationToken);
                    runs.Add(runId);
                }
                catch (ProblemException problem)
                {
                    // The report is unavailable or unreadable: the claim runs out and a later poll tries again.
                    LogFailed(logger, psp, text, problem.Detail ?? problem.Title);
                }
            }
        }

        return runs;
    }

    private static async Task<bool> ClaimAsync(DbSession session, string psp, string day, DateTimeOffset now, DateTimeOffset until) =>
        (await session.QueryAsync<string>(
            """
            INSERT INTO reconciliation_schedule (psp, report_date, claimed_until) VALUES (@psp, @day, @until)
            ON CONFLICT (psp, report_date) DO UPDATE SET claimed_until = excluded.claimed_until
            WHERE reconciliation_schedule.run_id IS NULL AND reconciliation_schedule.claimed_until < @now
            RETURNING psp
            """,
            new { psp, day, now, until })).Count == 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Schedule.Enabled)
        {
            return;
        }

        // The default report source is this server's own simulator, reachable once the server listens.
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, started.Token);
            }
            catch (OperationCanceledException)
            {
                // Started, or stopping.
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException)
            {
                LogError(logger, exception);
            }

            try
            {
                await Task.Delay(options.Schedule.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = ReconciliationLogEvents.ScheduledRunFailed, Level = LogLevel.Warning, Message = "Scheduled reconciliation of {Psp} for {Day} failed; will retry: {Reason}")]
    private static partial void LogFailed(ILogger logger, string psp, string day, string reason);

    [LoggerMessage(EventId = ReconciliationLogEvents.ScheduleRoundFailed, Level = LogLevel.Warning, Message = "Scheduled reconciliation failed; will retry")]
    private static partial void LogError(ILogger logger, Exception exception);
}
