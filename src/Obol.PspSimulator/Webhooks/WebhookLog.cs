
namespace Obol.PspSimulator.Webhooks;

/// <summary>What happened to each webhook, for <c>GET /sim/webhooks</c>. Duplicates share the event id and are separate records.</summary>
public sealed class WebhookLog
{
    private readonly Lock _gate = new();
    private readonly List<DeliveryRecord> _records = [];

    public int Add(DeliveryRecord record)
    {
        lock (_gate)
        {
            _records.Add(record);
            return _records.Count - 1;
        }
    }

    public void Update(int index, Func<DeliveryRecord, DeliveryRecord> change)
    {
        lock (_gate)
        {
            if (index < _records.Count)
            {
                _records[index] = change(_records[index]);
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
        }
    }
}
