using System.Collections.Concurrent;
using Obol.Core.Events;
using Obol.Core.Storage;

namespace Obol.Testing;

/// <summary>
/// An <see cref="IEventOutbox"/> for tests that run a module without the server (and so without the webhooks module's
/// tables): it keeps the events of units of work that committed, in commit order, and nothing of one that rolled back
/// or was retried.
/// </summary>
public sealed class CommittedEvents : IEventOutbox
{
    private readonly ConcurrentQueue<MerchantEvent> _events = new();

    public IReadOnlyCollection<MerchantEvent> Events => _events;

    public Task<string> AppendAsync(DbSession session, MerchantEvent merchantEvent)
    {
        session.AfterCommit(() =>
        {
            _events.Enqueue(merchantEvent);
            return Task.CompletedTask;
        });
        return Task.FromResult($"evt_test{Guid.NewGuid():N}");
    }
}
