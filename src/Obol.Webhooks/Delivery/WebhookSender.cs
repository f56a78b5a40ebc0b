using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Obol.Core.CardNumbers;
using Obol.Webhooks.Endpoints;

namespace Obol.Webhooks.Delivery;

/// <summary>
/// Sends one delivery: a POST of the event's JSON, signed (Standard Webhooks), no redirects followed, within the delivery
/// timeout; any 2xx is success. The connection is refused before it is made when the URL's host resolves to an address
/// endpoints may not use (<see cref="EndpointAddressRule"/>).
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    public const int MaxLoggedResponseChars = 1024;

    private readonly HttpClient _client;
    private readonly WebhooksOptions _options;
    private readonly TimeProvider _clock;

    public WebhookSender(WebhooksOptions options, EndpointAddressRule addresses, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.DeliveryTimeout,
            MaxConnectionsPerServer = options.Dispatcher.MaxInFlight,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(addresses, context, cancellationToken),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Obol-Webhooks/1.0");
    }

    public async Task<AttemptResult> SendAsync(ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        var attemptedAt = _clock.GetUtcNow();
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        var timestamp = attemptedAt.ToUnixTimeSeconds();
        var secrets = WebhookSignature.SecretsInUse(delivery.Secret, delivery.PreviousSecret, delivery.PreviousSecretExpiresAt, attemptedAt);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.EventId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Header(secrets, delivery.EventId, timestamp, body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DeliveryTimeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var text = await ReadStartAsync(response, timeout.Token);
            var status = (int)response.StatusCode;
            var succeeded = status is >= 200 and < 300;
            return new AttemptResult(delivery, attemptedAt, succeeded, status, Elapsed(started), text,
                succeeded ? null : status is >= 300 and < 400 ? "Redirects are not followed." : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AttemptResult(delivery, attemptedAt, false, null, Elapsed(started), null,
                $"No answer within {_options.DeliveryTimeout.TotalSeconds:0.###} s.");
        }
        catch (HttpRequestException exception)
        {
            return new AttemptResult(delivery, attemptedAt, false, null, Elapsed(started), null, Describe(exception));
        }
    }

    public void Dispose() => _client.Dispose();

    private static int Elapsed(long started) => (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);

    /// <summary>The first 1 KB of the response, as text that any column can hold.</summary>
    private static async Task<string?> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxLoggedResponseChars * 4];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read == 0)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, read);
        var kept = new StringBuilder(Math.Min(text.Length, MaxLoggedResponseChars));
        foreach (var rune in text.EnumerateRunes())
        {
            if (kept.Length + rune.Utf16SequenceLength > MaxLoggedResponseChars)
            {
                break;
            }

            kept.Append(Rune.IsControl(rune) && rune.Value is not ('\n' or '\r' or '\t') ? Rune.ReplacementChar : rune);
        }

        // A card number is never stored, not even one a receiver echoes.
        var logged = kept.ToString();
        return CardNumberDetector.ContainsCardNumber(logged) ? "(not kept: the response held a number shaped like a card number)" : logged;
    }

    private static string Describe(HttpRequestException exception) =>
        exception.InnerException is EndpointRefusedException refused ? refused.Message
        : exception.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The host name did not resolve.",
            HttpRequestError.ConnectionError => "The connection failed.",
            HttpRequestError.SecureConnectionError => "The TLS handshake failed.",
            HttpRequestError.ResponseEnded => "The connection closed before a response.",
            HttpRequestError.InvalidResponse => "The response was not valid HTTP.",
            _ => "The request failed: " + exception.HttpRequestError + ".",
        };

    private static async ValueTask<Stream> ConnectAsync(EndpointAddressRule addresses, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var candidates = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = candidates.Where(addresses.MayConnect).ToArray();
        if (allowed.Length == 0)
        {
            throw new EndpointRefusedException(candidates.Length == 0
                ? "The host name did not resolve."
                : "The host resolves to a loopback, private or link-local address, which endpoints may not use.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class EndpointRefusedException(string message) : IOException(message);
}
