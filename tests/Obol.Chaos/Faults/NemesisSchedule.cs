using Obol.Chaos.Simulator;

namespace Obol.Chaos.Faults;

public enum NemesisKind
{
    /// <summary>A new background mix of PSP faults (timeouts, 5xx before and after acting, latency, webhook faults).</summary>
    FaultMix,

    /// <summary><c>kill -9</c> of one node, restarted after a pause.</summary>
    KillNode,

    /// <summary><c>pg_ctl restart -m immediate</c>.</summary>
    RestartPostgres,

    /// <summary>PSP incident 1: one PSP's webhooks slow and its calls often timing out after acting.</summary>
    SlowPsp,

    /// <summary>PSP incident 2: timeouts first (unknown outcomes to resolve), then a full outage long enough to open Obol's breaker.</summary>
    PspOutage,
}

/// <summary>
/// One planned action: it starts once <see cref="At"/> of the stories have started. Everything here is drawn from the
/// seed; when it lands in real time depends on the run's pace.
/// </summary>
public sealed record NemesisEvent(double At, NemesisKind Kind)
{
    public int Node { get; init; }
    public TimeSpan Pause { get; init; }
    public string Psp { get; init; } = "";
    public TimeSpan Prelude { get; init; }
    public TimeSpan Duration { get; init; }
    public FaultSettings? Faults { get; init; }

    public string Describe() => Kind switch
    {
        NemesisKind.FaultMix => "PSP fault mix " + Json.Write(Faults),
        NemesisKind.KillNode => $"kill -9 node{Node + 1}, restart after {Pause.TotalMilliseconds:0} ms",
        NemesisKind.RestartPostgres => "pg_ctl restart -m immediate",
        NemesisKind.SlowPsp => $"{Psp}: slow webhooks and frequent timeouts for {Duration.TotalSeconds:0} s",
        NemesisKind.PspOutage => $"{Psp}: timeouts for {Prelude.TotalSeconds:0} s, then a full outage for {Duration.TotalSeconds:0} s",
        _ => Kind.ToString(),
    };
}

public static class NemesisSchedule
{
    private static readonly string[] Psps = ["stripe", "adyen"];

    public static IReadOnlyList<NemesisEvent> Plan(int seed, int nodes, bool isShort)
    {
        // Its own stream: the payments drawn from the seed do not shift when the nemesis changes, nor the other way round.
        var random = new Random(unchecked(seed * 7919 + 17));
        var events = new List<NemesisEvent>
        {
            new(0.02, NemesisKind.FaultMix) { Faults = BackgroundMix(random) },
            new(isShort ? 0.2 : 0.25 + random.NextDouble() * 0.05, NemesisKind.SlowPsp)
            {
                Psp = Psps[random.Next(2)],
                Duration = TimeSpan.FromSeconds(isShort ? 8 : 15),
            },
            new(isShort ? 0.45 : 0.55 + random.NextDouble() * 0.05, NemesisKind.PspOutage)
            {
                Psp = Psps[random.Next(2)],
                Prelude = TimeSpan.FromSeconds(isShort ? 6 : 8),

                // The breaker opens when half the calls of the last 30 s failed: with steady traffic before it, an outage
                // shorter than about 15 s never gets there.
                Duration = TimeSpan.FromSeconds(isShort ? 25 : 30),
            },
        };

        if (!isShort)
        {
            events.Add(new NemesisEvent(0.4, NemesisKind.FaultMix) { Faults = BackgroundMix(random) });
            events.Add(new NemesisEvent(0.75, NemesisKind.FaultMix) { Faults = BackgroundMix(random) });
        }

        for (var i = 0; i < (isShort ? 2 : 6); i++)
        {
            events.Add(new NemesisEvent(0.05 + random.NextDouble() * 0.85, NemesisKind.KillNode)
            {
                Node = random.Next(nodes),
                Pause = TimeSpan.FromMilliseconds(random.Next(500, 3000)),
            });
        }

        for (var i = 0; i < (isShort ? 1 : 3); i++)
        {
            events.Add(new NemesisEvent(0.05 + random.NextDouble() * 0.85, NemesisKind.RestartPostgres));
        }

        return events.OrderBy(e => e.At).ToList();
    }

    /// <summary>Low rates of every PSP call fault and a steady share of webhook faults, drawn per PSP.</summary>
    private static FaultSettings BackgroundMix(Random random)
    {
        PspFaults One() => new(
            false,
            new EndpointFaults(
                TimeoutAfterCharge: Between(random, 0.005, 0.03),
                ErrorBeforeCharge: Between(random, 0.01, 0.04),
                ErrorAfterCharge: Between(random, 0.005, 0.03),
                LatencyMs: random.Next(0, 80)),
            new WebhookFaults(
                DuplicateRate: Between(random, 0.05, 0.2),
                ReorderRate: Between(random, 0.05, 0.2),
                ReorderDelayMs: random.Next(300, 1500),
                DelayMs: random.Next(0, 300),
                DropRate: Between(random, 0, 0.02)));
        return new FaultSettings(random.Next(), One(), One());
    }

    /// <summary>Incident 1 on one PSP over the background mix: a quarter of its calls time out after acting, webhooks come seconds late.</summary>
    public static PspFaults Slow(PspFaults background) => background with
    {
        Default = background.Default with { TimeoutAfterCharge = 0.25, ErrorAfterCharge = 0.05, LatencyMs = 300 },
        Webhooks = background.Webhooks with { DelayMs = 3000, ReorderRate = 0.3, ReorderDelayMs = 2000 },
    };

    /// <summary>
    /// The run-up to incident 2: half the calls the PSP acts on go unanswered and some answer 500 after acting, and its
    /// webhooks fall 20 s behind, so Obol still has unknown outcomes to resolve when the outage begins (a webhook would
    /// otherwise settle them within a second).
    /// </summary>
    public static PspFaults Flaky(PspFaults background) => background with
    {
        Default = background.Default with { TimeoutAfterCharge = 0.5, ErrorAfterCharge = 0.1, ErrorBeforeCharge = 0.3 },
        Webhooks = background.Webhooks with { DelayMs = 20_000, ReorderRate = 0.3, ReorderDelayMs = 5_000 },
    };

    public static PspFaults Down(PspFaults background) => Flaky(background) with { Outage = true };

    private static double Between(Random random, double low, double high) => Math.Round(low + random.NextDouble() * (high - low), 4);
}
