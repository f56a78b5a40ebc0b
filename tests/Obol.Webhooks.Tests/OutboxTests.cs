using System.Net;
using System.Text.Json;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Webhooks.Tests;

public sealed class OutboxTests
{
    [Theory, BothDatabases]
    public async Task A_payments_life_is_told_once_per_change_in_sequence_with_the_object_as_the_api_returns_it(DatabaseProvider provider)
    {
        await using var server = await WebhooksServer.StartAsync(provider);
        var created = await (await server.Client.PostJsonAsync("/v1/payments",
            """{"amount":2500,"currency":"EUR","paymentMethod":"pm_card_visa","captureMethod":"manual"}""", Guid.NewGuid().ToString("N"))).ReadJsonAsync();
        var paymentId = created.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync($"/v1/payments/{paymentId}/capture", null)).StatusCode);
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{paymentId}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        var refundId = refund.GetProperty("id").GetString()!;

        var paymentEvents = await EventsAsync(server, paymentId);
        Assert.Equal(["payment.created", "payment.authorized", "payment.captured", "payment.refunded"], paymentEvents.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal([1L, 2, 3, 4], paymentEvents.Select(e => e.GetProperty("objectSequence").GetInt64()));
        Assert.All(paymentEvents, e => Assert.Equal(paymentId, e.GetProperty("data").GetProperty("object").GetProperty("id").GetString()));
        var captured = paymentEvents[2].GetProperty("data").GetProperty("object");
        Assert.Equal("captured", captured.GetProperty("status").GetString());
        Assert.Equal("partially_refunded", paymentEvents[3].GetProperty("data").GetProperty("object").GetProperty("status").GetString());

        var refundEvents = await EventsAsync(server, refundId);
        Assert.Equal(["refund.created", "refund.succeeded"], refundEvents.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("succeeded", refundEvents[1].GetProperty("data").GetProperty("object").GetProperty("status").GetString());

        // The events API returns an event as delivered: the one from the list is the one by id.
        var one = await server.GetJsonAsync($"/v1/events/{paymentEvents[0].GetProperty("id").GetString()}");
        Assert.Equal(paymentEvents[0].GetRawText(), one.GetRawText());

        var byType = await server.GetJsonAsync("/v1/events?type=payment.captured");
        Assert.Contains(byType.GetProperty("data").EnumerateArray(), e => e.GetProperty("data").GetProperty("object").GetProperty("id").GetString() == paymentId);
    }

    [Theory, BothDatabases]
    public async Task A_declined_and_a_cancelled_payment_are_told_once_each(DatabaseProvider provider)
    {
        await using var server = await WebhooksServer.StartAsync(provider);
        var declined = await (await server.Client.PostJsonAsync("/v1/payments",
            """{"amount":1200,"currency":"EUR","paymentMethod":"pm_card_declined"}""", Guid.NewGuid().ToString("N"))).ReadJsonAsync();
        var declinedEvents = await EventsAsync(server, declined.GetProperty("id").GetString()!);
        Assert.Equal(["payment.created", "payment.declined"], declinedEvents.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("declined", declinedEvents[1].GetProperty("data").GetProperty("object").GetProperty("status").GetString());

        var manual = await (await server.Client.PostJsonAsync("/v1/payments",
            """{"amount":1200,"currency":"EUR","paymentMethod":"pm_card_visa","captureMethod":"manual"}""", Guid.NewGuid().ToString("N"))).ReadJsonAsync();
        var id = manual.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync($"/v1/payments/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await server.Client.PostAsync($"/v1/payments/{id}/cancel", null)).StatusCode);
        var cancelledEvents = await EventsAsync(server, id);
        Assert.Equal(["payment.created", "payment.authorized", "payment.cancelled"], cancelledEvents.Select(e => e.GetProperty("type").GetString()));
    }

    [Theory, BothDatabases]
    public async Task A_change_that_rolls_back_is_told_nothing_and_sends_nothing(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhooksServer.StartAsync(provider);
        await server.CreateEndpointAsync(receiver.Url());
        var database = server.Server.GetRequiredService<Database>();
        var outbox = server.Server.GetRequiredService<IEventOutbox>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync<string>(async s =>
        {
            await outbox.AppendAsync(s, new MerchantEvent("mer_default", "payment.captured", "obj_rolled_back", new { id = "obj_rolled_back" }));
            throw new InvalidOperationException("the change fails after its event was written");
        }, CancellationToken.None));
        await server.EmitAsync("obj_committed");
        await server.RunUntilAsync(() => receiver.Received.Count == 1, TimeSpan.Zero);

        Assert.Empty(await EventsAsync(server, "obj_rolled_back"));
        Assert.Equal("obj_committed", receiver.Received.Single().ObjectId);

        // The next event of the object that rolled back is its first.
        await server.EmitAsync("obj_rolled_back");
        Assert.Equal(1, (await EventsAsync(server, "obj_rolled_back")).Single().GetProperty("objectSequence").GetInt64());
    }

    [Theory, BothDatabases]
    public async Task Concurrent_changes_to_one_object_number_its_events_without_gaps_or_repeats(DatabaseProvider provider)
    {
        await using var server = await WebhooksServer.StartAsync(provider);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => server.EmitAsync("obj_busy", count: 5))));
        var events = await EventsAsync(server, "obj_busy");
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), events.Select(e => e.GetProperty("objectSequence").GetInt64()).Order());
    }

    [Theory, BothDatabases]
    public async Task Events_list_by_type_object_and_created_range_in_cursor_pages(DatabaseProvider provider)
    {
        await using var server = await WebhooksServer.StartAsync(provider);
        var start = server.Clock.GetUtcNow();
        await server.EmitAsync("obj_a", count: 3);
        server.Clock.Advance(TimeSpan.FromHours(1));
        await server.EmitAsync("obj_b", type: "refund.succeeded", count: 2);

        var page1 = await server.GetJsonAsync("/v1/events?limit=2");
        Assert.True(page1.GetProperty("hasMore").GetBoolean());
        var last = page1.GetProperty("data")[1].GetProperty("id").GetString();
        var page2 = await server.GetJsonAsync($"/v1/events?limit=10&startingAfter={last}");
        Assert.Equal(3, page2.GetProperty("data").GetArrayLength());
        Assert.Equal(2, (await server.GetJsonAsync("/v1/events?type=refund.succeeded")).GetProperty("data").GetArrayLength());
        var early = await server.GetJsonAsync($"/v1/events?createdTo={Uri.EscapeDataString(start.AddMinutes(30).ToString("O"))}");
        Assert.All(early.GetProperty("data").EnumerateArray(), e => Assert.Equal("obj_a", e.GetProperty("data").GetProperty("object").GetProperty("id").GetString()));
        var problem = await (await server.Client.GetAsync("/v1/events?type=payment.nonsense")).ReadProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("type", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/events/evt_nothing")).StatusCode);
    }

    private static async Task<List<JsonElement>> EventsAsync(WebhooksServer server, string objectId) =>
        (await server.GetJsonAsync($"/v1/events?objectId={objectId}&limit=100")).GetProperty("data").EnumerateArray().Reverse().ToList();
}
