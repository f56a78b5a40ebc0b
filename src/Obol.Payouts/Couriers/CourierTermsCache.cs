using System.Collections.Concurrent;
using Obol.Core.Storage;

namespace Obol.Payouts.Couriers;

/// <summary>
/// Couriers' terms kept in memory for ingestion, which needs those of several hundred couriers per batch. Every use
/// first reads the merchant's terms epoch (one row): what was read under the same epoch is still every courier's
/// latest, because a new version raises the epoch in its own transaction. Couriers not held yet are read from the
/// store. Each node keeps its own copy; a PUT on any node is seen by all on their next batch.
/// </summary>
/// <param name="capacityPerMerchant">Couriers held per merchant; past it the merchant's copy starts over.</param>
public sealed class CourierTermsCache(int capacityPerMerchant = 100_000)
{
    private readonly ConcurrentDictionary<string, MerchantTerms> merchants = new(StringComparer.Ordinal);

    public async Task<Dictionary<string, CourierTermsHistory>> GetManyAsync(DbSession session, string merchantId, IReadOnlyCollection<string> courierIds)
    {
        // The epoch is read before any terms: what is read after it is at least as new as it says.
        var epoch = await CourierTermsStore.EpochAsync(session, merchantId);
        var held = merchants.AddOrUpdate(
            merchantId,
            _ => new MerchantTerms(epoch),
            (_, current) => current.Epoch < epoch || current.Count >= capacityPerMerchant ? new MerchantTerms(epoch) : current);
        if (held.Epoch != epoch)
        {
            // This session's snapshot is older than what another caller has seen: read, do not keep.
            return await CourierTermsStore.GetManyAsync(session, merchantId, courierIds);
        }

        var found = new Dictionary<string, CourierTermsHistory>(courierIds.Count, StringComparer.Ordinal);
        List<string>? missing = null;
        foreach (var courierId in courierIds)
        {
            if (held.Couriers.TryGetValue(courierId, out var history))
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
                held.Add(courierId, history);
            }
        }

        return found;
    }

    private sealed class MerchantTerms(long epoch)
    {
        private int count;

        public long Epoch { get; } = epoch;

        public ConcurrentDictionary<string, CourierTermsHistory> Couriers { get; } = new(StringComparer.Ordinal);

        /// <summary>Couriers held (<see cref="ConcurrentDictionary{TKey,TValue}.Count"/> takes every lock of the dictionary).</summary>
        public int Count => Volatile.Read(ref count);

        public void Add(string courierId, CourierTermsHistory history)
        {
            if (Couriers.TryAdd(courierId, history))
            {
                Interlocked.Increment(ref count);
            }
        }
    }
}
