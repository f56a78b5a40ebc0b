using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Webhooks.Tests;

public sealed class EndpointTests
{
    [Theory, BothDatabases]
    public async Task Urls_that_reach_this_machine_private_networks_or_plain_http_are_refused(DatabaseProvider provider)
    {
        await using var server = await WebhooksServer.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Obol:Webhooks:AllowHttp"] = "false",
            ["Obol:Webhooks:AllowPrivateNetworks"] = "false",
        });
        foreach (var url in new[]
        {
            "http://example.com/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "https://192.168.0.10/",
            "https://172.16.5.5/", "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fe80::1]/", "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "https://100.64.0.1/", "ftp://example.com/", "https://user:pw@example.com/", "not a url",
        })
        {
            var response = await server.Client.PostJsonAsync("/v1/webhook-endpoints", $$"""{"url":"{{url}}","enabledEvents":["*"]}""");
            var problem = await response.ReadProblemAsync(400, "validation_failed");
            Assert.True(problem.GetProperty("errors").TryGetProperty("url", out _), url);
        }

        var fine = await server.Client.PostJsonAsync("/v1/webhook-endpoints", """{"url":"https://hooks.example.com/obol","enabledEvents":["payment.*","refund.succeeded"]}""");
        Assert.Equal(HttpStatusCode.Created, fine.StatusCode);
        var created = await fine.ReadJsonAsync();
        Assert.StartsWith("whsec_", created.GetProperty("secret").GetString(), StringComparison.Ordinal);

        // The secret is shown once.
        var got = await server.GetJsonAsync($"/v1/webhook-endpoints/{created.GetProperty("id").GetString()}");
        Assert.False(got.TryGetProperty("secret", out _));
        Assert.Equal(0, got.GetProperty("backlog").GetProperty("pending").GetInt64());
    }

    [Theory, BothDatabases]
    public async Task Enabled_events_must_name_known_types_or_families(DatabaseProvider provider)
    {
        await using var server = await WebhooksServer.StartAsync(provider);
        foreach (var enabled in new[] { "[]", "[\"payment.teleported\"]", "[\"nothing.*\"]", "[\"payment\"]" })
        {
            var response = await server.Client.PostJsonAsync("/v1/webhook-endpoints", $$"""{"url":"https://hooks.example.com/","enabledEvents":{{enabled}}}""");
            await response.ReadProblemAsync(400, "validation_failed");
        }

        var types = await server.GetJsonAsync("/v1/event-types");
        var names = types.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("payment.captured", names);
        Assert.Contains("webhook_endpoint.disabled", names);
    }

    [Theory, BothDatabases]
    public async Task A_test_event_goes_to_its_endpoint_alone(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhooksServer.StartAsync(provider);
        var target = await server.CreateEndpointAsync(receiver.Url("target"));
        await server.CreateEndpointAsync(receiver.Url("other"));
        var response = await server.Client.PostAsync($"/v1/webhook-endpoints/{target.Id}/test", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await server.RunUntilAsync(() => receiver.Received.Count == 1, TimeSpan.Zero);
        var delivery = receiver.Received.Single();
        Assert.Equal("/target", delivery.Path);
        Assert.Equal("webhook_endpoint.test", delivery.EventType);
        Assert.True(WebhookReceiver.Verifies(delivery, target.Secret));
    }
}
