using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Obol.Chaos.History;

/// <summary>Everything the clients sent and got back, every logical operation's outcome and every nemesis action, on one clock.</summary>
public sealed class RunHistory
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Exchange> _exchanges = new();
    private readonly ConcurrentQueue<OperationResult> _operations = new();
    private readonly ConcurrentQueue<NemesisAction> _nemesis = new();
    private long _sequence;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public TimeSpan Now => _clock.Elapsed;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Add(Exchange exchange) => _exchanges.Enqueue(exchange);

    public void Add(OperationResult operation) => _operations.Enqueue(operation);

    public void Add(NemesisAction action) => _nemesis.Enqueue(action);

    public IReadOnlyList<Exchange> Exchanges => _exchanges.OrderBy(e => e.SentAt).ThenBy(e => e.Sequence).ToList();

    public IReadOnlyList<OperationResult> Operations => _operations.ToList();

    public IReadOnlyList<NemesisAction> Nemesis => _nemesis.OrderBy(n => n.At).ToList();

    /// <summary>One JSON object per line, for reading a run afterwards.</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path);
        foreach (var exchange in Exchanges)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(exchange, Json.Options).AsMemory(), cancellationToken);
        }

        foreach (var action in Nemesis)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(action, Json.Options).AsMemory(), cancellationToken);
        }
    }
}
