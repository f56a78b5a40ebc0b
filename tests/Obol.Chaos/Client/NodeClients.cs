using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Obol.Chaos.History;

namespace Obol.Chaos.Client;

/// <summary>
/// HTTP to each Obol node with the operator's key. Every request is recorded in the history with what came back,
/// including no answer: a timeout, a refused connection, a connection reset by a killed node.
/// </summary>
public sealed class NodeClients : IDisposable
{
    private readonly HttpClient[] _clients;
    private readonly RunHistory _history;

    public NodeClients(IReadOnlyList<Uri> nodes, string apiKey, RunHistory history)
    {
        _history = history;
        _clients = nodes.Select(address =>
        {
            var client = new HttpClient(new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionLifetime = TimeSpan.FromSeconds(30),
                MaxConnectionsPerServer = 128,
            })
            {
                BaseAddress = address,
                Timeout = Timeout.InfiniteTimeSpan,
            };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            return client;
        }).ToArray();
    }

    public int Count => _clients.Length;

    public async Task<Exchange> SendAsync(
        int node, int paymentIndex, OperationKind kind, HttpMethod method, string path, string? idempotencyKey, string? body, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var sentAt = _history.Now;
        int? status = null;
        string? responseBody = null;
        string? error = null;
        var replayed = false;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(method, path);
            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await _clients[node].SendAsync(request, timer.Token);
            responseBody = await response.Content.ReadAsStringAsync(timer.Token);
            status = (int)response.StatusCode;
            replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true", StringComparer.Ordinal);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = "timeout";
        }
        catch (HttpRequestException e)
        {
            error = Describe(e);
        }
        catch (IOException e)
        {
            error = "connection broke while reading the response: " + e.Message;
        }

        var exchange = new Exchange(_history.NextSequence(), paymentIndex, kind, node, method.Method, path, idempotencyKey, body, status, responseBody,
            replayed, error, sentAt, _history.Now);
        _history.Add(exchange);
        return exchange;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.ConnectionReset => "connection reset",
                    _ => "socket: " + socket.SocketErrorCode,
                };
            }
        }

        return e.HttpRequestError switch
        {
            HttpRequestError.ResponseEnded => "connection closed before the response",
            HttpRequestError.ConnectionError => "connection error",
            _ => "http: " + e.HttpRequestError,
        };
    }
}
