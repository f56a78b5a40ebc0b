using System.Globalization;

namespace Obol.Bench.Payouts;

/// <summary>
/// The comparison: keeps every record and recomputes on each payout by splitting the strings and
/// walking the day minute by minute, as a first straightforward implementation would.
/// </summary>
internal sealed class NaivePayoutService
{
    private readonly Dictionary<string, (int Rate, int BonusPay, int PerBonus)> _terms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _records = new(StringComparer.Ordinal);

    public void AddOrUpdatePayoutMetadata(string dasherId, int basePayRate, int bonusPay, int deliveryCountsToGetBonus) =>
        _terms[dasherId] = (basePayRate, bonusPay, deliveryCountsToGetBonus);

    public void AddDeliveryActivity(string dasherId, IEnumerable<string> deliveryActivities)
    {
        if (!_records.TryGetValue(dasherId, out var list))
        {
            _records[dasherId] = list = [];
        }

        list.AddRange(deliveryActivities);
    }

    public long Payout(string dasherId)
    {
        if (!_records.TryGetValue(dasherId, out var records))
        {
            return 0;
        }

        var (rate, bonusPay, perBonus) = _terms[dasherId];
        var orders = new Dictionary<string, (int? Start, int? End)>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var (orderId, action, minute) = Split(record);
            orders.TryGetValue(orderId, out var times);
            orders[orderId] = action == "START" ? times with { Start = minute } : times with { End = minute };
        }

        var ongoing = new int[(24 * 60) + 1];
        var completed = 0;
        foreach (var (start, end) in orders.Values)
        {
            if (start is { } s && end is { } e)
            {
                completed++;
                if (s <= e)
                {
                    ongoing[s]++;
                    ongoing[e + 1]--;
                }
            }
        }

        long total = 0;
        var current = 0;
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            current += ongoing[minute];
            total += (long)current * rate;
        }

        return total + ((long)bonusPay * (completed / perBonus));
    }

    /// <summary>The plain string-splitting parse; also the ingestion baseline.</summary>
    public static (string OrderId, string Action, int Minute) Split(string record)
    {
        var fields = record.Split(',');
        var orderId = fields[0].Split('=')[1];
        var action = fields[1].Split('=')[1];
        var time = fields[2].Split('=')[1].Split(':');
        var minute = (int.Parse(time[0], CultureInfo.InvariantCulture) * 60) + int.Parse(time[1], CultureInfo.InvariantCulture);
        return (orderId, action, minute);
    }
}
