using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Idempotency;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Core.Tests;

/// <summary>
/// A started idempotency claim is taken over before its lease runs out when its holder node is certainly dead (on
/// PostgreSQL its liveness session is gone; on SQLite it is not this process) or when its holder ended the lease itself.
/// The clock never moves here: the lease never runs out.
/// </summary>
public class IdempotencyTakeoverTests
{
    private const string Merchant = "mer_test";
    private static readonly RequestFingerprint Fingerprint = new("POST", "/v1/things", "hash");
    private static readonly StoredResponse Response = new(201, "application/json", null, [1, 2, 3]);

    [Theory]
    [BothDatabases]
    public async Task A_claim_whose_holder_node_died_is_taken_over_at_once_and_the_dead_holder_cannot_complete(DatabaseProvider provider)
    {
        var options = await MigratedAsync(provider);
        var a = await Node.StartAsync(options);
        var dead = Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
        await a.DieAsync();
        await using var b = await Node.StartAsync(options);

        var takeover = Assert.IsType<IdempotencyClaim.Begun>(await b.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));

        await Assert.ThrowsAsync<IdempotencyClaimLostException>(() => b.Database.WriteAsync(
            s => b.Store.CompleteAsync(s, Merchant, "k", dead.LockToken, Response), CancellationToken.None));
        await b.Database.WriteAsync(s => b.Store.CompleteAsync(s, Merchant, "k", takeover.LockToken, Response), CancellationToken.None);
        Assert.IsType<IdempotencyClaim.Replay>(await b.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
    }

    [Theory]
    [BothDatabases]
    public async Task A_claim_held_by_a_live_node_stays_in_use(DatabaseProvider provider)
    {
        var options = await MigratedAsync(provider);
        await using var a = await Node.StartAsync(options);
        Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));

        Assert.IsType<IdempotencyClaim.InProgress>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
        if (provider == DatabaseProvider.Postgres)
        {
            await using var b = await Node.StartAsync(options);
            Assert.IsType<IdempotencyClaim.InProgress>(await b.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
        }
    }

    /// <summary>
    /// On PostgreSQL two other nodes race for each claim; on SQLite one process serves a database file, so the race is
    /// between two requests of the live node.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task Of_two_takeovers_of_a_dead_holders_claim_at_once_exactly_one_wins(DatabaseProvider provider)
    {
        var options = await MigratedAsync(provider);
        var a = await Node.StartAsync(options);
        var keys = Enumerable.Range(0, 10).Select(i => $"k{i}").ToList();
        foreach (var key in keys)
        {
            Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, key, Fingerprint, CancellationToken.None));
        }

        await a.DieAsync();
        await using var b = await Node.StartAsync(options);
        await using var c = provider == DatabaseProvider.Postgres ? await Node.StartAsync(options) : null;

        foreach (var key in keys)
        {
            var claims = await Task.WhenAll(
                Task.Run(() => b.Store.ClaimAsync(Merchant, key, Fingerprint, CancellationToken.None)),
                Task.Run(() => (c ?? b).Store.ClaimAsync(Merchant, key, Fingerprint, CancellationToken.None)));

            Assert.Single(claims.OfType<IdempotencyClaim.Begun>());
            Assert.Single(claims.OfType<IdempotencyClaim.InProgress>());
        }
    }

    [Theory]
    [BothDatabases]
    public async Task A_claim_whose_holder_ended_its_lease_is_taken_over_at_once_though_the_holder_lives(DatabaseProvider provider)
    {
        var options = await MigratedAsync(provider);
        await using var a = await Node.StartAsync(options);
        var gaveUp = Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));

        await a.Store.EndLeaseAsync(Merchant, "k", gaveUp.LockToken);

        Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
    }

    /// <summary>The COMMIT whose answer was lost had in fact stored the response: ending the lease afterwards changes nothing.</summary>
    [Theory]
    [BothDatabases]
    public async Task Ending_the_lease_of_a_claim_that_completed_changes_nothing_and_a_retry_replays(DatabaseProvider provider)
    {
        var options = await MigratedAsync(provider);
        await using var a = await Node.StartAsync(options);
        var claim = Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
        await a.Database.WriteAsync(s => a.Store.CompleteAsync(s, Merchant, "k", claim.LockToken, Response), CancellationToken.None);

        await a.Store.EndLeaseAsync(Merchant, "k", claim.LockToken);

        var replay = Assert.IsType<IdempotencyClaim.Replay>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
        Assert.Equal(Response.Body, replay.Response.Body);
    }

    /// <summary>
    /// A node whose liveness session broke (the server restarted) draws a new id: the claims it made under the old one
    /// are then certainly orphaned (their requests failed with the server), and are taken over at once.
    /// </summary>
    [Fact]
    public async Task A_node_whose_liveness_session_broke_takes_a_new_id_and_its_earlier_claims_can_be_taken_over()
    {
        var options = await MigratedAsync(DatabaseProvider.Postgres);
        await using var a = await Node.StartAsync(options);
        var before = a.Liveness.NodeId!.Value;
        Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));

        await a.Database.ReadAsync(s => s.ExecuteAsync(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND objid = @before AND objsubid = 2", new { before }),
            CancellationToken.None);
        var after = await Node.WaitForIdAsync(a.Liveness, id => id is { } next && next != before);

        Assert.NotEqual(before, after);
        Assert.IsType<IdempotencyClaim.Begun>(await a.Store.ClaimAsync(Merchant, "k", Fingerprint, CancellationToken.None));
    }

    private static async Task<DatabaseOptions> MigratedAsync(DatabaseProvider provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        await using var database = Database.Create(options);
        await StorageFixture.Runner(database).ApplyAsync(CancellationToken.None);
        return options;
    }

    /// <summary>One server process's view: its own pool, liveness and store, on a clock that never moves.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private bool _stopped;

        private Node(DatabaseOptions options, Database database, NodeLiveness liveness)
        {
            Options = options;
            Database = database;
            Liveness = liveness;
            Store = new IdempotencyStore(database, new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56)), new IdempotencyOptions(), liveness,
                NullLogger<IdempotencyStore>.Instance);
        }

        public DatabaseOptions Options { get; }
        public Database Database { get; }
        public NodeLiveness Liveness { get; }
        public IdempotencyStore Store { get; }

        public static async Task<Node> StartAsync(DatabaseOptions options)
        {
            var database = Database.Create(options);
            var liveness = new NodeLiveness(database, NullLogger<NodeLiveness>.Instance);
            await liveness.StartAsync(CancellationToken.None);
            return new Node(options, database, liveness);
        }

        /// <summary>The process ends; on PostgreSQL, returns once the server has ended its liveness session.</summary>
        public async Task DieAsync()
        {
            var id = Liveness.NodeId!.Value;
            var postgres = Database.Provider == DatabaseProvider.Postgres ? Database.Create(Options) : null;
            await DisposeAsync();
            if (postgres is not null)
            {
                await using (postgres)
                {
                    for (var tries = 0; await postgres.ReadAsync(s => s.ExecuteScalarAsync<long>(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = @id AND objsubid = 2", new { id }), CancellationToken.None) > 0; tries++)
                    {
                        Assert.True(tries < 500, "The dead node's liveness session did not end.");
                        await Task.Delay(20, TestContext.Current.CancellationToken);
                    }
                }
            }
        }

        public static async Task<int> WaitForIdAsync(NodeLiveness liveness, Func<int?, bool> condition)
        {
            for (var tries = 0; !condition(liveness.NodeId); tries++)
            {
                Assert.True(tries < 500, "The node did not take a new id.");
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            return liveness.NodeId!.Value;
        }

        public async ValueTask DisposeAsync()
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            await Liveness.StopAsync(CancellationToken.None);
            Liveness.Dispose();
            await Database.DisposeAsync();
        }
    }
}
