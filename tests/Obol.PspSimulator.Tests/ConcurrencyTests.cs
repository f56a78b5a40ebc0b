using System.Net;
using System.Text.Json;

namespace Obol.PspSimulator.Tests;

public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hundred_parallel_creates_with_one_idempotency_key_charge_once()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 100 }) { BaseAddress = sim.BaseAddress };

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var response = await client.SendAsync(StripeWireTests.CreateRequest(idempotencyKey: "one-key"), Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }));

        var charge = Assert.Single(await sim.ChargesAsync());
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        var ids = responses.Where(r => r.StatusCode == HttpStatusCode.OK)
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString())
            .Distinct()
            .ToList();
        Assert.Equal([charge.Id], ids);
        Assert.All(responses.Where(r => r.StatusCode == HttpStatusCode.Conflict),
            r => Assert.Equal("idempotency_error", JsonDocument.Parse(r.Body).RootElement.GetProperty("error").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Parallel_partial_refunds_never_exceed_the_captured_amount()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", value: 1000));
        var psp = payment.GetProperty("pspReference").GetString();

        await Task.WhenAll(Enumerable.Range(0, 30).Select(_ =>
            AdyenDialectTests.PostAsync(sim, $"payments/{psp}/refunds", new { merchantAccount = "ObolMerchant", amount = new { value = 100, currency = "EUR" } })));

        Assert.Equal(1000, Assert.Single(await sim.ChargesAsync()).AmountRefunded);
    }
}
