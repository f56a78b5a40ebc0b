using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Obol.Testing;

public static class HttpClientExtensions
{
    /// <summary>POSTs exactly these JSON bytes (so tests control what the idempotency layer fingerprints).</summary>
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body, string? idempotencyKey = null) =>
        client.PostJsonAsync(path, JsonSerializer.Serialize(body, JsonSerializerOptions.Web), idempotencyKey);

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with this status and code, and returns its body.</summary>
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != status || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            throw new InvalidOperationException($"Expected a {status} problem '{code}', got {(int)response.StatusCode} {response.Content.Headers.ContentType}: {body}");
        }

        var problem = JsonDocument.Parse(body).RootElement.Clone();
        var actualCode = problem.GetProperty("code").GetString();
        if (actualCode != code)
        {
            throw new InvalidOperationException($"Expected problem code '{code}', got '{actualCode}': {body}");
        }

        return problem;
    }

    public static void UseKey(this HttpClient client, string apiKey) =>
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
}
