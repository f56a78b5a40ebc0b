using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Obol.Core;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Testing;

namespace Obol.Reconciliation.Tests;

/// <summary>The real server with its in-process PSP simulator and a fake clock; payments go to one PSP.</summary>
public sealed class ReconciliationServer : IAsyncDisposable
{
    public const string Day = "2026-11-25";

    private ReconciliationServer(ObolTestServer server, FakeTimeProvider clock)
    {
        Server = server;
        Clock = clock;
        Client = server.CreateClient();
    }

    public ObolTestServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public HttpClient Client { get; }

    public static async Task<ReconciliationServer> StartAsync(DatabaseProvider provider, string psp, IDictionary<string, string?>? settings = null)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse(Day + "T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var configuration = new Dictionary<string, string?>
        {
            ["Obol:Payments:Routing:0:Psps:0"] = psp,
            ["Obol:Reconciliation:RowsPerTransaction"] = "3",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var server = await PaymentsTestServer.StartAsync(provider, clock, configuration);
        return new ReconciliationServer(server, clock);
    }

    /// <summary>A captured payment's id (automatic capture).</summary>
    public async Task<string> CapturedAsync(long amount, string paymentMethod = "pm_card_visa", string currency = "USD", HttpClient? client = null)
    {
        var response = await (client ?? Client).PostJsonAsync("/v1/payments",
            $$"""{"amount":{{amount}},"currency":"{{currency}}","paymentMethod":"{{paymentMethod}}","captureMethod":"automatic"}""",
            Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    public async Task<string> RefundAsync(string paymentId, long amount, HttpClient? client = null)
    {
        var refund = await (await (client ?? Client).PostJsonAsync($"/v1/payments/{paymentId}/refunds", $$"""{"amount":{{amount}}}""")).ReadJsonAsync();
        Assert.Equal("succeeded", refund.GetProperty("status").GetString());
        return refund.GetProperty("id").GetString()!;
    }

    public async Task<string> StatusAsync(string paymentId) =>
        (await (await Client.GetAsync($"/v1/payments/{paymentId}")).ReadJsonAsync()).GetProperty("status").GetString()!;

    /// <summary>Fetches the day's report from the simulator and reconciles it; the run as the API answers it.</summary>
    public async Task<JsonElement> ReconcileAsync(string psp, string date = Day)
    {
        var response = await Client.PostJsonAsync("/v1/reconciliation/runs", $$"""{"psp":"{{psp}}","date":"{{date}}"}""");
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Reconciliation answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return await response.ReadJsonAsync();
    }

    public async Task<string> ReportAsync(string psp, string date = Day) => await Client.GetStringAsync($"/sim/{psp}/settlements?date={date}");

    public Task SetFaultsAsync(string json) => Client.PostJsonAsync("/sim/faults", json);

    /// <summary>The posted balance of one of a merchant's platform accounts (the default merchant's, in USD, unless told).</summary>
    public async Task<long> BalanceAsync(string code, string merchantId = ApiKeys.DefaultMerchantId, string currency = "USD") =>
        (await Service<Database>().WriteAsync(s => Service<ILedger>().GetOrCreatePlatformAccountAsync(
            s, merchantId, code, Currency.FromCode(currency)), CancellationToken.None)).Balance;

    /// <summary>psp_receivable, bank_cash, psp_fee_expense and merchant_payable balances.</summary>
    public async Task<(long Receivable, long Bank, long Fees, long Payable)> BooksAsync(string merchantId = ApiKeys.DefaultMerchantId, string currency = "USD") =>
        (await BalanceAsync("psp_receivable", merchantId, currency), await BalanceAsync("bank_cash", merchantId, currency),
            await BalanceAsync("psp_fee_expense", merchantId, currency), await BalanceAsync("merchant_payable", merchantId, currency));

    /// <summary>A client for a new merchant, and its id.</summary>
    public async Task<(string MerchantId, HttpClient Client)> OtherMerchantAsync()
    {
        var apiKeys = Service<ApiKeys>();
        var merchant = await apiKeys.CreateMerchantAsync("Other", CancellationToken.None);
        return (merchant.Id, Server.CreateClient((await apiKeys.IssueAsync(merchant.Id, "test", null, CancellationToken.None)).Secret));
    }

    public Task AssertLedgerBalancedAsync() => Server.AssertLedgerBalancedAsync();

    public T Service<T>()
        where T : notnull => Server.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

internal static class RunJson
{
    public static int Int(this JsonElement run, string property) => run.GetProperty(property).GetInt32();

    public static List<string> Codes(this JsonElement run) =>
        run.GetProperty("discrepancies").EnumerateArray().Select(d => d.GetProperty("code").GetString()!).ToList();

    public static (long Captured, long Refunded, long Fees, long Net) Settled(this JsonElement run, string currency = "USD")
    {
        var usd = run.GetProperty("settled").EnumerateArray().SingleOrDefault(s => s.GetProperty("currency").GetString() == currency);
        return usd.ValueKind == JsonValueKind.Undefined
            ? (0, 0, 0, 0)
            : (usd.GetProperty("captured").GetInt64(), usd.GetProperty("refunded").GetInt64(), usd.GetProperty("fees").GetInt64(), usd.GetProperty("net").GetInt64());
    }
}

/// <summary>Rows of a CSV report edited by column name (the reports' fields hold no commas or quotes here).</summary>
internal static class ReportRows
{
    /// <summary>A row of the header's columns: the given values, the rest empty.</summary>
    public static string Row(string header, IReadOnlyDictionary<string, string> values) =>
        string.Join(',', header.Split(',').Select(name => values.GetValueOrDefault(name, "")));

    /// <summary>The row with the named columns changed.</summary>
    public static string With(string header, string row, IReadOnlyDictionary<string, string> values)
    {
        var names = header.Split(',');
        return string.Join(',', row.Split(',').Select((value, i) => values.GetValueOrDefault(names[i], value)));
    }
}
