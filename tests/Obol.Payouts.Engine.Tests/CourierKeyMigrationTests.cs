using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Payouts.Anomalies;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;
using Obol.Payouts.Events;
using Obol.Testing;

namespace Obol.Payouts.Engine.Tests;

/// <summary>
/// Migration payouts/0005 gives every courier an integer key and rekeys the engine's tables by it, and 0007 has each
/// delivery row list its order's raw events; both keep what was stored.
/// </summary>
public class CourierKeyMigrationTests
{
    // Rows as the engine wrote them before the migration: the same courier id at two merchants. At mer_a, c1 has a
    // completed delivery (09:00–09:09, 10 minutes at 10); at mer_b, c1 has an order accepted and not yet fulfilled.
    private const string StoredBefore = """
        INSERT INTO courier_terms (merchant_id, courier_id, version, effective_at, time_zone, currency, base_pay_rate, bonus_pay,
            deliveries_per_bonus, cancellation_pay, pay_period_start_day, created_at) VALUES
            ('mer_a', 'c1', 1, '2027-01-01T00:00:00.000000Z', 'UTC', 'USD', 10, 0, 10, 0, 'monday', '2027-01-01T00:00:00.000000Z'),
            ('mer_b', 'c1', 1, '2027-01-01T00:00:00.000000Z', 'UTC', 'USD', 20, 0, 10, 0, 'monday', '2027-01-01T00:00:00.000000Z');
        INSERT INTO delivery_events (merchant_id, event_id, courier_id, order_id, status, occurred_at, received_at) VALUES
            ('mer_a', 'e1', 'c1', 'O1', 'accepted', '2027-05-03T09:00:00.000000Z', '2027-05-03T09:00:00.000000Z'),
            ('mer_a', 'e2', 'c1', 'O1', 'fulfilled', '2027-05-03T09:09:00.000000Z', '2027-05-03T09:09:00.000000Z'),
            ('mer_b', 'e1', 'c1', 'O1', 'accepted', '2027-05-03T09:00:00.000000Z', '2027-05-03T09:00:00.000000Z');
        INSERT INTO deliveries (merchant_id, courier_id, order_id, state, accepted_at, fulfilled_at, cancelled_at, local_date, minutes,
            amount, completed, cancellation, terms_version, sole_event_id) VALUES
            ('mer_a', 'c1', 'O1', 'completed', '2027-05-03T09:00:00.000000Z', '2027-05-03T09:09:00.000000Z', NULL, '2027-05-03', 10, 100, 1, 0, 1, NULL),
            ('mer_b', 'c1', 'O1', 'accepted', '2027-05-03T09:00:00.000000Z', NULL, NULL, NULL, 0, 0, 0, 0, 1, 'e1');
        INSERT INTO earning_days (merchant_id, courier_id, local_date, minutes, deliveries, cancellations, base_pay, bonus_pay,
            cancellation_pay, frozen, last_fulfilled_at) VALUES
            ('mer_a', 'c1', '2027-05-03', 10, 1, 0, 100, 0, 0, 0, '2027-05-03T09:09:00.000000Z');
        """;

    [Theory]
    [BothDatabases]
    public async Task Stored_rows_keep_their_meaning_and_the_engine_carries_on_from_them(DatabaseProvider provider)
    {
        await using var database = Database.Create(await TestDatabases.CreateAsync(provider));
        var migrations = new MigrationSource("payouts", typeof(PayoutsEndpoints).Assembly).For(provider);
        const string Counts = """
            SELECT (SELECT count(*) FROM courier_terms) || '/' || (SELECT count(*) FROM delivery_events) || '/'
                || (SELECT count(*) FROM deliveries) || '/' || (SELECT count(*) FROM earning_days)
            """;
        var before = await database.WriteAsync(async s =>
        {
            foreach (var migration in migrations.Where(m => m.Version < 5))
            {
                await s.ExecuteAsync(migration.Sql);
            }

            await s.ExecuteAsync(StoredBefore);
            return await s.ExecuteScalarAsync<string>(Counts);
        }, CancellationToken.None);
        await database.WriteAsync(async s =>
        {
            foreach (var migration in migrations.Where(m => m.Version >= 5))
            {
                await s.ExecuteAsync(migration.Sql);
            }
        }, CancellationToken.None);

        Assert.Equal("2/3/2/1", before);
        Assert.Equal(before, await database.ReadAsync(s => s.ExecuteScalarAsync<string>(Counts), CancellationToken.None));

        var eventLists = await database.ReadAsync(
            s => s.QueryAsync<string>("SELECT merchant_id || ':' || event_ids FROM deliveries ORDER BY merchant_id"), CancellationToken.None);
        Assert.Equal(["mer_a:e1 e2", "mer_b:e1"], eventLists);

        var keys = await database.ReadAsync(s => s.QueryAsync<long>("SELECT courier_key FROM couriers ORDER BY merchant_id"), CancellationToken.None);
        Assert.Equal(2, keys.Distinct().Count());
        var unkeyed = await database.ReadAsync(s => s.ExecuteScalarAsync<long>(
            """
            SELECT (SELECT count(*) FROM courier_terms WHERE courier_key IS NULL) + (SELECT count(*) FROM delivery_events WHERE courier_key IS NULL)
                + (SELECT count(*) FROM deliveries WHERE courier_key IS NULL) + (SELECT count(*) FROM earning_days WHERE courier_key IS NULL)
            """), CancellationToken.None);
        Assert.Equal(0, unkeyed);

        var at = new DateTimeOffset(2027, 5, 3, 12, 0, 0, TimeSpan.Zero);
        var ids = new IdGenerator(new FakeTimeProvider(at));
        var events = new CommittedEvents();
        var day = new LocalDate(2027, 5, 3);
        var result = await database.WriteAsync(s => EventIngestion.IngestAsync(new EngineWrite(s, "mer_b", at, ids, events),
        [
            new DeliveryEventInput { EventId = "e2", CourierId = "c1", OrderId = "O1", Status = "fulfilled", OccurredAt = "2027-05-03T09:04:00Z" },
        ]), CancellationToken.None);
        Assert.Equal(1, result.Accepted);

        // mer_b's order completes from the accept stored before the migration: 5 minutes at 20.
        var b = await database.ReadAsync(s => EarningsQuery.GetAsync(s, "mer_b", "c1", day, day), CancellationToken.None);
        Assert.Equal(100, b.BasePay);
        Assert.Equal(5, Assert.Single(b.LineItems).Minutes);
        var a = await database.ReadAsync(s => EarningsQuery.GetAsync(s, "mer_a", "c1", day, day), CancellationToken.None);
        Assert.Equal(100, a.BasePay);
        Assert.Equal(100, a.TotalToDate);

        // A late cancel at mer_a re-derives its order from all three events, the two stored before the migration read
        // back through the row's list (mer_b has events with the same ids): still paid, and the cancel is an anomaly.
        var late = await database.WriteAsync(s => EventIngestion.IngestAsync(new EngineWrite(s, "mer_a", at, ids, events),
        [
            new DeliveryEventInput { EventId = "e3", CourierId = "c1", OrderId = "O1", Status = "cancelled", OccurredAt = "2027-05-03T09:30:00Z" },
        ]), CancellationToken.None);
        Assert.Equal(1, late.Accepted);
        a = await database.ReadAsync(s => EarningsQuery.GetAsync(s, "mer_a", "c1", day, day), CancellationToken.None);
        Assert.Equal(100, a.BasePay);
        Assert.Equal(10, Assert.Single(a.LineItems).Minutes);
        var anomalies = await database.ReadAsync(s => AnomalyStore.ListAsync(s, "mer_a", "c1", null, 10, null), CancellationToken.None);
        Assert.Equal(AnomalyKind.CancelledAfterFulfilled, Assert.Single(anomalies).Kind);
        var opened = Assert.Single(events.Events);
        Assert.Equal(("mer_a", "courier.anomaly_opened", anomalies[0].Id), (opened.MerchantId, opened.Type, opened.ObjectId));
        eventLists = await database.ReadAsync(
            s => s.QueryAsync<string>("SELECT merchant_id || ':' || event_ids FROM deliveries ORDER BY merchant_id"), CancellationToken.None);
        Assert.Equal(["mer_a:e1 e2 e3", "mer_b:e1 e2"], eventLists);

        // A courier created after the migration gets a key of its own.
        await database.WriteAsync(s => CourierTermsStore.AppendAsync(s, "mer_a", CourierTermsDecision.Decide("c2",
            new PutCourierRequest { TimeZone = "UTC", Currency = "USD", BasePayRate = 1, BonusPay = 0, DeliveriesPerBonus = 1 }, null, at), at),
            CancellationToken.None);
        var c2 = await database.ReadAsync(s => CourierTermsStore.GetAsync(s, "mer_a", "c2"), CancellationToken.None);
        Assert.DoesNotContain(c2!.Key, keys);
    }
}
