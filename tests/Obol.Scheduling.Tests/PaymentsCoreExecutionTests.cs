using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Storage;
using Obol.Scheduling.Runner;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>Schedules executed for real: the payments core, the in-process PSP simulator, the ledger.</summary>
public class PaymentsCoreExecutionTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_due_schedule_charges_once_through_the_payments_core_and_a_decline_fails_it(DatabaseProvider provider)
    {
        var clock = new FakeTimeProvider(SchedulingServer.Start);
        await using var server = await ObolTestServer.StartAsync(provider, b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Obol:Payments:PspTimeout"] = "00:00:01",
                ["Obol:Payments:Resolver:Enabled"] = "false",
            });
            b.Services.AddSingleton<TimeProvider>(clock);
            b.Services.AddSingleton(new SchedulingOptions { RunnerEnabled = false, UseDatabaseClock = false });
        });
        using var client = server.CreateClient();
        var at = SchedulingServer.Start.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var paid = await ApiTests.CreateAsync(client, $$"""{"amount":2500,"currency":"USD","paymentMethod":"pm_card_visa","executeAt":"{{at}}"}""");
        var declined = await ApiTests.CreateAsync(client, $$"""{"amount":900,"currency":"USD","paymentMethod":"pm_card_declined","executeAt":"{{at}}"}""");
        var runner = server.GetRequiredService<ScheduledPaymentRunner>();

        Assert.Equal(0, (await runner.RunOnceAsync(CancellationToken.None)).Claimed);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, (await runner.RunOnceAsync(CancellationToken.None)).Completed);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, (await runner.RunOnceAsync(CancellationToken.None)).Claimed);

        var schedule = await client.GetFromJsonAsync<JsonElement>($"/v1/scheduled-payments/{paid.GetProperty("id").GetString()}");
        Assert.Equal("succeeded", schedule.GetProperty("status").GetString());
        var paymentId = Assert.Single(schedule.GetProperty("payments").EnumerateArray()).GetProperty("paymentId").GetString();
        var payment = await client.GetFromJsonAsync<JsonElement>($"/v1/payments/{paymentId}");
        Assert.Equal("captured", payment.GetProperty("status").GetString());
        var charges = await client.GetFromJsonAsync<List<JsonElement>>("/sim/charges");
        Assert.Single(charges!, c => c.GetProperty("reference").GetString() == paymentId);

        var failed = await client.GetFromJsonAsync<JsonElement>($"/v1/scheduled-payments/{declined.GetProperty("id").GetString()}");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("card_declined", failed.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(2, charges!.Count);
    }
}
