using System.Diagnostics;
using System.Net.Sockets;

namespace Obol.Chaos.Cluster;

/// <summary>
/// One child process the harness owns (an Obol node or the simulator): started with its environment, its stdout and
/// stderr appended to files in the run directory (across restarts), killed with SIGKILL, started again the same way.
/// </summary>
public sealed class ManagedProcess(string name, string dll, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment,
    string workingDirectory, Uri baseAddress, string readinessPath) : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Lock _gate = new();
    private Process? _process;
    private StreamWriter? _stdout;
    private StreamWriter? _stderr;

    public string Name => name;
    public Uri BaseAddress => baseAddress;
    public int Starts { get; private set; }
    public string StdoutPath => Path.Combine(workingDirectory, $"{name}.stdout.log");
    public string StderrPath => Path.Combine(workingDirectory, $"{name}.stderr.log");

    /// <summary>Whether the process is running (it may have died on its own: the harness notices at heal).</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    public int? ExitCode
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: true } p ? p.ExitCode : null;
            }
        }
    }

    public async Task StartAsync(TimeSpan readyWithin, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"{name} is already running.");
            }

            Directory.CreateDirectory(workingDirectory);
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(dll);
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }

            _process?.Dispose();
            _stdout ??= new StreamWriter(StdoutPath, append: true) { AutoFlush = true };
            _stderr ??= new StreamWriter(StderrPath, append: true) { AutoFlush = true };
            var stdout = _stdout;
            var stderr = _stderr;
            Starts++;
            stdout.WriteLine($"--- start {Starts} at {DateTimeOffset.UtcNow:O} ---");
            var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => Write(stdout, e.Data);
            process.ErrorDataReceived += (_, e) => Write(stderr, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }

        await WaitReadyAsync(readyWithin, cancellationToken);
    }

    /// <summary><c>kill -9</c>: no shutdown, no flushing, connections reset mid-request.</summary>
    public async Task KillAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            return;
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    private async Task WaitReadyAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            if (!IsRunning)
            {
                throw new HarnessException($"{name} exited with code {ExitCode} while starting; see {StderrPath}.");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri(baseAddress, readinessPath), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new HarnessException($"{name} did not answer {readinessPath} within {within.TotalSeconds:0} s; see {StdoutPath}.");
    }

    /// <summary>The last lines of its logs, for a report about a process that died on its own.</summary>
    public string Tail(int lines)
    {
        static IEnumerable<string> Last(string path, int count) =>
            File.Exists(path) ? File.ReadLines(path).TakeLast(count) : [];
        return string.Join('\n', Last(StderrPath, lines).Concat(Last(StdoutPath, lines)));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_gate)
        {
            _process?.Dispose();
            _process = null;
            _stdout?.Dispose();
            _stderr?.Dispose();
            _stdout = null;
            _stderr = null;
        }
    }

    private static void Write(StreamWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (writer)
        {
            try
            {
                writer.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The run is over; the last lines of a killed process are not needed.
            }
        }
    }
}

/// <summary>The harness itself could not do its job (a process would not start, PostgreSQL would not restart): not a finding about Obol.</summary>
public sealed class HarnessException(string message, Exception? inner = null) : Exception(message, inner);
