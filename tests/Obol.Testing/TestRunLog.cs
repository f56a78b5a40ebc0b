using System.Text;
using Microsoft.Extensions.Logging;

namespace Obol.Testing;

/// <summary>
/// With <c>OBOL_TEST_LOG_DIR</c> set (test.sh sets it), every test server writes what Obol logs at Information and above,
/// with every scope, to one file per test process in that directory, in place of the console: test.sh then scans the
/// whole run's logs for API keys and card numbers (scripts/scan_test_logs.py). Obol's own logging caps apply unchanged,
/// so the file holds what a production console would.
/// </summary>
public sealed class TestRunLog : ILoggerProvider, ISupportExternalScope
{
    public const string DirectoryVariable = "OBOL_TEST_LOG_DIR";

    private static readonly Lock WriterLock = new();
    private static StreamWriter? _writer;

    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public static string? Directory => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir ? dir : null;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private static void Write(string line)
    {
        lock (WriterLock)
        {
            _writer ??= new StreamWriter(
                Path.Combine(Directory!, $"{AppDomain.CurrentDomain.FriendlyName}-{Environment.ProcessId}.log"), append: true, Encoding.UTF8)
            {
                AutoFlush = true,
            };
            _writer.WriteLine(line);
        }
    }

    private sealed class Logger(string category, TestRunLog provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}");
            if (exception is not null)
            {
                line.Append(' ').Append(exception);
            }

            provider._scopes.ForEachScope(static (scope, text) =>
            {
                text.Append(" | scope ").Append(scope);
                if (scope is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    text.Append(' ').AppendJoin(' ', values.Select(v => $"{v.Key}={v.Value}"));
                }
            }, line);
            Write(line.ToString());
        }
    }
}
