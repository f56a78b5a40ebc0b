using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Idempotency;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

public class IdempotencyTests
{
    private const string Path = "/v1/test/counters";

    [Theory]
    [BothDatabases]
    public async Task Same_key_and_request_replays_the_stored_response(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();

        var first = await client.PostJsonAsync(Path, """{"name":"a"}""", "key-1");
        var second = await client.PostJsonAsync(Path, """{"name":"a"}""", "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(1, await TestCounters.CountAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task Same_key_with_a_different_body_or_path_is_422(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();

        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(Path, """{"name":"a"}""", "key-1")).StatusCode);
        await (await client.PostJsonAsync(Path, """{"name":"b"}""", "key-1")).ReadProblemAsync(422, "idempotency_key_reused");
        await (await client.PostJsonAsync(Path + "/strict", """{"name":"a"}""", "key-1")).ReadProblemAsync(422, "idempotency_key_reused");
        Assert.Equal(1, await TestCounters.CountAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task Keys_are_scoped_to_the_merchant(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        var other = await server.GetRequiredService<ApiKeys>().CreateMerchantAsync("Other", CancellationToken.None);
        var otherKey = await server.GetRequiredService<ApiKeys>().IssueAsync(other.Id, "test", null, CancellationToken.None);
        using var client = server.CreateClient();
        using var otherClient = server.CreateClient(otherKey.Secret);

        var mine = await client.PostJsonAsync(Path, """{"name":"a"}""", "shared");
        var theirs = await otherClient.PostJsonAsync(Path, """{"name":"a"}""", "shared");

        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        Assert.False(theirs.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(mine.Headers.Location, theirs.Headers.Location);
        Assert.Equal(2, await TestCounters.CountAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task Fifty_parallel_requests_with_one_key_commit_exactly_one_effect(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => client.PostJsonAsync(Path, """{"name":"race"}""", "race-key"))));

        Assert.Equal(1, await TestCounters.CountAsync(server));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.Single(created.Select(r => r.Content.ReadAsStringAsync().Result).Distinct());
        Assert.Single(created, r => !r.Headers.Contains("Idempotent-Replayed"));
        foreach (var response in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await response.ReadProblemAsync(409, "idempotency_key_in_use");
        }
    }

    [Fact]
    public async Task Requests_arriving_while_the_first_is_running_get_409_on_postgres()
    {
        await using var server = await TestCounters.StartServerAsync(DatabaseProvider.Postgres);
        var gate = server.GetRequiredService<CounterGate>();
        gate.Enabled = true;
        using var client = server.CreateClient();

        var first = client.PostJsonAsync(Path, """{"name":"held"}""", "held-key");
        await gate.FirstEntered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var others = await Task.WhenAll(Enumerable.Range(0, 49).Select(_ => client.PostJsonAsync(Path, """{"name":"held"}""", "held-key")));
        gate.Release.SetResult();

        Assert.Equal(HttpStatusCode.Created, (await first).StatusCode);
        foreach (var response in others)
        {
            await response.ReadProblemAsync(409, "idempotency_key_in_use");
        }

        Assert.Equal(1, await TestCounters.CountAsync(server));
        var replay = await client.PostJsonAsync(Path, """{"name":"held"}""", "held-key");
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Theory]
    [BothDatabases]
    public async Task A_request_that_failed_validation_is_not_stored(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();

        await (await client.PostJsonAsync(Path, """{"name":""}""", "key-v")).ReadProblemAsync(400, "validation_failed");
        await (await client.PostJsonAsync(Path, """{"name":""}""", "key-v")).ReadProblemAsync(400, "validation_failed");
        var corrected = await client.PostJsonAsync(Path, """{"name":"fixed"}""", "key-v");

        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
        Assert.Equal(1, await TestCounters.CountAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task A_request_rejected_after_writing_leaves_no_effect_and_no_record(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();

        await (await client.PostJsonAsync(Path, """{"name":"reject-after-write"}""", "key-r")).ReadProblemAsync(409, "invalid_state_transition");
        await (await client.PostJsonAsync(Path, """{"name":"reject-after-write"}""")).ReadProblemAsync(409, "invalid_state_transition");

        Assert.Equal(0, await TestCounters.CountAsync(server));
        Assert.Equal(0, await server.GetRequiredService<Database>().ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM idempotency_keys"), CancellationToken.None));
    }

    [Theory]
    [BothDatabases]
    public async Task Malformed_idempotency_keys_and_missing_required_keys_are_400(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();

        await (await client.PostJsonAsync(Path, """{"name":"a"}""", new string('k', 256))).ReadProblemAsync(400, "invalid_idempotency_key");
        await (await client.PostJsonAsync(Path, """{"name":"a"}""", "tab\there")).ReadProblemAsync(400, "invalid_idempotency_key");
        await (await client.PostJsonAsync(Path + "/strict", """{"name":"a"}""")).ReadProblemAsync(400, "idempotency_key_required");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(Path + "/strict", """{"name":"a"}""", new string('k', 255))).StatusCode);
        Assert.Equal(1, await TestCounters.CountAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task Records_are_kept_for_24_hours_then_cleaned_up(DatabaseProvider provider)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var server = await TestCounters.StartServerAsync(provider, b => b.Services.AddSingleton<TimeProvider>(clock));
        using var client = server.CreateClient();
        var store = server.GetRequiredService<IdempotencyStore>();

        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(Path, """{"name":"a"}""", "old-key")).StatusCode);
        clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, await store.DeleteExpiredAsync(CancellationToken.None));
        Assert.True((await client.PostJsonAsync(Path, """{"name":"a"}""", "old-key")).Headers.Contains("Idempotent-Replayed"));

        // The hourly cleanup job runs on the same clock and may get there first; either way the record goes.
        clock.Advance(TimeSpan.FromHours(2));
        await store.DeleteExpiredAsync(CancellationToken.None);
        Assert.Equal(0, await server.GetRequiredService<Database>().ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM idempotency_keys"), CancellationToken.None));
        var fresh = await client.PostJsonAsync(Path, """{"name":"a"}""", "old-key");
        Assert.False(fresh.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, await TestCounters.CountAsync(server));
    }

    [Theory]
    [BothDatabases]
    public async Task A_crashed_request_holds_its_key_until_the_lease_ends_and_cannot_complete_after_takeover(DatabaseProvider provider)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var server = await TestCounters.StartServerAsync(provider, b => b.Services.AddSingleton<TimeProvider>(clock));
        var store = server.GetRequiredService<IdempotencyStore>();
        var database = server.GetRequiredService<Database>();
        var fingerprint = new RequestFingerprint("POST", Path, "hash");

        var crashed = Assert.IsType<IdempotencyClaim.Begun>(await store.ClaimAsync(ApiKeys.DefaultMerchantId, "k", fingerprint, CancellationToken.None));
        Assert.IsType<IdempotencyClaim.InProgress>(await store.ClaimAsync(ApiKeys.DefaultMerchantId, "k", fingerprint, CancellationToken.None));

        clock.Advance(new IdempotencyOptions().Lease + TimeSpan.FromSeconds(1));
        var takeover = Assert.IsType<IdempotencyClaim.Begun>(await store.ClaimAsync(ApiKeys.DefaultMerchantId, "k", fingerprint, CancellationToken.None));

        var response = new StoredResponse(201, "application/json", null, [1, 2, 3]);
        await Assert.ThrowsAsync<IdempotencyClaimLostException>(() => database.WriteAsync(
            s => store.CompleteAsync(s, ApiKeys.DefaultMerchantId, "k", crashed.LockToken, response), CancellationToken.None));
        await database.WriteAsync(s => store.CompleteAsync(s, ApiKeys.DefaultMerchantId, "k", takeover.LockToken, response), CancellationToken.None);
        var replay = Assert.IsType<IdempotencyClaim.Replay>(await store.ClaimAsync(ApiKeys.DefaultMerchantId, "k", fingerprint, CancellationToken.None));
        Assert.Equal(response.Body, replay.Response.Body);
    }

    /// <summary>
    /// Two nodes on one database: a claim made on a node that is alive is in use on the other; once that node's process
    /// is gone (its liveness session with it), the other node takes the key over at once, long before the lease ends.
    /// </summary>
    [Fact]
    public async Task A_claim_of_a_node_that_died_is_taken_over_by_another_node_at_once()
    {
        var database = await TestDatabases.CreateAsync(DatabaseProvider.Postgres);
        var first = await TestCounters.StartServerAsync(DatabaseProvider.Postgres, database: database);
        await using var second = await TestCounters.StartServerAsync(DatabaseProvider.Postgres, database: database);
        using var client = second.CreateClient();
        const string body = """{"name":"orphan"}""";
        var fingerprint = new RequestFingerprint("POST", Path, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        var firstNode = first.GetRequiredService<NodeLiveness>().NodeId!.Value;
        Assert.IsType<IdempotencyClaim.Begun>(await first.GetRequiredService<IdempotencyStore>().ClaimAsync(ApiKeys.DefaultMerchantId, "orphan-key", fingerprint, CancellationToken.None));

        await (await client.PostJsonAsync(Path, body, "orphan-key")).ReadProblemAsync(409, "idempotency_key_in_use");
        await first.DisposeAsync();
        for (var tries = 0; await second.GetRequiredService<Database>().ReadAsync(s => s.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = @firstNode AND objsubid = 2", new { firstNode }), CancellationToken.None) > 0; tries++)
        {
            Assert.True(tries < 500, "The first node's liveness session did not end.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var takenOver = await client.PostJsonAsync(Path, body, "orphan-key");
        Assert.Equal(HttpStatusCode.Created, takenOver.StatusCode);
        Assert.False(takenOver.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await TestCounters.CountAsync(second));
    }

    /// <summary>
    /// A request whose claim is taken over while it runs (here its lease ran out) cannot complete: it rolls back and is
    /// told the key is in use, and the request that took the key over is the one that counts.
    /// </summary>
    [Fact]
    public async Task A_request_whose_claim_was_taken_over_while_it_ran_is_409_and_leaves_nothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var server = await TestCounters.StartServerAsync(DatabaseProvider.Postgres, b => b.Services.AddSingleton<TimeProvider>(clock));
        var gate = server.GetRequiredService<CounterGate>();
        gate.Enabled = true;
        using var client = server.CreateClient();
        const string body = """{"name":"slow"}""";

        var slow = client.PostJsonAsync(Path, body, "slow-key");
        await gate.FirstEntered.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        clock.Advance(new IdempotencyOptions().Lease + TimeSpan.FromSeconds(1));
        var fingerprint = new RequestFingerprint("POST", Path, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        Assert.IsType<IdempotencyClaim.Begun>(await server.GetRequiredService<IdempotencyStore>().ClaimAsync(ApiKeys.DefaultMerchantId, "slow-key", fingerprint, CancellationToken.None));
        gate.Release.SetResult();

        await (await slow).ReadProblemAsync(409, "idempotency_key_in_use");
        Assert.Equal(0, await TestCounters.CountAsync(server));
    }
}
