using System.Text.RegularExpressions;
using Obol.Core.Storage;

namespace Obol.Scheduling.Tests;

/// <summary>
/// Bug 001: Dapper ignores the registered DateTimeOffset handler for parameters, so SQLite stored
/// Microsoft.Data.Sqlite's own format (<c>2027-03-13 14:00:00+00:00</c>) next to the fixed-width text
/// (<c>2027-03-14T13:00:00.000000Z</c>) that batch updates write; the two do not compare as text, and a
/// recurring schedule's second occurrence was never found due. Every instant the module writes must be
/// fixed-width UTC text on SQLite.
/// </summary>
public partial class Bug_001_SqliteInstantTextTests
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")]
    private static partial Regex FixedWidth();

    [Fact]
    public async Task Every_instant_column_holds_fixed_width_utc_text_after_create_claim_complete_and_cancel()
    {
        await using var s = await SchedulingServer.StartAsync(DatabaseProvider.Sqlite);
        using var client = s.CreateClient();
        await ApiTests.CreateAsync(client, """
            { "amount": 900, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "2027-01-04T12:01:00.5Z",
              "recurrence": { "frequency": "daily", "until": "2027-01-10T00:00:00+01:00" } }
            """);
        var cancelled = (await ApiTests.CreateAsync(client, """{ "amount": 900, "currency": "USD", "paymentMethod": "pm_card_visa", "executeAt": "2027-01-05T00:00:00Z" }"""))
            .GetProperty("id").GetString();
        await client.PostAsync($"/v1/scheduled-payments/{cancelled}/cancel", null);
        s.Clock.Advance(TimeSpan.FromMinutes(2));
        await s.Runner.RunOnceAsync(CancellationToken.None);

        var values = await s.Database.ReadAsync(session => session.QueryAsync<string?>(
            """
            SELECT execute_at FROM scheduled_payments UNION ALL SELECT recurrence_until FROM scheduled_payments
            UNION ALL SELECT occurrence_due_at FROM scheduled_payments UNION ALL SELECT next_attempt_at FROM scheduled_payments
            UNION ALL SELECT created_at FROM scheduled_payments UNION ALL SELECT updated_at FROM scheduled_payments
            UNION ALL SELECT occurred_at FROM scheduled_payment_history UNION ALL SELECT executed_at FROM scheduled_payment_executions
            """), CancellationToken.None);

        Assert.All(values.Where(v => v is not null), v => Assert.Matches(FixedWidth(), v!));
        Assert.Contains("2027-01-09T23:00:00.000000Z", values);
    }
}
