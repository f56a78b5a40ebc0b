using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Obol.Webhooks.Tests;

/// <summary>One request that reached the receiver, and what it answered.</summary>
public sealed record ReceivedDelivery(
    string Path, string MessageId, long Timestamp, string Signature, string Body, string EventType, string ObjectId, long ObjectSequence, int Status, long Arrival);

/// <summary>
/// A loopback HTTP server that webhooks are sent to. Each request is answered by <see cref="Answer"/> (200 by default),
/// after <see cref="Delay"/>; every request is recorded in arrival order.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _arrivals;

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First());
    }

    public Uri BaseAddress { get; }
    public ConcurrentQueue<ReceivedDelivery> Received { get; } = new();
    public Func<ReceivedDelivery, int> Answer { get; set; } = _ => 200;
    public Func<ReceivedDelivery, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;
    public Func<ReceivedDelivery, string?> ResponseBody { get; set; } = _ => null;

    public string Url(string path = "hook") => new Uri(BaseAddress, path).ToString();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var seen = new ReceivedDelivery(
                http.Request.Path, http.Request.Headers["webhook-id"].ToString(), long.Parse(http.Request.Headers["webhook-timestamp"].ToString(), System.Globalization.CultureInfo.InvariantCulture),
                http.Request.Headers["webhook-signature"].ToString(), body, root.GetProperty("type").GetString()!,
                root.GetProperty("data").GetProperty("object").GetProperty("id").GetString()!, root.GetProperty("objectSequence").GetInt64(), 0, 0);
            var status = receiver!.Answer(seen);
            var delay = receiver.Delay(seen);
            if (delay > TimeSpan.Zero)
            {
                // The receiver being slow is what is under test: real time, as the sender's timeout is.
                await Task.Delay(delay, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                if (http.RequestAborted.IsCancellationRequested)
                {
                    status = 499;
                }
            }

            receiver.Received.Enqueue(seen with { Status = status, Arrival = Interlocked.Increment(ref receiver._arrivals) });
            if (status is >= 300 and < 400)
            {
                http.Response.Headers.Location = "/elsewhere";
            }

            return receiver.ResponseBody(seen) is { } text
                ? Results.Text(text, "text/plain", statusCode: status == 499 ? 500 : status)
                : Results.StatusCode(status == 499 ? 500 : status);
        });
        await app.StartAsync();
        receiver = new WebhookReceiver(app);
        return receiver;
    }

    /// <summary>
    /// Checks a delivery's signature with the StandardWebhooks package: in full (timestamp tolerance included) when it was
    /// signed near the real time, else by the package's own signature over its id, timestamp and body (a test's fake clock
    /// may have moved hours ahead).
    /// </summary>
    public static bool Verifies(ReceivedDelivery delivery, string secret)
    {
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(delivery.Timestamp);
        if ((signedAt - DateTimeOffset.UtcNow).Duration() < TimeSpan.FromMinutes(4))
        {
            var headers = new HeaderDictionary
            {
                ["webhook-id"] = delivery.MessageId,
                ["webhook-timestamp"] = delivery.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };

            // One signature at a time: the package finds only the first of several (RuleTests).
            foreach (var signature in delivery.Signature.Split(' '))
            {
                headers["webhook-signature"] = signature;
                try
                {
                    new StandardWebhook(secret).Verify(delivery.Body, headers);
                    return true;
                }
                catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
                {
                }
            }

            return false;
        }

        var expected = new StandardWebhook(secret).Sign(delivery.MessageId, signedAt, delivery.Body);
        return delivery.Signature.Split(' ').Contains(expected, StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
