using System.Text.Json;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

/// <summary>One metadata rule for payments, scheduled payments and the ledger: the same limits, the same fields named.</summary>
public class MetadataRuleTests
{
    public static readonly TheoryData<Dictionary<string, string>, string> Refused = new()
    {
        { Enumerable.Range(0, ValidationErrors.MaxMetadataKeys + 1).ToDictionary(i => $"k{i}", _ => "v"), "metadata" },
        { new() { [new string('k', ValidationErrors.MaxMetadataKeyLength + 1)] = "v" }, "metadata" },
        { new() { [""] = "v" }, "metadata" },
        { new() { ["order"] = new string('v', ValidationErrors.MaxMetadataValueLength + 1) }, "metadata.order" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void The_rule_names_the_field(Dictionary<string, string> metadata, string field)
    {
        var problem = Assert.Throws<ProblemException>(() => new ValidationErrors().Metadata("metadata", metadata).ThrowIfAny());
        Assert.Contains(field, problem.Errors!.Keys);
    }

    [Fact]
    public void Metadata_at_every_limit_is_accepted() =>
        new ValidationErrors()
            .Metadata("metadata", Enumerable.Range(0, ValidationErrors.MaxMetadataKeys)
                .ToDictionary(i => $"{i}".PadLeft(ValidationErrors.MaxMetadataKeyLength, 'k'), _ => new string('v', ValidationErrors.MaxMetadataValueLength)))
            .ThrowIfAny();

    [Theory]
    [BothDatabases]
    public async Task Payments_schedules_and_ledger_transactions_refuse_the_same_metadata_alike(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var account = await (await client.PostJsonAsync("/v1/ledger/accounts", """{"code":"cash","type":"asset","currency":"USD"}""")).ReadJsonAsync();
        var id = account.GetProperty("id").GetString();

        foreach (var (metadata, field) in Refused.Select(row => (row.Data.Item1, row.Data.Item2)))
        {
            var json = JsonSerializer.Serialize(metadata);
            foreach (var (path, body) in new[]
            {
                ("/v1/payments", $$"""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","metadata":{{json}}}"""),
                ("/v1/scheduled-payments", $$"""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","executeAt":"2027-06-01T00:00:00Z","metadata":{{json}}}"""),
                ("/v1/ledger/accounts", $$"""{"code":"other","type":"asset","currency":"USD","metadata":{{json}}}"""),
                ("/v1/ledger/transactions", $$"""{"transfers":[{"debitAccountId":"{{id}}","creditAccountId":"{{id}}","amount":1,"currency":"USD"}],"metadata":{{json}}}"""),
            })
            {
                var problem = await (await client.PostJsonAsync(path, body, Guid.NewGuid().ToString("N"))).ReadProblemAsync(400, "validation_failed");
                Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{path}: {problem}");
            }
        }
    }
}
