using Obol.Chaos.Client;
using Obol.Chaos.Heal;
using Obol.Chaos.History;
using Obol.Chaos.Simulator;

namespace Obol.Chaos.Checker;

/// <summary>Everything the checker looks at once the run is quiet and reconciled.</summary>
public sealed record CheckInput(
    int Seed,
    IReadOnlyList<Exchange> Exchanges,
    IReadOnlyList<OperationResult> Operations,
    IReadOnlyList<ReplayResult> Replays,
    ObolSnapshot Obol,
    IReadOnlyList<SimCharge> Charges,
    ReconciliationOutcome Reconciliation,
    OpenWork OpenAtEnd,
    IReadOnlyList<string> CrashedNodes)
{
    /// <summary>Which payment a planned story made, found by its create's Idempotency-Key (whether or not the client heard back).</summary>
    public IReadOnlyDictionary<int, string> PaymentOfStory { get; } = Obol.Payments
        .Where(p => p.IdempotencyKey is not null)
        .Select(p => (Index: StoryIndex(Seed, p.IdempotencyKey!), p.Id))
        .Where(p => p.Index is not null)
        .ToDictionary(p => p.Index!.Value, p => p.Id);

    private static int? StoryIndex(int seed, string key)
    {
        var prefix = $"chaos-{seed}-";
        return key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith("-create", StringComparison.Ordinal)
            && int.TryParse(key.AsSpan(prefix.Length, key.Length - prefix.Length - "-create".Length), System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }
}

/// <summary>Runs every check over one run's evidence, in the order the brief lists them.</summary>
public static class RunChecker
{
    public static IReadOnlyList<Violation> Check(CheckInput input)
    {
        string? PaymentOf(int index) => input.PaymentOfStory.GetValueOrDefault(index);

        var found = new List<Violation>();
        found.AddRange(PspAgreement.Check(input.Obol, input.Charges));
        found.AddRange(LedgerCheck.Check(input.Obol, input.Charges));
        found.AddRange(AcknowledgedWrites.CheckLost(input.Obol, input.Operations));
        found.AddRange(AcknowledgedWrites.CheckReplays(input.Exchanges, input.Replays, PaymentOf));
        found.AddRange(AcknowledgedWrites.CheckKeyReuse(input.Exchanges, PaymentOf));
        found.AddRange(HistoryChecks.CheckEvents(input.Obol));
        found.AddRange(HistoryChecks.CheckObserved(input.Obol, input.Exchanges));
        found.AddRange(StuckCheck.Check(input.Obol, input.OpenAtEnd));
        found.AddRange(ReconciliationCheck.Check(found, input.Reconciliation.Discrepancies, input.Charges).ToList());
        found.AddRange(input.Reconciliation.Failures.Select(f => new Violation(ViolationKinds.ReconciliationFailed, null, f)));
        found.AddRange(input.CrashedNodes.Select(n => new Violation(ViolationKinds.NodeCrashed, null, n)));
        return found;
    }
}
