using System.Data.Common;
using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Webhooks.Tests;

public sealed class DeliveryTests
{
    [Theory, BothDatabases]
    public async Task Every_event_arrives_signed_and_each_objects_events_in_sequence_through_errors_and_timeouts(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var random = new Random(2112);
        receiver.Answer = _ => { lock (random) { return random.NextDouble() < 0.5 ? 500 : 200; } };
        receiver.Delay = _ => { lock (random) { return random.NextDouble() < 0.1 ? TimeSpan.FromMilliseconds(1500) : TimeSpan.Zero; } };
        await using var server = await WebhooksServer.StartAsync(provider, new Dictionary<string, string?> { ["Obol:Webhooks:DeliveryTimeout"] = "00:00:01" });
        var first = await server.CreateEndpointAsync(receiver.Url("a"));
        var second = await server.CreateEndpointAsync(receiver.Url("b"), """["payment.*"]""");

        var objects = Enumerable.Range(1, 12).Select(i => $"obj_{i}").ToList();
        foreach (var round in Enumerable.Range(0, 5))
        {
            foreach (var obj in objects)
            {
                await server.EmitAsync(obj);
            }
        }

        // Steps of two minutes: a delivery that fails eight times in a row waits about 19 hours for its next try.
        await server.RunUntilAsync(() => Delivered(receiver, "/a") == 60 && Delivered(receiver, "/b") == 60, TimeSpan.FromMinutes(2), steps: 6000,
            progress: () => $"delivered /a {Delivered(receiver, "/a")}, /b {Delivered(receiver, "/b")} of 60; {receiver.Received.Count} requests",
            activity: () => receiver.Received.Count);

        var all = receiver.Received.ToList();
        Assert.All(all.Where(d => d.Path == "/a"), d => Assert.True(WebhookReceiver.Verifies(d, first.Secret)));
        Assert.All(all.Where(d => d.Path == "/b"), d => Assert.True(WebhookReceiver.Verifies(d, second.Secret)));
        Assert.Contains(all, d => d.Status != 200);
        AssertInSequence(all);
    }

    [Theory, BothDatabases]
    public async Task Two_nodes_deliver_everything_once_in_line_even_when_one_dies_mid_delivery(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = d => d.ObjectSequence == 2 ? TimeSpan.FromMilliseconds(300) : TimeSpan.Zero;
        await using var nodeB = await WebhooksServer.StartAsync(provider);
        var nodeA = await WebhooksServer.StartAsync(provider, clock: nodeB.Clock, database: nodeB.Server.Database);
        await nodeA.CreateEndpointAsync(receiver.Url());
        var objects = Enumerable.Range(1, 10).Select(i => $"obj_{i}").ToList();
        foreach (var round in Enumerable.Range(0, 4))
        {
            foreach (var obj in objects)
            {
                await (round % 2 == 0 ? nodeA : nodeB).EmitAsync(obj);
            }
        }

        // Node A stops while deliveries are under way: what it had leased is sent again once the lease runs out.
        await nodeB.RunUntilAsync(() => receiver.Received.Count >= 5, TimeSpan.Zero, steps: 1000);
        await nodeA.DisposeAsync();
        await nodeB.RunUntilAsync(() => Delivered(receiver, "/hook") == 40, TimeSpan.FromSeconds(5), activity: () => receiver.Received.Count);

        AssertInSequence(receiver.Received.ToList());
    }

    [Theory, BothDatabases]
    public async Task A_disabled_endpoint_receives_nothing_and_a_deleted_one_neither(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhooksServer.StartAsync(provider);
        var disabled = await server.CreateEndpointAsync(receiver.Url("disabled"));
        var deleted = await server.CreateEndpointAsync(receiver.Url("deleted"));
        await server.CreateEndpointAsync(receiver.Url("live"));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PatchAsync($"/v1/webhook-endpoints/{disabled.Id}", Json("""{"disabled":true}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.DeleteAsync($"/v1/webhook-endpoints/{deleted.Id}")).StatusCode);

        await server.EmitAsync("obj_1", count: 3);
        await server.RunUntilAsync(() => Delivered(receiver, "/live") == 3, TimeSpan.FromSeconds(1));

        Assert.All(receiver.Received, d => Assert.Equal("/live", d.Path));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync($"/v1/webhook-endpoints/{deleted.Id}")).StatusCode);

        // Its row stays, for its deliveries' log (they have no foreign key on PostgreSQL), and cannot be removed.
        var database = server.Server.GetRequiredService<Database>();
        await Assert.ThrowsAnyAsync<DbException>(() => database.WriteAsync(
            s => s.ExecuteAsync("DELETE FROM webhook_endpoints WHERE id = @id", new { id = deleted.Id }), CancellationToken.None));
        Assert.Equal(1, await database.ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM webhook_endpoints WHERE id = @id AND deleted_at IS NOT NULL", new { id = deleted.Id }), CancellationToken.None));
    }

    [Theory, BothDatabases]
    public async Task A_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhooksServer.StartAsync(provider, new Dictionary<string, string?> { ["Obol:Webhooks:SecretOverlap"] = "01:00:00" });
        var endpoint = await server.CreateEndpointAsync(receiver.Url());
        var rotated = await (await server.Client.PostAsync($"/v1/webhook-endpoints/{endpoint.Id}/rotate-secret", null)).ReadJsonAsync();
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(endpoint.Secret, newSecret);

        await server.EmitAsync("obj_1");
        await server.RunUntilAsync(() => receiver.Received.Count == 1, TimeSpan.Zero);
        var during = receiver.Received.Single();
        Assert.True(WebhookReceiver.Verifies(during, endpoint.Secret));
        Assert.True(WebhookReceiver.Verifies(during, newSecret));

        server.Clock.Advance(TimeSpan.FromHours(1));
        await server.EmitAsync("obj_1");
        await server.RunUntilAsync(() => receiver.Received.Count == 2, TimeSpan.Zero);
        var after = receiver.Received.Last();
        Assert.True(WebhookReceiver.Verifies(after, newSecret));
        Assert.False(WebhookReceiver.Verifies(after, endpoint.Secret));
    }

    [Theory, BothDatabases]
    public async Task Replay_sends_a_time_range_again_in_sequence_and_redeliver_sends_one_event_again(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhooksServer.StartAsync(provider);
        var from = server.Clock.GetUtcNow();
        await server.EmitAsync("obj_before");
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        var endpoint = await server.CreateEndpointAsync(receiver.Url());
        await server.EmitAsync("obj_1", count: 3);
        await server.EmitAsync("obj_2", count: 2);
        await server.RunUntilAsync(() => receiver.Received.Count == 5, TimeSpan.Zero);

        var replay = await server.Client.PostJsonAsync($"/v1/webhook-endpoints/{endpoint.Id}/replay",
            $$"""{"from":"{{from:O}}","to":"{{server.Clock.GetUtcNow().AddSeconds(1):O}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(6, (await replay.ReadJsonAsync()).GetProperty("deliveries").GetInt32());
        await server.RunUntilAsync(() => receiver.Received.Count == 11, TimeSpan.Zero);
        var replayed = receiver.Received.Skip(5).ToList();
        Assert.Equal(["obj_before"], replayed.Where(d => d.ObjectId == "obj_before").Select(d => d.ObjectId));
        Assert.Equal([1L, 2, 3], replayed.Where(d => d.ObjectId == "obj_1").OrderBy(d => d.Arrival).Select(d => d.ObjectSequence));

        var eventId = receiver.Received.First().MessageId;
        var redeliver = await server.Client.PostJsonAsync($"/v1/events/{eventId}/redeliver", $$"""{"endpointId":"{{endpoint.Id}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        await server.RunUntilAsync(() => receiver.Received.Count == 12, TimeSpan.Zero);
        Assert.Equal(eventId, receiver.Received.Last().MessageId);

        var log = await server.GetJsonAsync($"/v1/events/{eventId}/delivery-attempts");
        Assert.Equal(3, log.GetProperty("data").GetArrayLength()); // sent, replayed, redelivered
        Assert.All(log.GetProperty("data").EnumerateArray(), a => Assert.Equal(200, a.GetProperty("statusCode").GetInt32()));
    }

    [Theory, BothDatabases]
    public async Task An_endpoint_failing_for_five_days_is_disabled_with_an_event_and_its_log_shows_why(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => 503;
        await using var server = await WebhooksServer.StartAsync(provider, new Dictionary<string, string?> { ["Obol:Webhooks:RetryFor"] = "10.00:00:00" });
        var endpoint = await server.CreateEndpointAsync(receiver.Url());
        await server.EmitAsync("obj_1");
        await server.RunUntilAsync(() => !receiver.Received.IsEmpty, TimeSpan.Zero);

        await server.RunUntilAsync(() => EndpointDisabled(server, endpoint.Id), TimeSpan.FromMinutes(30), steps: 2000, activity: () => receiver.Received.Count);

        var events = await server.GetJsonAsync($"/v1/events?objectId={endpoint.Id}&type=webhook_endpoint.disabled");
        Assert.Equal(1, events.GetProperty("data").GetArrayLength());
        var log = await server.GetJsonAsync($"/v1/webhook-endpoints/{endpoint.Id}/delivery-attempts?limit=100");
        Assert.All(log.GetProperty("data").EnumerateArray(), a => Assert.Equal(503, a.GetProperty("statusCode").GetInt32()));
        var got = await server.GetJsonAsync($"/v1/webhook-endpoints/{endpoint.Id}");
        Assert.True(got.GetProperty("backlog").GetProperty("pending").GetInt64() >= 1);
    }

    [Theory, BothDatabases]
    public async Task A_delivery_that_keeps_failing_is_given_up_after_the_retry_window(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => 500;
        await using var server = await WebhooksServer.StartAsync(provider);
        var endpoint = await server.CreateEndpointAsync(receiver.Url());
        await server.EmitAsync("obj_1");
        await server.EmitAsync("obj_1");
        var start = server.Clock.GetUtcNow();
        await server.RunUntilAsync(() => receiver.Received.Any(d => d.ObjectSequence == 2), TimeSpan.FromMinutes(20), steps: 2000, activity: () => receiver.Received.Count);

        // The second event waited for the first to be given up: three days of tries.
        var attempts = await server.GetJsonAsync($"/v1/webhook-endpoints/{endpoint.Id}/delivery-attempts?limit=100");
        var first = attempts.GetProperty("data").EnumerateArray().Where(a => a.GetProperty("attempt").GetInt32() > 0).ToList();
        Assert.Contains(first, a => a.GetProperty("outcome").GetString() == "given_up");
        Assert.True(server.Clock.GetUtcNow() - start >= TimeSpan.FromDays(2));
        Assert.All(receiver.Received.Where(d => d.ObjectSequence == 1), d => Assert.True(d.Arrival < receiver.Received.First(s => s.ObjectSequence == 2).Arrival));
    }

    [Theory, BothDatabases]
    public async Task The_log_keeps_the_start_of_a_response_but_never_a_card_number_in_it(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = d => d.ObjectId == "obj_card" ? 400 : 200;
        receiver.ResponseBody = d => d.ObjectId == "obj_card" ? "rejected card 4242424242424242" : new string('y', 3000);
        await using var server = await WebhooksServer.StartAsync(provider);
        var endpoint = await server.CreateEndpointAsync(receiver.Url());
        await server.EmitAsync("obj_card");
        await server.EmitAsync("obj_long");
        await server.RunUntilAsync(() => receiver.Received.Count >= 2, TimeSpan.Zero);
        await server.RunUntilAsync(() => AttemptsLogged(server, endpoint.Id) >= 2, TimeSpan.Zero);

        var log = (await server.GetJsonAsync($"/v1/webhook-endpoints/{endpoint.Id}/delivery-attempts")).GetProperty("data").EnumerateArray().ToList();
        var card = log.Single(a => a.GetProperty("statusCode").GetInt32() == 400);
        Assert.DoesNotContain("4242424242424242", card.GetProperty("responseBody").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", card.GetProperty("outcome").GetString());
        var longer = log.Single(a => a.GetProperty("statusCode").GetInt32() == 200);
        Assert.Equal(1024, longer.GetProperty("responseBody").GetString()!.Length);
    }

    [Theory, BothDatabases]
    public async Task A_redirect_is_not_followed_and_counts_as_a_failure(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = d => d.Path == "/moved" ? 308 : 200;
        await using var server = await WebhooksServer.StartAsync(provider);
        var endpoint = await server.CreateEndpointAsync(receiver.Url("moved"));
        await server.EmitAsync("obj_1");
        await server.RunUntilAsync(() => AttemptsLogged(server, endpoint.Id) >= 1, TimeSpan.Zero);

        var attempt = (await server.GetJsonAsync($"/v1/webhook-endpoints/{endpoint.Id}/delivery-attempts")).GetProperty("data")[0];
        Assert.Equal(308, attempt.GetProperty("statusCode").GetInt32());
        Assert.Equal("failed", attempt.GetProperty("outcome").GetString());
        Assert.All(receiver.Received, d => Assert.Equal("/moved", d.Path));
    }

    private static int AttemptsLogged(WebhooksServer server, string endpointId) =>
        server.GetJsonAsync($"/v1/webhook-endpoints/{endpointId}/delivery-attempts").GetAwaiter().GetResult().GetProperty("data").GetArrayLength();

    private static bool EndpointDisabled(WebhooksServer server, string endpointId)
    {
        var json = server.GetJsonAsync($"/v1/webhook-endpoints/{endpointId}").GetAwaiter().GetResult();
        return json.GetProperty("disabled").GetBoolean();
    }

    private static int Delivered(WebhookReceiver receiver, string path) =>
        receiver.Received.Where(d => d.Path == path && d.Status is >= 200 and < 300).Select(d => d.MessageId).Distinct().Count();

    /// <summary>Per endpoint and object: nothing of an event arrived before its predecessor's first success.</summary>
    private static void AssertInSequence(IReadOnlyList<ReceivedDelivery> all)
    {
        foreach (var line in all.GroupBy(d => (d.Path, d.ObjectId)))
        {
            var firstSuccess = line.Where(d => d.Status is >= 200 and < 300).GroupBy(d => d.ObjectSequence)
                .ToDictionary(g => g.Key, g => g.Min(d => d.Arrival));
            foreach (var delivery in line.Where(d => d.ObjectSequence > 1))
            {
                Assert.True(firstSuccess.TryGetValue(delivery.ObjectSequence - 1, out var predecessor) && predecessor < delivery.Arrival,
                    $"{line.Key}: event {delivery.ObjectSequence} arrived before event {delivery.ObjectSequence - 1} was delivered.");
            }
        }
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
