using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

/// <summary>
/// The one rule for text and time a client sends, through endpoints of three modules: a string with U+0000 or another
/// control character, a lone surrogate, or more than 5,000 characters, and an instant outside RFC 3339 with an offset
/// in the years 1970 to 2999, are 400 with the field named, and nothing of the request is applied.
/// </summary>
public class RequestTextTests
{
    public static readonly TheoryData<string> RefusedText =
    [
        "\"a\\u0000b\"",
        "\"bell\\u0007\"",
        "\"escape\\u001b[31m\"",
        "\"c1\\u0085\"",
        "\"lone \\ud800 surrogate\"",
        "\"reversed \\udc00\\ud800\"",
        "\"" + new string('x', 5001) + "\"",
    ];

    [Theory]
    [BothDatabases]
    public async Task Refused_text_in_any_field_or_metadata_key_applies_nothing(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var (debit, credit) = (await AccountAsync(client, "cash"), await AccountAsync(client, "wallet"));
        var transfer = $$"""{"debitAccountId":"{{debit}}","creditAccountId":"{{credit}}","amount":5,"currency":"USD"}""";

        foreach (var text in RefusedText.Select(row => row.Data))
        {
            await AssertRefusedAsync(client, "/v1/api-keys", $$"""{"label":{{text}}}""", "label");
            await AssertRefusedAsync(client, "/v1/ledger/transactions", $$"""{"transfers":[{{transfer}}],"description":{{text}}}""", "description");
            await AssertRefusedAsync(client, "/v1/ledger/transactions", $$$"""{"transfers":[{{{transfer}}}],"metadata":{"k":{{{text}}}}}""", "metadata.k");
            await AssertRefusedAsync(client, "/v1/ledger/transactions", $$$"""{"transfers":[{{{transfer}}}],"metadata":{{{{text}}}:"v"}}""", "metadata");
            await AssertRefusedAsync(client, "/v1/payments", $$"""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","description":{{text}}}""", "description");
        }

        var keys = await (await client.GetAsync("/v1/api-keys")).ReadJsonAsync();
        Assert.Equal(1, keys.GetProperty("data").GetArrayLength());
        var transactions = await (await client.GetAsync("/v1/ledger/transactions")).ReadJsonAsync();
        Assert.Equal(0, transactions.GetProperty("data").GetArrayLength());
        var payments = await (await client.GetAsync("/v1/payments")).ReadJsonAsync();
        Assert.Equal(0, payments.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [BothDatabases]
    public async Task Text_with_tabs_newlines_and_five_thousand_characters_is_kept_as_sent(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var label = "line one\n\tline two 🙂\r\n" + new string('é', 100);

        var created = await (await client.PostJsonAsync("/v1/api-keys", JsonSerializer.Serialize(new { label }))).ReadJsonAsync();

        Assert.Equal(label, created.GetProperty("label").GetString());
        await AssertRefusedAsync(client, "/v1/api-keys", JsonSerializer.Serialize(new { label = new string('l', 201) }), "label");
    }

    public static readonly TheoryData<string> RefusedInstants =
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1969-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z\u0000",
        "2027-01-01T00:00:00Z junk",
        "2027-01-01T00:00:00",
        "01/02/2027 10:00",
        "2027-01-01T00:00:00.1234567890Z",
    ];

    [Theory]
    [BothDatabases]
    public async Task An_instant_outside_the_rule_is_refused_in_bodies_and_queries(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var (debit, credit) = (await AccountAsync(client, "cash"), await AccountAsync(client, "wallet"));
        var transfer = $$"""{"debitAccountId":"{{debit}}","creditAccountId":"{{credit}}","amount":5,"currency":"USD"}""";

        foreach (var instant in RefusedInstants.Select(row => row.Data))
        {
            var json = JsonSerializer.Serialize(instant);
            await AssertRefusedAsync(client, "/v1/ledger/transactions", $$"""{"transfers":[{{transfer}}],"effectiveAt":{{json}}}""", "effectiveAt");
            var query = Uri.EscapeDataString(instant);
            await (await client.GetAsync($"/v1/ledger/accounts/{credit}?asOf={query}")).ReadProblemAsync(400, "validation_failed");
            await (await client.GetAsync($"/v1/ledger/accounts/{credit}/entries?from={query}")).ReadProblemAsync(400, "validation_failed");
        }

        var transactions = await (await client.GetAsync("/v1/ledger/transactions")).ReadJsonAsync();
        Assert.Equal(0, transactions.GetProperty("data").GetArrayLength());
        var edge = await (await client.GetAsync($"/v1/ledger/accounts/{credit}?asOf=1970-01-01T00:00:00Z")).ReadJsonAsync();
        Assert.Equal(0, edge.GetProperty("balance").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/ledger/accounts/{credit}/entries?to=2999-12-31T23:59:59.999999Z")).StatusCode);
    }

    [Theory]
    [BothDatabases]
    public async Task A_null_is_refused_with_its_field_and_an_amount_written_as_a_fraction_or_exponent_is_invalid(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var (debit, credit) = (await AccountAsync(client, "cash"), await AccountAsync(client, "wallet"));
        string Transfer(string amount) => $$"""{"debitAccountId":"{{debit}}","creditAccountId":"{{credit}}","amount":{{amount}},"currency":"USD"}""";

        await AssertRefusedAsync(client, "/v1/payments", """{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","description":null}""", "description");
        await AssertRefusedAsync(client, "/v1/api-keys", """{"label":null}""", "label");
        await AssertRefusedAsync(client, "/v1/ledger/transactions/batch", $$$"""{"transactions":[{"transfers":[{{{Transfer("5")}}}]},{"transfers":[{{{Transfer("null")}}}]}]}""", "transactions[1].transfers[0].amount");
        await AssertRefusedAsync(client, "/v1/ledger/transactions", $$$"""{"transfers":[{{{Transfer("5")}}}],"metadata":{"k":null}}""", "metadata.k");
        await (await client.PostJsonAsync("/v1/ledger/transactions", $$"""{"transfers":[{{Transfer("500.0")}}]}""", "500.0")).ReadProblemAsync(400, "invalid_amount");
        await (await client.PostJsonAsync("/v1/ledger/transactions", $$"""{"transfers":[{{Transfer("5e2")}}]}""", "5e2")).ReadProblemAsync(400, "invalid_amount");
        await (await client.PostJsonAsync("/v1/ledger/transactions", $$"""{"transfers":[{{Transfer("5E+2")}}]}""", "5E+2")).ReadProblemAsync(400, "invalid_amount");

        var transactions = await (await client.GetAsync("/v1/ledger/transactions")).ReadJsonAsync();
        Assert.Equal(0, transactions.GetProperty("data").GetArrayLength());
        var overflow = await client.PostJsonAsync("/v1/ledger/transactions", $$"""{"transfers":[{{Transfer("9223372036854775808")}}]}""", Guid.NewGuid().ToString("N"));
        Assert.Equal("amount_overflow", (await overflow.ReadJsonAsync()).GetProperty("code").GetString());
    }

    private static async Task AssertRefusedAsync(HttpClient client, string path, string body, string field)
    {
        var problem = await (await client.PostJsonAsync(path, body, path == "/v1/api-keys" ? null : Guid.NewGuid().ToString("N"))).ReadProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{path} {body[..Math.Min(body.Length, 200)]}: {problem}");
    }

    private static async Task<string> AccountAsync(HttpClient client, string code)
    {
        var created = await (await client.PostJsonAsync("/v1/ledger/accounts", $$"""{"code":"{{code}}","type":"asset","currency":"USD"}""")).ReadJsonAsync();
        return created.GetProperty("id").GetString()!;
    }
}
