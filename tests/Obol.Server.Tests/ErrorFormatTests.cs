using System.Net;
using System.Text;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

public sealed class ErrorFormatTests : IAsyncLifetime
{
    private ObolTestServer _server = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestCounters.StartServerAsync(DatabaseProvider.Sqlite);
        _client = _server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Validation_failures_list_each_field()
    {
        var problem = await (await _client.PostJsonAsync("/v1/test/counters", """{"name":" ","size":-1}""")).ReadProblemAsync(400, "validation_failed");
        Assert.Equal("urn:obol:problem:validation_failed", problem.GetProperty("type").GetString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("title").GetString()!.Length > 0);
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("size", out _));
        Assert.StartsWith("req_", problem.GetProperty("requestId").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_is_400() =>
        await (await _client.PostJsonAsync("/v1/test/counters", """{"name": """)).ReadProblemAsync(400, "malformed_json");

    [Fact]
    public async Task An_unknown_field_is_400_not_silently_ignored()
    {
        var problem = await (await _client.PostJsonAsync("/v1/test/counters", """{"name":"a","ammount":5}""")).ReadProblemAsync(400, "unknown_field");
        Assert.Contains("ammount", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await TestCounters.CountAsync(_server));
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_a_validation_failure()
    {
        var problem = await (await _client.PostJsonAsync("/v1/test/counters", """{"name":"a","size":"12"}""")).ReadProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("size", out _));
    }

    [Fact]
    public async Task A_missing_body_is_400() =>
        await (await _client.PostAsync("/v1/test/counters", new StringContent("", Encoding.UTF8, "application/json"))).ReadProblemAsync(400, "malformed_json");

    [Fact]
    public async Task Wrong_content_type_is_415() =>
        await (await _client.PostAsync("/v1/test/counters", new StringContent("""{"name":"a"}""", Encoding.UTF8, "text/plain"))).ReadProblemAsync(415, "unsupported_media_type");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_one_mebibyte_is_413(bool chunked)
    {
        var payload = Encoding.UTF8.GetBytes($$"""{"name":"{{new string('x', 1024 * 1024)}}"}""");
        var framing = chunked ? "Transfer-Encoding: chunked" : $"Content-Length: {payload.Length}";
        var head = $"POST /v1/test/counters HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {ObolTestServer.BootstrapKey}\r\n"
            + $"Content-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n" + (chunked ? $"{payload.Length:x}\r\n" : "");
        var tail = chunked ? "\r\n0\r\n\r\n" : "";

        // A raw socket, because the server answers and closes before the body ends, and HttpClient would report
        // its own failed write rather than the answer.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(_server.BaseAddress.Host, _server.BaseAddress.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        try
        {
            await stream.WriteAsync(payload);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(tail));
        }
        catch (IOException)
        {
            // The server may close its side before the last bytes are written; its answer is already on the way.
        }

        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"request_too_large\"", answer, StringComparison.Ordinal);
        Assert.Equal(0, await TestCounters.CountAsync(_server));
    }

    [Fact]
    public async Task Unknown_routes_are_404_and_wrong_methods_405()
    {
        await (await _client.GetAsync("/v1/nothing-here")).ReadProblemAsync(404, "not_found");
        await (await _client.DeleteAsync("/v1/api-keys")).ReadProblemAsync(405, "method_not_allowed");
    }

    [Fact]
    public async Task An_unhandled_exception_is_a_500_with_a_request_id_and_no_internals()
    {
        var response = await _client.PostJsonAsync("/v1/test/counters", """{"name":"boom"}""");
        var problem = await response.ReadProblemAsync(500, "internal_error");
        var body = problem.GetRawText();

        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        var requestId = problem.GetProperty("requestId").GetString()!;
        Assert.Contains(requestId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(requestId, response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(0, await TestCounters.CountAsync(_server));
    }

    /// <summary>
    /// A COMMIT without an answer is a 503 with its own code, and the request's Idempotency-Key stays claimed (a repeat
    /// must find the response if that COMMIT was applied) with its lease ended: a repeat does not wait for the lease but
    /// takes the key over at once, and here, where nothing was applied, runs again.
    /// </summary>
    [Fact]
    public async Task A_commit_without_an_answer_is_a_503_keeps_the_claim_and_a_repeat_takes_it_over_at_once()
    {
        await (await _client.PostJsonAsync("/v1/test/counters", """{"name":"commit-unknown"}""", "unknown-1")).ReadProblemAsync(503, "commit_outcome_unknown");
        Assert.Equal("started", await _server.GetRequiredService<Obol.Core.Storage.Database>().ReadAsync(
            s => s.QuerySingleAsync<string>("SELECT state FROM idempotency_keys WHERE idempotency_key = 'unknown-1'"), CancellationToken.None));

        await (await _client.PostJsonAsync("/v1/test/counters", """{"name":"commit-unknown"}""", "unknown-1")).ReadProblemAsync(503, "commit_outcome_unknown");
    }

    [Theory]
    [InlineData("""{"name":"4242 4242 4242 4242"}""")]
    [InlineData("""{"name":"ok","size":4111111111111111}""")]
    public async Task A_card_number_anywhere_in_a_request_is_refused_and_nothing_is_stored(string body)
    {
        await (await _client.PostJsonAsync("/v1/test/counters", body, "pan-key")).ReadProblemAsync(400, "card_number_not_allowed");
        await (await _client.GetAsync("/v1/test/counters/x?card=5555555555554444")).ReadProblemAsync(400, "card_number_not_allowed");

        Assert.Equal(0, await TestCounters.CountAsync(_server));
        Assert.Equal(0, await _server.GetRequiredService<Obol.Core.Storage.Database>().ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM idempotency_keys"), CancellationToken.None));
    }
}
