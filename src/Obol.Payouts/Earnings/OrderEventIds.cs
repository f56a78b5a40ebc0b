using Obol.Payouts.Events;

namespace Obol.Payouts.Earnings;

/// <summary>
/// An order's raw event ids as its delivery row keeps them: sorted ordinally, separated by spaces (event ids are
/// printable ASCII without spaces). The raw log is indexed by event id only; an order's events are found through this list.
/// </summary>
internal static class OrderEventIds
{
    private const char Separator = ' ';

    public static string Of(IReadOnlyList<DeliveryEvent> events)
    {
        if (events.Count == 1)
        {
            return events[0].EventId;
        }

        var ids = new string[events.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = events[i].EventId;
        }

        Array.Sort(ids, StringComparer.Ordinal);
        return string.Join(Separator, ids);
    }

    /// <summary>The listed ids (none for an empty list). A malformed list yields an empty id, which no raw event has.</summary>
    public static string[] Split(string eventIds) => eventIds.Length == 0 ? [] : eventIds.Split(Separator);

    public static bool IsSingle(string eventIds) => eventIds.Length > 0 && !eventIds.Contains(Separator, StringComparison.Ordinal);
}
