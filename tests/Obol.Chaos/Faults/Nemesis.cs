using Obol.Chaos.Cluster;
using Obol.Chaos.History;
using Obol.Chaos.Simulator;

namespace Obol.Chaos.Faults;

/// <summary>
/// Carries out the schedule while the clients run: each action waits until its share of the stories has started, then
/// kills and restarts a node, restarts PostgreSQL, or changes the simulator's faults. It stops when the clients are
/// done; actions not reached are not counted.
/// </summary>
public sealed class Nemesis(
    IReadOnlyList<NemesisEvent> schedule, ObolCluster cluster, SimulatorClient simulator, RunHistory history, Func<double> progress, Func<bool> trafficDone)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<NemesisKind, int> _counts = new();
    private FaultSettings _background = new(0, PspFaults.None, PspFaults.None);

    public IReadOnlyDictionary<NemesisKind, int> Counts => _counts;

    /// <summary>
    /// Two tracks side by side, each in schedule order: the PSP's faults and incidents, and the processes (kills, PostgreSQL
    /// restarts). A half-minute outage then does not hold back the kills planned during it.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            RunTrackAsync(schedule.Where(e => e.Kind is NemesisKind.KillNode or NemesisKind.RestartPostgres), cancellationToken),
            RunTrackAsync(schedule.Where(e => e.Kind is not (NemesisKind.KillNode or NemesisKind.RestartPostgres)), cancellationToken));

    private async Task RunTrackAsync(IEnumerable<NemesisEvent> track, CancellationToken cancellationToken)
    {
        foreach (var planned in track)
        {
            while (progress() < planned.At && !trafficDone())
            {
                await Task.Delay(100, cancellationToken);
            }

            if (trafficDone())
            {
                return;
            }

            var at = history.Now;
            await ApplyAsync(planned, cancellationToken);
            history.Add(new NemesisAction(planned.Kind.ToString(), planned.Describe(), at, history.Now));
            _counts.AddOrUpdate(planned.Kind, 1, (_, count) => count + 1);
        }
    }

    /// <summary>Faults off; every node and PostgreSQL up. Nodes that died on their own are returned, for the report.</summary>
    public async Task<IReadOnlyList<string>> HealAsync(CancellationToken cancellationToken)
    {
        await simulator.SetFaultsAsync(new FaultSettings(0, PspFaults.None, PspFaults.None), cancellationToken);
        await cluster.Postgres.EnsureRunningAsync(cancellationToken);
        var crashed = new List<string>();
        foreach (var node in cluster.Nodes.Where(n => !n.IsRunning))
        {
            crashed.Add($"{node.Name} had exited (code {node.ExitCode}); last log lines:\n{node.Tail(20)}");
            await cluster.RestartNodeAsync(node, cancellationToken);
        }

        if (!cluster.Simulator.IsRunning)
        {
            throw new HarnessException("The simulator exited during the run; its charges are lost. See " + cluster.Simulator.StderrPath);
        }

        return crashed;
    }

    private async Task ApplyAsync(NemesisEvent planned, CancellationToken cancellationToken)
    {
        switch (planned.Kind)
        {
            case NemesisKind.FaultMix:
                _background = planned.Faults!;
                await simulator.SetFaultsAsync(_background, cancellationToken);
                break;

            case NemesisKind.KillNode:
                var node = cluster.Nodes[planned.Node];
                await node.KillAsync();
                await Task.Delay(planned.Pause, cancellationToken);
                await cluster.RestartNodeAsync(node, cancellationToken);
                break;

            case NemesisKind.RestartPostgres:
                await cluster.Postgres.RestartImmediateAsync(cancellationToken);
                break;

            case NemesisKind.SlowPsp:
                await WithFaultsAsync(planned.Psp, NemesisSchedule.Slow, planned.Duration, cancellationToken);
                break;

            case NemesisKind.PspOutage:
                await WithFaultsAsync(planned.Psp, NemesisSchedule.Flaky, planned.Prelude, cancellationToken);
                await WithFaultsAsync(planned.Psp, NemesisSchedule.Down, planned.Duration, cancellationToken);
                break;
        }
    }

    /// <summary>One PSP's faults changed for a while over the background mix, then back to it.</summary>
    private async Task WithFaultsAsync(string psp, Func<PspFaults, PspFaults> change, TimeSpan duration, CancellationToken cancellationToken)
    {
        await simulator.SetFaultsAsync(_background.With(psp, change(_background.For(psp))), cancellationToken);
        await Task.Delay(duration, cancellationToken);
        await simulator.SetFaultsAsync(_background, cancellationToken);
    }
}
