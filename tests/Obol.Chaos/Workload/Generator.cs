using System.Diagnostics;

namespace Obol.Chaos.Workload;

/// <summary>
/// Concurrent client workers taking the planned stories in order, started no faster than <c>rate</c> per second so
/// that the nemesis's timed incidents fall on traffic. Which worker plays which story, and how the stories interleave
/// in real time, is not reproducible; each story's own choices are.
/// </summary>
public sealed class Generator(IReadOnlyList<PaymentPlan> plans, StoryRunner runner, int workers, double rate)
{
    private int _next = -1;
    private int _finished;

    /// <summary>Stories started, as a fraction of all: what the nemesis schedule is keyed to.</summary>
    public double Progress => Math.Min(1.0, (Volatile.Read(ref _next) + 1) / (double)plans.Count);

    public int Finished => Volatile.Read(ref _finished);

    public Task RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var index = Interlocked.Increment(ref _next);
                if (index >= plans.Count || cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                var due = TimeSpan.FromSeconds(index / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }

                await runner.RunAsync(plans[index], cancellationToken);
                Interlocked.Increment(ref _finished);
            }
        }, cancellationToken)));
    }
}
