using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Obol.PspSimulator.Hosting;
using Stripe;

namespace Obol.PspSimulator.Tests;

/// <summary>
/// The standalone simulator serves each PSP API where its client libraries call it; tests/psp-clients drives it with
/// those libraries over HTTPS. Here: the paths, and that the CONNECT proxy tunnels nothing but PSP API hosts.
/// </summary>
public sealed class StandaloneTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("v72/payments")]
    [InlineData("checkout/v72/payments")]
    [InlineData("v71/payments")]
    [InlineData("sim/adyen/v72/payments")]
    [InlineData("sim/adyen/v71/payments")]
    public async Task Adyen_checkout_is_served_at_the_test_and_live_url_shapes_and_under_sim(string path)
    {
        await using var app = await StartAsync();
        using var http = Client(app);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(AdyenDialectTests.Payment("pm_card_visa")) };
        request.Headers.Add("X-API-Key", "any");

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Authorised", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("resultCode").GetString());
    }

    [Theory]
    [InlineData("v1/payment_intents/pi_missing")]
    [InlineData("sim/stripe/v1/payment_intents/pi_missing")]
    public async Task Stripe_v1_is_served_at_the_root_and_under_sim(string path)
    {
        await using var app = await StartAsync();
        using var http = Client(app);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", "sk_test_standalone");

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");
        Assert.Equal("resource_missing", error.GetProperty("code").GetString());
        Assert.False(error.TryGetProperty("decline_code", out _), "Stripe omits an error field that does not apply");
    }

    [Fact]
    public async Task Stripe_net_needs_only_the_root_as_its_api_base()
    {
        await using var app = await StartAsync();
        using var http = Client(app);
        var client = new StripeClient("sk_test_standalone", apiBase: http.BaseAddress!.ToString().TrimEnd('/'));

        var intent = await new PaymentIntentService(client).CreateAsync(
            new PaymentIntentCreateOptions { Amount = 900, Currency = "eur", PaymentMethod = "pm_card_visa", Confirm = true }, cancellationToken: Ct);

        Assert.Equal("succeeded", intent.Status);
    }

    [Theory]
    [InlineData("CONNECT example.com:443 HTTP/1.1", "403")]
    [InlineData("CONNECT 127.0.0.1:443 HTTP/1.1", "403")]
    [InlineData("CONNECT api.stripe.com:80 HTTP/1.1", "403")]
    [InlineData("CONNECT evil-checkout-live.adyenpayments.com.example:443 HTTP/1.1", "403")]
    [InlineData("GET http://checkout-test.adyen.com/v72/payments HTTP/1.1", "405")]
    [InlineData("CONNECT checkout-test.adyen.com:443 HTTP/1.1", "502")]
    public async Task The_connect_proxy_tunnels_only_psp_hosts_and_only_to_the_simulators_https(string requestLine, string status)
    {
        // No HTTPS endpoint here: a PSP host is accepted but has nowhere to go (502); anything else is refused.
        await using var app = await StartAsync();
        var proxy = await app.Services.GetRequiredService<ConnectProxy>().Listening.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        using var client = new TcpClient();
        await client.ConnectAsync(proxy, Ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: x\r\n\r\n"), Ct);

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync(Ct);

        Assert.Equal($"HTTP/1.1 {status}", string.Join(' ', statusLine!.Split(' ').Take(2)));
    }

    [Theory]
    [InlineData("api.stripe.com", true)]
    [InlineData("checkout-test.adyen.com", true)]
    [InlineData("obol-checkout-live.adyenpayments.com", true)]
    [InlineData("checkout-live.adyenpayments.com", false)]
    [InlineData("checkout-test.adyen.com.example", false)]
    [InlineData("localhost", false)]
    public void Psp_hosts_are_the_api_hosts_of_stripe_and_adyen_checkout(string host, bool expected) =>
        Assert.Equal(expected, ConnectProxy.IsPspHost(host));

    private static async Task<WebApplication> StartAsync()
    {
        var app = PspSimulatorProgram.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--PspSimulator:ProxyUrl", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await app.StartAsync(Ct);
        return app;
    }

    private static HttpClient Client(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/") };
    }
}
