using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Obol.PspSimulator.Tests;

/// <summary>Stripe wire details that the SDK hides: headers, raw error envelopes, form parsing.</summary>
public sealed class StripeWireTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static HttpRequestMessage CreateRequest(string paymentMethod = "pm_card_visa", string? idempotencyKey = null, long amount = 1000, params (string, string)[] extra)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("amount", amount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("currency", "usd"),
            new("payment_method", paymentMethod),
            new("confirm", "true"),
            new("metadata[reference]", "ord-wire"),
        };
        form.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)));
        var request = new HttpRequestMessage(HttpMethod.Post, "sim/stripe/v1/payment_intents") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.StripeKey);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    internal static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();

    [Fact]
    public async Task Replayed_request_carries_Idempotent_Replayed_header_and_the_same_body()
    {
        await using var sim = await SimulatorHost.StartAsync();

        using var first = await sim.Http.SendAsync(CreateRequest(idempotencyKey: "k-1"), Ct);
        using var second = await sim.Http.SendAsync(CreateRequest(idempotencyKey: "k-1"), Ct);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.StartsWith("req_", first.Headers.GetValues("Request-Id").Single(), StringComparison.Ordinal);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Declines_are_replayed_for_the_same_key()
    {
        await using var sim = await SimulatorHost.StartAsync();

        using var first = await sim.Http.SendAsync(CreateRequest("pm_card_declined", "k-decline"), Ct);
        using var second = await sim.Http.SendAsync(CreateRequest("pm_card_declined", "k-decline"), Ct);

        Assert.Equal(HttpStatusCode.PaymentRequired, second.StatusCode);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Missing_amount_is_invalid_request_error_with_param()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "sim/stripe/v1/payment_intents")
        {
            Content = new FormUrlEncodedContent([new("currency", "usd"), new("payment_method", "pm_card_visa"), new("confirm", "true")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.StripeKey);

        using var response = await sim.Http.SendAsync(request, Ct);
        var error = (await JsonAsync(response)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("parameter_missing", error.GetProperty("code").GetString());
        Assert.Equal("amount", error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("amount", "ten", "amount")]
    [InlineData("currency", "dollars", "currency")]
    [InlineData("capture_method", "later", "capture_method")]
    [InlineData("confirm", "maybe", "confirm")]
    [InlineData("surprise", "1", "surprise")]
    public async Task Malformed_parameter_names_the_param(string name, string value, string param)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var request = CreateRequest(extra: (name, value));

        using var response = await sim.Http.SendAsync(request, Ct);
        var error = (await JsonAsync(response)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Empty(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Malformed_request_is_not_stored_under_its_idempotency_key()
    {
        await using var sim = await SimulatorHost.StartAsync();

        using var bad = await sim.Http.SendAsync(CreateRequest("pm_nonsense", "k-retry"), Ct);
        using var good = await sim.Http.SendAsync(CreateRequest("pm_card_visa", "k-retry"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Theory]
    [InlineData("payment_method", "4242424242424242")]
    [InlineData("metadata[note]", "card 4000 0566 5566 5556 please")]
    [InlineData("description", "5555-5555-5555-4444")]
    public async Task Card_number_anywhere_is_refused_and_not_stored(string name, string value)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var form = new Dictionary<string, string>
        {
            ["amount"] = "1000",
            ["currency"] = "usd",
            ["payment_method"] = "pm_card_visa",
            ["confirm"] = "true",
            [name] = value,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "sim/stripe/v1/payment_intents") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.StripeKey);

        using var response = await sim.Http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("card_number_not_allowed", body, StringComparison.Ordinal);
        Assert.DoesNotContain(value, body, StringComparison.Ordinal);
        Assert.Empty(await sim.ChargesAsync());
    }

    [Theory]
    [InlineData("sim/stripe/v1/payment_intents/4242424242424242")]
    [InlineData("sim/stripe/v1/payment_intents/search?query=metadata['n']:'4242424242424242'")]
    [InlineData("sim/adyen/v71/payments?reference=4242424242424242")]
    [InlineData("sim/adyen/v71/payments/4242424242424242")]
    public async Task Card_number_in_path_or_query_is_refused_without_echoing_it(string url)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.StripeKey);

        using var response = await sim.Http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, body);
        Assert.DoesNotContain("4242424242424242", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_bearer_key_is_401_in_stripe_format()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var request = CreateRequest();
        request.Headers.Authorization = null;

        using var response = await sim.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_request_error", (await JsonAsync(response)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Unknown_stripe_path_is_404_in_stripe_format()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var response = await sim.Http.GetAsync("sim/stripe/v1/customers", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("invalid_request_error", (await JsonAsync(response)).GetProperty("error").GetProperty("type").GetString());
    }
}
