using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Obol.Core.Http;

/// <summary>
/// This server's own base address, for what it hosts for itself (the in-process PSP simulator, its webhooks back here).
/// Known only once the server listens, so read when needed.
/// </summary>
public sealed class ServerAddress(IServer server)
{
    public Uri Self()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server is not listening yet, so it has no address of its own.");
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "localhost";
        }

        var text = uri.Uri.ToString();
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }
}
