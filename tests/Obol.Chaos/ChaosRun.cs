using System.Diagnostics;
using System.Globalization;
using Obol.Chaos.Checker;
using Obol.Chaos.Client;
using Obol.Chaos.Cluster;
using Obol.Chaos.Workload;
using Obol.Chaos.Heal;
using Obol.Chaos.History;
using Obol.Chaos.Faults;
using Obol.Chaos.Simulator;

namespace Obol.Chaos;

/// <summary>
/// One seeded run, phase by phase: start the cluster; drive the planned payments while the nemesis works; heal and
/// wait for quiet; replay acknowledged requests; reconcile every day of the run; check; tell each violation's story.
/// </summary>
public sealed class ChaosRun(ChaosOptions options, int seed, PostgresServer postgres)
{
    private const int StoriesOnScreen = 8;
    private readonly List<(string Phase, TimeSpan Took)> _phases = [];

    public async Task<RunReport> RunAsync(CancellationToken cancellationToken)
    {
        var runDirectory = Path.Combine(options.RunRoot, $"seed-{seed}-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss}");
        Directory.CreateDirectory(runDirectory);
        var plans = Planner.Plan(seed, options.Payments);
        var schedule = NemesisSchedule.Plan(seed, options.Nodes, options.IsShort);
        var history = new RunHistory();
        var report = new RunReport { Seed = seed, RunDirectory = runDirectory, Payments = plans.Count };
        Say($"seed {seed}: {plans.Count} payments, {options.Nodes} nodes, {options.Workers} clients; run directory {runDirectory}");
        await File.WriteAllLinesAsync(Path.Combine(runDirectory, "plan.txt"),
            plans.Select(p => p.Describe()).Concat(schedule.Select(e => $"nemesis at {e.At:P0}: {e.Describe()}")), cancellationToken);

        ObolCluster? cluster = null;
        try
        {
            cluster = await PhaseAsync("start", () => ObolCluster.StartAsync(options, seed, runDirectory, postgres, cancellationToken));
            using var simulator = new SimulatorClient(cluster.Simulator.BaseAddress);
            using var nodes = new NodeClients(cluster.Nodes.Select(n => n.BaseAddress).ToList(), ObolCluster.BootstrapKey, history);
            using var api = new OperatorApi(cluster.Nodes[0].BaseAddress, ObolCluster.BootstrapKey);

            var client = new RetryingClient(nodes, history, new ClientPolicy());
            var generator = new Generator(plans, new StoryRunner(client, seed), options.Workers, options.Rate);
            var nemesis = new Nemesis(schedule, cluster, simulator, history, () => generator.Progress, () => generator.Finished >= plans.Count);
            await PhaseAsync("traffic", async () =>
            {
                using var progress = Progress(generator, plans.Count, cancellationToken);
                await Task.WhenAll(generator.RunAsync(cancellationToken), nemesis.RunAsync(cancellationToken));
                return true;
            });

            var crashed = await nemesis.HealAsync(cancellationToken);
            var quiescence = new Quiescence(cluster.DatabaseConnection, simulator);
            var (quiet, openAtEnd) = await PhaseAsync("heal", () => quiescence.WaitAsync(TimeSpan.FromMinutes(options.IsShort ? 2 : 4), cancellationToken));
            Say(quiet ? "quiet" : $"not quiet after the wait: {openAtEnd}");

            var acknowledged = history.Operations.Where(o => o.Resolution == Resolution.Acknowledged).ToList();
            var replays = await PhaseAsync("replay", () => new Replayer(nodes).ReplayAsync(acknowledged, options.IsShort ? int.MaxValue : 1500, seed, cancellationToken));
            var reconciliation = await PhaseAsync("reconcile",
                () => new ReconciliationPass(api).RunAsync(history.StartedAt, DateTimeOffset.UtcNow, cancellationToken));

            var (violations, input) = await PhaseAsync("check", async () =>
            {
                var charges = await simulator.ChargesAsync(cancellationToken);
                var currencies = plans.Select(p => p.Currency).Distinct(StringComparer.Ordinal);
                var snapshot = await ObolSnapshot.ReadAsync(cluster.DatabaseConnection, api, currencies, cancellationToken);
                var checkInput = new CheckInput(seed, history.Exchanges, history.Operations, replays, snapshot, charges, reconciliation, openAtEnd, crashed);
                return (RunChecker.Check(checkInput), checkInput);
            });

            report = report with
            {
                PaymentsInObol = input.Obol.Payments.Count,
                Requests = history.Exchanges.Count(e => e.Kind != OperationKind.Replay),
                Retries = history.Operations.Sum(o => o.Sends - 1),
                Ambiguous = history.Operations.Count(o => o.Resolution == Resolution.Ambiguous),
                Replayed = replays.Count,
                CircuitOpen = input.Obol.Attempts.SelectMany(a => a).Count(a => a.ErrorCode == "psp_circuit_open"),
                Answers = Answers(history.Exchanges),
                Nemesis = nemesis.Counts,
                SimulatorFaults = await simulator.FaultCountsAsync(cancellationToken),
                Violations = violations,
                Discrepancies = reconciliation.Discrepancies,
            };
            await TellStoriesAsync(new StoryPrinter(input, plans, history.Nemesis, api), violations, runDirectory, cancellationToken);
        }
        catch (HarnessException e)
        {
            report = report with { HarnessFailure = e.Message };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug of the harness's own: the run says so instead of taking the table of several runs down with it.
            report = report with { HarnessFailure = e.ToString() };
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            await history.WriteAsync(Path.Combine(runDirectory, "history.jsonl"), CancellationToken.None);
        }

        report = report with { Phases = _phases };
        await File.WriteAllTextAsync(Path.Combine(runDirectory, "summary.txt"), report.Summary(), CancellationToken.None);
        Console.WriteLine(report.Summary());
        if (report.Passed && !options.Keep)
        {
            Directory.Delete(runDirectory, recursive: true);
        }

        return report;
    }

    /// <summary>Every story goes to violations.txt; the first few to the screen too, the rest as one line each.</summary>
    private static async Task TellStoriesAsync(StoryPrinter printer, IReadOnlyList<Violation> violations, string runDirectory, CancellationToken cancellationToken)
    {
        if (violations.Count == 0)
        {
            return;
        }

        await using var file = new StreamWriter(Path.Combine(runDirectory, "violations.txt"));
        foreach (var general in violations.Where(v => v.PaymentId is null))
        {
            var line = $"VIOLATION {general.Kind}: {general.Detail}";
            Console.WriteLine(line);
            await file.WriteLineAsync(line);
        }

        var byPayment = violations.Where(v => v.PaymentId is not null).GroupBy(v => v.PaymentId!, StringComparer.Ordinal)
            .OrderBy(g => ViolationKinds.WithPsp.Contains(g.First().Kind) ? 0 : 1).ToList();
        var shown = 0;
        foreach (var payment in byPayment)
        {
            var story = await printer.TellAsync(payment.Key, payment.ToList(), cancellationToken);
            await file.WriteLineAsync(story);
            if (shown++ < StoriesOnScreen)
            {
                Console.WriteLine(story);
            }
            else
            {
                Console.WriteLine($"{payment.Key}: {string.Join(", ", payment.Select(v => v.Kind).Distinct(StringComparer.Ordinal))} (story in violations.txt)");
            }
        }
    }

    /// <summary>2xx together; everything else by status and problem code, or by what happened instead of an answer.</summary>
    private static List<KeyValuePair<string, int>> Answers(IEnumerable<Exchange> exchanges) =>
        exchanges.Where(e => e.Kind != OperationKind.Replay)
            .GroupBy(e => e.Status switch
            {
                null => "no answer (" + (e.Error!.StartsWith("http:", StringComparison.Ordinal) || e.Error.StartsWith("socket:", StringComparison.Ordinal) ? e.Error : e.Error.Split(':')[0]) + ")",
                >= 200 and < 300 => "2xx",
                var status => $"{status} {RetryingClient.ProblemCode(e.ResponseBody)}",
            })
            .OrderByDescending(g => g.Count())
            .Select(g => new KeyValuePair<string, int>(g.Key, g.Count()))
            .ToList();

    private async Task<T> PhaseAsync<T>(string name, Func<Task<T>> phase)
    {
        var clock = Stopwatch.StartNew();
        Say($"{name}…");
        try
        {
            return await phase();
        }
        finally
        {
            _phases.Add((name, clock.Elapsed));
        }
    }

    private static Timer Progress(Generator generator, int total, CancellationToken cancellationToken) =>
        new(_ =>
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Say(string.Create(CultureInfo.InvariantCulture, $"  {generator.Finished}/{total} stories done ({generator.Progress:P0} started)"));
            }
        }, null, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));

    private static void Say(string line) => Console.WriteLine($"[{DateTimeOffset.UtcNow:HH:mm:ss}] {line}");
}
