using System.Text.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

/// <summary>
/// Times at the edges of what .NET and the databases represent, recurrences that would run past them, and payment
/// methods that are not tokens: each is a 400 with a field error, never an internal error, and no schedule is created.
/// </summary>
public class InputEdgeTests
{
    private const string Pay = """ "amount": 1500, "currency": "USD", "paymentMethod": "pm_card_visa" """;

    [Theory]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "0001-01-01T00:00:00+14:00" }""", "executeAt")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "9999-12-31T23:59:59-14:00" }""", "executeAt")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00Z\u0000" }""", "executeAt")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00Zjunk" }""", "executeAt")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00" }""", "executeAt")]
    [BothDatabases($$"""{ {{Pay}}, "localDateTime": "0001-01-01T00:00:00", "timeZone": "Pacific/Kiritimati" }""", "localDateTime")]
    [BothDatabases($$"""{ {{Pay}}, "localDateTime": "9999-12-31T23:59:59", "timeZone": "Pacific/Pago_Pago" }""", "localDateTime")]
    [BothDatabases($$"""{ {{Pay}}, "localDateTime": "2027-02-01T10:00\u0000", "timeZone": "UTC" }""", "localDateTime")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00Z", "recurrence": { "frequency": "daily", "until": "9999-12-31T23:59:59-14:00" } }""", "recurrence.until")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00Z", "recurrence": { "frequency": "daily", "until": "2999-12-31T00:00:00Z" } }""", "recurrence.until")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00Z", "recurrence": { "frequency": "monthly", "interval": 1000, "count": 1000 } }""", "recurrence.count")]
    [BothDatabases($$"""{ {{Pay}}, "executeAt": "2027-02-01T10:00:00Z", "recurrence": { "frequency": "weekly", "interval": 100, "count": 100 } }""", "recurrence.count")]
    [BothDatabases("""{ "amount": 1500, "currency": "USD", "paymentMethod": "pm card visa", "executeAt": "2027-02-01T10:00:00Z" }""", "paymentMethod")]
    [BothDatabases("""{ "amount": 1500, "currency": "USD", "paymentMethod": "pm_card_visa;", "executeAt": "2027-02-01T10:00:00Z" }""", "paymentMethod")]
    [BothDatabases("""{ "amount": 1500, "currency": "USD", "paymentMethod": "   ", "executeAt": "2027-02-01T10:00:00Z" }""", "paymentMethod")]
    public async Task An_unaccepted_time_recurrence_or_payment_method_is_a_field_error_and_creates_nothing(DatabaseProvider provider, string body, string field)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();

        var problem = await (await client.PostJsonAsync("/v1/scheduled-payments", body, Guid.NewGuid().ToString("N"))).ReadProblemAsync(400, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var list = await (await client.GetAsync("/v1/scheduled-payments")).ReadJsonAsync();
        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [BothDatabases]
    public async Task A_recurrence_ending_a_hundred_years_after_its_first_execution_is_accepted(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();

        var created = await ApiTests.CreateAsync(client, $$"""
            { {{Pay}}, "executeAt": "2027-02-01T10:00:00Z", "recurrence": { "frequency": "monthly", "interval": 12, "count": 101 } }
            """);

        Assert.Equal(101, created.GetProperty("recurrence").GetProperty("count").GetInt32());
        Assert.Equal(JsonValueKind.String, created.GetProperty("executeAt").ValueKind);
    }

    [Fact]
    public void The_recurrence_limit_is_a_hundred_years_of_periods() =>
        Assert.Equal(
            [true, false, true, false, true, false],
            [
                Schedules.CreateScheduledPayment.LastOccurrenceWithinLimit("daily", 1, 36501),
                Schedules.CreateScheduledPayment.LastOccurrenceWithinLimit("daily", 1, 36502),
                Schedules.CreateScheduledPayment.LastOccurrenceWithinLimit("weekly", 5, 1043),
                Schedules.CreateScheduledPayment.LastOccurrenceWithinLimit("weekly", 5, 1044),
                Schedules.CreateScheduledPayment.LastOccurrenceWithinLimit("monthly", 1000, 2),
                Schedules.CreateScheduledPayment.LastOccurrenceWithinLimit("monthly", 1000, 3),
            ]);
}
