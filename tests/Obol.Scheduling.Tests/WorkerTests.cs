using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>The background loop as composed in the server, on real time.</summary>
public class WorkerTests
{
    [Theory]
    [BothDatabases]
    public async Task The_background_runner_executes_a_due_schedule_on_its_own(DatabaseProvider provider)
    {
        var executor = new RecordingExecutor(TimeProvider.System);
        await using var server = await ObolTestServer.StartAsync(provider, b =>
        {
            b.Services.AddSingleton(new SchedulingOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
            b.Services.AddSingleton<IScheduledPaymentExecutor>(executor);
        });
        using var client = server.CreateClient();
        var due = TimeProvider.System.GetUtcNow().AddSeconds(1);
        var id = (await ApiTests.CreateAsync(client,
            $$"""{ "amount": 100, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "{{due.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}}" }"""))
            .GetProperty("id").GetString();

        string? status = null;
        for (var i = 0; i < 100 && status != "succeeded"; i++)
        {
            await Task.Delay(100);
            status = (await (await client.GetAsync($"/v1/scheduled-payments/{id}")).ReadJsonAsync()).GetProperty("status").GetString();
        }

        Assert.Equal("succeeded", status);
        var call = Assert.Single(executor.Calls);
        Assert.True(call.At >= due);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Without_an_executor_the_runner_does_not_start_and_schedules_wait(DatabaseProvider provider)
    {
        // The composed server executes through the payments core; a host that leaves the executor out gets no runner.
        await using var server = await ObolTestServer.StartAsync(provider, b =>
        {
            b.Services.AddSingleton(new SchedulingOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
            b.Services.RemoveAll<IScheduledPaymentExecutor>();
        });
        using var client = server.CreateClient();
        var due = TimeProvider.System.GetUtcNow();
        var id = (await ApiTests.CreateAsync(client,
            $$"""{ "amount": 100, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "{{due.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}}" }"""))
            .GetProperty("id").GetString();

        await Task.Delay(500);
        Assert.Null(server.Services.GetService<IScheduledPaymentExecutor>());
        Assert.Equal("scheduled", (await (await client.GetAsync($"/v1/scheduled-payments/{id}")).ReadJsonAsync()).GetProperty("status").GetString());
    }
}
