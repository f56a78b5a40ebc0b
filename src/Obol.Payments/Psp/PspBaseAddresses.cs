using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Obol.Payments.Psp;

/// <summary>
/// Where each PSP lives: its configured base URL, or else the simulator that this server hosts under
/// <c>/sim</c>, found from the server's own listening address (known only once it has started, so read lazily).
/// </summary>
public sealed class PspBaseAddresses(IServer server, PaymentsOptions options)
{
    public Uri Stripe => options.Stripe.BaseUrl is { Length: > 0 } url ? new Uri(url) : new Uri(Self(), "sim/stripe");

    public Uri Adyen => new(WithSlash(options.Adyen.BaseUrl is { Length: > 0 } url ? url : new Uri(Self(), "sim/adyen/").ToString()));

    /// <summary>This server's own base address (for the simulator to send webhooks back to).</summary>
    public Uri Self()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server is not listening yet, so the in-process PSP simulator has no address.");
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "localhost";
        }

        return new Uri(WithSlash(uri.Uri.ToString()));
    }

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
