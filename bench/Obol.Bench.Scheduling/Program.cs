using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Obol.Core.Storage;
using Obol.Scheduling;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;

// N schedules due at one instant on PostgreSQL, executed by one and then two runners (each its own Database,
// i.e. its own connection pool: two nodes) through an executor with zero latency. Prints executions per second
// (due instant → last outcome committed) and the lateness of executor calls (due → call) at p50/p99/max.
var schedules = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : new SchedulingOptions().BatchSize;
var admin = Environment.GetEnvironmentVariable("OBOL_BENCH_POSTGRES")
    ?? throw new InvalidOperationException("Set OBOL_BENCH_POSTGRES, or run bench/Obol.Bench.Scheduling/run.sh (it starts a throwaway cluster).");

var defaults = new SchedulingOptions();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Scheduled payments: {schedules:N0} due at one instant, PostgreSQL, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"runner: batch {batchSize}, concurrency {defaults.MaxConcurrency}, poll {defaults.PollInterval.TotalMilliseconds:N0} ms, database clock; executor: zero latency"));
Console.WriteLine();

foreach (var runners in new[] { 1, 2 })
{
    await RunAsync(runners);
}

async Task RunAsync(int runnerCount)
{
    var connection = await CreateDatabaseAsync(admin);
    var options = new DatabaseOptions(DatabaseProvider.Postgres, connection);
    await using (var setup = Database.Create(options))
    {
        var migrations = new MigrationRunner(setup,
            [new MigrationSource("core", typeof(Obol.Core.CoreServiceCollectionExtensions).Assembly), new MigrationSource("scheduling", typeof(SchedulingServiceCollectionExtensions).Assembly)],
            TimeProvider.System, NullLogger<MigrationRunner>.Instance);
        await migrations.ApplyAsync(CancellationToken.None);
    }

    var due = await SeedAsync(connection, schedules, TimeSpan.FromSeconds(2));
    var executor = new ZeroLatencyExecutor();
    var nodes = Enumerable.Range(0, runnerCount).Select(_ => Database.Create(options)).ToList();
    var runnerOptions = new SchedulingOptions { BatchSize = batchSize };
    // No outbox: this measures the runner alone, without the webhooks module's events table (one event per schedule).
    var runners = nodes.Select(db => new ScheduledPaymentRunner(db, executor, new NoEventOutbox(), runnerOptions, TimeProvider.System, NullLogger<ScheduledPaymentRunner>.Instance)).ToList();

    var completed = 0;
    using var stop = new CancellationTokenSource();
    var loops = runners.Select(runner => Task.Run(async () =>
    {
        // The same loop as ScheduledPaymentWorker: straight on after a full batch, else sleep the poll interval.
        while (!stop.IsCancellationRequested)
        {
            var result = await runner.RunOnceAsync(CancellationToken.None);
            if (Interlocked.Add(ref completed, result.Completed) >= schedules)
            {
                await stop.CancelAsync();
            }

            if (result.Claimed < runnerOptions.BatchSize)
            {
                try
                {
                    await Task.Delay(runnerOptions.PollInterval, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    })).ToList();
    await Task.WhenAll(loops).WaitAsync(TimeSpan.FromMinutes(2));
    var finished = TimeProvider.System.GetUtcNow();

    var seconds = (finished - due).TotalSeconds;
    var lateness = executor.Calls.Select(c => (c.At - c.DueAt).TotalMilliseconds).Order().ToArray();
    var early = lateness.Count(l => l < 0);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{runnerCount} runner(s): {executor.Effects:N0} executed ({executor.CallCount:N0} calls, {early} early) in {seconds:N2} s after due = {schedules / seconds:N0}/s; " +
        $"lateness due→call p50 {Percentile(lateness, 0.50):N0} ms, p99 {Percentile(lateness, 0.99):N0} ms, max {lateness[^1]:N0} ms"));

    foreach (var node in nodes)
    {
        await node.DisposeAsync();
    }

    await DropDatabaseAsync(admin, connection);
}

static async Task DropDatabaseAsync(string admin, string connectionString)
{
    NpgsqlConnection.ClearAllPools();
    await using var connection = new NpgsqlConnection(admin);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand($"DROP DATABASE {new NpgsqlConnectionStringBuilder(connectionString).Database} WITH (FORCE)", connection);
    await command.ExecuteNonQueryAsync();
}

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

static async Task<string> CreateDatabaseAsync(string admin)
{
    var name = $"obol_bench_sched_{Guid.NewGuid():N}";
    await using (var connection = new NpgsqlConnection(admin))
    {
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
    }

    return new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 40 }.ConnectionString;
}

// Rows as the API writes them (status scheduled, first occurrence), inserted set-based so seeding is not what is measured.
static async Task<DateTimeOffset> SeedAsync(string connectionString, int count, TimeSpan dueIn)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(
        """
        INSERT INTO scheduled_payments (id, merchant_id, status, amount, currency, payment_method, capture_method, execute_at,
            occurrence, occurrence_due_at, next_attempt_at, attempts, total_attempts, created_at, updated_at)
        SELECT 'sp_bench' || lpad(i::text, 19, '0'), 'mer_bench', 'scheduled', 1000, 'USD', 'pm_card_visa', 'automatic', $1,
               1, $1, $1, 0, 0, now(), now()
        FROM generate_series(1, $2) AS i
        """, connection);
    var due = TimeProvider.System.GetUtcNow() + dueIn;
    due = new DateTimeOffset(due.UtcTicks - (due.UtcTicks % 10), TimeSpan.Zero);
    command.Parameters.AddWithValue(due);
    command.Parameters.AddWithValue(count);
    await command.ExecuteNonQueryAsync();
    await using (var analyze = new NpgsqlCommand("ANALYZE scheduled_payments", connection))
    {
        await analyze.ExecuteNonQueryAsync();
    }

    var wait = due - TimeProvider.System.GetUtcNow();
    if (wait < TimeSpan.FromMilliseconds(500))
    {
        throw new InvalidOperationException("Seeding took longer than the lead time; raise dueIn.");
    }

    return due;
}

internal sealed class ZeroLatencyExecutor : IScheduledPaymentExecutor
{
    private readonly ConcurrentDictionary<string, string> _payments = new(StringComparer.Ordinal);
    private int _effects;
    private int _calls;

    public ConcurrentBag<(DateTimeOffset At, DateTimeOffset DueAt)> Calls { get; } = [];
    public int Effects => Volatile.Read(ref _effects);
    public int CallCount => Volatile.Read(ref _calls);

    public Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
    {
        Calls.Add((TimeProvider.System.GetUtcNow(), execution.DueAt));
        Interlocked.Increment(ref _calls);
        if (_payments.TryAdd(execution.IdempotencyKey, execution.IdempotencyKey))
        {
            Interlocked.Increment(ref _effects);
        }

        return Task.FromResult<PaymentExecutionResult>(new PaymentExecutionResult.Succeeded("pay_" + execution.IdempotencyKey, "captured"));
    }
}

/// <summary>Drops the runner's events: the bench measures the runner, not the webhooks module's outbox.</summary>
internal sealed class NoEventOutbox : Obol.Core.Events.IEventOutbox
{
    public Task<string> AppendAsync(DbSession session, Obol.Core.Events.MerchantEvent merchantEvent) => Task.FromResult("evt_bench");
}
