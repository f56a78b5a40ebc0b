using System.Globalization;
using Obol.Chaos.Client;
using Obol.Chaos.Cluster;

namespace Obol.Chaos.Heal;

/// <summary>The runs, the open discrepancies after them, and the runs Obol refused or failed (what it said).</summary>
public sealed record ReconciliationOutcome(IReadOnlyList<ReconciliationRunView> Runs, IReadOnlyList<DiscrepancyView> Discrepancies, IReadOnlyList<string> Failures);

/// <summary>
/// The operator's reconciliation after the heal: every UTC day the run touched, on both PSPs, from the simulator's
/// settlement reports; then every open discrepancy.
/// </summary>
public sealed class ReconciliationPass(OperatorApi api)
{
    private static readonly string[] Psps = ["stripe", "adyen"];

    public async Task<ReconciliationOutcome> RunAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var runs = new List<ReconciliationRunView>();
        var failures = new List<string>();
        for (var day = DateOnly.FromDateTime(from.UtcDateTime); day <= DateOnly.FromDateTime(to.UtcDateTime); day = day.AddDays(1))
        {
            foreach (var psp in Psps)
            {
                var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                try
                {
                    var run = await api.PostAsync<ReconciliationRunView>("/v1/reconciliation/runs", new { psp, date }, cancellationToken);
                    runs.Add(run);
                    if (run.Status != "completed")
                    {
                        failures.Add($"{psp} {date}: run {run.Id} {run.Status}: {run.Failure}");
                    }
                }
                catch (HarnessException e)
                {
                    failures.Add($"{psp} {date}: {e.Message}");
                }
            }
        }

        var discrepancies = await api.ListAsync<DiscrepancyView>("/v1/reconciliation/discrepancies?status=open", d => d.Id, cancellationToken);
        return new ReconciliationOutcome(runs, discrepancies, failures);
    }
}
