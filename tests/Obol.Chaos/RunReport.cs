using System.Globalization;
using System.Text;
using Obol.Chaos.Checker;
using Obol.Chaos.Client;
using Obol.Chaos.Faults;

namespace Obol.Chaos;

/// <summary>What one seeded run did and found, for its summary and for the table of several runs.</summary>
public sealed record RunReport
{
    public required int Seed { get; init; }
    public required string RunDirectory { get; init; }
    public int Payments { get; init; }
    public int PaymentsInObol { get; init; }
    public int Requests { get; init; }
    public int Retries { get; init; }
    public int Ambiguous { get; init; }
    public int Replayed { get; init; }

    /// <summary>How the nodes answered the clients: counts per status and problem code, and per kind of no answer.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Answers { get; init; } = [];

    /// <summary>PSP calls Obol did not make because its circuit breaker was open: whether incident 2 did what it is for.</summary>
    public int CircuitOpen { get; init; }
    public IReadOnlyDictionary<NemesisKind, int> Nemesis { get; init; } = new Dictionary<NemesisKind, int>();
    public IReadOnlyList<KeyValuePair<string, long>>? SimulatorFaults { get; init; }
    public IReadOnlyList<Violation> Violations { get; init; } = [];
    public IReadOnlyList<DiscrepancyView> Discrepancies { get; init; } = [];
    public IReadOnlyList<(string Phase, TimeSpan Took)> Phases { get; init; } = [];
    public string? HarnessFailure { get; init; }

    public bool Passed => HarnessFailure is null && Violations.Count == 0;

    public TimeSpan Total => Phases.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Took);

    public int ViolatingPayments => Violations.Where(v => v.PaymentId is not null).Select(v => v.PaymentId).Distinct(StringComparer.Ordinal).Count();

    public string Summary()
    {
        var text = new StringBuilder();
        void Line(string line) => text.AppendLine(line);
        Line($"seed {Seed}: {(Passed ? "PASSED" : HarnessFailure is null ? "VIOLATIONS" : "HARNESS FAILURE")}");
        if (HarnessFailure is not null)
        {
            Line($"  harness failure: {HarnessFailure}");
        }

        Line(Invariant($"  payments planned {Payments}, in Obol {PaymentsInObol}; requests {Requests}, retries {Retries}, ambiguous operations {Ambiguous}, replayed after heal {Replayed}"));
        Line("  answers: " + string.Join(", ", Answers.Select(a => $"{a.Key} {a.Value}")));
        Line("  nemesis: " + (Nemesis.Count == 0 ? "none" : string.Join(", ", Nemesis.OrderBy(n => n.Key).Select(n => $"{n.Key} {n.Value}")))
            + Invariant($"; Obol's breaker refused {CircuitOpen} PSP calls"));
        Line("  simulator faults: " + (SimulatorFaults is null
            ? "not counted by this simulator (GET /sim/faults/counts)"
            : string.Join(", ", SimulatorFaults.Where(f => f.Value != 0).Select(f => $"{f.Key} {f.Value}"))));
        Line("  violations: " + (Violations.Count == 0
            ? "none"
            : string.Join(", ", Violations.GroupBy(v => v.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))
              + $" ({ViolatingPayments} payments)"));
        Line("  open discrepancies after reconciliation: " + (Discrepancies.Count == 0
            ? "none"
            : string.Join(", ", Discrepancies.GroupBy(d => d.Code).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))));
        Line("  wall time: " + string.Join(", ", Phases.Select(p => Invariant($"{p.Phase} {p.Took.TotalSeconds:0.0} s"))) + Invariant($"; total {Total.TotalSeconds:0.0} s"));
        Line($"  run directory: {RunDirectory}");
        return text.ToString();
    }

    public static string Table(IReadOnlyList<RunReport> reports)
    {
        var text = new StringBuilder();
        text.AppendLine("seed        result      payments  requests  retries  kills  pg restarts  breaker refused  violations (payments)  double charges  seconds");
        foreach (var r in reports)
        {
            var result = r.Passed ? "passed" : r.HarnessFailure is null ? "violations" : "harness";
            text.AppendLine(Invariant(
                $"{r.Seed,-11} {result,-11} {r.Payments,8}  {r.Requests,8}  {r.Retries,7}  {r.Nemesis.GetValueOrDefault(NemesisKind.KillNode),5}  {r.Nemesis.GetValueOrDefault(NemesisKind.RestartPostgres),11}  {r.CircuitOpen,15}  {$"{r.Violations.Count} ({r.ViolatingPayments})",21}  {r.Violations.Count(v => v.Kind == ViolationKinds.DoubleCharge),14}  {r.Total.TotalSeconds,7:0}"));
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
