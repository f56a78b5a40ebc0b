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
    [BothDatabases]
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

    /// <summary>Amounts in the currency's minor units, whatever its exponent: yen have none, dinars three, at either PSP.</summary>
    [Theory]
    [BothDatabases("stripe")]
    [BothDatabases("adyen")]
    public async Task Schedules_in_yen_and_dinars_charge_their_amounts_in_minor_units_and_one_no_psp_can_take_is_refused(DatabaseProvider provider, string psp)
    {
        var clock = new FakeTimeProvider(SchedulingServer.Start);
        await using var server = await ObolTestServer.StartAsync(provider, b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Obol:Payments:Resolver:Enabled"] = "false",
                ["Obol:Payments:Routing:0:Psps:0"] = psp,
            });
            b.Services.AddSingleton<TimeProvider>(clock);
            b.Services.AddSingleton(new SchedulingOptions { RunnerEnabled = false, UseDatabaseClock = false });
        });
        using var client = server.CreateClient();
        var at = SchedulingServer.Start.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var yen = await ApiTests.CreateAsync(client, $$"""{"amount":2500,"currency":"JPY","paymentMethod":"pm_card_visa","executeAt":"{{at}}"}""");
        var dinars = await ApiTests.CreateAsync(client, $$"""{"amount":12340,"currency":"KWD","paymentMethod":"pm_card_visa","executeAt":"{{at}}"}""");
        Assert.Equal((2500, "JPY"), (yen.GetProperty("amount").GetInt64(), yen.GetProperty("currency").GetString()));

        // 12.345 KWD: Stripe takes dinars only in steps of 0.010; Adyen takes fils.
        var fils = await client.PostJsonAsync("/v1/scheduled-payments",
            $$"""{"amount":12345,"currency":"KWD","paymentMethod":"pm_card_visa","executeAt":"{{at}}"}""", Guid.NewGuid().ToString("N"));
        if (psp == "stripe")
        {
            await fils.ReadProblemAsync(400, "amount_not_supported");
        }
        else
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, fils.StatusCode);
        }

        clock.Advance(TimeSpan.FromHours(1));
        await server.GetRequiredService<ScheduledPaymentRunner>().RunOnceAsync(CancellationToken.None);

        var charges = (await client.GetFromJsonAsync<List<JsonElement>>("/sim/charges"))!;
        Assert.Equal(psp == "stripe" ? 2 : 3, charges.Count);
        foreach (var (schedule, amount, currency) in new[] { (yen, 2500L, "JPY"), (dinars, 12340L, "KWD") })
        {
            var executed = await client.GetFromJsonAsync<JsonElement>($"/v1/scheduled-payments/{schedule.GetProperty("id").GetString()}");
            Assert.Equal("succeeded", executed.GetProperty("status").GetString());
            var paymentId = Assert.Single(executed.GetProperty("payments").EnumerateArray()).GetProperty("paymentId").GetString();
            var payment = await client.GetFromJsonAsync<JsonElement>($"/v1/payments/{paymentId}");
            Assert.Equal((amount, currency, psp), (payment.GetProperty("amountCaptured").GetInt64(), payment.GetProperty("currency").GetString(), payment.GetProperty("psp").GetString()));
            var charge = Assert.Single(charges, c => c.GetProperty("reference").GetString() == paymentId);
            Assert.Equal((amount, currency), (charge.GetProperty("amountCaptured").GetInt64(), charge.GetProperty("currency").GetString()));
        }
    }

    [Fact]
    public async Task Two_runners_on_one_postgres_execute_2000_schedules_due_at_once_with_exactly_2000_psp_charges()
    {
        const int count = 2_000;
        var clock = new FakeTimeProvider(SchedulingServer.Start);
        var options = new SchedulingOptions { RunnerEnabled = false, UseDatabaseClock = false };
        await using var server = await ObolTestServer.StartAsync(DatabaseProvider.Postgres, b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Obol:Payments:Resolver:Enabled"] = "false" });
            b.Services.AddSingleton<TimeProvider>(clock);
            b.Services.AddSingleton(options);
        });
        using var client = server.CreateClient();
        var due = SchedulingServer.Start.AddMinutes(10);
        var at = due.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await ApiTests.CreateAsync(client, $$"""{"amount":{{100 + i}},"currency":"USD","paymentMethod":"pm_card_visa","executeAt":"{{at}}"}"""));

        var first = server.GetRequiredService<ScheduledPaymentRunner>();
        Assert.Equal(0, (await first.RunOnceAsync(CancellationToken.None)).Claimed);
        clock.Advance(TimeSpan.FromMinutes(10));

        // A second node: its own connection pool and runner on the same database, the same payments core.
        await using var secondDatabase = Database.Create(server.Database);
        var second = new ScheduledPaymentRunner(secondDatabase, server.GetRequiredService<Execution.IScheduledPaymentExecutor>(),
            server.GetRequiredService<Core.Events.IEventOutbox>(), options, clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ScheduledPaymentRunner>.Instance);
        static async Task<int> DrainAsync(ScheduledPaymentRunner runner)
        {
            var completed = 0;
            while ((await runner.RunOnceAsync(CancellationToken.None)) is { Claimed: > 0 } result)
            {
                completed += result.Completed;
            }

            return completed;
        }

        var done = await Task.WhenAll(Task.Run(() => DrainAsync(first)), Task.Run(() => DrainAsync(second)));

        Assert.Equal(count, done.Sum());
        Assert.True(done.All(d => d > 0), $"both runners should have worked: {string.Join(", ", done)}");
        var charges = (await client.GetFromJsonAsync<List<JsonElement>>("/sim/charges"))!;
        Assert.Equal(count, charges.Count);
        Assert.Equal(count, charges.Select(c => c.GetProperty("reference").GetString()).Distinct().Count());
        Assert.All(charges, c => Assert.True(c.GetProperty("createdAt").GetDateTimeOffset() >= due, "charged before it was due"));
        var succeeded = await server.GetRequiredService<Database>().ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_payments WHERE status = 'succeeded'"), CancellationToken.None);
        Assert.Equal(count, succeeded);
    }
}
