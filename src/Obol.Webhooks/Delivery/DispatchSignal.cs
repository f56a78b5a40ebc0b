using System.Threading.Channels;
using Obol.Core.Storage;

namespace Obol.Webhooks.Delivery;

/// <summary>Wakes this node's dispatcher: a unit of work committed events, or a delivery finished and may unblock the next of its object.</summary>
internal sealed class DispatchSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _channel.Writer.TryWrite(true);

    /// <summary>Wakes the dispatcher once <paramref name="session"/> has committed what it queued (never for a rollback).</summary>
    public void WakeAfterCommit(DbSession session) => session.AfterCommit(() =>
    {
        Wake();
        return Task.CompletedTask;
    });

    /// <summary>Waits for a wake-up or until <paramref name="timeout"/> has passed on <paramref name="clock"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (_channel.Reader.TryRead(out _))
        {
            return;
        }

        using var waited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wake = _channel.Reader.WaitToReadAsync(waited.Token).AsTask();
        var delay = Task.Delay(timeout, clock, waited.Token);
        await Task.WhenAny(wake, delay);
        await waited.CancelAsync();
        _channel.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
