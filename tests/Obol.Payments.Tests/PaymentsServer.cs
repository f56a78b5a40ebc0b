using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

/// <summary>The real server with its in-process PSP simulator, a fake clock, and short PSP timeouts.</summary>
public sealed class PaymentsServer : IAsyncDisposable
{
    private PaymentsServer(ObolTestServer server, FakeTimeProvider clock)
    {
        Server = server;
        Clock = clock;
        Client = server.CreateClient();
    }

    public ObolTestServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public HttpClient Client { get; }

    public static async Task<PaymentsServer> StartAsync(DatabaseProvider provider, IDictionary<string, string?>? settings = null)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var server = await PaymentsTestServer.StartAsync(provider, clock, settings);
        return new PaymentsServer(server, clock);
    }

    public Task<HttpResponseMessage> CreateAsync(string paymentMethod, long amount = 1999, string currency = "USD", string captureMethod = "automatic", string? key = null) =>
        Client.PostJsonAsync("/v1/payments",
            $$"""{"amount":{{amount}},"currency":"{{currency}}","paymentMethod":"{{paymentMethod}}","captureMethod":"{{captureMethod}}"}""",
            key ?? Guid.NewGuid().ToString("N"));

    public async Task<JsonElement> CreatedAsync(string paymentMethod, long amount = 1999, string captureMethod = "automatic")
    {
        var response = await CreateAsync(paymentMethod, amount, captureMethod: captureMethod);
        if (response.StatusCode != System.Net.HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return await response.ReadJsonAsync();
    }

    public async Task<JsonElement> GetAsync(string paymentId) => await (await Client.GetAsync($"/v1/payments/{paymentId}")).ReadJsonAsync();

    /// <summary>Every charge the simulator holds: the PSP's view, to prove nothing was charged twice.</summary>
    public async Task<List<JsonElement>> ChargesAsync(string? reference = null)
    {
        var path = reference is null ? "/sim/charges" : $"/sim/charges?reference={reference}";
        var charges = await Client.GetFromJsonAsync<List<JsonElement>>(path);
        return charges!;
    }

    /// <summary>Recomputes the whole ledger from its entries and fails the test on any broken invariant.</summary>
    public Task AssertLedgerBalancedAsync() => Server.AssertLedgerBalancedAsync();

    /// <summary>The posted balance and the pending amounts of one of the default merchant's platform accounts.</summary>
    public async Task<(long Balance, long DebitsPending, long CreditsPending)> AccountAsync(string code, string currency = "USD")
    {
        var account = await Service<Database>().WriteAsync(s => Service<Obol.Ledger.ILedger>().GetOrCreatePlatformAccountAsync(
            s, Obol.Core.Merchants.ApiKeys.DefaultMerchantId, code, Obol.Core.Currency.FromCode(currency)), CancellationToken.None);
        return (account.Balance, account.DebitsPending, account.CreditsPending);
    }

    /// <summary>Runs the ledger's sweep of pending transfers past their timeout once; returns how many it expired.</summary>
    public Task<int> ExpireLedgerHoldsAsync() =>
        Service<Database>().WriteAsync(s => Service<Obol.Ledger.ILedger>().ExpireDuePendingTransfersAsync(s), CancellationToken.None);

    public Task SetFaultsAsync(string json) => Client.PostJsonAsync("/sim/faults", json);

    public T Service<T>()
        where T : notnull => Server.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
