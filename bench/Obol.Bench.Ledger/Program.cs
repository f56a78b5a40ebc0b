using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Obol.Bench;
using Obol.Core;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Ledger.Booking;
using Obol.Ledger.GroupCommit;

// Ledger throughput, every figure measured in the same run against the same 8 callers:
//  (a)  one transfer per commit: each caller books one transaction of one transfer in its own database transaction;
//  (b1) group commit: each caller keeps OBOL_BENCH_IN_FLIGHT (default 64) single-transfer bookings in flight through
//       LedgerGroupCommit; concurrent requests are booked many per commit, each accepted or rejected on its own;
//  (b2) bulk method: each caller books OBOL_BENCH_BULK (default 10,000) transactions per call with
//       ILedger.CreateTransactionsAsync in one database transaction, over all accounts (callers overlap, so their
//       account locks serialise them);
//  (b3) the same bulk calls, but each caller on its own slice of the accounts (an import per merchant or per
//       shard), so the callers' commits run in parallel.
// Every transaction is one transfer between two random accounts. PostgreSQL needs OBOL_BENCH_POSTGRES (an admin
// connection string; bench/ledger.sh starts a throwaway cluster and sets it); SQLite runs in a temporary file
// (OBOL_BENCH_SKIP_SQLITE=1 leaves it out). OBOL_BENCH_SECONDS sets each measurement's length (default 8),
// OBOL_BENCH_ONLY a comma-separated subset of a,b1,b2,b3, OBOL_BENCH_WRITERS the group-commit writers (default 1).
// Per measurement the bench prints commits, transfers per commit, where the bookings' time went (summed over
// concurrent writers, so waits for another writer's account locks show under "lock") and this process's CPU per
// transfer ("client CPU": the callers, the ledger and, for SQLite, the database engine itself).
const int Callers = 8;
const int Accounts = 1000;
var phase = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_SECONDS") ?? "8", CultureInfo.InvariantCulture));
var inFlight = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_IN_FLIGHT") ?? "64", CultureInfo.InvariantCulture);
var bulkSize = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_BULK") ?? "10000", CultureInfo.InvariantCulture);
var only = (Environment.GetEnvironmentVariable("OBOL_BENCH_ONLY") ?? "a,b1,b2,b3").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
var writers = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_WRITERS") ?? "1", CultureInfo.InvariantCulture);
var usd = Currency.FromCode("USD");
const string Merchant = "mer_bench";

var providers = new List<(string Name, DatabaseOptions Options)>();
string? postgresDatabase = null;
if (Environment.GetEnvironmentVariable("OBOL_BENCH_POSTGRES") is { Length: > 0 } admin)
{
    var name = postgresDatabase = $"obol_bench_{Guid.NewGuid():N}";
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
    providers.Add(("SQLite", new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={TemporarySqliteFile.NewPath()}")));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"load average {LoadAverage()}; {Callers} callers, {Accounts} accounts, {phase.TotalSeconds:F0}s per measurement, group commit {inFlight} in flight per caller, bulk calls of {bulkSize:N0}, {Environment.ProcessorCount} cores"));
BookingTimings.Enabled = true;
foreach (var (providerName, options) in providers)
{
    await using var database = Database.Create(options);
    var clock = TimeProvider.System;
    await new MigrationRunner(database, [new MigrationSource("core", typeof(Database).Assembly), new MigrationSource("ledger", typeof(ILedger).Assembly)],
        clock, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
    var ids = new IdGenerator(clock);
    var bookkeeper = new Bookkeeper(clock);
    var ledger = new Ledger(bookkeeper, ids, clock);
    var accountIds = new string[Accounts];
    await database.WriteAsync(async s =>
    {
        for (var i = 0; i < Accounts; i++)
        {
            accountIds[i] = (await ledger.CreateAccountAsync(s, Merchant, new NewAccount($"bench{i}", AccountType.Asset, usd))).Id;
        }
    }, CancellationToken.None);

    // A transfer between two distinct accounts of [first, first + count).
    NewTransaction RandomTransaction(Random random, int first = 0, int count = Accounts)
    {
        var debit = random.Next(count);
        var credit = (debit + 1 + random.Next(count - 1)) % count;
        return new NewTransaction([new NewTransfer(accountIds[first + debit], accountIds[first + credit], random.Next(1, 10_000), usd)]);
    }

    async Task BulkAsync(Random random, int first, int count)
    {
        var transactions = new NewTransaction[bulkSize];
        for (var i = 0; i < transactions.Length; i++)
        {
            transactions[i] = RandomTransaction(random, first, count);
        }

        var outcomes = await database.WriteAsync(s => ledger.CreateTransactionsAsync(s, Merchant, transactions), CancellationToken.None);
        foreach (var outcome in outcomes)
        {
            if (!outcome.IsBooked)
            {
                throw new InvalidOperationException(outcome.Rejection!.Message);
            }
        }
    }

    var results = new List<(string Label, Measurement M)>();
    Console.WriteLine();
    Console.WriteLine($"== {providerName} ==");
    var serverDatabase = options.Provider == DatabaseProvider.Postgres ? postgresDatabase : null;
    if (only.Contains("a"))
    {
        results.Add(Report("(a) one transfer per commit", await MeasureAsync(serverDatabase, phase, 1, 1, async (_, random) =>
            await database.WriteAsync(s => ledger.CreateTransactionAsync(s, Merchant, RandomTransaction(random)), CancellationToken.None))));
    }

    if (only.Contains("b1"))
    {
        await using var groupCommit = new LedgerGroupCommit(database, bookkeeper, new LedgerGroupCommitOptions { Writers = writers });
        results.Add(Report($"(b1) group commit, {inFlight} in flight/caller", await MeasureAsync(serverDatabase, phase, 1, inFlight, async (_, random) =>
            await groupCommit.BookAsync(Merchant, RandomTransaction(random)))));
    }

    if (only.Contains("b2"))
    {
        results.Add(Report($"(b2) bulk {bulkSize:N0}/commit, shared accounts", await MeasureAsync(serverDatabase, phase, bulkSize, 1, (_, random) =>
            BulkAsync(random, 0, Accounts))));
    }

    if (only.Contains("b3"))
    {
        const int Slice = Accounts / Callers;
        results.Add(Report($"(b3) bulk {bulkSize:N0}/commit, own accounts", await MeasureAsync(serverDatabase, phase, bulkSize, 1, (caller, random) =>
            BulkAsync(random, caller * Slice, Slice))));
    }

    if (results.Count > 1 && results[0].Label.StartsWith("(a)", StringComparison.Ordinal))
    {
        Console.WriteLine(string.Join("   ", results.Skip(1).Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Label.Split(' ')[0]} / (a): {r.M.PerSecond / results[0].M.PerSecond:F1}x"))));
    }

    Console.WriteLine($"load average after {providerName}: {LoadAverage()} (the machine may be shared; figures move with it)");
    var report = await database.ReadAsync(s => ledger.VerifyAsync(s, null), CancellationToken.None);
    Console.WriteLine($"verify after {report.EntriesChecked:N0} entries: {(report.Ok ? "clean" : string.Join("; ", report.Problems.Select(p => p.Code)))}");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static (string, Measurement) Report(string label, Measurement m)
{
    var t = m.Timings;
    var perTransaction = t.Transactions == 0 ? 0 : 1e6 / t.Transactions;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-40} {m.PerSecond,10:N0} transfers/s   latency per call p50 {m.P50.TotalMilliseconds,8:F2} ms  p99 {m.P99.TotalMilliseconds,8:F2} ms  ({m.Calls:N0} calls)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{"",-40}   {t.Bookings:N0} commits, {(t.Bookings == 0 ? 0 : (double)t.Transactions / t.Bookings):N0} transfers/commit; µs per transfer, summed over writers: checks {t.Checks.TotalSeconds * perTransaction:F1}, lock {t.Lock.TotalSeconds * perTransaction:F1}, apply {t.Apply.TotalSeconds * perTransaction:F1}, write {t.Write.TotalSeconds * perTransaction:F1}; client CPU {m.ClientCpu:F1}{(m.ServerCpu is { } server ? $", server CPU {server:F1}" : "")}; {m.Allocated:N0} B allocated per transfer"));
    return (label, m);
}

// Callers run concurrently, each with `concurrency` calls in flight, until the time is up; latency is per call.
static async Task<Measurement> MeasureAsync(string? serverDatabase, TimeSpan duration, int transfersPerCall, int concurrency, Func<int, Random, Task> call)
{
    BookingTimings.TakeAndReset();
    var (cpuBefore, serverBefore) = (ProcessCpu.Self(), serverDatabase is null ? TimeSpan.Zero : ProcessCpu.PostgresBackends(serverDatabase));
    var allocatedBefore = GC.GetTotalAllocatedBytes();
    var latencies = new List<double>[Callers * concurrency];
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, Callers * concurrency).Select(slot => Task.Run(async () =>
    {
        var caller = slot / concurrency;
        var random = new Random(slot);
        var mine = latencies[slot] = [];
        while (stopwatch.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            await call(caller, random);
            mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    })));
    var elapsed = stopwatch.Elapsed;
    var cpu = ProcessCpu.Self() - cpuBefore;
    var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
    var serverCpu = serverDatabase is null ? (TimeSpan?)null : ProcessCpu.PostgresBackends(serverDatabase) - serverBefore;
    var timings = BookingTimings.TakeAndReset();
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new Measurement(all.Length * (double)transfersPerCall / elapsed.TotalSeconds, all.Length,
        TimeSpan.FromMilliseconds(all[all.Length / 2]), TimeSpan.FromMilliseconds(all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))]), timings,
        cpu.TotalMicroseconds / (all.Length * (double)transfersPerCall), serverCpu?.TotalMicroseconds / (all.Length * (double)transfersPerCall),
        allocated / (all.Length * (double)transfersPerCall));
}

/// <summary>
/// ClientCpu: this process's CPU time (the bench's callers included) per transfer, in µs; ServerCpu: the PostgreSQL
/// backends' of the bench database (null for SQLite, which runs in this process); Allocated: bytes this process
/// allocated per transfer.
/// </summary>
internal sealed record Measurement(double PerSecond, int Calls, TimeSpan P50, TimeSpan P99, BookingTimings.Snapshot Timings, double ClientCpu, double? ServerCpu,
    double Allocated);
