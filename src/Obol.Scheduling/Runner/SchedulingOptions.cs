using Obol.Core.Configuration;

namespace Obol.Scheduling.Runner;

/// <summary>Configuration section <c>Obol:Scheduling</c>.</summary>
internal sealed class SchedulingOptions
{
    /// <summary>Whether this node runs the background runner (it also needs an executor registered).</summary>
    public bool RunnerEnabled { get; set; } = true;

    /// <summary>How long the runner sleeps when it found less than a full batch.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Rows claimed per round. Larger batches amortise the claim and completion statements (see the benchmark);
    /// with a slow executor keep it near what <see cref="MaxConcurrency"/> finishes well inside <see cref="LeaseDuration"/>.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Executions of one batch that run at the same time.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>How long a claim is exclusive; after it, another runner may claim the work again.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A call to the executor that takes longer is abandoned and retried (with the same key).</summary>
    public TimeSpan ExecutionTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per occurrence before it is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// On PostgreSQL, decide what is due with the database's clock (<c>now()</c>) so that nodes whose clocks
    /// disagree still agree on it. Tests that drive time with a fake clock turn this off. SQLite has one node
    /// and always uses the application clock.
    /// </summary>
    public bool UseDatabaseClock { get; set; } = true;

    /// <summary>
    /// How long into a lease the runner still starts executor calls: a call that starts later could outlive the
    /// lease (it may take <see cref="ExecutionTimeout"/>), so the rows not started by then are released.
    /// </summary>
    public TimeSpan CallStartWindow => LeaseDuration - ExecutionTimeout - (LeaseDuration / 10);

    /// <summary>These settings, or an <see cref="InvalidOperationException"/> naming what is wrong with them.</summary>
    public SchedulingOptions Validate() =>
        Problems(this).ToList() is { Count: > 0 } problems
            ? throw new InvalidOperationException("Obol:Scheduling: " + string.Join(" ", problems))
            : this;

    public static IEnumerable<string> Problems(SchedulingOptions options)
    {
        if (options.BatchSize < 1 || options.MaxConcurrency < 1 || options.MaxAttempts < 1)
        {
            yield return "BatchSize, MaxConcurrency and MaxAttempts must be at least 1.";
        }

        foreach (var problem in ModuleOptions.Positive("PollInterval", options.PollInterval)
            .Concat(ModuleOptions.Positive("ExecutionTimeout", options.ExecutionTimeout))
            .Concat(ModuleOptions.Positive("RetryBaseDelay", options.RetryBaseDelay)))
        {
            yield return problem;
        }

        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            yield return "RetryMaxDelay must not be shorter than RetryBaseDelay.";
        }

        if (options.CallStartWindow <= TimeSpan.Zero)
        {
            yield return $"LeaseDuration ({options.LeaseDuration}) must exceed ExecutionTimeout ({options.ExecutionTimeout}) by more than a tenth of itself, so that a call can finish inside its lease.";
        }
    }
}
