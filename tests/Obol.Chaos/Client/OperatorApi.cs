using System.Net.Http.Headers;
using System.Net.Http.Json;
using Obol.Chaos.Cluster;

namespace Obol.Chaos.Client;

/// <summary>
/// The operator's reads and reconciliation runs after the heal (not part of the client history): patient, retried
/// a few times on errors, since the system is quiet by then.
/// </summary>
public sealed class OperatorApi : IDisposable
{
    private readonly HttpClient _http;

    public OperatorApi(Uri node, string apiKey)
    {
        _http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromMinutes(5) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) where T : class =>
        SendAsync<T>(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<T> PostAsync<T>(string path, object body, CancellationToken cancellationToken) where T : class =>
        SendAsync<T>(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json.Options) }, cancellationToken);

    /// <summary>Every page of a list endpoint, oldest pages last as Obol serves them (newest first).</summary>
    public async Task<IReadOnlyList<T>> ListAsync<T>(string path, Func<T, string> id, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        string? after = null;
        while (true)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var page = await GetAsync<Page<T>>($"{path}{separator}limit=100" + (after is null ? "" : $"&startingAfter={Uri.EscapeDataString(after)}"), cancellationToken);
            all.AddRange(page.Data);
            if (!page.HasMore || page.Data.Count == 0)
            {
                return all;
            }

            after = id(page.Data[^1]);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> request, CancellationToken cancellationToken) where T : class
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var message = request();
                using var response = await _http.SendAsync(message, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return Json.Read<T>(body) is { } value ? value : throw new HarnessException($"{message.RequestUri}: unreadable answer {body}");
                }

                if ((int)response.StatusCode < 500 || attempt >= 5)
                {
                    throw new HarnessException($"{message.Method} {message.RequestUri} answered {(int)response.StatusCode}: {body}");
                }
            }
            catch (HttpRequestException) when (attempt < 5)
            {
                // A node that is restarting; try again.
            }

            await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
        }
    }
}
