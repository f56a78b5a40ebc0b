using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>The runner driven batch by batch with a fake clock, on both databases.</summary>
public class RunnerTests
{
    private static readonly DateTimeOffset Start = SchedulingServer.Start;

    private static string At(DateTimeOffset instant) =>
        $$"""{ "amount": 1500, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "{{instant.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}" }""";

    private static async Task<JsonElement> GetAsync(HttpClient client, string id) =>
        await (await client.GetAsync($"/v1/scheduled-payments/{id}")).ReadJsonAsync();

    private static async Task<List<string>> ReasonsAsync(HttpClient client, string id) =>
        (await (await client.GetAsync($"/v1/scheduled-payments/{id}/history")).ReadJsonAsync())
            .GetProperty("data").EnumerateArray().Select(h => h.GetProperty("reason").GetString()!).ToList();

    [Theory]
    [BothDatabases]
    public async Task A_schedule_is_not_executed_one_tick_before_it_is_due_and_is_executed_once_when_due(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var due = Start.AddHours(1);
        var id = (await ApiTests.CreateAsync(client, At(due))).GetProperty("id").GetString()!;

        s.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(1));
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
        Assert.Equal(0, s.Executor.CallCount);

        s.Clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(new RunResult(1, 1, 0), await s.Runner.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);

        var call = Assert.Single(s.Executor.Calls);
        Assert.Equal($"{id}:occ:1", call.Key);
        Assert.Equal(due, call.DueAt);
        Assert.True(call.At >= due);

        var schedule = await GetAsync(client, id);
        Assert.Equal("succeeded", schedule.GetProperty("status").GetString());
        Assert.Equal(1, schedule.GetProperty("attempts").GetInt32());
        var payment = Assert.Single(schedule.GetProperty("payments").EnumerateArray());
        Assert.Equal(s.Executor.Payments[call.Key], payment.GetProperty("paymentId").GetString());
        Assert.Equal(["created", "claimed", "succeeded"], await ReasonsAsync(client, id));
    }

    [Theory]
    [BothDatabases]
    public async Task Retryable_failures_back_off_then_dead_letter_and_a_manual_retry_completes_with_the_same_key(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Executor.Script = _ => new PaymentExecutionResult.Retryable("psp_unavailable");
        s.Clock.Advance(TimeSpan.FromMinutes(1));

        // MaxAttempts 3, base 10 s: waits in [0, 10 s] then [0, 20 s], then the third failure dead-letters.
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
            var schedule = await GetAsync(client, id);
            Assert.Equal("scheduled", schedule.GetProperty("status").GetString());
            Assert.Equal(attempt, schedule.GetProperty("attempts").GetInt32());
            Assert.Equal("psp_unavailable", schedule.GetProperty("lastErrorCode").GetString());
            var next = schedule.GetProperty("nextAttemptAt").GetDateTimeOffset();
            var ceiling = TimeSpan.FromSeconds(10 * (1 << (attempt - 1)));
            Assert.InRange(next, s.Clock.GetUtcNow().AddTicks(-10), s.Clock.GetUtcNow() + ceiling);
            if (next > s.Clock.GetUtcNow())
            {
                Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
            }

            s.Clock.Advance(ceiling);
        }

        Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
        Assert.Equal("dead_lettered", (await GetAsync(client, id)).GetProperty("status").GetString());
        s.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);

        var deadLetters = await (await client.GetAsync("/v1/scheduled-payments?status=dead_lettered")).ReadJsonAsync();
        Assert.Equal(id, Assert.Single(deadLetters.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());

        await (await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null)).ReadProblemAsync(409, "invalid_state_transition");
        var retried = await (await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadJsonAsync();
        Assert.Equal("scheduled", retried.GetProperty("status").GetString());
        Assert.Equal(0, retried.GetProperty("attempts").GetInt32());

        s.Executor.Script = null;
        Assert.Equal(new RunResult(1, 1, 0), await s.Runner.RunOnceAsync(CancellationToken.None));
        var done = await GetAsync(client, id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(4, done.GetProperty("totalAttempts").GetInt32());
        Assert.Equal(1, s.Executor.Effects);
        Assert.Equal(4, s.Executor.CallsPerKey[$"{id}:occ:1"]);
        Assert.Equal(
            ["created", "claimed", "retry_scheduled", "claimed", "retry_scheduled", "claimed", "attempts_exhausted", "retried_by_merchant", "claimed", "succeeded"],
            await ReasonsAsync(client, id));
    }

    [Theory]
    [BothDatabases]
    public async Task A_decline_is_final_with_its_code(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Executor.Script = e => new PaymentExecutionResult.Declined("pay_declined1", "card_declined");
        s.Clock.Advance(TimeSpan.FromMinutes(1));

        await s.Runner.RunOnceAsync(CancellationToken.None);
        s.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);

        var schedule = await GetAsync(client, id);
        Assert.Equal("failed", schedule.GetProperty("status").GetString());
        Assert.Equal("card_declined", schedule.GetProperty("lastErrorCode").GetString());
        var result = Assert.Single(schedule.GetProperty("payments").EnumerateArray());
        Assert.Equal("declined", result.GetProperty("outcome").GetString());
        Assert.Equal("card_declined", result.GetProperty("declineCode").GetString());
        Assert.Equal(1, s.Executor.CallCount);
        await (await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadProblemAsync(409, "invalid_state_transition");
    }

    [Theory]
    [BothDatabases]
    public async Task A_daily_recurrence_runs_each_occurrence_at_nine_local_across_dst_with_its_own_key(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var created = await ApiTests.CreateAsync(client, """
            { "amount": 900, "currency": "USD", "paymentMethod": "pm_card_visa", "localDateTime": "2027-03-13T09:00", "timeZone": "America/New_York",
              "recurrence": { "frequency": "daily", "count": 3 } }
            """);
        var id = created.GetProperty("id").GetString()!;
        DateTimeOffset[] expected =
        [
            new(2027, 3, 13, 14, 0, 0, TimeSpan.Zero), // 09:00 EST
            new(2027, 3, 14, 13, 0, 0, TimeSpan.Zero), // 09:00 EDT, the day DST starts
            new(2027, 3, 15, 13, 0, 0, TimeSpan.Zero),
        ];

        foreach (var due in expected)
        {
            s.Clock.SetUtcNow(due.AddTicks(-10));
            Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
            s.Clock.SetUtcNow(due);
            Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
        }

        var schedule = await GetAsync(client, id);
        Assert.Equal("succeeded", schedule.GetProperty("status").GetString());
        Assert.Equal(3, schedule.GetProperty("payments").GetArrayLength());
        Assert.Equal(expected, s.Executor.Calls.Select(c => c.DueAt).ToArray());
        Assert.Equal([$"{id}:occ:1", $"{id}:occ:2", $"{id}:occ:3"], s.Executor.Calls.Select(c => c.Key).ToArray());
        Assert.Equal(3, s.Executor.Effects);
    }

    [Theory]
    [BothDatabases]
    public async Task Cancel_racing_a_claim_has_exactly_one_winner(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add((await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!);
        }

        s.Clock.Advance(TimeSpan.FromMinutes(1));
        var cancels = ids.Select(async id => (id, (await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null)).StatusCode)).ToList();
        var claim = s.Runner.ClaimAsync(CancellationToken.None);
        var batch = await claim;
        var outcomes = await Task.WhenAll(cancels);

        var claimed = batch.Rows.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, status) in outcomes)
        {
            var row = await GetAsync(client, id);
            if (claimed.Contains(id))
            {
                Assert.Equal(HttpStatusCode.Conflict, status);
                Assert.Equal("processing", row.GetProperty("status").GetString());
                Assert.Equal(["created", "claimed"], await ReasonsAsync(client, id));
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("cancelled", row.GetProperty("status").GetString());
                Assert.Equal(["created", "cancelled_by_merchant"], await ReasonsAsync(client, id));
            }
        }
    }

    [Theory]
    [BothDatabases]
    public async Task A_node_that_dies_mid_batch_leaves_work_that_another_node_finishes_after_the_lease_without_charging_twice(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider, o => o.MaxConcurrency = 1);
        using var client = s.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add((await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!);
        }

        s.Clock.Advance(TimeSpan.FromMinutes(1));
        using var death = new CancellationTokenSource();
        var dying = new DyingExecutor(s.Executor, dieAfter: 8, death);
        var nodeA = s.NewNode(out var databaseA, dying);
        await using (databaseA)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => nodeA.RunOnceAsync(death.Token));
        }

        Assert.Equal(8, s.Executor.Effects);

        // The lease (1 minute) still holds: nobody takes the rows.
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new RunResult(20, 20, 0), await s.Runner.RunOnceAsync(CancellationToken.None));

        Assert.Equal(20, s.Executor.Effects);
        Assert.Equal(20, s.Executor.Payments.Count);
        Assert.Equal(8, s.Executor.CallsPerKey.Values.Count(n => n == 2));
        foreach (var id in ids)
        {
            var schedule = await GetAsync(client, id);
            Assert.Equal("succeeded", schedule.GetProperty("status").GetString());
            var payment = Assert.Single(schedule.GetProperty("payments").EnumerateArray());
            Assert.Equal(s.Executor.Payments[$"{id}:occ:1"], payment.GetProperty("paymentId").GetString());
            Assert.Equal(["created", "claimed", "lease_expired_reclaimed", "succeeded"], await ReasonsAsync(client, id));
        }
    }

    [Theory]
    [BothDatabases]
    public async Task A_slow_node_whose_lease_expired_cannot_overwrite_the_outcome(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Clock.Advance(TimeSpan.FromMinutes(1));

        var slow = s.NewNode(out var databaseA);
        await using (databaseA)
        {
            var stale = await slow.ClaimAsync(CancellationToken.None);
            Assert.Single(stale.Rows);
            s.Clock.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(new RunResult(1, 1, 0), await s.Runner.RunOnceAsync(CancellationToken.None));

            var kept = await slow.CompleteAsync(stale, [new PaymentExecutionResult.Retryable("psp_unavailable")], CancellationToken.None);
            Assert.Equal(0, kept);
        }

        var schedule = await GetAsync(client, id);
        Assert.Equal("succeeded", schedule.GetProperty("status").GetString());
        Assert.Equal(["created", "claimed", "lease_expired_reclaimed", "succeeded"], await ReasonsAsync(client, id));
    }

    [Theory]
    [BothDatabases]
    public async Task An_executor_that_throws_or_hangs_counts_as_a_retryable_attempt(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider, o => o.ExecutionTimeout = TimeSpan.FromMilliseconds(200));
        using var client = s.CreateClient();
        var thrower = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        var hanger = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s.Executor.BeforeCall = (e, token) =>
        {
            if (e.ScheduleId == thrower)
            {
                throw new InvalidOperationException("payments core exploded");
            }

            hanging.TrySetResult();
            return Task.Delay(Timeout.Infinite, token);
        };
        s.Clock.Advance(TimeSpan.FromMinutes(1));

        var run = s.Runner.RunOnceAsync(CancellationToken.None);
        await hanging.Task;
        s.Clock.Advance(TimeSpan.FromMilliseconds(200));
        var result = await run;
        Assert.Equal(2, result.Completed);
        Assert.Equal("executor_error", (await GetAsync(client, thrower)).GetProperty("lastErrorCode").GetString());
        Assert.Equal("execution_timeout", (await GetAsync(client, hanger)).GetProperty("lastErrorCode").GetString());
        Assert.Equal("scheduled", (await GetAsync(client, hanger)).GetProperty("status").GetString());
    }

    [Theory]
    [BothDatabases]
    public async Task A_row_that_kills_every_node_holding_it_is_dead_lettered_after_its_last_attempt(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Clock.Advance(TimeSpan.FromMinutes(1));

        // MaxAttempts 3: three nodes claim it and die (the lease is never completed).
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Single((await s.Runner.ClaimAsync(CancellationToken.None)).Rows);
            s.Clock.Advance(s.Options.LeaseDuration);
        }

        Assert.Empty((await s.Runner.ClaimAsync(CancellationToken.None)).Rows);
        var dead = await GetAsync(client, id);
        Assert.Equal("dead_lettered", dead.GetProperty("status").GetString());
        Assert.Equal("lease_expired", dead.GetProperty("lastErrorCode").GetString());

        await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null);
        Assert.Equal(new RunResult(1, 1, 0), await s.Runner.RunOnceAsync(CancellationToken.None));
        Assert.Equal("succeeded", (await GetAsync(client, id)).GetProperty("status").GetString());
        Assert.Equal(
            ["created", "claimed", "lease_expired_reclaimed", "lease_expired_reclaimed", "lease_expired_attempts_exhausted", "retried_by_merchant", "claimed", "succeeded"],
            await ReasonsAsync(client, id));
    }

    [Theory]
    [BothDatabases]
    public async Task Rows_a_slow_batch_cannot_start_inside_its_lease_are_released_not_counted_and_run_next_round(DatabaseProvider provider)
    {
        // Lease 1 min, call timeout 30 s: calls may start during the first 24 s of the lease.
        await using var s = await SchedulingServer.StartAsync(provider, o => o.MaxConcurrency = 1);
        using var client = s.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            s.Clock.Advance(TimeSpan.FromMilliseconds(1));
            ids.Add((await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!);
        }

        s.Clock.Advance(TimeSpan.FromMinutes(1));
        s.Executor.BeforeCall = (_, _) =>
        {
            s.Clock.Advance(TimeSpan.FromSeconds(25)); // the first call is slow
            s.Executor.BeforeCall = null;
            return Task.CompletedTask;
        };

        Assert.Equal(new RunResult(3, 3, 0), await s.Runner.RunOnceAsync(CancellationToken.None));
        Assert.Equal(1, s.Executor.CallCount);
        var statuses = new List<string>();
        foreach (var id in ids)
        {
            var schedule = await GetAsync(client, id);
            statuses.Add(schedule.GetProperty("status").GetString()!);
            if (schedule.GetProperty("status").GetString() == "scheduled")
            {
                Assert.Equal(0, schedule.GetProperty("attempts").GetInt32());
                Assert.Equal(0, schedule.GetProperty("totalAttempts").GetInt32());
                Assert.Equal(s.Clock.GetUtcNow(), schedule.GetProperty("nextAttemptAt").GetDateTimeOffset());
                Assert.Equal(["created", "claimed", "released_unstarted"], await ReasonsAsync(client, id));
            }
        }

        Assert.Equal(["scheduled", "scheduled", "succeeded"], statuses.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(new RunResult(2, 2, 0), await s.Runner.RunOnceAsync(CancellationToken.None));
        Assert.Equal(3, s.Executor.Effects);
        Assert.Equal(3, s.Executor.CallCount);
    }

    [Fact]
    public void A_lease_that_a_call_could_outlive_is_refused_at_start()
    {
        var options = new SchedulingOptions { LeaseDuration = TimeSpan.FromSeconds(30), ExecutionTimeout = TimeSpan.FromSeconds(30) };
        Assert.Throws<InvalidOperationException>(() => options.Validate());
        var defaults = new SchedulingOptions();
        Assert.Same(defaults, defaults.Validate());
    }

    /// <summary>Charges through the real double, then the node dies (its token is cancelled) after a number of calls.</summary>
    private sealed class DyingExecutor(IScheduledPaymentExecutor inner, int dieAfter, CancellationTokenSource death) : IScheduledPaymentExecutor
    {
        private int _calls;

        public async Task<PaymentExecutionResult> ExecuteAsync(ScheduledPaymentExecution execution, CancellationToken cancellationToken)
        {
            var result = await inner.ExecuteAsync(execution, cancellationToken);
            if (Interlocked.Increment(ref _calls) >= dieAfter)
            {
                await death.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return result;
        }
    }
}
