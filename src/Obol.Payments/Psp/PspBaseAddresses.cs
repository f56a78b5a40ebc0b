using Obol.Core.Http;

namespace Obol.Payments.Psp;

/// <summary>
/// Where each PSP lives: its configured base URL, or else the simulator that this server hosts under <c>/sim</c>,
/// found from the server's own listening address (known only once it has started, so read lazily).
/// </summary>
internal sealed class PspBaseAddresses(ServerAddress server, PaymentsOptions options)
{
    public Uri Stripe => options.Stripe.BaseUrl is { Length: > 0 } url ? new Uri(url) : new Uri(server.Self(), "sim/stripe");

    public Uri Adyen => new(WithSlash(options.Adyen.BaseUrl is { Length: > 0 } url ? url : new Uri(server.Self(), "sim/adyen/").ToString()));

    /// <summary>Where the simulator this server hosts serves <paramref name="psp"/>'s settlement report for a day.</summary>
    public Uri SimulatorSettlements(string psp, string day) => new(server.Self(), $"sim/{psp}/settlements?date={day}");

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
