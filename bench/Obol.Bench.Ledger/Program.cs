using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Obol.Core;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Ledger.Booking;
using Obol.Ledger.GroupCommit;

// Ledger throughput: (a) one transfer per commit from 8 concurrent callers, against (b) the same callers through
// group commit, one transaction per call and a bulk call of many. PostgreSQL needs OBOL_BENCH_POSTGRES (an admin
// connection string; bench/ledger.sh starts a throwaway cluster and sets it); SQLite runs in a temporary file
// (OBOL_BENCH_SKIP_SQLITE=1 leaves it out).
const int Callers = 8;
const int Accounts = 1000;
const int BulkSize = 1000;
var phase = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_SECONDS") ?? "8", CultureInfo.InvariantCulture));
var usd = Currency.FromCode("USD");
const string Merchant = "mer_bench";

var providers = new List<(string Name, DatabaseOptions Options)>();
if (Environment.GetEnvironmentVariable("OBOL_BENCH_POSTGRES") is { Length: > 0 } admin)
{
    var name = $"obol_bench_{Guid.NewGuid():N}";
    await using (var connection = new NpgsqlConnection(admin))
    {
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
    }

    providers.Add(("PostgreSQL", new DatabaseOptions(DatabaseProvider.Postgres,
        new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 32 }.ConnectionString)));
}
else
{
    Console.WriteLine("OBOL_BENCH_POSTGRES is not set: PostgreSQL skipped (run bench/ledger.sh).");
}

if (Environment.GetEnvironmentVariable("OBOL_BENCH_SKIP_SQLITE") is not "1")
{
    providers.Add(("SQLite", new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(Path.GetTempPath(), $"obol-bench-{Guid.NewGuid():N}.db")}")));
}

Console.WriteLine($"{Callers} callers, {Accounts} accounts, {phase.TotalSeconds:F0}s per measurement, bulk calls of {BulkSize}, {Environment.ProcessorCount} cores");
foreach (var (providerName, options) in providers)
{
    await using var database = Database.Create(options);
    var clock = TimeProvider.System;
    await new MigrationRunner(database, [new MigrationSource("core", typeof(Database).Assembly), new MigrationSource("ledger", typeof(ILedger).Assembly)],
        clock, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
    var ids = new IdGenerator(clock);
    var bookkeeper = new Bookkeeper(ids, clock);
    var ledger = new Ledger(bookkeeper, ids, clock);
    var accountIds = new string[Accounts];
    await database.WriteAsync(async s =>
    {
        for (var i = 0; i < Accounts; i++)
        {
            accountIds[i] = (await ledger.CreateAccountAsync(s, Merchant, new NewAccount($"bench{i}", AccountType.Asset, usd))).Id;
        }
    }, CancellationToken.None);

    NewTransaction RandomTransaction(Random random)
    {
        var debit = random.Next(Accounts);
        var credit = (debit + 1 + random.Next(Accounts - 1)) % Accounts;
        return new NewTransaction([new NewTransfer(accountIds[debit], accountIds[credit], random.Next(1, 10_000), usd)]);
    }

    var single = await MeasureAsync(phase, 1, async random =>
        await database.WriteAsync(s => ledger.CreateTransactionAsync(s, Merchant, RandomTransaction(random)), CancellationToken.None));

    await using var groupCommit = new LedgerGroupCommit(database, bookkeeper, new LedgerGroupCommitOptions());
    var grouped = await MeasureAsync(phase, 1, async random => await groupCommit.BookAsync(Merchant, RandomTransaction(random)));
    var bulk = await MeasureAsync(phase, BulkSize, async random =>
    {
        var outcomes = await groupCommit.BookManyAsync(Merchant, Enumerable.Range(0, BulkSize).Select(_ => RandomTransaction(random)).ToList());
        if (outcomes.Any(o => !o.IsBooked))
        {
            throw new InvalidOperationException(outcomes.First(o => !o.IsBooked).Rejection!.Message);
        }
    });

    var report = await database.ReadAsync(s => ledger.VerifyAsync(s, null), CancellationToken.None);
    Console.WriteLine();
    Console.WriteLine($"== {providerName} ==");
    Print("(a) one transfer per commit", single, 1);
    Print("(b) group commit, 1 per call", grouped, 1);
    Print($"(b) group commit, bulk {BulkSize}/call", bulk, BulkSize);
    Console.WriteLine($"ratio (b) group commit / (a): {grouped.PerSecond / single.PerSecond:F1}x    (b) bulk / (a): {bulk.PerSecond / single.PerSecond:F1}x");
    Console.WriteLine($"verify after {report.EntriesChecked} entries: {(report.Ok ? "clean" : string.Join("; ", report.Problems.Select(p => p.Code)))}");
}

static void Print(string label, Measurement m, int perCall) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-34} {m.PerSecond,10:N0} transfers/s   latency per call p50 {m.P50.TotalMilliseconds,7:F2} ms  p99 {m.P99.TotalMilliseconds,7:F2} ms  ({m.Calls} calls)"));

static async Task<Measurement> MeasureAsync(TimeSpan duration, int transfersPerCall, Func<Random, Task> call)
{
    var latencies = new List<double>[Callers];
    var stopwatch = Stopwatch.StartNew();
    var deadline = duration;
    await Task.WhenAll(Enumerable.Range(0, Callers).Select(worker => Task.Run(async () =>
    {
        var random = new Random(worker);
        var mine = latencies[worker] = [];
        while (stopwatch.Elapsed < deadline)
        {
            var start = Stopwatch.GetTimestamp();
            await call(random);
            mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    })));
    var elapsed = stopwatch.Elapsed;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new Measurement(all.Length * (double)transfersPerCall / elapsed.TotalSeconds, all.Length,
        TimeSpan.FromMilliseconds(all[all.Length / 2]), TimeSpan.FromMilliseconds(all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))]));
}

internal sealed record Measurement(double PerSecond, int Calls, TimeSpan P50, TimeSpan P99);
