using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Obol.Core;
using Obol.Core.Events;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;
using Obol.Scheduling.Schedules;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>
/// Two nodes (two <see cref="Database"/> instances, two runners) on one PostgreSQL, with the database clock and
/// real time: every schedule is executed exactly once, none early, even when a node dies holding a batch.
/// </summary>
public class TwoNodeTests
{
    private static async Task<(DatabaseOptions Options, List<string> Ids, DateTimeOffset Due)> SeedAsync(int count, TimeSpan dueIn, IEventOutbox events)
    {
        var options = await TestDatabases.CreateAsync(DatabaseProvider.Postgres);
        await using var database = Database.Create(options);
        var migrations = new MigrationRunner(database,
            [new MigrationSource("core", typeof(CoreServiceCollectionExtensions).Assembly), new MigrationSource("scheduling", typeof(SchedulingServiceCollectionExtensions).Assembly)],
            TimeProvider.System, NullLogger<MigrationRunner>.Instance);
        await migrations.ApplyAsync(CancellationToken.None);

        var ids = new IdGenerator(TimeProvider.System);
        var now = TimeProvider.System.GetUtcNow();
        var due = ScheduleClock.CeilingToMicrosecond(now + dueIn);
        var request = new CreateScheduledPaymentRequest(1000, "USD", "pm_card_visa", null, null, null,
            due.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture), null, null, null);
        var rows = Enumerable.Range(0, count).Select(_ => CreateScheduledPayment.Decide(request, ids.New("sp"), "mer_test", now)).ToList();
        await database.WriteAsync(async session =>
        {
            foreach (var row in rows)
            {
                await ScheduledPayments.InsertAsync(session, events, row);
            }
        }, CancellationToken.None);
        return (options, rows.Select(r => r.Id).ToList(), due);
    }

    private static SchedulingOptions Options(TimeSpan lease) => new()
    {
        UseDatabaseClock = true,
        BatchSize = 100,
        MaxConcurrency = 8,
        LeaseDuration = lease,
        ExecutionTimeout = TimeSpan.FromSeconds(1),
    };

    private static async Task<int> RunUntilAsync(ScheduledPaymentRunner runner, Func<bool> done, CancellationToken cancellationToken)
    {
        var claimed = 0;
        var deadline = Stopwatch.StartNew();
        while (!done() && deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            var result = await runner.RunOnceAsync(cancellationToken);
            claimed += result.Claimed;
            if (result.Claimed == 0)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        return claimed;
    }

    private static async Task<long> CountAsync(Database database, string sql) =>
        await database.ReadAsync(s => s.ExecuteScalarAsync<long>(sql), CancellationToken.None);

    [Fact]
    public async Task Two_runners_execute_two_thousand_schedules_due_at_one_instant_exactly_once_and_none_early()
    {
        var events = new CommittedEvents();
        var (options, ids, due) = await SeedAsync(2000, TimeSpan.FromSeconds(4), events);
        var executor = new RecordingExecutor(TimeProvider.System);
        await using var databaseA = Database.Create(options);
        await using var databaseB = Database.Create(options);
        var runnerA = new ScheduledPaymentRunner(databaseA, executor, events, Options(TimeSpan.FromMinutes(1)), TimeProvider.System, NullLogger<ScheduledPaymentRunner>.Instance);
        var runnerB = new ScheduledPaymentRunner(databaseB, executor, events, Options(TimeSpan.FromMinutes(1)), TimeProvider.System, NullLogger<ScheduledPaymentRunner>.Instance);

        var claimed = await Task.WhenAll(
            RunUntilAsync(runnerA, () => executor.Effects >= 2000, CancellationToken.None),
            RunUntilAsync(runnerB, () => executor.Effects >= 2000, CancellationToken.None));
        // The loop stops at the last effect; let the last batches write their outcomes.
        await Task.WhenAll(
            RunUntilAsync(runnerA, () => true, CancellationToken.None),
            RunUntilAsync(runnerB, () => true, CancellationToken.None));
        for (var i = 0; i < 100 && await CountAsync(databaseA, "SELECT count(*) FROM scheduled_payments WHERE status <> 'succeeded'") > 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(2000, executor.Effects);
        Assert.Equal(2000, executor.CallCount);
        Assert.All(executor.CallsPerKey.Values, n => Assert.Equal(1, n));
        Assert.Equal(ids.Select(id => ExecutionKey.For(id, 1)).Order(StringComparer.Ordinal), executor.CallsPerKey.Keys.Order(StringComparer.Ordinal));
        Assert.All(executor.Calls, c => Assert.True(c.At >= c.DueAt, $"{c.Key} executed at {c.At:O}, due {c.DueAt:O}"));
        Assert.All(executor.Calls, c => Assert.Equal(due, c.DueAt));
        Assert.True(claimed[0] > 0 && claimed[1] > 0, $"both nodes took work: {claimed[0]} and {claimed[1]}");
        Assert.Equal(2000, claimed[0] + claimed[1]);
        Assert.Equal(0, await CountAsync(databaseA, "SELECT count(*) FROM scheduled_payments WHERE status <> 'succeeded'"));
        Assert.Equal(2000, await CountAsync(databaseA, "SELECT count(*) FROM scheduled_payment_executions"));
        Assert.Equal(3 * 2000, await CountAsync(databaseA, "SELECT count(*) FROM scheduled_payment_history"));
        AssertOneEventEach(events, ids, "scheduled_payment.created");
        AssertOneEventEach(events, ids, "scheduled_payment.succeeded");
        Assert.Equal(2 * 2000, events.Events.Count);
    }

    [Fact]
    public async Task A_runner_killed_mid_batch_leaves_its_rows_to_the_other_node_which_completes_them_once_after_the_lease()
    {
        var events = new CommittedEvents();
        var (options, ids, due) = await SeedAsync(1000, TimeSpan.FromSeconds(3), events);
        var executor = new RecordingExecutor(TimeProvider.System);
        var lease = TimeSpan.FromSeconds(3);
        await using var databaseA = Database.Create(options);
        await using var databaseB = Database.Create(options);
        using var death = new CancellationTokenSource();
        var dying = new KilledAfter(executor, 50, death);
        var runnerA = new ScheduledPaymentRunner(databaseA, dying, events, Options(lease), TimeProvider.System, NullLogger<ScheduledPaymentRunner>.Instance);
        var runnerB = new ScheduledPaymentRunner(databaseB, executor, events, Options(lease), TimeProvider.System, NullLogger<ScheduledPaymentRunner>.Instance);

        // Node A starts first and dies during its first batch; node B works through everything else, and A's batch once its lease expires.
        var untilDue = due - TimeProvider.System.GetUtcNow() + TimeSpan.FromMilliseconds(50);
        if (untilDue > TimeSpan.Zero)
        {
            await Task.Delay(untilDue);
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunUntilAsync(runnerA, () => false, death.Token));
        var executedByA = dying.Calls;
        var stopwatch = Stopwatch.StartNew();
        await RunUntilAsync(runnerB, () => executor.Effects >= 1000 && executor.CallCount >= 1000 + executedByA, CancellationToken.None);
        await RunUntilAsync(runnerB, () => true, CancellationToken.None);

        Assert.Equal(1000, executor.Effects);
        Assert.Equal(1000 + executedByA, executor.CallCount);
        Assert.Equal(executedByA, executor.CallsPerKey.Values.Count(n => n == 2));
        Assert.DoesNotContain(executor.CallsPerKey.Values, n => n > 2);
        Assert.True(stopwatch.Elapsed >= lease - TimeSpan.FromSeconds(1), "A's rows waited for the lease");
        Assert.All(executor.Calls, c => Assert.True(c.At >= c.DueAt));
        Assert.Equal(0, await CountAsync(databaseB, "SELECT count(*) FROM scheduled_payments WHERE status <> 'succeeded'"));
        Assert.Equal(1000, await CountAsync(databaseB, "SELECT count(*) FROM scheduled_payment_executions"));
        Assert.Equal(100, await CountAsync(databaseB, "SELECT count(*) FROM scheduled_payment_history WHERE reason = 'lease_expired_reclaimed'"));
        var paymentIds = await databaseB.ReadAsync(s => s.QueryAsync<ExecutionRow>(
            "SELECT schedule_id AS ScheduleId, occurrence AS Occurrence, idempotency_key AS IdempotencyKey, payment_id AS PaymentId, outcome AS Outcome, executed_at AS ExecutedAt FROM scheduled_payment_executions"),
            CancellationToken.None);
        Assert.All(paymentIds, e => Assert.Equal(executor.Payments[e.IdempotencyKey], e.PaymentId));
        Assert.Equal(ids.Count, paymentIds.Select(p => p.PaymentId).Distinct(StringComparer.Ordinal).Count());

        // The dead node's batch reported nothing; the other node reported each schedule's success once.
        AssertOneEventEach(events, ids, "scheduled_payment.succeeded");
        Assert.Equal(2 * 1000, events.Events.Count);
    }

    /// <summary>Every schedule got exactly one committed event of this type, with itself as the object.</summary>
    private static void AssertOneEventEach(CommittedEvents events, List<string> ids, string type)
    {
        var ofType = events.Events.Where(e => e.Type == type).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ofType.Select(e => e.ObjectId).Order(StringComparer.Ordinal));
        Assert.All(ofType, e => Assert.Equal((e.ObjectId, "mer_test"), (((Api.ScheduledPaymentResponse)e.DataObject).Id, e.MerchantId)));
    }

    /// <summary>Charges through the payments double, then the node is killed (its token cancelled) after some calls.</summary>
    private sealed class KilledAfter(IScheduledPaymentExecutor inner, int calls, CancellationTokenSource kill) : IScheduledPaymentExecutor
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public async Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _calls);
            var result = await inner.ExecuteAsync(execution, cancellationToken);
            if (Calls >= calls)
            {
                await kill.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return result;
        }
    }
}
