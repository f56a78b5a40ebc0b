using System.Net;
using System.Net.Sockets;
using Obol.Webhooks.Api;

namespace Obol.Webhooks.Endpoints;

/// <summary>
/// Where webhooks may be sent. Only <c>https</c> (and <c>http</c> when allowed), and not to this machine, a private network
/// or a link-local address (cloud metadata services live at 169.254.169.254) unless private networks are allowed: an
/// endpoint URL must not turn Obol into a way to reach what only it can reach (SSRF). A URL naming such an address is
/// refused when saved; a host name is checked again on every connection, after it resolves (DNS can change).
/// </summary>
internal sealed class EndpointAddressRule(WebhooksOptions options)
{
    public const int MaxUrlLength = CreateWebhookEndpointRequest.MaxUrlLength;

    /// <summary>Null when the URL may be saved, else why not.</summary>
    public string? Problem(string url)
    {
        if (url.Length > MaxUrlLength)
        {
            return $"At most {MaxUrlLength} characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
        {
            return "Must be an absolute https URL.";
        }

        if (uri.Scheme == "http" && !options.AllowHttp)
        {
            return "Must be an https URL (http is allowed only when Obol:Webhooks:AllowHttp is set).";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "Must not hold a user name or password.";
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            return "Must not hold a fragment (#…).";
        }

        if (options.AllowPrivateNetworks)
        {
            return null;
        }

        var host = uri.DnsSafeHost;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "Must not point at this machine (localhost).";
        }

        return IPAddress.TryParse(host, out var address) && !IsPublic(address)
            ? "Must not point at a loopback, private or link-local address."
            : null;
    }

    /// <summary>Whether a connection may be made to <paramref name="address"/> (checked after name resolution).</summary>
    public bool MayConnect(IPAddress address) => options.AllowPrivateNetworks || IsPublic(address);

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 // "this network"
                || b[0] == 10
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // carrier-grade NAT
                || b[0] == 127
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) // benchmarking
                || b[0] >= 224); // multicast and reserved
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC // unique local fc00::/7
                || address.IsIPv6Teredo
                || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)); // NAT64 64:ff9b::/96 reaches IPv4 space
        }

        return false;
    }
}
