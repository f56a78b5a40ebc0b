using System.Runtime.InteropServices;
using Obol.Payouts.Activity;
using Obol.Payouts.PayRules;

namespace Obol.Payouts;

/// <summary>
/// One dasher's pay terms and delivery activity, with the two running totals a payout needs.
/// Every member takes this dasher's own lock, so different dashers never contend.
/// </summary>
internal sealed class DasherDay
{
    // A dasher who once sent a huge batch should not keep a huge scratch table forever.
    private const int ScratchCapacityToKeep = 1024;

    private readonly string _dasherId;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OrderTimes> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OrderTimes>.AlternateLookup<ReadOnlySpan<char>> _ordersBySpan;

    // The merged view of the batch being recorded: orders it touches, keyed by slices of its records.
    private readonly Dictionary<OrderIdSlice, OrderTimes> _staged = [];

    private DasherPayTerms? _terms;
    private long _deliveryMinutes;
    private long _completedDeliveries;

    public DasherDay(string dasherId)
    {
        _dasherId = dasherId;
        _ordersBySpan = _orders.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public void SetTerms(DasherPayTerms terms)
    {
        lock (_lock)
        {
            _terms = terms;
        }
    }

    /// <summary>
    /// Records a batch all or nothing: every record is checked against what is recorded and against the
    /// rest of the batch first, and only a batch with no conflict is applied.
    /// </summary>
    /// <exception cref="ArgumentException">A record conflicts; nothing was applied.</exception>
    public void Record(ReadOnlySpan<DeliveryActivity> batch, string paramName)
    {
        lock (_lock)
        {
            try
            {
                var (minutes, completed) = Stage(batch, paramName);
                foreach (var (orderId, times) in _staged)
                {
                    // Adds the order id as a string only for an order not seen before.
                    CollectionsMarshal.GetValueRefOrAddDefault(_ordersBySpan, orderId.Span, out _) = times;
                }

                _deliveryMinutes = minutes;
                _completedDeliveries = completed;
            }
            finally
            {
                _staged.Clear();
                if (_staged.EnsureCapacity(0) > ScratchCapacityToKeep)
                {
                    _staged.TrimExcess(ScratchCapacityToKeep);
                }
            }
        }
    }

    /// <exception cref="InvalidOperationException">There is activity but no pay terms to price it with.</exception>
    public long Payout()
    {
        lock (_lock)
        {
            if (_terms is null)
            {
                return _orders.Count == 0
                    ? 0
                    : throw new InvalidOperationException(
                        $"Dasher '{_dasherId}' has delivery activity but no payout metadata; call AddOrUpdatePayoutMetadata first.");
            }

            return _terms.PayFor(_deliveryMinutes, _completedDeliveries);
        }
    }

    private (long Minutes, long Completed) Stage(ReadOnlySpan<DeliveryActivity> batch, string paramName)
    {
        var minutes = _deliveryMinutes;
        var completed = _completedDeliveries;
        for (var i = 0; i < batch.Length; i++)
        {
            var activity = batch[i];
            ref var times = ref CollectionsMarshal.GetValueRefOrAddDefault(_staged, activity.OrderId, out var staged);
            if (!staged)
            {
                _ = _ordersBySpan.TryGetValue(activity.OrderId.Span, out times);
            }

            if (times.Get(activity.Action) is { } recorded)
            {
                if (recorded == activity.Time)
                {
                    continue; // An exact duplicate: senders deliver at least once.
                }

                throw ActivityBatch.Rejected(
                    i,
                    activity.Record,
                    $"order '{activity.OrderId}' already has {ActionName(activity.Action)} at {recorded}",
                    paramName);
            }

            times = times.With(activity.Action, activity.Time);
            if (times.IsComplete)
            {
                minutes = checked(minutes + times.DeliveryMinutes);
                completed = checked(completed + 1);
            }
        }

        return (minutes, completed);
    }

    private static string ActionName(DeliveryAction action) => action == DeliveryAction.Start ? "START" : "END";
}
