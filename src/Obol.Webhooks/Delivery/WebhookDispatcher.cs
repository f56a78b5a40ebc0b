using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Obol.Core.Storage;
using Obol.Webhooks.Endpoints;

namespace Obol.Webhooks.Delivery;

/// <summary>
/// Sends due deliveries, on every node. A claim takes a batch of deliveries with a lease (PostgreSQL: <c>FOR UPDATE SKIP
/// LOCKED</c>, so two nodes never take the same row); each is sent on its own, at most <c>MaxInFlight</c> at once and
/// <c>MaxInFlightPerEndpoint</c> to one endpoint; results are written in batches. A node that dies mid-delivery leaves the
/// lease to run out, and another node sends that delivery again (at least once). Only the first delivery in line for an
/// object at an endpoint (the head of its lane) is ever claimed (<see cref="DeliveryStore.ClaimAsync"/>), so one object's
/// events go out in order.
/// </summary>
internal sealed partial class WebhookDispatcher(
    Database database,
    DeliveryStore deliveries,
    EndpointHealth health,
    WebhookSender sender,
    DispatchSignal signal,
    WebhooksOptions options,
    TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private const int ClaimBatch = 256;
    private const int RecordBatch = 512;

    /// <summary>How often a node makes sure every lane has its head (<see cref="DeliveryStore.RepairAsync"/>).</summary>
    private static readonly TimeSpan RepairInterval = TimeSpan.FromMinutes(1);

    private readonly Channel<AttemptResult?> _results = Channel.CreateUnbounded<AttemptResult?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _endpointSlots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _claimedPerEndpoint = new(StringComparer.Ordinal);
    private int _inFlight;
    private DateTimeOffset _nextRepair = DateTimeOffset.MinValue;

    /// <summary>Where this node's last claim ended in the due index (<see cref="DeliveryStore.ClaimAsync"/>).</summary>
    private (DateTimeOffset At, long Id)? _cursor;

    /// <summary>A lease outlasts a send that waited for its endpoint's slot and then took the whole timeout.</summary>
    private TimeSpan Lease => options.DeliveryTimeout * 3 + TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Dispatcher.Enabled)
        {
            return;
        }

        var recorder = RecordLoopAsync(stoppingToken);
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        finally
        {
            _results.Writer.TryComplete();
            await recorder;
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A claim that got fewer than it asked for emptied the due index (or filled the in-flight limit): the next
                // round waits for a wake-up (an event committed, a result recorded) instead of finding nothing.
                var free = options.Dispatcher.MaxInFlight - Volatile.Read(ref _inFlight);
                var asked = Math.Min(free, ClaimBatch);
                var claimed = asked > 0 ? await ClaimAndSendAsync(asked, stoppingToken) : 0;
                if (asked <= 0 || claimed < asked || claimed == free)
                {
                    await signal.WaitAsync(options.Dispatcher.PollInterval, clock, stoppingToken);
                    if (options.Dispatcher.BatchWindow > TimeSpan.Zero)
                    {
                        await Task.Delay(options.Dispatcher.BatchWindow, clock, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogRoundFailed(logger, exception);
                await Task.Delay(options.Dispatcher.PollInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<int> ClaimAndSendAsync(int limit, CancellationToken stoppingToken)
    {
        var now = clock.GetUtcNow();
        if (now >= _nextRepair)
        {
            _nextRepair = now + RepairInterval;
            await database.WriteAsync(s => deliveries.RepairAsync(s, StoredInstant.Of(now)), stoppingToken);
        }

        var busy = _claimedPerEndpoint.Where(e => e.Value >= options.Dispatcher.MaxInFlightPerEndpoint).Select(e => e.Key).ToList();
        var (claimed, end) = await database.WriteAsync(s => deliveries.ClaimAsync(s, now, now + Lease, limit, busy, _cursor), stoppingToken);
        _cursor = end ?? _cursor;
        foreach (var delivery in claimed)
        {
            Interlocked.Increment(ref _inFlight);
            _claimedPerEndpoint.AddOrUpdate(delivery.EndpointId, 1, (_, n) => n + 1);
            _ = SendAsync(delivery, stoppingToken);
        }

        return claimed.Count;
    }

    private async Task SendAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        AttemptResult? result = null;
        var slot = _endpointSlots.GetOrAdd(delivery.EndpointId, _ => new SemaphoreSlim(options.Dispatcher.MaxInFlightPerEndpoint));
        try
        {
            await slot.WaitAsync(stoppingToken);
            try
            {
                // A send that would outlast its lease is left to whichever node claims it next.
                if (clock.GetUtcNow() + options.DeliveryTimeout < delivery.LeasedUntil)
                {
                    result = await sender.SendAsync(delivery, stoppingToken);
                }
            }
            finally
            {
                slot.Release();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the delivery is sent again.
        }
        finally
        {
            if (result is null)
            {
                Done(delivery.EndpointId);
            }

            _results.Writer.TryWrite(result);
        }
    }

    private void Done(string endpointId)
    {
        Interlocked.Decrement(ref _inFlight);
        _claimedPerEndpoint.AddOrUpdate(endpointId, 0, (_, n) => n - 1);
    }

    private async Task RecordLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AttemptResult>(RecordBatch);
        while (await _results.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < RecordBatch && _results.Reader.TryRead(out var result))
            {
                if (result is not null)
                {
                    batch.Add(result);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var decided = batch.Select(Decide).ToList();
                await database.WriteAsync(async s =>
                {
                    await deliveries.RecordAsync(s, decided);
                    await health.RecordAsync(s, decided);
                }, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Not recorded: the leases run out and these deliveries are sent again.
                LogRecordFailed(logger, exception, batch.Count);
            }
            catch (OperationCanceledException)
            {
                // Shutting down; as above.
            }
            finally
            {
                foreach (var result in batch)
                {
                    Done(result.Delivery.EndpointId);
                }

                batch.Clear();
                signal.Wake();
            }
        }
    }

    private (AttemptResult Result, AttemptOutcome Outcome, DateTimeOffset? NextAttemptAt) Decide(AttemptResult result)
    {
        if (result.Succeeded)
        {
            return (result, AttemptOutcome.Succeeded, null);
        }

        var next = RetrySchedule.Next(result.Delivery.Attempts + 1, result.Delivery.CreatedAt, result.AttemptedAt, options.RetryFor, Random.Shared.NextDouble());
        return next is null ? (result, AttemptOutcome.GivenUp, null) : (result, AttemptOutcome.Failed, next);
    }

    [LoggerMessage(EventId = WebhooksLogEvents.DispatchRoundFailed, Level = LogLevel.Warning, Message = "A webhook dispatch round failed; the dispatcher tries again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = WebhooksLogEvents.RecordFailed, Level = LogLevel.Warning,
        Message = "{Count} webhook delivery results could not be recorded; their leases run out and they are sent again")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, int count);
}
