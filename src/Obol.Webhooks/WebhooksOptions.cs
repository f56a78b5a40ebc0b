using Obol.Core.Configuration;

namespace Obol.Webhooks;

/// <summary>Configuration section <c>Obol:Webhooks</c>.</summary>
internal sealed class WebhooksOptions
{
    public const string Section = "Obol:Webhooks";

    /// <summary>Endpoint URLs may be <c>http</c> (local development, tests); otherwise only <c>https</c>.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Endpoints may be on loopback, private (RFC 1918, unique local) or link-local addresses. Off, such addresses are
    /// refused when an endpoint is saved and again when a delivery connects (a name that resolves to one is not dialled).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long a rotated-out signing secret still signs deliveries beside the new one.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a delivery may take before it counts as failed.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a failing delivery is retried (from its first try) before it is given up.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromDays(3);

    /// <summary>An endpoint whose every delivery has failed for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    public DispatcherOptions Dispatcher { get; set; } = new();

    public static IEnumerable<string> Problems(WebhooksOptions options) =>
        ModuleOptions.Positive("SecretOverlap", options.SecretOverlap)
            .Concat(ModuleOptions.Positive("DeliveryTimeout", options.DeliveryTimeout))
            .Concat(ModuleOptions.Positive("RetryFor", options.RetryFor))
            .Concat(ModuleOptions.Positive("DisableAfter", options.DisableAfter))
            .Concat(ModuleOptions.Positive("Dispatcher:PollInterval", options.Dispatcher.PollInterval))
            .Concat(options.Dispatcher.BatchWindow < TimeSpan.Zero || options.Dispatcher.BatchWindow > TimeSpan.FromSeconds(1)
                ? ["Dispatcher:BatchWindow must be between 00:00:00 and 00:00:01."] : [])
            .Concat(options.Dispatcher.MaxInFlight < 1 ? ["Dispatcher:MaxInFlight must be at least 1."] : [])
            .Concat(options.Dispatcher.MaxInFlightPerEndpoint < 1 ? ["Dispatcher:MaxInFlightPerEndpoint must be at least 1."] : []);
}

/// <summary>Configuration section <c>Obol:Webhooks:Dispatcher</c>.</summary>
internal sealed class DispatcherOptions
{
    /// <summary>Whether this node sends deliveries. Every node may; leases keep two from sending one delivery at once.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often an idle node looks for due deliveries (a commit on the same node wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a woken dispatcher waits for more events before it claims: one claim and one write of results for several
    /// deliveries cost much less than one each. Zero claims at once.
    /// </summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Deliveries one node sends at once, over all endpoints.</summary>
    public int MaxInFlight { get; set; } = 128;

    /// <summary>Deliveries one node sends at once to one endpoint (of different objects: one object's go one by one).</summary>
    public int MaxInFlightPerEndpoint { get; set; } = 32;
}
