using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Obol.Chaos.Simulator;

/// <summary>A charge as the simulator holds it: the ground truth the checker compares Obol with.</summary>
public sealed record SimCharge(
    string Psp,
    string Id,
    string? Reference,
    long Amount,
    string Currency,
    string Status,
    long AmountCaptured,
    long AmountRefunded,
    DateTimeOffset CreatedAt,
    string? CaptureMethod = null,
    string? PaymentMethod = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    IReadOnlyList<SimMovement>? Movements = null)
{
    /// <summary>The PSP acted on it (authorized, captured, held pending, or voided after): anything but a decline.</summary>
    public bool Succeeded => Status is not "declined";
}

/// <summary>A capture or refund at the PSP, with the PSP's id and the reference (and metadata) the merchant sent.</summary>
public sealed record SimMovement(string Id, string Kind, long Amount, DateTimeOffset At, string? Reference = null, IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record SimWebhook(string Psp, string EventId, string EventType, string State, int Attempts, int? LastStatusCode, DateTimeOffset CreatedAt);

public sealed record EndpointFaults(double TimeoutAfterCharge = 0, double ErrorBeforeCharge = 0, double ErrorAfterCharge = 0, int LatencyMs = 0);

public sealed record WebhookFaults(double DuplicateRate = 0, double ReorderRate = 0, int ReorderDelayMs = 500, int DelayMs = 0, double DropRate = 0);

public sealed record PspFaults(bool Outage, EndpointFaults Default, WebhookFaults Webhooks)
{
    public static readonly PspFaults None = new(false, new EndpointFaults(), new WebhookFaults());
}

/// <summary>The simulator's whole fault set (<c>POST /sim/faults</c> replaces it); settlement faults are never used.</summary>
public sealed record FaultSettings(int Seed, PspFaults Stripe, PspFaults Adyen)
{
    public PspFaults For(string psp) => psp == "stripe" ? Stripe : Adyen;

    public FaultSettings With(string psp, PspFaults faults) => psp == "stripe" ? this with { Stripe = faults } : this with { Adyen = faults };
}

/// <summary>The simulator's control API: faults, charges, webhook deliveries and fault counts.</summary>
public sealed class SimulatorClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async Task SetFaultsAsync(FaultSettings faults, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("sim/faults", faults, Json.Options, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new Cluster.HarnessException($"The simulator refused faults: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    public async Task<IReadOnlyList<SimCharge>> ChargesAsync(CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsync<List<SimCharge>>("sim/charges", Json.Options, cancellationToken) ?? [];

    public async Task<IReadOnlyList<SimWebhook>> WebhooksAsync(CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsync<List<SimWebhook>>("sim/webhooks", Json.Options, cancellationToken) ?? [];

    /// <summary>What the simulator's faults did, flattened (<c>stripe.timeoutAfterCharge=12</c>); null if this simulator does not count.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, long>>?> FaultCountsAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("sim/faults/counts", cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed || !response.IsSuccessStatusCode)
        {
            return null;
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var counts = new List<KeyValuePair<string, long>>();
        Flatten(document.RootElement, "", counts);
        return counts;
    }

    public void Dispose() => _http.Dispose();

    private static void Flatten(JsonElement element, string prefix, List<KeyValuePair<string, long>> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}", into);
                }

                break;
            case JsonValueKind.Number when element.TryGetInt64(out var value):
                into.Add(new(prefix, value));
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}[{i++.ToString(CultureInfo.InvariantCulture)}]", into);
                }

                break;
        }
    }
}
