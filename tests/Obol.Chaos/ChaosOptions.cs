using System.Globalization;

namespace Obol.Chaos;

/// <summary>What one invocation runs: <c>--runs</c> consecutive seeds, each a full run with its own database, processes and checks.</summary>
public sealed record ChaosOptions
{
    public required int Seed { get; init; }
    public required int Payments { get; init; }
    public int Nodes { get; init; } = 2;
    public int Workers { get; init; } = 16;
    public bool IsShort { get; init; }
    public int Runs { get; init; } = 1;

    /// <summary>Payments started per second at most, so that the nemesis's timed incidents see traffic.</summary>
    public double Rate { get; init; }

    /// <summary>Keep every run's directory, even when it passed.</summary>
    public bool Keep { get; init; }

    public required string ServerDll { get; init; }
    public required string SimulatorDll { get; init; }
    public required string RunRoot { get; init; }
    public required PostgresSettings Postgres { get; init; }

    public const string Usage =
        """
        Usage: Obol.Chaos --server-dll PATH --simulator-dll PATH --pg-bin DIR --pg-data DIR --pg-admin CONNECTION
                          [--pg-owner USER] [--pg-log FILE] [--seed N] [--payments N] [--nodes N] [--workers N] [--rate N]
                          [--short] [--runs K] [--run-root DIR] [--keep]
        Normally started by scripts/chaos.sh, which builds Obol and starts the PostgreSQL cluster.
        """;

    public static ChaosOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "--short" or "--keep")
            {
                flags.Add(name);
            }
            else if (name.StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{name}'.");
            }
        }

        string Required(string name) => values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"{name} is required.");
        int Number(string name, int fallback) =>
            values.TryGetValue(name, out var value) ? int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

        var isShort = flags.Contains("--short");
        var payments = Number("--payments", isShort ? 300 : 2000);
        return new ChaosOptions
        {
            Seed = Number("--seed", Environment.TickCount & 0xFFFFF),
            Payments = payments,
            Nodes = Number("--nodes", 2),
            Workers = Number("--workers", 16),
            IsShort = isShort,
            Runs = Number("--runs", 1),
            Rate = values.TryGetValue("--rate", out var rate) ? double.Parse(rate, CultureInfo.InvariantCulture) : isShort ? 8 : 12,
            Keep = flags.Contains("--keep"),
            ServerDll = Path.GetFullPath(Required("--server-dll")),
            SimulatorDll = Path.GetFullPath(Required("--simulator-dll")),
            RunRoot = values.GetValueOrDefault("--run-root") ?? Path.Combine(Path.GetTempPath(), "obol-chaos"),
            Postgres = new PostgresSettings(
                Required("--pg-bin"), Required("--pg-data"), Required("--pg-admin"), values.GetValueOrDefault("--pg-owner"),
                values.GetValueOrDefault("--pg-log") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Required("--pg-data")))!, "server.log")),
        };
    }
}

/// <summary>The throwaway cluster scripts/postgres.sh started: where its binaries and data are, who owns it, how to reach it.</summary>
public sealed record PostgresSettings(string BinDirectory, string DataDirectory, string AdminConnection, string? Owner, string LogFile);
