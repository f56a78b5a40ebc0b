using System.Collections.Concurrent;
using Obol.Core.Storage;

namespace Obol.Payouts.Couriers;

/// <summary>
/// Couriers' terms kept in memory for ingestion, which needs those of several hundred couriers per batch. The caller
/// reads the merchant's terms epoch (<see cref="CourierTermsStore.EpochAsync"/>) first: what was read under the same
/// epoch is still every courier's latest, because a new version raises the epoch in its own transaction. Couriers not
/// held yet are read from the store. Each node keeps its own copy; a PUT on any node is seen by all on their next
/// batch. A different epoch, higher or lower (a restored database), starts the merchant's copy over.
/// </summary>
/// <param name="capacity">Couriers held in all; past it the copy starts over.</param>
internal sealed class CourierTermsCache(int capacity = 200_000)
{
    private ConcurrentDictionary<string, MerchantTerms> merchants = new(StringComparer.Ordinal);
    private int held;

    /// <param name="session">The session the epoch was read in.</param>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="epoch">The merchant's terms epoch, read in this session before this call.</param>
    /// <param name="courierIds">The couriers; those without terms are left out of the result.</param>
    public async Task<Dictionary<string, CourierTermsHistory>> GetManyAsync(
        DbSession session, string merchantId, long epoch, IReadOnlyCollection<string> courierIds)
    {
        if (Volatile.Read(ref held) >= capacity)
        {
            Interlocked.Exchange(ref merchants, new ConcurrentDictionary<string, MerchantTerms>(StringComparer.Ordinal));
            Interlocked.Exchange(ref held, 0);
        }

        // A caller whose snapshot is older than the copy's starts it over and fills it with terms at least as new as its
        // epoch; the next caller with the newer epoch starts it over again.
        var copy = merchants.AddOrUpdate(merchantId, _ => new MerchantTerms(epoch), (_, current) => current.Epoch == epoch ? current : new MerchantTerms(epoch));
        var found = new Dictionary<string, CourierTermsHistory>(courierIds.Count, StringComparer.Ordinal);
        List<string>? missing = null;
        foreach (var courierId in courierIds)
        {
            if (copy.Couriers.TryGetValue(courierId, out var history))
            {
                found[courierId] = history;
            }
            else
            {
                (missing ??= []).Add(courierId);
            }
        }

        if (missing is not null)
        {
            foreach (var (courierId, history) in await CourierTermsStore.GetManyAsync(session, merchantId, missing))
            {
                found[courierId] = history;
                if (copy.Couriers.TryAdd(courierId, history))
                {
                    Interlocked.Increment(ref held);
                }
            }
        }

        return found;
    }

    private sealed class MerchantTerms(long epoch)
    {
        public long Epoch { get; } = epoch;

        public ConcurrentDictionary<string, CourierTermsHistory> Couriers { get; } = new(StringComparer.Ordinal);
    }
}
