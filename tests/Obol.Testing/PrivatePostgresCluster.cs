using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Obol.Testing;

/// <summary>
/// A PostgreSQL cluster of one test's own, which it may restart, stop and start while requests run (the shared cluster
/// in <c>OBOL_TEST_POSTGRES</c> serves tests running in parallel, so nobody restarts that one). Made the way
/// <c>scripts/postgres.sh</c> makes the shared one: <c>initdb</c> and <c>pg_ctl</c>, as the <c>postgres</c> user when the
/// tests run as root (initdb refuses root). Durability is off (<c>fsync</c>): an immediate restart still runs crash
/// recovery, which is what tests exercise, and only a machine crash would lose data.
/// </summary>
public sealed class PrivatePostgresCluster : IAsyncDisposable
{
    private const string Owner = "postgres";

    private readonly string _bin;
    private readonly string _directory;
    private readonly string _serverOptions;

    private PrivatePostgresCluster(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
        _serverOptions = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB -c fsync=off";
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
            MaxPoolSize = 40,
        }.ConnectionString;
    }

    public int Port { get; }

    /// <summary>The cluster's own <c>postgres</c> database: nobody else uses this cluster.</summary>
    public string ConnectionString { get; }

    public static async Task<PrivatePostgresCluster> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("obol-pg-private.").FullName;
        var cluster = new PrivatePostgresCluster(FindBinaries(), directory, FreePort());
        try
        {
            if (IsRoot)
            {
                await RunAsync("chown", [Owner, directory], asOwner: false);
            }

            await cluster.RunPostgresToolAsync("initdb", ["--pgdata", cluster.DataDirectory, "--username=postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
            await cluster.StartServerAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary><c>pg_ctl restart -m immediate</c>: every backend is killed at once, then the server runs crash recovery and starts.</summary>
    public Task RestartImmediateAsync() =>
        RunPostgresToolAsync("pg_ctl", ["--pgdata", DataDirectory, "--log", LogFile, "--mode=immediate", "--wait", "--timeout=60", "restart"]);

    /// <summary><c>pg_ctl stop -m immediate</c>.</summary>
    public Task StopAsync() =>
        RunPostgresToolAsync("pg_ctl", ["--pgdata", DataDirectory, "--mode=immediate", "--wait", "--timeout=60", "stop"]);

    /// <summary>Starts the server again after <see cref="StopAsync"/>, and waits until it accepts connections.</summary>
    public Task StartServerAsync() =>
        RunPostgresToolAsync("pg_ctl", ["--pgdata", DataDirectory, "--log", LogFile, "-o", _serverOptions, "--wait", "--timeout=60", "start"]);

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        Directory.Delete(_directory, recursive: true);
    }

    private string LogFile => Path.Combine(_directory, "server.log");

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments) =>
        RunAsync(Path.Combine(_bin, tool), arguments, asOwner: IsRoot);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asOwner)
    {
        var start = new ProcessStartInfo(asOwner ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asOwner)
        {
            foreach (var argument in (string[])["-u", Owner, "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    /// <summary>Where <c>initdb</c> lives: on the PATH, else the newest <c>/usr/lib/postgresql/*/bin</c> (as scripts/postgres.sh looks).</summary>
    private static string FindBinaries()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(directory, "initdb");
            if (File.Exists(initdb))
            {
                return Path.GetDirectoryName(new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb)!;
            }
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderDescending(StringComparer.Ordinal).FirstOrDefault()
              ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) were not found; install postgresql-15.")
            : throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) were not found; install postgresql-15.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
