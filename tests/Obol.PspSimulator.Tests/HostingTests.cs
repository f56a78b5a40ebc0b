using System.Net;
using Microsoft.Extensions.Options;

namespace Obol.PspSimulator.Tests;

/// <summary>The simulator is hosted inside the Obol server: it must not bring names or settings that clash.</summary>
public sealed class HostingTests
{
    [Fact]
    public void Simulator_assembly_declares_no_global_Program_type()
    {
        var assembly = typeof(PspSimulatorOptions).Assembly;
        Assert.Null(assembly.GetType("Program"));
        Assert.DoesNotContain(assembly.GetExportedTypes(), t => t.Name == "Program");
    }

    [Fact]
    public async Task Endpoints_live_under_sim_in_the_host()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var outside = await sim.Http.GetAsync("stripe/v1/payment_intents/pi_x", TestContext.Current.CancellationToken);
        using var inside = await sim.Http.GetAsync("sim/charges", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
    }

    [Fact]
    public async Task Invalid_hmac_key_fails_at_start_up()
    {
        await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SimulatorHost.StartAsync(new Dictionary<string, string?> { ["PspSimulator:Adyen:HmacKey"] = "not-hex" }));
    }
}
