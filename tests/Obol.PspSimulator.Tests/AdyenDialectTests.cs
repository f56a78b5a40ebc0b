using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Obol.PspSimulator.Tests;

/// <summary>Adyen Checkout v71 over plain HTTP.</summary>
public sealed class AdyenDialectTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static object Payment(string token, long value = 1000, string currency = "EUR", string reference = "ord-a", bool manual = false, string merchantAccount = "ObolMerchant") => new
    {
        amount = new { value, currency },
        reference,
        merchantAccount,
        paymentMethod = new { type = "scheme", storedPaymentMethodId = token },
        additionalData = manual ? new Dictionary<string, string> { ["manualCapture"] = "true" } : null,
    };

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(SimulatorHost sim, string path, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "sim/adyen/v71/" + path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await sim.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Visa_payment_is_authorised_and_captured_by_default()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(sim, "payments", Payment("pm_card_visa"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Authorised", body.GetProperty("resultCode").GetString());
        Assert.Equal(16, body.GetProperty("pspReference").GetString()!.Length);
        Assert.Equal("ord-a", body.GetProperty("merchantReference").GetString());
        var charge = Assert.Single(await sim.ChargesAsync("adyen", "ord-a"));
        Assert.Equal("captured", charge.Status);
        Assert.Equal(1000, charge.AmountCaptured);
    }

    [Theory]
    [InlineData("pm_card_declined", "Refused", "2")]
    [InlineData("pm_card_insufficient_funds", "Not enough balance", "5")]
    public async Task Declined_tokens_are_refused_with_reason(string token, string reason, string code)
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(sim, "payments", Payment(token));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Refused", body.GetProperty("resultCode").GetString());
        Assert.Equal(reason, body.GetProperty("refusalReason").GetString());
        Assert.Equal(code, body.GetProperty("refusalReasonCode").GetString());
        Assert.Equal("declined", Assert.Single(await sim.ChargesAsync("adyen")).Status);
    }

    [Fact]
    public async Task Manual_capture_is_received_and_applied()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, payment) = await PostAsync(sim, "payments", Payment("pm_card_mastercard", manual: true));
        var psp = payment.GetProperty("pspReference").GetString();
        Assert.Equal("authorized", Assert.Single(await sim.ChargesAsync("adyen")).Status);

        var (status, capture) = await PostAsync(sim, $"payments/{psp}/captures", new { merchantAccount = "ObolMerchant", amount = new { value = 800, currency = "EUR" }, reference = "cap-1" });

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("received", capture.GetProperty("status").GetString());
        Assert.Equal(psp, capture.GetProperty("paymentPspReference").GetString());
        Assert.NotEqual(psp, capture.GetProperty("pspReference").GetString());
        Assert.Equal(800, Assert.Single(await sim.ChargesAsync("adyen")).AmountCaptured);
    }

    [Fact]
    public async Task Cancel_of_an_authorisation_is_received()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, payment) = await PostAsync(sim, "payments", Payment("pm_card_visa", manual: true));
        var psp = payment.GetProperty("pspReference").GetString();

        var (status, cancel) = await PostAsync(sim, $"payments/{psp}/cancels", new { merchantAccount = "ObolMerchant", reference = "cancel-1" });

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("received", cancel.GetProperty("status").GetString());
        Assert.Equal("canceled", Assert.Single(await sim.ChargesAsync("adyen")).Status);
    }

    [Fact]
    public async Task Partial_and_full_refunds_are_received()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, payment) = await PostAsync(sim, "payments", Payment("pm_card_visa"));
        var psp = payment.GetProperty("pspReference").GetString();

        var (first, _) = await PostAsync(sim, $"payments/{psp}/refunds", new { merchantAccount = "ObolMerchant", amount = new { value = 250, currency = "EUR" } });
        var (second, _) = await PostAsync(sim, $"payments/{psp}/refunds", new { merchantAccount = "ObolMerchant", amount = new { value = 750, currency = "EUR" } });

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(HttpStatusCode.Created, second);
        Assert.Equal(1000, Assert.Single(await sim.ChargesAsync("adyen")).AmountRefunded);
    }

    [Fact]
    public async Task Modification_of_an_unknown_payment_is_a_validation_error()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(sim, "payments/NOPE000000000000/captures", new { merchantAccount = "ObolMerchant", amount = new { value = 1, currency = "EUR" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("167", body.GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Payment_status_by_reference_is_a_simulator_extension()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var (_, payment) = await PostAsync(sim, "payments", Payment("pm_card_visa", reference: "att_77", manual: true));

        var list = await sim.Http.GetFromJsonAsync<JsonElement>("sim/adyen/v71/payments?reference=att_77", Ct);

        var found = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(payment.GetProperty("pspReference").GetString(), found.GetProperty("pspReference").GetString());
        Assert.Equal("authorised", found.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bank_transfer_is_received_then_settles()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (_, body) = await PostAsync(sim, "payments", Payment("pm_bank_transfer"));

        Assert.Equal("Received", body.GetProperty("resultCode").GetString());
        await Eventually.TrueAsync(async () => (await sim.ChargesAsync("adyen")).Single().Status == "captured");
    }

    [Fact]
    public async Task Missing_api_key_is_401_in_adyen_format()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "sim/adyen/v71/payments") { Content = JsonContent.Create(Payment("pm_card_visa")) };
        using var client = new HttpClient { BaseAddress = sim.BaseAddress };

        using var response = await client.SendAsync(request, Ct);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(401, body.GetProperty("status").GetInt32());
        Assert.Equal("security", body.GetProperty("errorType").GetString());
        Assert.True(body.TryGetProperty("errorCode", out _));
        Assert.True(body.TryGetProperty("message", out _));
    }

    [Fact]
    public async Task Malformed_json_is_400_in_adyen_format()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var content = new StringContent("{\"amount\": ", Encoding.UTF8, "application/json");

        using var response = await sim.Http.PostAsync("sim/adyen/v71/payments", content, Ct);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation", body.GetProperty("errorType").GetString());
        Assert.Equal(400, body.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("{\"reference\":\"r\",\"merchantAccount\":\"M\",\"paymentMethod\":{\"storedPaymentMethodId\":\"pm_card_visa\"}}", "100")]
    [InlineData("{\"amount\":{\"value\":10,\"currency\":\"EUR\"},\"merchantAccount\":\"M\",\"paymentMethod\":{\"storedPaymentMethodId\":\"pm_card_visa\"}}", "130")]
    [InlineData("{\"amount\":{\"value\":10,\"currency\":\"EUR\"},\"reference\":\"r\",\"paymentMethod\":{\"storedPaymentMethodId\":\"pm_card_visa\"}}", "901")]
    [InlineData("{\"amount\":{\"value\":-5,\"currency\":\"EUR\"},\"reference\":\"r\",\"merchantAccount\":\"M\",\"paymentMethod\":{\"storedPaymentMethodId\":\"pm_card_visa\"}}", "137")]
    [InlineData("{\"amount\":{\"value\":10,\"currency\":\"euro\"},\"reference\":\"r\",\"merchantAccount\":\"M\",\"paymentMethod\":{\"storedPaymentMethodId\":\"pm_card_visa\"}}", "138")]
    [InlineData("{\"amount\":{\"value\":10,\"currency\":\"EUR\"},\"reference\":\"r\",\"merchantAccount\":\"M\",\"paymentMethod\":{\"type\":\"scheme\"}}", "905")]
    public async Task Invalid_payment_request_is_422_with_adyen_error_code(string json, string errorCode)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        using var response = await sim.Http.PostAsync("sim/adyen/v71/payments", content, Ct);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(errorCode, body.GetProperty("errorCode").GetString());
        Assert.Empty(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Card_number_in_the_request_is_refused_and_not_stored()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var body = new
        {
            amount = new { value = 1000, currency = "EUR" },
            reference = "r",
            merchantAccount = "M",
            paymentMethod = new { type = "scheme", number = "4111111111111111", expiryMonth = "03", expiryYear = "2030" },
        };

        var (status, error) = await PostAsync(sim, "payments", body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.DoesNotContain("4111111111111111", error.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(await sim.ChargesAsync());
    }

    [Fact]
    public async Task Same_idempotency_key_replays_and_different_body_is_rejected()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (_, first) = await PostAsync(sim, "payments", Payment("pm_card_visa"), "adyen-key");
        var (_, second) = await PostAsync(sim, "payments", Payment("pm_card_visa"), "adyen-key");
        var (mismatch, error) = await PostAsync(sim, "payments", Payment("pm_card_visa", value: 5), "adyen-key");

        Assert.Equal(first.GetProperty("pspReference").GetString(), second.GetProperty("pspReference").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mismatch);
        Assert.Equal("704", error.GetProperty("errorCode").GetString());
        Assert.Single(await sim.ChargesAsync("adyen"));
    }
}
