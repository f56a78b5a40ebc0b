using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Webhooks.Tests;

/// <summary>The real server on a fake clock that starts at the real time, with loopback http endpoints allowed.</summary>
public sealed class WebhooksServer : IAsyncDisposable
{
    private WebhooksServer(ObolTestServer server, FakeTimeProvider clock)
    {
        Server = server;
        Clock = clock;
        Client = server.CreateClient();
    }

    public ObolTestServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public HttpClient Client { get; }

    public static async Task<WebhooksServer> StartAsync(
        DatabaseProvider provider, IDictionary<string, string?>? settings = null, FakeTimeProvider? clock = null, DatabaseOptions? database = null)
    {
        clock ??= new FakeTimeProvider(DateTimeOffset.UtcNow);
        var configuration = new Dictionary<string, string?>
        {
            ["Obol:Webhooks:AllowHttp"] = "true",
            ["Obol:Webhooks:AllowPrivateNetworks"] = "true",

            // The sender's timeout runs on real time: a test whose clock does not move would wait forever for the retry of a
            // send that a loaded machine made late. Tests of timeouts set a short one themselves.
            ["Obol:Webhooks:DeliveryTimeout"] = "00:00:10",

            // A fake clock that moves only when a test moves it would hold every claim in the batch window.
            ["Obol:Webhooks:Dispatcher:BatchWindow"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        return new WebhooksServer(await PaymentsTestServer.StartAsync(provider, clock, configuration, database), clock);
    }

    /// <summary>Creates an endpoint; its id and signing secret.</summary>
    public async Task<(string Id, string Secret)> CreateEndpointAsync(string url, string enabledEvents = "[\"*\"]")
    {
        var response = await Client.PostJsonAsync("/v1/webhook-endpoints", $$"""{"url":"{{url}}","enabledEvents":{{enabledEvents}}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.ReadJsonAsync();
        return (json.GetProperty("id").GetString()!, json.GetProperty("secret").GetString()!);
    }

    /// <summary>Writes events straight into the outbox, each in its own unit of work, as a module would.</summary>
    public async Task EmitAsync(string objectId, string type = "payment.captured", int count = 1, string merchantId = "mer_default")
    {
        var database = Server.GetRequiredService<Database>();
        var outbox = Server.GetRequiredService<IEventOutbox>();
        for (var i = 0; i < count; i++)
        {
            await database.WriteAsync(s => outbox.AppendAsync(s, new MerchantEvent(merchantId, type, objectId, new { id = objectId, n = i })), CancellationToken.None);
        }
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    /// <summary>
    /// Moves the fake clock on in steps (retries come due) until <paramref name="done"/> holds, but only while nothing
    /// happens: as long as <paramref name="activity"/> (such as the requests a receiver got) changes, sends are under way,
    /// and a clock that ran on under them would end their leases. Fails after <paramref name="steps"/> polls.
    /// </summary>
    public async Task RunUntilAsync(Func<bool> done, TimeSpan step, int steps = 4000, Func<string>? progress = null, Func<int>? activity = null)
    {
        var seen = activity?.Invoke();
        for (var i = 0; i < steps; i++)
        {
            if (done())
            {
                return;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
            var now = activity?.Invoke();
            if (now == seen)
            {
                Clock.Advance(step);
            }

            seen = now;
        }

        Assert.True(done(), "The deliveries did not all arrive. " + progress?.Invoke());
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
