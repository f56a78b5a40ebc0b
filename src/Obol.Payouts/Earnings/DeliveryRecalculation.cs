using NodaTime;
using Npgsql;
using Obol.Core.Events;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Payouts.Anomalies;
using Obol.Payouts.Couriers;
using Obol.Payouts.Events;
using Obol.Payouts.PayPeriods;

namespace Obol.Payouts.Earnings;

internal readonly record struct OrderKey(string CourierId, string OrderId);

/// <summary>A write session with who is writing and when, and the outbox its merchant events go to.</summary>
internal sealed record EngineWrite(DbSession Session, string MerchantId, DateTimeOffset Now, IdGenerator Ids, IEventOutbox Events);

/// <summary>
/// Re-derives orders from their raw events, and everything that depends on them: the per-delivery line items,
/// the per-day aggregates of the days they touch (old and new), their anomalies, their pay periods. Closed days
/// are never rewritten: a change to one becomes an adjustment in the next open period. Running it again on the
/// same events changes nothing, which is what makes ingestion replay-safe and recompute idempotent.
/// </summary>
/// <remarks>
/// Key lists are always the outer loop, probing the table's index once per key: on SQLite by <c>CROSS JOIN</c>, on
/// PostgreSQL by a <c>LATERAL</c> subquery kept apart with <c>OFFSET 0</c>. Left to themselves both planners may scan
/// the table instead (neither has a row estimate for a JSON key list), and a prepared statement's generic plan made
/// while a table was small would keep scanning it as it grows: that cost 10–17 ms per batch of 1,000 events.
/// </remarks>
internal static class DeliveryRecalculation
{
    private static readonly RowShape<DeliveryWrite> DeliveryRows = new RowShape<DeliveryWrite>()
        .Text("merchant_id", r => r.MerchantId)
        .Text("courier_id", r => r.Outcome.CourierId)
        .Bigint("courier_key", r => r.CourierKey)
        .Text("order_id", r => r.Outcome.OrderId)
        .Text("state", r => r.Outcome.State)
        .Timestamp("accepted_at", r => r.Outcome.AcceptedAt)
        .Timestamp("fulfilled_at", r => r.Outcome.FulfilledAt)
        .Timestamp("cancelled_at", r => r.Outcome.CancelledAt)
        .Text("local_date", r => r.Outcome.LocalDate is { } date ? DayPricing.Format(date) : null)
        .Bigint("minutes", r => r.Outcome.Minutes)
        .Bigint("amount", r => r.Outcome.Amount)
        .Bigint("completed", r => r.Outcome.Completed ? 1 : 0)
        .Bigint("cancellation", r => r.Outcome.Cancellation ? 1 : 0)
        .Bigint("terms_version", r => (long?)r.Outcome.TermsVersion)
        .Text("event_ids", r => r.Outcome.EventIds);

    private static readonly RowShape<DayWrite> DayRows = new RowShape<DayWrite>()
        .Text("merchant_id", r => r.MerchantId)
        .Text("courier_id", r => r.CourierId)
        .Bigint("courier_key", r => r.CourierKey)
        .Text("local_date", r => r.Date)
        .Bigint("minutes", r => r.Totals.Minutes)
        .Bigint("deliveries", r => r.Totals.Deliveries)
        .Bigint("cancellations", r => r.Totals.Cancellations)
        .Bigint("base_pay", r => r.Totals.BasePay)
        .Bigint("bonus_pay", r => r.Totals.BonusPay)
        .Bigint("cancellation_pay", r => r.Totals.CancellationPay)
        .Timestamp("last_fulfilled_at", r => r.LastFulfilledAt)
        .Bigint("frozen", _ => 0);

    private static readonly RowShape<(long CourierKey, string OrderId)> OrderKeys = new RowShape<(long CourierKey, string OrderId)>()
        .Bigint("courier_key", k => k.CourierKey)
        .Text("order_id", k => k.OrderId);

    private static readonly RowShape<(long CourierKey, string LocalDate)> DayKeys = new RowShape<(long CourierKey, string LocalDate)>()
        .Bigint("courier_key", k => k.CourierKey)
        .Text("local_date", k => k.LocalDate);

    /// <param name="write">The write session.</param>
    /// <param name="orders">The orders to re-derive.</param>
    /// <param name="appended">
    /// The events this transaction has just appended to the raw log; a caller that appends must pass them. An
    /// order's row lists its earlier events, and an order with no row yet has no others (every append is followed
    /// by a recalculation under the courier's lock, which writes the row).
    /// </param>
    /// <param name="terms">
    /// The couriers' terms, when the caller has them already, with the merchant's terms epoch they were read under
    /// (<see cref="CourierTermsStore.EpochAsync"/>). They were read before the courier lock: when the epoch has moved
    /// by the time the lock is held, a new version has committed since, and the terms are read again.
    /// </param>
    /// <param name="copyFirst">
    /// When given, an order whose appended events include its accept may be taken to be new (see <see cref="TryCopyLikelyNewAsync"/>).
    /// </param>
    public static async Task ApplyAsync(
        EngineWrite write,
        IReadOnlyCollection<OrderKey> orders,
        IReadOnlyList<DeliveryEvent>? appended = null,
        (IReadOnlyDictionary<string, CourierTermsHistory> ByCourier, long Epoch)? terms = null,
        CopyFirstPolicy? copyFirst = null)
    {
        if (orders.Count == 0)
        {
            return;
        }

        var session = write.Session;
        var couriers = orders.Select(o => o.CourierId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        await LockCouriersAsync(write, couriers);

        // After the lock a concurrent ingestion of the same courier has committed its rows, and so has a terms change
        // that re-derives the courier's orders (it takes the lock too): terms read before the lock are still the latest
        // only if the epoch has not moved.
        var byCourier = terms is { } given && await CourierTermsStore.EpochAsync(session, write.MerchantId) == given.Epoch
            ? given.ByCourier
            : await CourierTermsStore.GetManyAsync(session, write.MerchantId, couriers);
        var openAnomalies = await AnomalyStore.OpenOfOrdersAsync(write, orders);
        var copied = appended is null || copyFirst is null ? [] : await TryCopyLikelyNewAsync(write, appended, byCourier, openAnomalies, copyFirst);
        var copiedKeys = copied.Select(o => new OrderKey(o.CourierId, o.OrderId)).ToHashSet();
        var unknown = copied.Count == 0 ? orders : orders.Where(o => !copiedKeys.Contains(o)).ToList();
        var previous = unknown.Count == 0 ? [] : await session.QueryAsync<PreviousRow>(
            $"""
            SELECT {PreviousRow.Columns}
            FROM {OrderKeys.From(session, "keys", "k")} {session.JoinEach("deliveries", "d", "d.courier_key = k.courier_key AND d.order_id = k.order_id")}
            """,
            OrderKeys.Bind(session, "keys", Keyed(unknown, byCourier)));
        var existed = previous.Select(p => new OrderKey(p.CourierId, p.OrderId)).ToHashSet();

        // An order's events: the ones its row lists (read back by id, or rebuilt from the row itself when ingestion
        // adds to an order with one event), plus what this transaction has just appended.
        var byOrder = new Dictionary<OrderKey, List<DeliveryEvent>>(orders.Count);
        var listedBy = new Dictionary<string, OrderKey>(StringComparer.Ordinal);
        foreach (var row in previous)
        {
            if (appended is not null && row.SoleEvent() is { } sole)
            {
                EventsOf(byOrder, sole).Add(sole);
                continue;
            }

            var key = new OrderKey(row.CourierId, row.OrderId);
            foreach (var id in OrderEventIds.Split(row.EventIds))
            {
                if (!listedBy.TryAdd(id, key))
                {
                    throw new InvalidOperationException($"Raw event {id} is listed by two delivery rows (orders {listedBy[id].OrderId} and {key.OrderId}).");
                }
            }
        }

        foreach (var e in appended ?? [])
        {
            if (!copiedKeys.Contains(new OrderKey(e.CourierId, e.OrderId)))
            {
                EventsOf(byOrder, e).Add(e);
            }
        }

        if (listedBy.Count > 0)
        {
            var stored = await DeliveryEventStore.GetAsync(session, write.MerchantId, listedBy.Keys.ToList());
            foreach (var (id, key) in listedBy)
            {
                if (!stored.TryGetValue(id, out var e))
                {
                    throw new InvalidOperationException($"The delivery row of order {key.OrderId} lists raw event {id}, which is not in the raw log.");
                }

                if (new OrderKey(e.CourierId, e.OrderId) != key)
                {
                    throw new InvalidOperationException($"The delivery row of order {key.OrderId} lists raw event {id}, which is of order {e.OrderId}.");
                }

                EventsOf(byOrder, e).Add(e);
            }
        }

        var outcomes = new List<DeliveryOutcome>(orders.Count);
        outcomes.AddRange(copied);
        foreach (var order in unknown)
        {
            if (byOrder.TryGetValue(order, out var orderEvents) && byCourier.TryGetValue(order.CourierId, out var history))
            {
                outcomes.Add(DeliveryPricing.Price(order.CourierId, order.OrderId, orderEvents, history));
            }
        }

        // Under the courier lock nothing else inserts these orders: the new ones are plain inserts, cheaper than upserts.
        await WriteDeliveriesAsync(
            write, outcomes.Where(o => !existed.Contains(new OrderKey(o.CourierId, o.OrderId)) && !copiedKeys.Contains(new OrderKey(o.CourierId, o.OrderId))).ToList(), byCourier, upsert: false);
        await WriteDeliveriesAsync(write, outcomes.Where(o => existed.Contains(new OrderKey(o.CourierId, o.OrderId))).ToList(), byCourier, upsert: true);

        var days = new HashSet<(string CourierId, LocalDate Date)>();
        foreach (var row in previous)
        {
            if (row.LocalDate is not null)
            {
                days.Add((row.CourierId, DayPricing.ParseStored(row.LocalDate)));
            }
        }

        foreach (var outcome in outcomes)
        {
            if (outcome.LocalDate is { } date)
            {
                days.Add((outcome.CourierId, date));
            }
        }

        var newDays = await RecomputeDaysAsync(write, days, byCourier, Additions(previous, outcomes));
        await PayPeriodStore.EnsureForDaysAsync(write, newDays, byCourier);
        await AnomalyStore.SyncAsync(write, outcomes, existed, openAnomalies);
    }

    /// <summary>
    /// An order whose appended events include its accept, and that has no open anomaly, is most likely new: an
    /// accept is an order's first event, and an accept that comes after its fulfillment finds that held with an open
    /// anomaly. On PostgreSQL such orders are priced from the appended events alone and copied in at once, behind a
    /// savepoint, without looking up their rows. Under the courier lock nothing else inserts them, so the copy
    /// succeeding proves they had no row, and so no earlier events. When one had a row after all, the primary key objects, the copy is
    /// undone and every order goes the general way (and the policy hears of it). Returns the outcomes copied in.
    /// </summary>
    private static async Task<IReadOnlyList<DeliveryOutcome>> TryCopyLikelyNewAsync(
        EngineWrite write,
        IReadOnlyList<DeliveryEvent> appended,
        IReadOnlyDictionary<string, CourierTermsHistory> terms,
        IReadOnlyList<OpenAnomaly> openAnomalies,
        CopyFirstPolicy policy)
    {
        if (!write.Session.IsPostgres || !policy.ShouldTry())
        {
            return [];
        }

        // An order with an open anomaly most likely has a row (a fulfillment held for this very accept, most often).
        var flagged = openAnomalies.Select(a => new OrderKey(a.CourierId, a.OrderId)).ToHashSet();
        var likelyNew = new Dictionary<OrderKey, List<DeliveryEvent>>();
        foreach (var e in appended)
        {
            var order = new OrderKey(e.CourierId, e.OrderId);
            if (e.Status == DeliveryStatus.Accepted && terms.ContainsKey(e.CourierId) && !flagged.Contains(order))
            {
                likelyNew.TryAdd(order, []);
            }
        }

        if (likelyNew.Count == 0)
        {
            return [];
        }

        foreach (var e in appended)
        {
            if (likelyNew.TryGetValue(new OrderKey(e.CourierId, e.OrderId), out var events))
            {
                events.Add(e);
            }
        }

        var outcomes = likelyNew.Select(o => DeliveryPricing.Price(o.Key.CourierId, o.Key.OrderId, o.Value, terms[o.Key.CourierId])).ToList();
        await write.Session.ExecuteAsync("SAVEPOINT deliveries_copy");
        try
        {
            await WriteDeliveriesAsync(write, outcomes, terms, upsert: false);
            await write.Session.ExecuteAsync("RELEASE SAVEPOINT deliveries_copy");
            policy.Record(copied: true);
            return outcomes;
        }
        catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await write.Session.ExecuteAsync("ROLLBACK TO SAVEPOINT deliveries_copy");
            policy.Record(copied: false);
            return [];
        }
    }

    private static List<DeliveryEvent> EventsOf(Dictionary<OrderKey, List<DeliveryEvent>> byOrder, DeliveryEvent e)
    {
        var key = new OrderKey(e.CourierId, e.OrderId);
        if (!byOrder.TryGetValue(key, out var list))
        {
            byOrder[key] = list = [];
        }

        return list;
    }

    /// <summary>
    /// What the re-derived orders add to each day, for the days where they only add: no order touching the day was
    /// paid on some day before. Those days are the stored row plus this; any other day is summed again from its line items.
    /// </summary>
    private static Dictionary<(string CourierId, LocalDate Date), DaySums> Additions(IReadOnlyList<PreviousRow> previous, IReadOnlyList<DeliveryOutcome> outcomes)
    {
        var resummed = new HashSet<(string CourierId, LocalDate Date)>();
        var paidBefore = new HashSet<OrderKey>();
        foreach (var row in previous)
        {
            if (row.LocalDate is not null)
            {
                resummed.Add((row.CourierId, DayPricing.ParseStored(row.LocalDate)));
                paidBefore.Add(new OrderKey(row.CourierId, row.OrderId));
            }
        }

        foreach (var outcome in outcomes)
        {
            if (outcome.LocalDate is { } date && paidBefore.Contains(new OrderKey(outcome.CourierId, outcome.OrderId)))
            {
                resummed.Add((outcome.CourierId, date));
            }
        }

        var additions = new Dictionary<(string CourierId, LocalDate Date), DaySums>();
        foreach (var outcome in outcomes)
        {
            if (outcome.LocalDate is not { } date || resummed.Contains((outcome.CourierId, date)))
            {
                continue;
            }

            var key = (outcome.CourierId, date);
            additions[key] = additions.TryGetValue(key, out var sums) ? sums.Plus(DaySums.Of(outcome)) : DaySums.Of(outcome);
        }

        return additions;
    }

    /// <summary>
    /// Recomputes a set of courier-days from their line items; frozen days turn differences into adjustments.
    /// Returns the days that got their first row (their pay periods may not exist yet; a day with a row has one).
    /// </summary>
    /// <param name="write">The write session.</param>
    /// <param name="days">The days to recompute.</param>
    /// <param name="terms">The couriers' terms.</param>
    /// <param name="additions">
    /// For days whose only change is new line items: what those add. Such a day (unless frozen) is its stored row plus
    /// the addition, which saves summing all of its line items again. Every other day is summed from its line items.
    /// </param>
    public static async Task<List<(string CourierId, LocalDate Date)>> RecomputeDaysAsync(
        EngineWrite write,
        IReadOnlyCollection<(string CourierId, LocalDate Date)> days,
        IReadOnlyDictionary<string, CourierTermsHistory> terms,
        IReadOnlyDictionary<(string CourierId, LocalDate Date), DaySums>? additions = null)
    {
        var created = new List<(string CourierId, LocalDate Date)>();
        if (days.Count == 0)
        {
            return created;
        }

        var session = write.Session;
        var stored = await session.QueryAsync<DayRow>(
            $"""
            SELECT {DayRow.Columns}
            FROM {DayKeys.From(session, "keys", "k")} {session.JoinEach("earning_days", "e", "e.courier_key = k.courier_key AND e.local_date = k.local_date")}
            """,
            DayKeys.Bind(session, "keys", Keyed(days, terms)));

        var storedByDay = stored.ToDictionary(s => (s.CourierId, s.LocalDate));
        var resum = days.Where(d => additions is null || !additions.ContainsKey(d)
            || (storedByDay.TryGetValue((d.CourierId, DayPricing.Format(d.Date)), out var row) && row.Frozen == 1)).ToList();
        IReadOnlyList<SumsRow> sums = [];
        if (resum.Count > 0)
        {
            sums = await session.QueryAsync<SumsRow>(
                $"""
                {SumsRow.Select}
                FROM {DayKeys.From(session, "keys", "k")} {session.JoinEach("deliveries", "d", "d.courier_key = k.courier_key AND d.local_date = k.local_date")}
                GROUP BY d.courier_id, d.local_date
                """,
                DayKeys.Bind(session, "keys", Keyed(resum, terms)));
        }

        var sumsByDay = sums.ToDictionary(s => (s.CourierId, s.LocalDate));
        var inserts = new List<DayWrite>();
        var updates = new List<DayWrite>();
        var deletes = new List<(string CourierId, LocalDate Date)>();
        foreach (var (courierId, date) in days)
        {
            if (!terms.TryGetValue(courierId, out var history))
            {
                continue;
            }

            var key = (courierId, DayPricing.Format(date));
            storedByDay.TryGetValue(key, out var existing);
            DaySums? liveSums;
            if (additions is not null && additions.TryGetValue((courierId, date), out var added) && existing is not { Frozen: 1 })
            {
                liveSums = existing is null ? added : existing.ToSums().Plus(added);
            }
            else
            {
                liveSums = sumsByDay.TryGetValue(key, out var s)
                    ? new DaySums(s.Minutes, s.Deliveries, s.Cancellations, s.BasePay, s.CancellationPay, s.LastFulfilledAt)
                    : null;
            }

            var live = liveSums is null ? DayTotals.Zero : DayPricing.Price(liveSums, history);
            var lastFulfilledAt = liveSums?.LastFulfilledAt;
            if (existing is { Frozen: 1 })
            {
                await AdjustFrozenDayAsync(write, courierId, date, live, existing.ToTotals(), history);
            }
            else if (live.IsZero)
            {
                if (existing is not null)
                {
                    deletes.Add((courierId, date));
                }
            }
            else if (existing is null || existing.ToTotals() != live || existing.LastFulfilledAt != lastFulfilledAt)
            {
                if (existing is null)
                {
                    created.Add((courierId, date));
                }

                (existing is null ? inserts : updates).Add(new DayWrite(write.MerchantId, courierId, history.Key, key.Item2, live, lastFulfilledAt));
            }
        }

        await WriteDaysAsync(write, inserts, upsert: false);
        await WriteDaysAsync(write, updates, upsert: true);

        if (deletes.Count > 0)
        {
            var keys = DayKeys.From(session, "keys", "k");
            await session.ExecuteAsync(
                session.Sql(
                    $"""
                    DELETE FROM earning_days WHERE rowid IN (
                        SELECT e.rowid FROM {keys} CROSS JOIN earning_days e ON e.courier_key = k.courier_key AND e.local_date = k.local_date
                        WHERE e.frozen = 0)
                    """,
                    $"""
                    DELETE FROM earning_days e USING {keys}
                    WHERE e.frozen = 0 AND e.courier_key = k.courier_key AND e.local_date = k.local_date
                    """),
                DayKeys.Bind(session, "keys", Keyed(deletes, terms)));
        }

        return created;
    }

    /// <summary>A closed day stays as it was paid; what it should pay now minus what it paid and was adjusted goes to the next open period.</summary>
    private static async Task AdjustFrozenDayAsync(EngineWrite write, string courierId, LocalDate date, DayTotals live, DayTotals frozen, CourierTermsHistory history)
    {
        var day = DayPricing.Format(date);
        var adjusted = await write.Session.ExecuteScalarAsync<long>(
            "SELECT CAST(coalesce(sum(amount), 0) AS BIGINT) FROM earning_adjustments WHERE merchant_id = @merchantId AND courier_id = @courierId AND origin_date = @day",
            new { merchantId = write.MerchantId, courierId, day });
        var delta = checked(live.Total - frozen.Total - adjusted);
        if (delta == 0)
        {
            return;
        }

        var target = await PayPeriodStore.NextOpenAfterAsync(write, courierId, date, history);
        await write.Session.ExecuteAsync(
            """
            INSERT INTO earning_adjustments (id, merchant_id, courier_id, period_id, effective_date, origin_date, amount, reason, created_at)
            VALUES (@id, @merchantId, @courierId, @periodId, @effectiveDate, @day, @delta, @reason, @now)
            """,
            new
            {
                id = write.Ids.New("adj"),
                merchantId = write.MerchantId,
                courierId,
                periodId = target.Id,
                effectiveDate = target.StartDate,
                day,
                delta,
                reason = $"Deliveries of {day} changed after its pay period closed.",
                now = write.Now,
            });
    }

    /// <summary>Writes day rows: new ones as plain inserts (COPY on PostgreSQL), changed ones as upserts that never touch a frozen day.</summary>
    private static async Task WriteDaysAsync(EngineWrite write, List<DayWrite> rows, bool upsert)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var update = !upsert ? "" : """
            ON CONFLICT (courier_key, local_date) DO UPDATE SET minutes = excluded.minutes, deliveries = excluded.deliveries,
                cancellations = excluded.cancellations, base_pay = excluded.base_pay, bonus_pay = excluded.bonus_pay,
                cancellation_pay = excluded.cancellation_pay, last_fulfilled_at = excluded.last_fulfilled_at
            WHERE earning_days.frozen = 0
            """;
        if (write.Session.IsPostgres && !upsert)
        {
            await DayRows.CopyAsync(write.Session, "earning_days", rows);
            return;
        }

        await write.Session.ExecuteAsync(
            $"""
            INSERT INTO earning_days ({DayRows.Columns})
            SELECT {DayRows.Columns} FROM {DayRows.From(write.Session, "days", "r")} WHERE true
            {update}
            """,
            DayRows.Bind(write.Session, "days", rows));
    }

    /// <summary>Writes line items: new ones as plain inserts (COPY on PostgreSQL), changed ones as upserts.</summary>
    private static async Task WriteDeliveriesAsync(
        EngineWrite write, List<DeliveryOutcome> outcomes, IReadOnlyDictionary<string, CourierTermsHistory> terms, bool upsert)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        var update = !upsert ? "" : """
            ON CONFLICT (courier_key, order_id) DO UPDATE SET state = excluded.state, accepted_at = excluded.accepted_at,
                fulfilled_at = excluded.fulfilled_at, cancelled_at = excluded.cancelled_at, local_date = excluded.local_date,
                minutes = excluded.minutes, amount = excluded.amount, completed = excluded.completed,
                cancellation = excluded.cancellation, terms_version = excluded.terms_version, event_ids = excluded.event_ids
            """;
        var rows = outcomes.Select(o => new DeliveryWrite(write.MerchantId, terms[o.CourierId].Key, o)).ToList();
        if (write.Session.IsPostgres && !upsert)
        {
            await DeliveryRows.CopyAsync(write.Session, "deliveries", rows);
            return;
        }

        await write.Session.ExecuteAsync(
            $"""
            INSERT INTO deliveries ({DeliveryRows.Columns})
            SELECT {DeliveryRows.Columns} FROM {DeliveryRows.From(write.Session, "deliveries", "r")} WHERE true
            {update}
            """,
            DeliveryRows.Bind(write.Session, "deliveries", rows));
    }

    /// <summary>The orders by their couriers' storage keys; a courier without terms has no stored rows, so its orders are left out.</summary>
    private static List<(long CourierKey, string OrderId)> Keyed(IReadOnlyCollection<OrderKey> orders, IReadOnlyDictionary<string, CourierTermsHistory> terms) =>
        orders.Where(o => terms.ContainsKey(o.CourierId)).Select(o => (terms[o.CourierId].Key, o.OrderId)).ToList();

    /// <summary>The courier-days by their couriers' storage keys, dates as stored.</summary>
    private static List<(long CourierKey, string LocalDate)> Keyed(
        IReadOnlyCollection<(string CourierId, LocalDate Date)> days, IReadOnlyDictionary<string, CourierTermsHistory> terms) =>
        days.Where(d => terms.ContainsKey(d.CourierId)).Select(d => (terms[d.CourierId].Key, DayPricing.Format(d.Date))).ToList();

    /// <summary>On PostgreSQL, one courier's recalculations run one at a time (transaction advisory locks, taken in id order).</summary>
    public static async Task LockCouriersAsync(EngineWrite write, IReadOnlyList<string> sortedCourierIds)
    {
        if (!write.Session.IsPostgres)
        {
            return; // SQLite runs one writer at a time.
        }

        await write.Session.ExecuteAsync(
            """
            SELECT pg_advisory_xact_lock(k) FROM (
                SELECT DISTINCT hashtextextended(@merchantId || '/' || c, 0) AS k
                FROM unnest(@couriers) AS c ORDER BY 1) s
            """,
            new { merchantId = write.MerchantId, couriers = sortedCourierIds.ToArray() });
    }

    private sealed class PreviousRow
    {
        public const string Columns = """
            d.courier_id AS CourierId, d.order_id AS OrderId, d.local_date AS LocalDate, d.state AS State,
            d.accepted_at AS AcceptedAt, d.fulfilled_at AS FulfilledAt, d.cancelled_at AS CancelledAt, d.event_ids AS EventIds
            """;

        public string CourierId { get; init; } = "";
        public string OrderId { get; init; } = "";
        public string? LocalDate { get; init; }
        public string State { get; init; } = "";
        public DateTimeOffset? AcceptedAt { get; init; }
        public DateTimeOffset? FulfilledAt { get; init; }
        public DateTimeOffset? CancelledAt { get; init; }
        public string EventIds { get; init; } = "";

        /// <summary>The order's only event, as its row records it (pricing one event gives one of these three states).</summary>
        public DeliveryEvent? SoleEvent() => (OrderEventIds.IsSingle(EventIds), State) switch
        {
            (false, _) => null,
            (_, DeliveryState.Accepted) when AcceptedAt is { } at => new DeliveryEvent(EventIds, CourierId, OrderId, DeliveryStatus.Accepted, at),
            (_, DeliveryState.Held) when FulfilledAt is { } at => new DeliveryEvent(EventIds, CourierId, OrderId, DeliveryStatus.Fulfilled, at),
            (_, DeliveryState.Cancelled) when CancelledAt is { } at => new DeliveryEvent(EventIds, CourierId, OrderId, DeliveryStatus.Cancelled, at),
            _ => null,
        };
    }

    private sealed class SumsRow
    {
        /// <summary>What a day's line items add up to (the same sums <see cref="DaySums.Of"/> takes one delivery at a time).</summary>
        public const string Select = """
            SELECT d.courier_id AS CourierId, d.local_date AS LocalDate,
                CAST(sum(d.minutes) AS BIGINT) AS Minutes, CAST(sum(d.completed) AS BIGINT) AS Deliveries,
                CAST(sum(d.cancellation) AS BIGINT) AS Cancellations,
                CAST(sum(CASE WHEN d.completed = 1 THEN d.amount ELSE 0 END) AS BIGINT) AS BasePay,
                CAST(sum(CASE WHEN d.cancellation = 1 THEN d.amount ELSE 0 END) AS BIGINT) AS CancellationPay,
                max(CASE WHEN d.completed = 1 THEN d.fulfilled_at END) AS LastFulfilledAt
            """;

        public string CourierId { get; init; } = "";
        public string LocalDate { get; init; } = "";
        public long Minutes { get; init; }
        public long Deliveries { get; init; }
        public long Cancellations { get; init; }
        public long BasePay { get; init; }
        public long CancellationPay { get; init; }
        public DateTimeOffset? LastFulfilledAt { get; init; }
    }
}

/// <summary>A day row to write.</summary>
internal sealed record DayWrite(string MerchantId, string CourierId, long CourierKey, string Date, DayTotals Totals, DateTimeOffset? LastFulfilledAt);

/// <summary>A line item to write: the priced order with its courier's storage key.</summary>
internal readonly record struct DeliveryWrite(string MerchantId, long CourierKey, DeliveryOutcome Outcome);

/// <summary>A stored <c>earning_days</c> row.</summary>
internal sealed class DayRow
{
    public const string Columns = """
        e.courier_id AS CourierId, e.local_date AS LocalDate, e.minutes AS Minutes, e.deliveries AS Deliveries,
        e.cancellations AS Cancellations, e.base_pay AS BasePay, e.bonus_pay AS BonusPay, e.cancellation_pay AS CancellationPay,
        e.last_fulfilled_at AS LastFulfilledAt, e.frozen AS Frozen
        """;

    public string CourierId { get; init; } = "";
    public string LocalDate { get; init; } = "";
    public long Minutes { get; init; }
    public long Deliveries { get; init; }
    public long Cancellations { get; init; }
    public long BasePay { get; init; }
    public long BonusPay { get; init; }
    public long CancellationPay { get; init; }
    public DateTimeOffset? LastFulfilledAt { get; init; }
    public long Frozen { get; init; }

    public DayTotals ToTotals() => new(Minutes, Deliveries, Cancellations, BasePay, BonusPay, CancellationPay);

    public DaySums ToSums() => new(Minutes, Deliveries, Cancellations, BasePay, CancellationPay, LastFulfilledAt);
}
