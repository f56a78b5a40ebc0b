using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Obol.Core;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Fx.Rates;
using Obol.Ledger;
using Obol.Testing;

namespace Obol.Fx.Tests;

/// <summary>The real server with its PSP simulator on a fake clock, reading the ECB sample file (rates of 2026-11-24) as its rates source.</summary>
public sealed class FxServer : IAsyncDisposable
{
    /// <summary>The day after the sample's publication: its rates are fresh.</summary>
    public static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private FxServer(ObolTestServer server, FakeTimeProvider clock, string ratesFile)
    {
        Server = server;
        Clock = clock;
        RatesFile = ratesFile;
        Client = server.CreateClient();
    }

    public ObolTestServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public HttpClient Client { get; }

    /// <summary>A copy of the sample this server reads, so a test can change it.</summary>
    public string RatesFile { get; }

    public static async Task<FxServer> StartAsync(DatabaseProvider provider, IDictionary<string, string?>? settings = null)
    {
        var clock = new FakeTimeProvider(Start);
        var ratesFile = Path.Combine(Path.GetTempPath(), $"obol-fx-{Guid.NewGuid():N}.xml");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Rates", "eurofxref-sample.xml"), ratesFile);
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Obol:Fx:RatesFile"] = ratesFile,

            // The refresher fetches at start-up and then only when a test moves the clock a week on; a test refreshes when it
            // wants to (RefreshRatesAsync).
            ["Obol:Fx:RefreshInterval"] = "7.00:00:00",
        };
        var server = await PaymentsTestServer.StartAsync(provider, clock, all);
        var fx = new FxServer(server, clock, ratesFile);
        await fx.RefreshRatesAsync();
        return fx;
    }

    /// <summary>Fetches the rates file once, as the refresher does on a timer (true: a new publication was stored).</summary>
    public Task<bool> RefreshRatesAsync() => Service<RateRefresher>().RefreshAsync(CancellationToken.None);

    public void UseRatesFile(string name) => WriteRatesFile(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Rates", name)));

    /// <summary>Replaces the rates file whole, as a publisher's download would.</summary>
    public void WriteRatesFile(string xml)
    {
        var next = RatesFile + ".next";
        File.WriteAllText(next, xml);
        File.Move(next, RatesFile, overwrite: true);
    }

    public async Task SettleInAsync(string? currency)
    {
        var response = await Client.PutAsync("/v1/fx/settings",
            new StringContent(JsonSerializer.Serialize(new { settlementCurrency = currency }), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task<JsonElement> QuoteAsync(string from, string to, long? amount = null, string? lockDuration = null)
    {
        var response = await Client.PostJsonAsync("/v1/fx/quotes", Json(new { from, to, amount, lockDuration }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    public Task<HttpResponseMessage> PayAsync(long amount, string currency, string? fxQuote = null, string paymentMethod = "pm_card_visa", string captureMethod = "automatic") =>
        Client.PostJsonAsync("/v1/payments", Json(new { amount, currency, paymentMethod, captureMethod, fxQuote }), Guid.NewGuid().ToString("N"));

    /// <summary>The API refuses a null field (leave it out instead), so fields left null are not sent.</summary>
    private static string Json(object body) => JsonSerializer.Serialize(body, WithoutNulls);

    private static readonly JsonSerializerOptions WithoutNulls =
        new(JsonSerializerOptions.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The posted balance of one of the default merchant's platform accounts (debit-positive for assets and expenses).</summary>
    public async Task<long> BalanceAsync(string code, string currency)
    {
        var account = await Service<Database>().WriteAsync(
            s => Service<ILedger>().GetOrCreatePlatformAccountAsync(s, ApiKeys.DefaultMerchantId, code, Currency.FromCode(currency)), CancellationToken.None);
        return account.Balance;
    }

    public Task AssertLedgerBalancedAsync() => Server.AssertLedgerBalancedAsync();

    public T Service<T>()
        where T : notnull => Server.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        File.Delete(RatesFile);
    }
}
