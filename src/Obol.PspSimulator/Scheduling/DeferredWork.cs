using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Obol.PspSimulator.Scheduling;

/// <summary>
/// Runs work after a delay measured on the injected <see cref="TimeProvider"/> (webhook retries, bank transfer
/// settlement). <see cref="CancelAll"/> (reset) and host shutdown cancel everything scheduled.
/// </summary>
public sealed partial class DeferredWork(TimeProvider time, ILogger<DeferredWork> logger) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _cancel = new();

    public void Schedule(TimeSpan delay, Func<CancellationToken, Task> work)
    {
        CancellationToken token;
        lock (_gate)
        {
            token = _cancel.Token;
        }

        _ = RunAsync(delay, work, token);
    }

    public void CancelAll()
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = _cancel;
            _cancel = new CancellationTokenSource();
        }

        old.Cancel();
        old.Dispose();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        CancelAll();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _cancel.Dispose();
        }
    }

    private async Task RunAsync(TimeSpan delay, Func<CancellationToken, Task> work, CancellationToken token)
    {
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, token);
            }
            else
            {
                await Task.Yield();
            }

            await work(token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Background work must not crash the process; the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogWorkFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = PspSimulatorLogEvents.DeferredWorkFailed, Level = LogLevel.Error, Message = "Deferred simulator work failed")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception);
}
