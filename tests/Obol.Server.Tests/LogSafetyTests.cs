using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

/// <summary>
/// Secrets and card numbers sent in a URL never reach a log line or its scopes: not ASP.NET Core's own request lines or
/// request scope, whatever the configuration found at start-up says (appsettings.json is found only when Obol starts in
/// its own directory), and not Obol's own line per request.
/// </summary>
public class LogSafetyTests
{
    private const string CardNumber = "4242424242424242";
    private const string SecretInQuery = "sk_test_neverlogged_a1b2c3d4e5f6g7h8";

    [Fact]
    public async Task A_card_number_in_the_path_is_refused_and_neither_it_nor_a_key_in_the_query_is_logged()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await ObolTestServer.StartAsync(DatabaseProvider.Sqlite, b =>
        {
            // What a start from another directory gets: no appsettings.json quieting Microsoft.AspNetCore.
            b.Configuration["Logging:LogLevel:Default"] = "Trace";
            b.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
            b.Logging.AddProvider(logs);
        });
        using var client = server.CreateClient();

        await (await client.GetAsync($"/v1/payments/{CardNumber}")).ReadProblemAsync(400, "card_number_not_allowed");
        await (await client.GetAsync($"/v1/payments/4242-4242-4242-4242/refunds")).ReadProblemAsync(400, "card_number_not_allowed");
        using var anonymous = server.CreateClient(apiKey: null);
        await (await anonymous.GetAsync($"/v1/payments?api_key={SecretInQuery}")).ReadProblemAsync(401, "unauthenticated");
        await client.GetAsync($"/healthz?token={SecretInQuery}");

        var lines = logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("GET /v1/payments ->", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("path withheld", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("RequestId=req_", StringComparison.Ordinal));
        var leaks = lines.Where(l => l.Contains(CardNumber, StringComparison.Ordinal) || l.Contains("4242-4242", StringComparison.Ordinal)
            || l.Contains(SecretInQuery, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    /// <summary>Every line with its scopes, as a console logger with IncludeScopes writes them.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public IEnumerable<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(string category, CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = new System.Text.StringBuilder($"{category}: {formatter(state, exception)} {exception}");
                provider._scopes.ForEachScope(static (scope, text) =>
                {
                    text.Append(" scope: ").Append(scope);
                    if (scope is IEnumerable<KeyValuePair<string, object?>> values)
                    {
                        text.AppendJoin(' ', values.Select(v => $"{v.Key}={v.Value}"));
                    }
                }, line);
                provider._lines.Enqueue(line.ToString());
            }
        }
    }
}
