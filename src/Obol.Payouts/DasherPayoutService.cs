using System.Buffers;
using System.Collections.Concurrent;
using Obol.Payouts.Activity;
using Obol.Payouts.PayRules;

namespace Obol.Payouts;

/// <summary>
/// Pays dashers for one day of deliveries: <c>ongoing deliveries × basePayRate</c> cents for every minute,
/// with inclusive <c>[start, end]</c> minutes, plus <c>bonusPay</c> for every full
/// <c>deliveryCountsToGetBonus</c> completed deliveries. Thread-safe.
/// </summary>
/// <remarks>
/// Dasher ids are ASCII letters and digits and compare case-insensitively: the contract's alphabet is
/// a-z and 0-9 while its examples say "D1", so case carries no identity and "D1" and "d1" are one dasher.
/// Order ids compare ordinally (case-sensitive). Payout for a dasher with no activity is 0, also when
/// no metadata was ever given for it; activity without metadata cannot be priced and throws.
/// </remarks>
internal sealed class DasherPayoutService
{
    public const int MaxDasherIdLength = 100;

    private static readonly SearchValues<char> DasherIdChars =
        SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    private readonly ConcurrentDictionary<string, DasherDay> _dashers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sets the pay terms that every later <see cref="Payout"/> applies to all of the day's activity.</summary>
    /// <exception cref="ArgumentException">The id or a value is out of range; nothing is changed.</exception>
    public void AddOrUpdatePayoutMetadata(string dasherId, int basePayRate, int bonusPay, int deliveryCountsToGetBonus)
    {
        ValidateDasherId(dasherId);
        var terms = DasherPayTerms.Create(basePayRate, bonusPay, deliveryCountsToGetBonus);
        DayOf(dasherId).SetTerms(terms);
    }

    /// <summary>
    /// Records activity in any order and across any number of calls. Exact duplicates are ignored.
    /// A call is applied whole or not at all.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A record is malformed or conflicts with a recorded or batched START/END of the same order;
    /// the message names it and nothing from the call is applied.
    /// </exception>
    public void AddDeliveryActivity(string dasherId, IEnumerable<string> deliveryActivities)
    {
        ValidateDasherId(dasherId);
        ArgumentNullException.ThrowIfNull(deliveryActivities);
        using var batch = ActivityBatch.Parse(deliveryActivities, nameof(deliveryActivities));
        if (batch.Count > 0)
        {
            DayOf(dasherId).Record(batch.Activities, nameof(deliveryActivities));
        }
    }

    /// <summary>The day's payout in cents under the current metadata.</summary>
    /// <exception cref="InvalidOperationException">The dasher has activity but no metadata.</exception>
    /// <exception cref="OverflowException">The payout does not fit in a <see cref="long"/>.</exception>
    public long Payout(string dasherId)
    {
        ValidateDasherId(dasherId);
        return _dashers.TryGetValue(dasherId, out var day) ? day.Payout() : 0;
    }

    private DasherDay DayOf(string dasherId) =>
        _dashers.GetOrAdd(dasherId, static id => new DasherDay(id));

    private static void ValidateDasherId(string dasherId)
    {
        ArgumentNullException.ThrowIfNull(dasherId);
        if (dasherId.Length is 0 or > MaxDasherIdLength || dasherId.AsSpan().ContainsAnyExcept(DasherIdChars))
        {
            var shown = dasherId.Length > MaxDasherIdLength ? $"{dasherId.Length} characters" : $"'{dasherId}'";
            throw new ArgumentException(
                $"Dasher id must be 1-{MaxDasherIdLength} ASCII letters or digits, got {shown}.",
                nameof(dasherId));
        }
    }
}
