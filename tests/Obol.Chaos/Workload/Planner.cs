namespace Obol.Chaos.Workload;

/// <summary>
/// Draws every payment's story from the seed, in order, before the run: the same seed gives the same payments, the
/// same steps and the same per-payment client seeds (which node, when to send twice). The mix: four currencies (EUR
/// goes to Adyen first, the rest to Stripe first), mostly cards that succeed, some declines, a few bank transfers; a
/// manual capture for two in five cards; up to three refunds, with two same-amount refunds at once and refunds racing
/// a capture, the cases where matching a PSP's answer to the right refund matters.
/// </summary>
public static class Planner
{
    private static readonly (string Currency, int Weight)[] Currencies = [("USD", 35), ("EUR", 35), ("JPY", 15), ("KWD", 15)];

    private static readonly (string Token, int Weight)[] Tokens =
    [
        ("pm_card_visa", 45), ("pm_card_mastercard", 40), ("pm_card_declined", 5), ("pm_card_insufficient_funds", 4), ("pm_bank_transfer", 6),
    ];

    public static IReadOnlyList<PaymentPlan> Plan(int seed, int payments)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, payments).Select(index => PlanOne(index, random)).ToList();
    }

    private static PaymentPlan PlanOne(int index, Random random)
    {
        var currency = Pick(random, Currencies);
        var token = Pick(random, Tokens);
        // At least 500 minor units, and a partial capture at least a tenth: a capture smaller than the PSP's fee makes the
        // simulator's Adyen report carry a negative net, which Obol refuses (reported; real PSPs have minimum amounts).
        var amount = random.Next(500, 50_000);
        var card = token is not "pm_bank_transfer";
        var manual = card && random.NextDouble() < 0.4;
        var steps = new List<PlannedStep>();
        var captured = amount;
        if (manual)
        {
            var roll = random.NextDouble();
            if (roll < 0.15)
            {
                steps.Add(new PlannedStep(StepKind.Cancel));
                captured = 0;
            }
            else
            {
                var partial = random.NextDouble() < 0.3;
                captured = partial ? random.Next(amount / 10, amount) : amount;
                if (roll < 0.35)
                {
                    var racing = Math.Max(1, captured / random.Next(2, 5));
                    steps.Add(new PlannedStep(StepKind.CaptureRacingRefund, partial ? captured : null, racing));
                }
                else
                {
                    steps.Add(new PlannedStep(StepKind.Capture, partial ? captured : null));
                }
            }
        }

        var remaining = (long)captured;
        var refunds = captured == 0 ? 0 : Pick(random, [(0, 30), (1, 35), (2, 20), (3, 15)]);
        for (var i = 0; i < refunds && remaining > 0; i++)
        {
            var roll = random.NextDouble();
            if (roll < 0.3)
            {
                // Often both fit, sometimes only one does.
                var each = Math.Max(1, remaining / random.Next(2, 4));
                steps.Add(new PlannedStep(StepKind.ConcurrentRefunds, each));
                remaining -= Math.Min(remaining, 2 * each);
            }
            else if (roll < 0.8 || i < refunds - 1)
            {
                var part = 1 + (long)(random.NextDouble() * Math.Max(1, remaining / 2));
                steps.Add(new PlannedStep(StepKind.Refund, part));
                remaining -= part;
            }
            else
            {
                steps.Add(new PlannedStep(StepKind.Refund));
                remaining = 0;
            }
        }

        return new PaymentPlan(index, amount, currency, token, manual, steps, random.Next());
    }

    private static T Pick<T>(Random random, IReadOnlyList<(T Value, int Weight)> choices)
    {
        var roll = random.Next(choices.Sum(c => c.Weight));
        foreach (var (value, weight) in choices)
        {
            if (roll < weight)
            {
                return value;
            }

            roll -= weight;
        }

        throw new InvalidOperationException("Weights do not add up.");
    }
}
