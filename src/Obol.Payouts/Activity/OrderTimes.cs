using Obol.Payouts.PayRules;

namespace Obol.Payouts.Activity;

/// <summary>What is known of one order's START and END; <c>default</c> means nothing is known yet.</summary>
internal readonly struct OrderTimes
{
    // Minute + 1, so that 0 (the default) means "not recorded" and the struct stays four bytes.
    private readonly short _start;
    private readonly short _end;

    private OrderTimes(short start, short end)
    {
        _start = start;
        _end = end;
    }

    public bool IsComplete => _start != 0 && _end != 0;

    /// <summary>Inclusive paid minutes; only meaningful once <see cref="IsComplete"/>.</summary>
    public int DeliveryMinutes =>
        PayRules.DeliveryMinutes.Inclusive(MinuteOfDay.FromMinutes(_start - 1), MinuteOfDay.FromMinutes(_end - 1));

    public MinuteOfDay? Get(DeliveryAction action)
    {
        var stored = action == DeliveryAction.Start ? _start : _end;
        return stored == 0 ? null : MinuteOfDay.FromMinutes(stored - 1);
    }

    public OrderTimes With(DeliveryAction action, MinuteOfDay time)
    {
        var stored = (short)(time.Value + 1);
        return action == DeliveryAction.Start ? new OrderTimes(stored, _end) : new OrderTimes(_start, stored);
    }
}
