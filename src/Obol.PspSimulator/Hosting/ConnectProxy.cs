using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Obol.PspSimulator.Hosting;

/// <summary>
/// An HTTP <c>CONNECT</c> proxy in front of the standalone simulator (<c>PspSimulator:ProxyUrl</c>), for client libraries
/// whose PSP URLs are fixed but which take a proxy setting: <c>@adyen/api-library</c> always calls
/// <c>https://checkout-test.adyen.com/v72</c>. A <c>CONNECT</c> to a PSP's API host on port 443 is tunnelled to this
/// simulator's own HTTPS endpoint, whose certificate must then name that host; any other target is refused with 403,
/// so nothing is ever forwarded off the machine.
/// </summary>
internal sealed partial class ConnectProxy(IServer server, IOptions<PspSimulatorOptions> options, ILogger<ConnectProxy> logger) : BackgroundService
{
    private const int MaxHeadBytes = 8192;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Where the proxy listens, once it does (a configured port 0 resolved).</summary>
    public Task<IPEndPoint> Listening => _listening.Task;

    /// <summary>Whether <paramref name="host"/> is one of the PSP API hosts the tunnel serves.</summary>
    public static bool IsPspHost(string host) =>
        host.Equals("api.stripe.com", StringComparison.OrdinalIgnoreCase)
        || host.Equals("checkout-test.adyen.com", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith("-checkout-live.adyenpayments.com", StringComparison.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ProxyUrl is not { } url)
        {
            return;
        }

        using var listener = new TcpListener(Endpoint(url.Host, url.Port));
        listener.Start();
        var bound = (IPEndPoint)listener.LocalEndpoint;
        LogListening(logger, $"http://{bound}");
        _listening.TrySetResult(bound);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stoppingToken);
                _ = Task.Run(() => ServeAsync(client, stoppingToken), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            headTimeout.CancelAfter(HeadTimeout);
            var head = await ReadHeadAsync(stream, headTimeout.Token);
            var requestLine = head?.Split("\r\n", 2)[0].Split(' ');
            if (requestLine is not [var method, var target, _])
            {
                await AnswerAsync(stream, "400 Bad Request", stoppingToken);
                return;
            }

            if (!method.Equals("CONNECT", StringComparison.Ordinal))
            {
                await AnswerAsync(stream, "405 Method Not Allowed", stoppingToken);
                return;
            }

            var separator = target.LastIndexOf(':');
            if (separator <= 0 || target[(separator + 1)..] != "443" || !IsPspHost(target[..separator]))
            {
                LogRefused(logger, target);
                await AnswerAsync(stream, "403 Forbidden", stoppingToken);
                return;
            }

            if (HttpsEndpoint() is not { } https)
            {
                await AnswerAsync(stream, "502 Bad Gateway", stoppingToken);
                return;
            }

            using var upstream = new TcpClient(https.AddressFamily);
            await upstream.ConnectAsync(https, stoppingToken);
            await AnswerAsync(stream, "200 Connection Established", stoppingToken);
            var upstreamStream = upstream.GetStream();
            using var done = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var up = stream.CopyToAsync(upstreamStream, done.Token);
            var down = upstreamStream.CopyToAsync(stream, done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client, the simulator or the host went away: the tunnel simply ends.
        }
    }

    /// <summary>The simulator's own HTTPS endpoint on loopback, as Kestrel bound it (a dynamic port resolved).</summary>
    private IPEndPoint? HttpsEndpoint()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        var normalized = address?.Replace("://+:", "://localhost:", StringComparison.Ordinal).Replace("://*:", "://localhost:", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri) ? Endpoint(uri.Host, uri.Port) : null;
    }

    private static IPEndPoint Endpoint(string host, int port) => IPAddress.TryParse(host.Trim('[', ']'), out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
        ? new IPEndPoint(ip, port)
        : new IPEndPoint(IPAddress.Loopback, port);

    /// <summary>The request head up to the blank line, or null when it is too long or the client stops sending.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            // One byte at a time: nothing past the head may be consumed, it belongs to the TLS handshake.
            var read = await stream.ReadAsync(buffer.AsMemory(length, 1), cancellationToken);
            if (read == 0)
            {
                return null;
            }

            length++;
            if (length >= 4 && buffer.AsSpan(length - 4, 4).SequenceEqual("\r\n\r\n"u8))
            {
                return Encoding.ASCII.GetString(buffer, 0, length);
            }
        }

        return null;
    }

    private static Task AnswerAsync(NetworkStream stream, string status, CancellationToken cancellationToken)
    {
        var close = status.StartsWith("200", StringComparison.Ordinal) ? string.Empty : "Connection: close\r\nContent-Length: 0\r\n";
        return stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n{close}\r\n"), cancellationToken).AsTask();
    }

    [LoggerMessage(EventId = 5600, Level = LogLevel.Information, Message = "PSP CONNECT proxy listening on: {Url}")]
    private static partial void LogListening(ILogger logger, string url);

    [LoggerMessage(EventId = 5601, Level = LogLevel.Warning, Message = "CONNECT to {Target} refused: only PSP API hosts on port 443 are tunnelled")]
    private static partial void LogRefused(ILogger logger, string target);
}
