using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class PaymentValidationTests
{
    [Theory]
    [InlineData("""{"amount":0,"currency":"USD","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":-5,"currency":"USD","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"currency":"USD","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":100,"currency":"usd","paymentMethod":"pm_card_visa"}""", "currency")]
    [InlineData("""{"amount":100,"currency":"XYZ","paymentMethod":"pm_card_visa"}""", "currency")]
    [InlineData("""{"amount":100,"currency":"USD"}""", "paymentMethod")]
    [InlineData("""{"amount":100,"currency":"USD","paymentMethod":"pm card"}""", "paymentMethod")]
    [InlineData("""{"amount":12.5,"currency":"USD","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":1.5,"currency":"JPY","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":1.0,"currency":"JPY","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":1e3,"currency":"JPY","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":1.005,"currency":"KWD","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":9223372036854775808,"currency":"KWD","paymentMethod":"pm_card_visa"}""", "amount")]
    [InlineData("""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","captureMethod":"later"}""", "captureMethod")]
    [InlineData("""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","description":"a\u0000b"}""", "description")]
    [InlineData("""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","metadata":{"order":"a\u0000b"}}""", "metadata.order")]
    public async Task Invalid_payments_are_refused_and_nothing_is_charged(string body, string field)
    {
        await using var server = await PaymentsServer.StartAsync(DatabaseProvider.Sqlite);

        var problem = await (await server.Client.PostJsonAsync("/v1/payments", body, "k1")).ReadProblemAsync(400, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Empty(await server.ChargesAsync());
    }

    /// <summary>The API's JSON is read strictly (ObolJson): documented names only, each once, values in their documented spelling.</summary>
    [Theory]
    [InlineData("""{"amount":100,"amount":200,"currency":"USD","paymentMethod":"pm_card_visa"}""", "malformed_json", null)]
    [InlineData("""{"Amount":100,"currency":"USD","paymentMethod":"pm_card_visa"}""", "unknown_field", "Amount")]
    [InlineData("""{"amount":100,"Currency":"USD","currency":"USD","paymentMethod":"pm_card_visa"}""", "unknown_field", "Currency")]
    [InlineData("""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","captureMethod":"Automatic"}""", "validation_failed", "captureMethod")]
    [InlineData("""{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa","captureMethod":"automatic,manual"}""", "validation_failed", "captureMethod")]
    [InlineData("""{"amount":"100","currency":"USD","paymentMethod":"pm_card_visa"}""", "validation_failed", "amount")]
    public async Task Json_is_read_exactly_as_documented(string body, string code, string? field)
    {
        await using var server = await PaymentsServer.StartAsync(DatabaseProvider.Sqlite);

        var problem = await (await server.Client.PostJsonAsync("/v1/payments", body, "k1")).ReadProblemAsync(400, code);

        Assert.True(field is null || problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Empty(await server.ChargesAsync());
    }

    [Fact]
    public async Task Creating_a_payment_requires_an_idempotency_key()
    {
        await using var server = await PaymentsServer.StartAsync(DatabaseProvider.Sqlite);
        await (await server.Client.PostJsonAsync("/v1/payments", """{"amount":100,"currency":"USD","paymentMethod":"pm_card_visa"}"""))
            .ReadProblemAsync(400, "idempotency_key_required");
        Assert.Empty(await server.ChargesAsync());
    }

    [Fact]
    public async Task A_card_number_as_payment_method_is_refused_and_never_stored()
    {
        await using var server = await PaymentsServer.StartAsync(DatabaseProvider.Sqlite);
        await (await server.Client.PostJsonAsync("/v1/payments", """{"amount":100,"currency":"USD","paymentMethod":"4242424242424242"}""", "pan"))
            .ReadProblemAsync(400, "card_number_not_allowed");
        Assert.Empty(await server.ChargesAsync());
        var stored = await server.Service<Database>().ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM payments"), CancellationToken.None);
        Assert.Equal(0, stored);
    }

    [Theory]
    [BothDatabases]
    public async Task Another_merchants_payment_is_not_found(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider);
        var id = (await server.CreatedAsync("pm_card_visa", 100, "manual")).GetProperty("id").GetString();
        var apiKeys = server.Service<ApiKeys>();
        var other = await apiKeys.CreateMerchantAsync("Other", CancellationToken.None);
        using var otherClient = server.Server.CreateClient((await apiKeys.IssueAsync(other.Id, "test", null, CancellationToken.None)).Secret);

        await (await otherClient.GetAsync($"/v1/payments/{id}")).ReadProblemAsync(404, "not_found");
        await (await otherClient.PostJsonAsync($"/v1/payments/{id}/capture", "{}")).ReadProblemAsync(404, "not_found");
        await (await otherClient.PostAsync($"/v1/payments/{id}/cancel", null)).ReadProblemAsync(404, "not_found");
        await (await otherClient.GetAsync($"/v1/payments/{id}/events")).ReadProblemAsync(404, "not_found");
        Assert.Equal("authorized", (await server.GetAsync(id!)).GetProperty("status").GetString());
    }
}
