using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>
/// The real server on a fresh database with a fake clock, a recording executor, and the background runner
/// off: tests drive the runner one batch at a time with <see cref="ScheduledPaymentRunner.RunOnceAsync"/>.
/// </summary>
internal sealed class SchedulingServer : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2027, 1, 4, 12, 0, 0, TimeSpan.Zero);

    private SchedulingServer(ObolTestServer server, FakeTimeProvider clock, RecordingExecutor executor, SchedulingOptions options)
    {
        Server = server;
        Clock = clock;
        Executor = executor;
        Options = options;
    }

    public ObolTestServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public RecordingExecutor Executor { get; }
    public SchedulingOptions Options { get; }
    public ScheduledPaymentRunner Runner => Server.GetRequiredService<ScheduledPaymentRunner>();
    public Database Database => Server.GetRequiredService<Database>();

    public static async Task<SchedulingServer> StartAsync(DatabaseProvider provider, Action<SchedulingOptions>? configure = null)
    {
        var clock = new FakeTimeProvider(Start);
        var executor = new RecordingExecutor(clock);
        var options = new SchedulingOptions
        {
            RunnerEnabled = false,
            UseDatabaseClock = false,
            BatchSize = 50,
            MaxAttempts = 3,
            RetryBaseDelay = TimeSpan.FromSeconds(10),
            RetryMaxDelay = TimeSpan.FromMinutes(5),
            LeaseDuration = TimeSpan.FromMinutes(1),
        };
        configure?.Invoke(options);
        var server = await ObolTestServer.StartAsync(provider, b =>
        {
            b.Services.AddSingleton<TimeProvider>(clock);
            b.Services.AddSingleton(options);
            b.Services.AddSingleton<IScheduledPaymentExecutor>(executor);
        });
        return new SchedulingServer(server, clock, executor, options);
    }

    /// <summary>Another node: its own connection pool on the same database, same executor (the payments core).</summary>
    public ScheduledPaymentRunner NewNode(out Database database, IScheduledPaymentExecutor? executor = null)
    {
        database = Database.Create(Server.Database);
        return new ScheduledPaymentRunner(
            database, executor ?? Executor, Server.GetRequiredService<IEventOutbox>(), Options, Clock, NullLogger<ScheduledPaymentRunner>.Instance);
    }

    public HttpClient CreateClient() => Server.CreateClient();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
