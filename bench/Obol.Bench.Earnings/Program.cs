using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NodaTime;
using Obol.Bench;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Payouts;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;
using Obol.Payouts.Events;

// Courier earnings: (1) ingestion in batches of 1,000 events (accepted + fulfilled for 500 orders spread over 1,000
// couriers) through the engine's ingestion path, several writers at once on PostgreSQL: both events of an order in
// one batch, then the same batches again (at-least-once replay, all duplicates), then accept and fulfill in
// consecutive batches (half of each batch completes orders that already have a row), and the same with a few accepts
// arriving after their fulfillments (held orders, anomalies recorded and cleared); (2) GET-earnings query latency for a courier with a year of history
// (7-day and 31-day ranges). PostgreSQL needs OBOL_BENCH_POSTGRES (bench/earnings.sh starts a throwaway cluster).
const string Merchant = "mer_bench";
const int Couriers = 1000;
const int BatchSize = 1000;
var pgBatches = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_BATCHES") ?? "300", CultureInfo.InvariantCulture);
var sqliteBatches = Math.Max(1, pgBatches / 4);
var queries = 2000;

var providers = new List<(string Name, DatabaseOptions Options, int Writers, int Batches)>();
var postgresDatabase = "";
if (Environment.GetEnvironmentVariable("OBOL_BENCH_POSTGRES") is { Length: > 0 } admin)
{
    var name = $"obol_bench_{Guid.NewGuid():N}";
    postgresDatabase = name;
    await using (var connection = new NpgsqlConnection(admin))
    {
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
    }

    providers.Add(("PostgreSQL", new DatabaseOptions(DatabaseProvider.Postgres,
        new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 16 }.ConnectionString),
        int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_WRITERS") ?? "4", CultureInfo.InvariantCulture), pgBatches));
}
else
{
    Console.WriteLine("OBOL_BENCH_POSTGRES is not set: PostgreSQL skipped (run bench/earnings.sh).");
}

if (Environment.GetEnvironmentVariable("OBOL_BENCH_SKIP_SQLITE") is not "1")
{
    providers.Add(("SQLite", new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={TemporarySqliteFile.NewPath()}"), 1, sqliteBatches));
}

Console.WriteLine($"Batches of {BatchSize} events, {Couriers} couriers, {Environment.ProcessorCount} cores");
var failed = false;
foreach (var (providerName, options, writers, batches) in providers)
{
    await using var database = Database.Create(options);
    var clock = TimeProvider.System;
    await new MigrationRunner(database,
        [new MigrationSource("core", typeof(Database).Assembly), new MigrationSource("ledger", typeof(ILedger).Assembly), new MigrationSource("payouts", typeof(PayoutsEndpoints).Assembly)],
        clock, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
    var ids = new IdGenerator(clock);

    // No outbox: the bench measures ingestion without the webhooks module's events table (only late accepts open and clear anomalies).
    var noEvents = new NoEventOutbox();
    var termsCache = new CourierTermsCache();
    var copyFirst = new CopyFirstPolicy();
    await database.WriteAsync(async s =>
    {
        for (var c = 0; c < Couriers; c++)
        {
            var terms = CourierTermsDecision.Decide($"c{c}", new PutCourierRequest
            {
                TimeZone = (c % 3) switch { 0 => "America/New_York", 1 => "Europe/London", _ => "Asia/Kolkata" },
                Currency = "USD",
                BasePayRate = 30,
                BonusPay = 200,
                DeliveriesPerBonus = 10,
                EffectiveAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            }, null, clock.GetUtcNow());
            await CourierTermsStore.AppendAsync(s, Merchant, terms, clock.GetUtcNow());
        }
    }, CancellationToken.None);

    // Writer w owns couriers c ≡ w (mod writers), as a partitioned consumer would. A batch's orders (courier and
    // times) come from a seed, so a later batch can send the fulfillments of an earlier batch's orders.
    (string Order, string Courier, DateTimeOffset Accepted, DateTimeOffset Fulfilled)[] Orders(string prefix, int writer, int index)
    {
        var random = new Random((writer * 100_003) + index);
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(index * 7);
        var orders = new (string, string, DateTimeOffset, DateTimeOffset)[BatchSize / 2];
        for (var i = 0; i < orders.Length; i++)
        {
            var courier = (random.Next(Couriers / writers) * writers) + writer;
            var accepted = start.AddSeconds(random.Next(0, 86_400 * 30));
            orders[i] = ($"{prefix}w{writer}b{index}o{i}", $"c{courier}", accepted, accepted.AddSeconds(random.Next(60, 3600)));
        }

        return orders;
    }

    // Together: a batch has both events of its 500 orders. Split: a batch has the accepts of its own orders and the
    // fulfillments of the orders of the writer's previous batch, as a stream in time order would (a writer's first
    // batch has only accepts), so half the events complete an order that already has a row. SplitLate: as Split, but
    // 2 of each batch's 500 accepts come two batches late, after their fulfillments: those orders are held (an
    // anomaly) until the accept arrives and clears it.
    List<DeliveryEventInput> Batch(Mix mix, int writer, int index)
    {
        var events = new List<DeliveryEventInput>(BatchSize);
        var prefix = mix switch { Mix.Together => "t", Mix.Split => "s", _ => "l" };
        static bool Late(Mix mix, int i) => mix == Mix.SplitLate && i % 250 == 0;
        var own = Orders(prefix, writer, index);
        for (var i = 0; i < own.Length; i++)
        {
            var (order, courier, accepted, fulfilled) = own[i];
            if (!Late(mix, i))
            {
                events.Add(new DeliveryEventInput { EventId = order + "a", CourierId = courier, OrderId = order, Status = "accepted", OccurredAt = Rfc(accepted) });
            }

            if (mix == Mix.Together)
            {
                events.Add(new DeliveryEventInput { EventId = order + "f", CourierId = courier, OrderId = order, Status = "fulfilled", OccurredAt = Rfc(fulfilled) });
            }
        }

        if (mix != Mix.Together && index - writers >= 0)
        {
            foreach (var (order, courier, _, fulfilled) in Orders(prefix, writer, index - writers))
            {
                events.Add(new DeliveryEventInput { EventId = order + "f", CourierId = courier, OrderId = order, Status = "fulfilled", OccurredAt = Rfc(fulfilled) });
            }
        }

        if (mix == Mix.SplitLate && index - (2 * writers) >= 0)
        {
            var earlier = Orders(prefix, writer, index - (2 * writers));
            for (var i = 0; i < earlier.Length; i++)
            {
                if (Late(mix, i))
                {
                    var (order, courier, accepted, _) = earlier[i];
                    events.Add(new DeliveryEventInput { EventId = order + "a", CourierId = courier, OrderId = order, Status = "accepted", OccurredAt = Rfc(accepted) });
                }
            }
        }

        return events;
    }

    async Task<(double Rate, int Sent, int Accepted, int Duplicates, TimeSpan Client, TimeSpan Server)> IngestAllAsync(Mix mix)
    {
        var sent = 0;
        var accepted = 0;
        var duplicates = 0;
        var (clientBefore, serverBefore) = (ProcessCpu.Self(), ProcessCpu.PostgresBackends(postgresDatabase));
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var b = w; b < batches; b += writers)
            {
                var events = Batch(mix, w, b);
                Interlocked.Add(ref sent, events.Count);
                var result = await database.WriteAsync(
                    s => EventIngestion.IngestAsync(new EngineWrite(s, Merchant, clock.GetUtcNow(), ids, noEvents), events, termsCache, copyFirst), CancellationToken.None);
                Interlocked.Add(ref accepted, result.Accepted);
                Interlocked.Add(ref duplicates, result.Duplicates);
            }
        })));
        var rate = sent / stopwatch.Elapsed.TotalSeconds;
        return (rate, sent, accepted, duplicates, ProcessCpu.Self() - clientBefore, ProcessCpu.PostgresBackends(postgresDatabase) - serverBefore);
    }

    // bench/earnings.sh measures pgbench's TPC-B on the same cluster just before: the machine's speed at the time.
    var yardstick = Environment.GetEnvironmentVariable("OBOL_BENCH_PGBENCH_TPS") is { Length: > 0 } tps && providerName == "PostgreSQL"
        ? double.Parse(tps, CultureInfo.InvariantCulture)
        : 0;
    string Ratio(double rate) =>
        yardstick > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({rate / yardstick:F1} per pgbench TPC-B transaction)") : "";
    string Cpu((double Rate, int Sent, int Accepted, int Duplicates, TimeSpan Client, TimeSpan Server) run) =>
        string.Create(CultureInfo.InvariantCulture, $"CPU per 1,000 events: this process {run.Client.TotalMilliseconds * 1000 / run.Sent:F1} ms")
        + (providerName == "PostgreSQL" ? string.Create(CultureInfo.InvariantCulture, $", PostgreSQL backends {run.Server.TotalMilliseconds * 1000 / run.Sent:F1} ms") : "");

    var together = await IngestAllAsync(Mix.Together);
    var replay = await IngestAllAsync(Mix.Together);
    var split = await IngestAllAsync(Mix.Split);
    var splitLate = await IngestAllAsync(Mix.SplitLate);
    Console.WriteLine($"{providerName}: ingest new events with {writers} writer(s), {batches} batches of up to {BatchSize:N0}:");
    Console.WriteLine($"  each order's accept and fulfill in one batch: {together.Rate:N0} events/s{Ratio(together.Rate)}; {Cpu(together)}");
    Console.WriteLine($"  accept and fulfill in consecutive batches:    {split.Rate:N0} events/s{Ratio(split.Rate)}; {Cpu(split)}");
    Console.WriteLine($"  the same, 2 of 500 accepts two batches late:  {splitLate.Rate:N0} events/s{Ratio(splitLate.Rate)}; {Cpu(splitLate)}");
    Console.WriteLine($"  the first batches again (all duplicates):     {replay.Rate:N0} events/s");
    if (together.Accepted != together.Sent || split.Accepted != split.Sent || splitLate.Accepted != splitLate.Sent
        || replay.Accepted != 0 || replay.Duplicates != replay.Sent)
    {
        Console.WriteLine($"  FAILED: accepted {together.Accepted}, {split.Accepted} and {splitLate.Accepted}, replay accepted {replay.Accepted}, duplicates {replay.Duplicates}");
        failed = true;
    }

    // A year of history for one courier: 20 deliveries a day in New York.
    await database.WriteAsync(async s => await CourierTermsStore.AppendAsync(s, Merchant, CourierTermsDecision.Decide("heavy", new PutCourierRequest
    {
        TimeZone = "America/New_York",
        Currency = "USD",
        BasePayRate = 30,
        BonusPay = 200,
        DeliveriesPerBonus = 10,
        EffectiveAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
    }, null, clock.GetUtcNow()), clock.GetUtcNow()), CancellationToken.None);
    var year = new List<DeliveryEventInput>();
    var firstDay = new DateTimeOffset(2027, 1, 1, 13, 0, 0, TimeSpan.Zero);
    for (var d = 0; d < 365; d++)
    {
        for (var k = 0; k < 20; k++)
        {
            var accepted = firstDay.AddDays(d).AddMinutes(k * 31);
            var order = $"h{d}-{k}";
            year.Add(new DeliveryEventInput { EventId = order + "a", CourierId = "heavy", OrderId = order, Status = "accepted", OccurredAt = Rfc(accepted) });
            year.Add(new DeliveryEventInput { EventId = order + "f", CourierId = "heavy", OrderId = order, Status = "fulfilled", OccurredAt = Rfc(accepted.AddMinutes(25)) });
        }
    }

    foreach (var chunk in year.Chunk(BatchSize))
    {
        await database.WriteAsync(s => EventIngestion.IngestAsync(new EngineWrite(s, Merchant, clock.GetUtcNow(), ids, noEvents), chunk, termsCache, copyFirst), CancellationToken.None);
    }

    foreach (var span in new[] { 7, 31 })
    {
        var random = new Random(span);
        var latencies = new double[queries];
        long total = 0;
        for (var q = 0; q < queries; q++)
        {
            var from = new LocalDate(2027, 1, 1).PlusDays(random.Next(0, 365 - span));
            var stopwatch = Stopwatch.StartNew();
            var earnings = await database.ReadAsync(s => EarningsQuery.GetAsync(s, Merchant, "heavy", from, from.PlusDays(span - 1)), CancellationToken.None);
            latencies[q] = stopwatch.Elapsed.TotalMilliseconds;
            total += earnings.Total;
            if (earnings.Days.Count != span || earnings.LineItems.Count != span * 20)
            {
                Console.WriteLine($"  FAILED: {span}-day range from {from} has {earnings.Days.Count} days and {earnings.LineItems.Count} line items");
                failed = true;
                break;
            }
        }

        Array.Sort(latencies);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{providerName}: earnings for {span} days ({span * 20} line items) of a 7,300-delivery year, {queries} queries: p50 {latencies[queries / 2]:F2} ms, p99 {latencies[(int)(queries * 0.99)]:F2} ms, max {latencies[^1]:F2} ms"));
        _ = total;
    }
}

return failed ? 1 : 0;

static string Rfc(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

/// <summary>How a benchmark batch's events are spread (see Batch).</summary>
internal enum Mix
{
    Together,
    Split,
    SplitLate,
}

/// <summary>Drops merchant events: the bench measures ingestion, not the webhooks module's outbox.</summary>
internal sealed class NoEventOutbox : Obol.Core.Events.IEventOutbox
{
    public Task<string> AppendAsync(DbSession session, Obol.Core.Events.MerchantEvent merchantEvent) => Task.FromResult("evt_bench");
}
