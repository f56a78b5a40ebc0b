using System.Collections.Concurrent;
using Obol.Scheduling.Execution;

namespace Obol.Scheduling.Tests;

/// <summary>
/// Stands in for the payments core: charges once per idempotency key (the first call with a key is the
/// effect, later calls return the same payment) and records every call with the time it was made.
/// </summary>
internal sealed class RecordingExecutor(TimeProvider clock) : IScheduledPaymentExecutor
{
    private readonly ConcurrentDictionary<string, string> _payments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _callsPerKey = new(StringComparer.Ordinal);
    private int _effects;
    private int _calls;

    public sealed record Call(string Key, DateTimeOffset At, DateTimeOffset DueAt, int Attempt);

    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <summary>When set and it returns a result, that result is answered instead of charging.</summary>
    public Func<ScheduledPaymentExecution, PaymentExecutionResult?>? Script { get; set; }

    /// <summary>Runs on every call before anything else (to simulate a node dying mid-batch).</summary>
    public Func<ScheduledPaymentExecution, CancellationToken, Task>? BeforeCall { get; set; }

    /// <summary>Payments created: one per distinct key, however often a key is executed.</summary>
    public int Effects => Volatile.Read(ref _effects);

    public int CallCount => Volatile.Read(ref _calls);

    public IReadOnlyDictionary<string, int> CallsPerKey => _callsPerKey;

    public IReadOnlyDictionary<string, string> Payments => _payments;

    public async Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        _callsPerKey.AddOrUpdate(execution.IdempotencyKey, 1, (_, n) => n + 1);
        Calls.Enqueue(new Call(execution.IdempotencyKey, clock.GetUtcNow(), execution.DueAt, execution.Attempt));
        if (BeforeCall is { } before)
        {
            await before(execution, cancellationToken);
        }

        if (Script?.Invoke(execution) is { } scripted)
        {
            return scripted;
        }

        if (_payments.TryAdd(execution.IdempotencyKey, $"pay_{Guid.NewGuid():N}"))
        {
            Interlocked.Increment(ref _effects);
        }

        return new PaymentExecutionResult.Succeeded(_payments[execution.IdempotencyKey], "captured");
    }
}
