using System.Diagnostics;
using Npgsql;

namespace Obol.Chaos.Cluster;

/// <summary>
/// The throwaway PostgreSQL cluster: a database per run, and immediate restarts (no checkpoint, crash recovery on start)
/// through <c>pg_ctl</c>, as the cluster's owner (<c>runuser</c> when the harness runs as root, since the cluster cannot).
/// </summary>
public sealed class PostgresServer(PostgresSettings settings)
{
    public int Restarts { get; private set; }

    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        // Not pooled: a pooled connection from before the last restart is dead, and this one is used once per run.
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(settings.AdminConnection) { Pooling = false }.ConnectionString);
        await admin.OpenAsync(cancellationToken);
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        return ConnectionString(name, poolSize: 30);
    }

    /// <summary>A connection string for the run's database; a pool size of 0 means no pool.</summary>
    public string ConnectionString(string database, int poolSize) =>
        new NpgsqlConnectionStringBuilder(settings.AdminConnection)
        {
            Database = database,
            Pooling = poolSize > 0,
            MaxPoolSize = Math.Max(poolSize, 1),
            Timeout = 5,
            CommandTimeout = 30,
        }.ConnectionString;

    /// <summary>
    /// <c>pg_ctl restart -m immediate</c>: every connection is cut, then the server recovers from its WAL. The postmaster's
    /// output goes to the cluster's log, never to a pipe of ours (it would hold it open).
    /// </summary>
    public async Task RestartImmediateAsync(CancellationToken cancellationToken)
    {
        Restarts++;
        await PgCtlAsync([$"--pgdata={settings.DataDirectory}", $"--log={settings.LogFile}", "--mode=immediate", "--wait", "--timeout=120", "restart"],
            cancellationToken);
    }

    /// <summary>Makes sure the server runs (after a failed restart, say); a running one is left alone.</summary>
    public async Task EnsureRunningAsync(CancellationToken cancellationToken)
    {
        if (await PgCtlAsync([$"--pgdata={settings.DataDirectory}", "status"], cancellationToken, throwOnFailure: false) == 0)
        {
            return;
        }

        await PgCtlAsync([$"--pgdata={settings.DataDirectory}", $"--log={settings.LogFile}", "--wait", "--timeout=120", "start"], cancellationToken);
    }

    private async Task<int> PgCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool throwOnFailure = true)
    {
        var pgCtl = Path.Combine(settings.BinDirectory, "pg_ctl");
        var info = settings.Owner is { } owner
            ? new ProcessStartInfo("runuser") { ArgumentList = { "-u", owner, "--", pgCtl } }
            : new ProcessStartInfo(pgCtl);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new HarnessException("pg_ctl did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw new HarnessException($"pg_ctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }

        return process.ExitCode;
    }
}
