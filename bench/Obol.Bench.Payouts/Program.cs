using System.Diagnostics;
using System.Globalization;
using Obol.Bench.Payouts;
using Obol.Payouts;
using Obol.Payouts.Activity;

// Ingests 1,000,000 activity records into DasherPayoutService and prints absolute figures with ratios
// against baselines measured in the same run. The machine is noisy, so every ratio pairs each run of the
// measured code with a run of its baseline right before it, and reports the median of those pairs.
const int TotalRecords = 1_000_000;
const int Dashers = 1_000;
const int BatchSize = 100;
const int Repeats = 3;

var random = new Random(20261125);
var dasherIds = Enumerable.Range(0, Dashers).Select(d => $"dasher{d}").ToArray();

// Records are planned and shuffled first and only then turned into strings, in the order they are sent,
// so they sit in memory the way a freshly deserialized batch would (not scattered across the heap).
var plannedBatches = Enumerable.Range(0, Dashers)
    .SelectMany(d => Plan($"o{d}x", TotalRecords / Dashers / 2, random).Chunk(BatchSize).Select(b => (Dasher: dasherIds[d], Batch: b)))
    .ToArray();
random.Shuffle(plannedBatches);
var batches = plannedBatches.Select(b => (b.Dasher, Batch: b.Batch.Select(Text).ToArray())).ToArray();
var oneBig = Plan("big", TotalRecords / 2, random).Select(Text).ToArray();
var allRecords = batches.SelectMany(b => b.Batch).ToArray();

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"DasherPayoutService: {TotalRecords:N0} records ({Dashers:N0} dashers x {TotalRecords / Dashers / 2:N0} orders), {Environment.ProcessorCount} cores, .NET {Environment.Version}, median of {Repeats}"));
Console.WriteLine("baseline for ingestion = a loop that only string.Split()s the same records and parses the time");
Console.WriteLine();

WarmUp();

var split = () => Measure(() => SplitOnly(allRecords));
Run("baseline: split the strings only", split, null, TotalRecords, "record");
Run("parse only (span parser, no state)", () => Measure(() => ParseOnly(allRecords)), split, TotalRecords, "record");

DasherPayoutService ingested = null!;
Run("ingest, batches of 100, 1,000 dashers", () =>
{
    var service = Fresh();
    var m = Measure(() =>
    {
        foreach (var (dasher, batch) in batches)
        {
            service.AddDeliveryActivity(dasher, batch);
        }
    });
    ingested = service;
    return m;
}, split, TotalRecords, "record");

Run("re-send the same batches (all exact duplicates)", () => Measure(() =>
{
    foreach (var (dasher, batch) in batches)
    {
        ingested.AddDeliveryActivity(dasher, batch);
    }
}), split, TotalRecords, "record");

Run("ingest, one batch of 1,000,000, one dasher", () =>
{
    var service = Fresh();
    return Measure(() => service.AddDeliveryActivity("bigdasher", oneBig));
}, split, TotalRecords, "record");

Run($"ingest, batches of 100, {Environment.ProcessorCount} threads", () =>
{
    var service = Fresh();
    var next = -1;
    return Measure(() => Parallel.For(0, Environment.ProcessorCount, _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < batches.Length; i = Interlocked.Increment(ref next))
        {
            service.AddDeliveryActivity(batches[i].Dasher, batches[i].Batch);
        }
    }), allThreads: true);
}, split, TotalRecords, "record");

var naive = new NaivePayoutService();
Run("naive: ingest by appending (all work deferred)", () =>
{
    var service = FreshNaive();
    var m = Measure(() =>
    {
        foreach (var (dasher, batch) in batches)
        {
            service.AddDeliveryActivity(dasher, batch);
        }
    });
    naive = service;
    return m;
}, split, TotalRecords, "record");

Console.WriteLine();
const int PayoutCalls = 2_000_000;
const int NaivePayoutCalls = 1_000;
var naivePayout = () => Measure(() =>
{
    for (var i = 0; i < NaivePayoutCalls; i++)
    {
        _ = naive.Payout(dasherIds[i % Dashers]);
    }
});
Run("baseline: naive recompute-on-payout, 1,000 records", naivePayout, null, NaivePayoutCalls, "call");
Run("Payout, 1,000 records per dasher", () => Measure(() =>
{
    long sum = 0;
    for (var i = 0; i < PayoutCalls; i++)
    {
        sum += ingested.Payout(dasherIds[i % Dashers]);
    }

    GC.KeepAlive(sum);
}), naivePayout, PayoutCalls, "call", baselineCount: NaivePayoutCalls);

var mismatches = dasherIds.Count(d => ingested.Payout(d) != naive.Payout(d));
Console.WriteLine();
Console.WriteLine(mismatches == 0
    ? "check: every dasher's payout equals the naive implementation's"
    : $"check FAILED: {mismatches} dashers differ from the naive implementation");
return mismatches == 0 ? 0 : 1;

void WarmUp()
{
    for (var i = 0; i < 5; i++)
    {
        var service = Fresh();
        var naiveService = FreshNaive();
        foreach (var (dasher, batch) in batches.AsSpan(0, 500))
        {
            service.AddDeliveryActivity(dasher, batch);
            _ = service.Payout(dasher);
            naiveService.AddDeliveryActivity(dasher, batch);
            _ = naiveService.Payout(dasher);
        }

        service.AddDeliveryActivity("bigdasher", oneBig.AsSpan(0, 20_000).ToArray());
        SplitOnly(allRecords.AsSpan(0, 20_000));
        ParseOnly(allRecords.AsSpan(0, 20_000));
    }
}

DasherPayoutService Fresh()
{
    var service = new DasherPayoutService();
    service.AddOrUpdatePayoutMetadata("bigdasher", 30, 200, 10);
    foreach (var id in dasherIds)
    {
        service.AddOrUpdatePayoutMetadata(id, 30, 200, 10);
    }

    return service;
}

NaivePayoutService FreshNaive()
{
    var service = new NaivePayoutService();
    foreach (var id in dasherIds)
    {
        service.AddOrUpdatePayoutMetadata(id, 30, 200, 10);
    }

    return service;
}

static void Run(string name, Func<Measurement> run, Func<Measurement>? baseline, int count, string unit, int? baselineCount = null)
{
    var runs = new List<Measurement>();
    var ratios = new List<double>();
    for (var i = 0; i < Repeats; i++)
    {
        var reference = baseline?.Invoke();
        var m = run();
        runs.Add(m);
        if (reference is not null)
        {
            ratios.Add(m.Rate(count) / reference.Rate(baselineCount ?? count));
        }
    }

    var median = runs.OrderBy(m => m.Elapsed).ElementAt(runs.Count / 2);
    var ratio = ratios.Count == 0 ? "" : $"  {ratios.Order().ElementAt(ratios.Count / 2),9:N2}x baseline";
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{name,-50} {median.Rate(count),12:N0} {unit}s/s {median.Elapsed.TotalMilliseconds,8:N1} ms {(double)median.AllocatedBytes / count,9:N1} B/{unit}  gen0 {median.Gen0Collections,3}{ratio}"));
}

static void ParseOnly(ReadOnlySpan<string> records)
{
    var sum = 0;
    foreach (var record in records)
    {
        _ = DeliveryActivity.TryParse(record, out var activity, out _);
        sum += activity.Time.Value;
    }

    GC.KeepAlive(sum);
}

static void SplitOnly(ReadOnlySpan<string> records)
{
    var sum = 0;
    foreach (var record in records)
    {
        sum += NaivePayoutService.Split(record).Minute;
    }

    GC.KeepAlive(sum);
}

static PlannedRecord[] Plan(string orderPrefix, int orders, Random random)
{
    var records = new PlannedRecord[orders * 2];
    for (var i = 0; i < orders; i++)
    {
        var start = random.Next(24 * 60);
        var end = Math.Clamp(start + random.Next(-2, 45), 0, (24 * 60) - 1);
        records[2 * i] = new PlannedRecord(orderPrefix, i, "START", start);
        records[(2 * i) + 1] = new PlannedRecord(orderPrefix, i, "END", end);
    }

    random.Shuffle(records);
    return records;
}

static string Text(PlannedRecord r) => string.Create(
    CultureInfo.InvariantCulture,
    $"orderId={r.OrderPrefix}{r.Order},action={r.Action},time={r.Minute / 60:D2}:{r.Minute % 60:D2}");

static Measurement Measure(Action action, bool allThreads = false)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var allocatedBefore = Allocated(allThreads);
    var gen0Before = GC.CollectionCount(0);
    var clock = Stopwatch.StartNew();
    action();
    clock.Stop();
    return new Measurement(clock.Elapsed, Allocated(allThreads) - allocatedBefore, GC.CollectionCount(0) - gen0Before);
}

// Per-thread counting keeps other threads' noise out; the multi-threaded run has to count process-wide.
static long Allocated(bool allThreads) =>
    allThreads ? GC.GetTotalAllocatedBytes(precise: true) : GC.GetAllocatedBytesForCurrentThread();

internal sealed record PlannedRecord(string OrderPrefix, int Order, string Action, int Minute);

internal sealed record Measurement(TimeSpan Elapsed, long AllocatedBytes, int Gen0Collections)
{
    public double Rate(int count) => count / Elapsed.TotalSeconds;
}
