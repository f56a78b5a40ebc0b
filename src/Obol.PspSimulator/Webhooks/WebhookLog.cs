namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// What happened to each delivery, for <c>GET /sim/webhooks</c>: one record per (event, endpoint), and one more per
/// duplicate copy. Ids are never reused, so an attempt finishing after a reset cannot update a newer record.
/// </summary>
public sealed class WebhookLog
{
    private readonly Lock _gate = new();
    private readonly List<DeliveryRecord> _records = [];
    private readonly Dictionary<long, int> _positions = [];
    private long _lastId;

    public long Add(DeliveryRecord record)
    {
        lock (_gate)
        {
            var id = ++_lastId;
            _positions[id] = _records.Count;
            _records.Add(record);
            return id;
        }
    }

    public void Update(long id, Func<DeliveryRecord, DeliveryRecord> change)
    {
        lock (_gate)
        {
            if (_positions.TryGetValue(id, out var position))
            {
                _records[position] = change(_records[position]);
            }
        }
    }

    public IReadOnlyList<DeliveryRecord> List(Psp? psp)
    {
        lock (_gate)
        {
            return _records.Where(r => psp is null || r.Psp == psp).ToList();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _records.Clear();
            _positions.Clear();
        }
    }
}
