using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Obol.Core.Identity;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Payments.Psp;
using Obol.Testing;

namespace Obol.Server.Tests;

/// <summary>
/// What Obol refuses to start with, and what its in-process simulator and its modes let through: the simulator's
/// published secrets only for a simulator, every module's settings checked before the database is touched, the
/// simulator's control endpoints behind a key, and test and live never mixed.
/// </summary>
public class SecureDefaultsTests
{
    private const string RealStripe = "https://api.stripe.com";
    private const string RealAdyen = "https://checkout-test.adyen.com/v71";

    private static PaymentsOptions Payments(Action<PaymentsOptions> configure)
    {
        var options = new PaymentsOptions();
        configure(options);
        PaymentsOptions.CompleteDefaults(options);
        return options;
    }

    [Fact]
    public void The_simulators_published_secrets_stand_in_only_for_a_simulator()
    {
        var inProcess = Payments(_ => { });
        Assert.Empty(PaymentsOptions.Problems(inProcess));
        Assert.Equal(StripeOptions.SimulatorWebhookSecret, inProcess.Stripe.WebhookSecret);

        var onThisMachine = Payments(o => (o.Stripe.BaseUrl, o.Adyen.BaseUrl) = ("http://127.0.0.1:9000/sim/stripe", "http://localhost:9000/sim/adyen/"));
        Assert.Empty(PaymentsOptions.Problems(onThisMachine));
        Assert.Equal(AdyenOptions.SimulatorHmacKey, onThisMachine.Adyen.HmacKey);

        var real = Payments(o => (o.Stripe.BaseUrl, o.Adyen.BaseUrl) = (RealStripe, RealAdyen));
        var problems = PaymentsOptions.Problems(real).ToList();
        Assert.Contains(problems, p => p.StartsWith("Stripe:ApiKey is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Stripe:WebhookSecret is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Adyen:HmacKey is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Adyen:MerchantAccount is required", StringComparison.Ordinal));

        var published = Payments(o =>
        {
            (o.Stripe.BaseUrl, o.Stripe.ApiKey, o.Stripe.WebhookSecret) = (RealStripe, "sk_test_realaccountkey", StripeOptions.SimulatorWebhookSecret);
            (o.Adyen.BaseUrl, o.Adyen.ApiKey, o.Adyen.MerchantAccount, o.Adyen.HmacKey) = (RealAdyen, "AQE_real", "Acme", AdyenOptions.SimulatorHmacKey);
        });
        Assert.Equal(
            ["Stripe:WebhookSecret is the PSP simulator's published value", "Adyen:HmacKey is the PSP simulator's published value"],
            PaymentsOptions.Problems(published).Select(p => p[..p.IndexOf(',', StringComparison.Ordinal)]));
    }

    [Fact]
    public void Routing_rules_durations_and_circuit_breaker_settings_are_checked()
    {
        var options = Payments(o =>
        {
            o.Routing = [new RoutingRule { Psps = ["stripe", "strpe"], Currencies = ["usd"], MinAmount = 10, MaxAmount = 5 }, new RoutingRule()];
            o.PspTimeout = TimeSpan.Zero;
            o.Resolver.InitialBackoff = TimeSpan.FromMinutes(10);
            o.CircuitBreaker.FailureRatio = 1.5;
            o.CircuitBreaker.MinimumThroughput = 1;
        });

        var problems = PaymentsOptions.Problems(options).ToList();

        Assert.Contains(problems, p => p.Contains("Routing:0:Psps names 'strpe'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Routing:0:Currencies names 'usd'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Routing:0: MinAmount", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Routing:1:Psps must name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("PspTimeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Resolver:MaxBackoff", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("CircuitBreaker:FailureRatio", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("CircuitBreaker:MinimumThroughput", StringComparison.Ordinal));
    }

    public static readonly TheoryData<string[], string> Refused = new()
    {
        { ["--environment=Production"], "Obol:Payments:Stripe:BaseUrl is not set and the in-process PSP simulator is off" },
        { [$"--Obol:Payments:Stripe:BaseUrl={RealStripe}"], "Obol:Payments: Stripe:WebhookSecret is required" },
        { ["--Obol:Payments:Routing:0:Psps:0=paypal"], "Obol:Payments: Routing:0:Psps names 'paypal'" },
        { ["--Obol:Payments:PspTimeout=-00:00:01"], "Obol:Payments: PspTimeout must be a positive duration" },
        { ["--Obol:Payments:Stripe:ApiKey=sk_live_0123456789abcdefghijklmn"], "Obol:Payments: Stripe:ApiKey is a live key, and this installation is in test mode" },
        { ["--Obol:Mode=live"], "Obol:Payments: Stripe:BaseUrl is not set: a live installation" },
        { ["--Obol:Mode=sandbox"], "Obol: Mode must be 'test' or 'live'" },
        { ["--Obol:Scheduling:LeaseDuration=00:00:10"], "Obol:Scheduling: LeaseDuration (00:00:10) must exceed ExecutionTimeout" },
        { ["--Obol:Payouts:SweepInterval=00:00:00"], "Obol:Payouts: SweepInterval must be a positive duration" },
        { ["--Obol:Reconciliation:Stripe:ReportUrl=ftp://reports.example/{date}"], "Obol:Reconciliation: Stripe:ReportUrl must be an absolute http or https URL" },
        { ["--Obol:Idempotency:Retention=01:00:00"], "Obol:Idempotency: Retention must be at least 1.00:00:00" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Start_up_stops_before_touching_the_database_with_a_message_naming_the_setting(string[] settings, string message)
    {
        var database = TestDatabases.Allocate(DatabaseProvider.Sqlite);
        var builder = ObolApplication.CreateBuilder(
            ["--urls=http://127.0.0.1:0", "--environment=Testing", $"--ConnectionStrings:Obol={database.ConnectionString}", .. settings]);
        await using var app = ObolApplication.Build(builder);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => ObolApplication.PrepareAsync(app));

        Assert.Contains(refused.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
        Assert.False(File.Exists(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource), "no database was created");
    }

    [Theory]
    [BothDatabases]
    public async Task The_in_process_simulators_control_endpoints_need_a_key_and_its_psp_apis_their_own(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var anonymous = server.CreateClient(apiKey: null);
        using var client = server.CreateClient();

        foreach (var path in new[] { "/sim/faults", "/sim/config", "/sim/charges", "/sim/webhooks", "/sim/faults/counts" })
        {
            await (await anonymous.GetAsync(path)).ReadProblemAsync(401, "unauthenticated");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        }

        await (await anonymous.PostJsonAsync("/sim/faults", """{"stripe":{"timeoutAfterChargeRate":1}}""")).ReadProblemAsync(401, "unauthenticated");
        await (await anonymous.PostJsonAsync("/sim/reset", "{}")).ReadProblemAsync(401, "unauthenticated");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/sim/stripe/v1/payment_intents/pi_x")).StatusCode);
    }

    [Theory]
    [BothDatabases]
    public async Task A_key_of_the_other_mode_is_refused_and_none_is_issued(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var live = await new ApiKeys(server.GetRequiredService<Database>(), server.GetRequiredService<IdGenerator>(), TimeProvider.System, new InstallationMode { Mode = "live" })
            .IssueAsync(ApiKeys.DefaultMerchantId, "live", "from a live installation", CancellationToken.None);

        using var liveClient = server.CreateClient(live.Secret);
        var refused = await (await liveClient.GetAsync("/v1/payments")).ReadProblemAsync(401, "api_key_wrong_mode");
        Assert.Contains("test mode", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await (await client.PostJsonAsync("/v1/api-keys", """{"mode":"live"}""")).ReadProblemAsync(400, "validation_failed");
        var issued = await (await client.PostJsonAsync("/v1/api-keys", "{}")).ReadJsonAsync();
        Assert.Equal("test", issued.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task A_live_installation_takes_live_keys_only()
    {
        await using var server = await ObolTestServer.StartAsync(DatabaseProvider.Sqlite, b =>
        {
            b.Configuration["Obol:Mode"] = "live";
            b.Configuration["Obol:BootstrapApiKey"] = "sk_live_bootstrapkeyfortests0000000001";
            b.Configuration["Obol:Payments:Stripe:BaseUrl"] = RealStripe;
            b.Configuration["Obol:Payments:Stripe:ApiKey"] = "sk_live_0123456789abcdefghijklmn";
            b.Configuration["Obol:Payments:Stripe:WebhookSecret"] = "whsec_live_configured";
            b.Configuration["Obol:Payments:Adyen:BaseUrl"] = "https://1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com/checkout/v71";
            b.Configuration["Obol:Payments:Adyen:ApiKey"] = "AQE_live";
            b.Configuration["Obol:Payments:Adyen:MerchantAccount"] = "Acme";
            b.Configuration["Obol:Payments:Adyen:HmacKey"] = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
        });
        using var live = server.CreateClient("sk_live_bootstrapkeyfortests0000000001");
        var testKey = await new ApiKeys(server.GetRequiredService<Database>(), server.GetRequiredService<IdGenerator>(), TimeProvider.System, new InstallationMode())
            .IssueAsync(ApiKeys.DefaultMerchantId, "test", "from a test installation", CancellationToken.None);
        using var test = server.CreateClient(testKey.Secret);

        Assert.Equal(HttpStatusCode.OK, (await live.GetAsync("/v1/api-keys")).StatusCode);
        await (await test.GetAsync("/v1/api-keys")).ReadProblemAsync(401, "api_key_wrong_mode");
        Assert.Equal(HttpStatusCode.NotFound, (await live.GetAsync("/sim/faults")).StatusCode);
    }
}
