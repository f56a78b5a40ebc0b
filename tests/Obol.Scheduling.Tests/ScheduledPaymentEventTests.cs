using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>
/// Every change of a scheduled payment a merchant cares about writes one <c>scheduled_payment.*</c> event with the
/// scheduled payment as the API returned it then; the runner's claims write none.
/// </summary>
public class ScheduledPaymentEventTests
{
    private static readonly DateTimeOffset Start = SchedulingServer.Start;

    private static string At(DateTimeOffset instant) =>
        $$"""{ "amount": 1500, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "{{instant.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}" }""";

    private static async Task<JsonElement> GetAsync(HttpClient client, string id) =>
        await (await client.GetAsync($"/v1/scheduled-payments/{id}")).ReadJsonAsync();

    [Theory]
    [BothDatabases]
    public async Task Creating_reports_created_once_with_the_schedule_as_created_and_a_replay_reports_nothing(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var created = await ApiTests.CreateAsync(client, At(Start.AddHours(1)), "create-1");
        var id = created.GetProperty("id").GetString()!;
        await ApiTests.CreateAsync(client, At(Start.AddHours(1)), "create-1");

        EventsApi.AssertSameJson(created, await client.SingleEventObjectAsync(id, "scheduled_payment.created"));
        Assert.Equal(["scheduled_payment.created"], await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task An_executed_one_off_schedule_reports_succeeded_once_with_its_payment(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Completed);
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);

        var succeeded = await client.SingleEventObjectAsync(id, "scheduled_payment.succeeded");
        EventsApi.AssertSameJson(await GetAsync(client, id), succeeded);
        Assert.Equal("succeeded", succeeded.GetProperty("status").GetString());
        Assert.Equal(s.Executor.Payments[$"{id}:occ:1"], Assert.Single(succeeded.GetProperty("payments").EnumerateArray()).GetProperty("paymentId").GetString());
        Assert.Equal(["scheduled_payment.created", "scheduled_payment.succeeded"], await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task Each_occurrence_of_a_recurring_schedule_reports_succeeded_once(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, $$"""
            { "amount": 900, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "{{Start.AddMinutes(1).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}",
              "recurrence": { "frequency": "daily", "count": 2 } }
            """)).GetProperty("id").GetString()!;
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Completed);
        s.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Completed);

        var succeeded = await client.EventsOfAsync(id, "scheduled_payment.succeeded");
        Assert.Equal(2, succeeded.Count);
        var first = succeeded[0].GetProperty("data").GetProperty("object");
        Assert.Equal(("scheduled", 2, 1), (first.GetProperty("status").GetString(), first.GetProperty("occurrence").GetInt32(), first.GetProperty("payments").GetArrayLength()));
        var last = succeeded[1].GetProperty("data").GetProperty("object");
        Assert.Equal(("succeeded", 2, 2), (last.GetProperty("status").GetString(), last.GetProperty("occurrence").GetInt32(), last.GetProperty("payments").GetArrayLength()));
        Assert.Equal(["scheduled_payment.created", "scheduled_payment.succeeded", "scheduled_payment.succeeded"], await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task Retryable_failures_report_retrying_then_dead_lettered_and_a_retry_by_hand_reports_requeued(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Executor.Script = _ => new PaymentExecutionResult.Retryable("psp_unavailable");
        s.Clock.Advance(TimeSpan.FromMinutes(1));

        // MaxAttempts 3: two retries, then the third failure dead-letters.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Completed);
            s.Clock.Advance(TimeSpan.FromMinutes(5));
        }

        var retrying = await client.EventsOfAsync(id, "scheduled_payment.retrying");
        Assert.Equal(new[] { 1, 2 }, retrying.Select(e => e.GetProperty("data").GetProperty("object").GetProperty("attempts").GetInt32()));
        Assert.All(retrying, e => Assert.Equal("psp_unavailable", e.GetProperty("data").GetProperty("object").GetProperty("lastErrorCode").GetString()));
        var dead = await client.SingleEventObjectAsync(id, "scheduled_payment.dead_lettered");
        EventsApi.AssertSameJson(await GetAsync(client, id), dead);
        Assert.Equal("dead_lettered", dead.GetProperty("status").GetString());

        await (await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null)).ReadProblemAsync(409, "invalid_state_transition");
        var retried = await (await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadJsonAsync();
        EventsApi.AssertSameJson(retried, await client.SingleEventObjectAsync(id, "scheduled_payment.requeued"));

        s.Executor.Script = null;
        Assert.Equal(1, (await s.Runner.RunOnceAsync(CancellationToken.None)).Completed);
        Assert.Equal(
            ["scheduled_payment.created", "scheduled_payment.retrying", "scheduled_payment.retrying", "scheduled_payment.dead_lettered",
                "scheduled_payment.requeued", "scheduled_payment.succeeded"],
            await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task A_decline_reports_failed_once_with_the_decline_code(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Executor.Script = _ => new PaymentExecutionResult.Declined("pay_declined1", "card_declined");
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        await s.Runner.RunOnceAsync(CancellationToken.None);
        await (await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadProblemAsync(409, "invalid_state_transition");

        var failed = await client.SingleEventObjectAsync(id, "scheduled_payment.failed");
        Assert.Equal(("failed", "card_declined"), (failed.GetProperty("status").GetString(), failed.GetProperty("lastErrorCode").GetString()));
        Assert.Equal("pay_declined1", Assert.Single(failed.GetProperty("payments").EnumerateArray()).GetProperty("paymentId").GetString());
        Assert.Equal(["scheduled_payment.created", "scheduled_payment.failed"], await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task Cancelling_reports_cancelled_once_and_a_refused_cancel_reports_nothing(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddHours(1)))).GetProperty("id").GetString()!;

        var response = await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cancelled = await response.ReadJsonAsync();
        await (await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null)).ReadProblemAsync(409, "invalid_state_transition");

        EventsApi.AssertSameJson(cancelled, await client.SingleEventObjectAsync(id, "scheduled_payment.cancelled"));
        Assert.Equal(["scheduled_payment.created", "scheduled_payment.cancelled"], await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task A_row_abandoned_by_every_node_holding_it_reports_dead_lettered_once_and_its_claims_report_nothing(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Single((await s.Runner.ClaimAsync(CancellationToken.None)).Rows);
            s.Clock.Advance(s.Options.LeaseDuration);
        }

        Assert.Empty((await s.Runner.ClaimAsync(CancellationToken.None)).Rows);

        var dead = await client.SingleEventObjectAsync(id, "scheduled_payment.dead_lettered");
        EventsApi.AssertSameJson(await GetAsync(client, id), dead);
        Assert.Equal("lease_expired", dead.GetProperty("lastErrorCode").GetString());
        Assert.Equal(["scheduled_payment.created", "scheduled_payment.dead_lettered"], await client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task A_claim_handed_back_unstarted_reports_nothing(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await ApiTests.CreateAsync(client, At(Start.AddMinutes(1)))).GetProperty("id").GetString()!;
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        var batch = await s.Runner.ClaimAsync(CancellationToken.None);

        Assert.Equal(1, await s.Runner.CompleteAsync(batch, [null], CancellationToken.None));
        Assert.Equal("scheduled", (await GetAsync(client, id)).GetProperty("status").GetString());
        Assert.Equal(["scheduled_payment.created"], await client.EventTypesOfAsync(id));
    }
}
