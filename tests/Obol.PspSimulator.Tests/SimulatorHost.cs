using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Obol.PspSimulator.Control;
using Obol.PspSimulator.Faults;
using Stripe;

namespace Obol.PspSimulator.Tests;

/// <summary>The simulator hosted like the Obol server will host it: a real Kestrel server on a free loopback port.</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    public const string StripeKey = "sk_test_obol";
    public const string StripeWebhookSecret = "whsec_test_secret";
    public const string AdyenKey = "adyen_test_key";
    public const string AdyenHmacKey = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

    private readonly WebApplication _app;

    private SimulatorHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Add("X-API-Key", AdyenKey);
    }

    /// <summary>Ends with a slash: <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for the simulator's JSON endpoints, sending the Adyen API key by default.</summary>
    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<SimulatorHost> StartAsync(
        IDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PspSimulator:Stripe:ApiKeys:0"] = StripeKey,
            ["PspSimulator:Stripe:WebhookSecret"] = StripeWebhookSecret,
            ["PspSimulator:Adyen:ApiKeys:0"] = AdyenKey,
            ["PspSimulator:Adyen:HmacKey"] = AdyenHmacKey,
            ["PspSimulator:TimeoutHold"] = "00:00:20",
            ["PspSimulator:BankTransferSettleDelay"] = "00:00:00.100",
            ["PspSimulator:WebhookRetry:InitialDelay"] = "00:00:00.020",
            ["PspSimulator:WebhookRetry:BackoffFactor"] = "2",
            ["PspSimulator:WebhookRetry:MaxAttempts"] = "4",
            ["PspSimulator:WebhookRetry:RequestTimeout"] = "00:00:05",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddPspSimulator(builder.Configuration);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapPspSimulator();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public StripeClient StripeClient(TimeSpan? timeout = null, string apiKey = StripeKey)
    {
        var http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = apiKey,
            ApiBase = new Uri(BaseAddress, "sim/stripe").ToString(),
            HttpClient = new SystemNetHttpClient(http, maxNetworkRetries: 0),
        });
    }

    public async Task<List<ChargeView>> ChargesAsync(string? psp = null, string? reference = null)
    {
        var query = new List<string>();
        if (psp is not null)
        {
            query.Add("psp=" + psp);
        }

        if (reference is not null)
        {
            query.Add("reference=" + Uri.EscapeDataString(reference));
        }

        var url = "sim/charges" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
        return (await Http.GetFromJsonAsync<List<ChargeView>>(url, TestContext.Current.CancellationToken))!;
    }

    public async Task<List<WebhookView>> WebhooksAsync(string psp) =>
        (await Http.GetFromJsonAsync<List<WebhookView>>("sim/webhooks?psp=" + psp, TestContext.Current.CancellationToken))!;

    public async Task<FaultCountsView> FaultCountsAsync() =>
        (await Http.GetFromJsonAsync<FaultCountsView>("sim/faults/counts", TestContext.Current.CancellationToken))!;

    public async Task SetFaultsAsync(object faults)
    {
        using var response = await Http.PostAsJsonAsync("sim/faults", faults, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetWebhookUrlsAsync(Uri? stripe = null, Uri? adyen = null)
    {
        var body = new
        {
            stripe = stripe is null ? null : new { webhookUrl = stripe },
            adyen = adyen is null ? null : new { webhookUrl = adyen },
        };
        using var response = await Http.PostAsJsonAsync("sim/config", body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
