using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Requests;
using Obol.PspSimulator.Scheduling;
using Obol.PspSimulator.Settlements;
using Obol.PspSimulator.Webhooks;

namespace Obol.PspSimulator.Control;

/// <summary>
/// One charge as <c>GET /sim/charges</c> shows it, in minor units: the PSP's ground truth for a checker, every
/// capture and refund included with the reference, metadata and idempotency key of the request that made it.
/// </summary>
public sealed record ChargeView(
    string Psp,
    string Id,
    string? Reference,
    long Amount,
    string Currency,
    string Status,
    long AmountCaptured,
    long AmountRefunded,
    DateTimeOffset CreatedAt,
    string CaptureMethod,
    string PaymentMethod,
    string? MerchantAccount,
    IReadOnlyDictionary<string, string> Metadata,
    string? IdempotencyKey,
    string? DeclineCode,
    string? DeclineReason,
    DateTimeOffset? CanceledAt,
    IReadOnlyList<MovementView> Movements);

/// <summary>A capture or refund: Stripe <c>ch_…</c> / <c>re_…</c>, Adyen the modification's pspReference (the payment's for an immediate capture).</summary>
public sealed record MovementView(
    string Id,
    string Kind,
    long Amount,
    string? Reference,
    IReadOnlyDictionary<string, string> Metadata,
    string? IdempotencyKey,
    DateTimeOffset At);

/// <summary>One webhook endpoint in <c>POST /sim/config</c>; no secret: the PSP's default signing secret.</summary>
public sealed record WebhookEndpointConfig(Uri? Url, string? Secret);

/// <summary>
/// A PSP's part of <c>POST /sim/config</c>, either form: <c>{ webhookUrl, secret }</c> (one endpoint, or none without a
/// URL; a secret also becomes the PSP's default) or <c>{ endpoints: [ { url, secret } ] }</c> (replaces the list).
/// </summary>
public sealed record PspWebhookConfig(Uri? WebhookUrl, string? Secret, IReadOnlyList<WebhookEndpointConfig>? Endpoints);

/// <summary>Body of <c>POST /sim/config</c>: replace a PSP's webhook endpoints (Stripe whsec_… secrets, Adyen hex HMAC keys).</summary>
public sealed record SimulatorConfigRequest(PspWebhookConfig? Stripe, PspWebhookConfig? Adyen);

public sealed record WebhookEndpointView(Uri Url);

public sealed record PspWebhookConfigView(IReadOnlyList<WebhookEndpointView> Endpoints);

/// <summary><c>GET /sim/config</c>: each PSP's endpoint URLs, never their secrets; the first URL also in the older flat fields.</summary>
public sealed record SimulatorConfigView(Uri? StripeWebhookUrl, Uri? AdyenWebhookUrl, PspWebhookConfigView Stripe, PspWebhookConfigView Adyen);

public sealed record WebhookView(
    string Psp, string EventId, string EventType, Uri? Url, string State, int Attempts, int? LastStatusCode, DateTimeOffset CreatedAt);

public sealed record SimulatorError(string Error);

/// <summary>Simulator-only endpoints: introspection, faults, configuration, reset, settlement reports.</summary>
public static class ControlEndpoints
{
    /// <summary>Introspection, faults, configuration and reset: what no PSP has, and what a host may put behind its own auth.</summary>
    public static RouteGroupBuilder MapSimulatorControl(this RouteGroupBuilder sim)
    {
        sim.MapGet("/charges", ListCharges);
        sim.MapGet("/webhooks", ListWebhooks);
        sim.MapGet("/faults", (FaultInjector faults) => TypedResults.Ok(faults.Current));
        sim.MapPost("/faults", SetFaults);
        sim.MapGet("/faults/counts", (FaultCounts counts) => TypedResults.Ok(counts.Snapshot()));
        sim.MapGet("/config", GetConfig);
        sim.MapPost("/config", SetConfig);
        sim.MapPost("/reset", Reset);
        return sim;
    }

    /// <summary>A day's settlement report, as a PSP's report download serves it.</summary>
    public static RouteGroupBuilder MapSimulatorSettlements(this RouteGroupBuilder sim)
    {
        sim.MapGet("/{psp}/settlements", Settlements);
        return sim;
    }

    private static Results<Ok<List<ChargeView>>, BadRequest<SimulatorError>> ListCharges(string? psp, string? reference, ChargeStore charges)
    {
        Psp? filter = null;
        if (psp is not null)
        {
            if (!PspNames.TryParse(psp, out var parsed))
            {
                return TypedResults.BadRequest(new SimulatorError("psp must be stripe or adyen"));
            }

            filter = parsed;
        }

        var views = charges.List(filter, reference).Select(View).ToList();
        return TypedResults.Ok(views);
    }

    private static ChargeView View(Charge c) => new(
        c.Psp.Name(),
        c.Id,
        c.Reference,
        c.Amount,
        c.Currency,
        c.Status.ToString().ToLowerInvariant(),
        c.AmountCaptured,
        c.AmountRefunded,
        c.CreatedAt,
        c.ManualCapture ? "manual" : "automatic",
        c.PaymentMethod,
        c.MerchantAccount,
        c.Metadata,
        c.IdempotencyKey,
        c.Decline?.Code,
        c.Decline?.Message,
        c.CanceledAt,
        [.. c.Movements.Select(m => new MovementView(
            m.Id,
            m.Kind == MovementKind.Capture ? "capture" : "refund",
            m.Amount,
            m.Reference,
            m.Metadata ?? ImmutableSortedDictionary<string, string>.Empty,
            m.IdempotencyKey,
            m.At))]);

    private static Results<Ok<List<WebhookView>>, BadRequest<SimulatorError>> ListWebhooks(string? psp, WebhookLog log)
    {
        Psp? filter = null;
        if (psp is not null)
        {
            if (!PspNames.TryParse(psp, out var parsed))
            {
                return TypedResults.BadRequest(new SimulatorError("psp must be stripe or adyen"));
            }

            filter = parsed;
        }

        var views = log.List(filter)
            .Select(r => new WebhookView(r.Psp.Name(), r.EventId, r.EventType, r.Url, r.State.ToString().ToLowerInvariant(), r.Attempts, r.LastStatusCode, r.CreatedAt))
            .ToList();
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<FaultSettings>, BadRequest<SimulatorError>>> SetFaults(HttpRequest request, FaultInjector faults)
    {
        FaultSettings? settings;
        try
        {
            settings = await request.ReadFromJsonAsync<FaultSettings>(request.HttpContext.RequestAborted);
        }
        catch (JsonException ex)
        {
            return TypedResults.BadRequest(new SimulatorError("Malformed fault settings: " + ex.Message));
        }

        if (settings is null)
        {
            return TypedResults.BadRequest(new SimulatorError("A JSON body is required."));
        }

        if (Invalid(settings) is { } problem)
        {
            return TypedResults.BadRequest(new SimulatorError(problem));
        }

        faults.Apply(settings);
        return TypedResults.Ok(settings);
    }

    private static string? Invalid(FaultSettings settings)
    {
        foreach (var (name, psp) in new[] { ("stripe", settings.Stripe), ("adyen", settings.Adyen) })
        {
            var rates = new List<(string, double)>
            {
                ("webhooks.duplicateRate", psp.Webhooks.DuplicateRate),
                ("webhooks.reorderRate", psp.Webhooks.ReorderRate),
                ("webhooks.dropRate", psp.Webhooks.DropRate),
                ("settlements.dropRowRate", psp.Settlements.DropRowRate),
                ("settlements.changeAmountRate", psp.Settlements.ChangeAmountRate),
            };
            foreach (var (endpointName, endpoint) in new[] { ("default", psp.Default), ("create", psp.Create), ("capture", psp.Capture), ("cancel", psp.Cancel), ("refund", psp.Refund) })
            {
                if (endpoint is null)
                {
                    continue;
                }

                rates.Add((endpointName + ".timeoutAfterCharge", endpoint.TimeoutAfterCharge));
                rates.Add((endpointName + ".errorBeforeCharge", endpoint.ErrorBeforeCharge));
                rates.Add((endpointName + ".errorAfterCharge", endpoint.ErrorAfterCharge));
                if (endpoint.LatencyMs < 0)
                {
                    return $"{name}.{endpointName}.latencyMs must not be negative";
                }
            }

            if (rates.FirstOrDefault(r => r.Item2 is < 0 or > 1 || double.IsNaN(r.Item2)) is ({ } bad, _))
            {
                return $"{name}.{bad} must be between 0 and 1";
            }

            if (psp.Webhooks.DelayMs < 0 || psp.Webhooks.ReorderDelayMs < 0 || psp.Settlements.UnknownRows < 0)
            {
                return $"{name}: delays and counts must not be negative";
            }
        }

        return null;
    }

    private static Ok<SimulatorConfigView> GetConfig(WebhookTargets targets)
    {
        var stripe = targets.For(Psp.Stripe);
        var adyen = targets.For(Psp.Adyen);
        return TypedResults.Ok(new SimulatorConfigView(
            stripe.Count > 0 ? stripe[0].Url : null,
            adyen.Count > 0 ? adyen[0].Url : null,
            new PspWebhookConfigView([.. stripe.Select(e => new WebhookEndpointView(e.Url))]),
            new PspWebhookConfigView([.. adyen.Select(e => new WebhookEndpointView(e.Url))])));
    }

    private static Results<Ok<SimulatorConfigView>, BadRequest<SimulatorError>> SetConfig(SimulatorConfigRequest body, WebhookTargets targets)
    {
        var changes = new List<Action>();
        foreach (var (psp, config) in new[] { (Psp.Stripe, body.Stripe), (Psp.Adyen, body.Adyen) })
        {
            if (config is null)
            {
                continue;
            }

            if (Invalid(psp, config) is { } problem)
            {
                return TypedResults.BadRequest(new SimulatorError(problem));
            }

            changes.Add(config.Endpoints is { } endpoints
                ? () => targets.Set(psp, [.. endpoints.Select(e => new WebhookEndpoint(e.Url!, string.IsNullOrEmpty(e.Secret) ? targets.DefaultSecret(psp) : e.Secret))])
                : () =>
                {
                    if (config.Secret is { } secret)
                    {
                        targets.SetDefaultSecret(psp, secret);
                    }

                    targets.Set(psp, config.WebhookUrl is { } url ? [new WebhookEndpoint(url, targets.DefaultSecret(psp))] : []);
                });
        }

        // Nothing changes unless the whole body is valid.
        changes.ForEach(change => change());
        return GetConfig(targets);
    }

    private static string? Invalid(Psp psp, PspWebhookConfig config)
    {
        var name = psp.Name();
        if (config.Endpoints is { } endpoints)
        {
            if (config.WebhookUrl is not null || config.Secret is not null)
            {
                return $"{name}: give either webhookUrl/secret or endpoints, not both";
            }

            for (var i = 0; i < endpoints.Count; i++)
            {
                if (!WebhookEndpoint.IsDeliverable(endpoints[i].Url))
                {
                    return $"{name}.endpoints[{i}].url must be an absolute http(s) URL";
                }

                if (psp == Psp.Adyen && endpoints[i].Secret is { } key && !AdyenHmac.IsHexKey(key))
                {
                    return $"{name}.endpoints[{i}].secret must be a hex-encoded HMAC key";
                }
            }

            return null;
        }

        if (config.WebhookUrl is { } url && !WebhookEndpoint.IsDeliverable(url))
        {
            return $"{name}.webhookUrl must be an absolute http(s) URL";
        }

        return psp == Psp.Adyen && config.Secret is { } hex && !AdyenHmac.IsHexKey(hex)
            ? $"{name}.secret must be a hex-encoded HMAC key"
            : null;
    }

    /// <summary>Clears charges, idempotency keys, webhook history, fault counts and pending deferred work; faults go back to none.</summary>
    private static NoContent Reset(
        ChargeStore charges, IdempotencyStore idempotency, WebhookLog log, DeferredWork deferred, FaultInjector faults, FaultCounts counts)
    {
        deferred.CancelAll();
        charges.Clear();
        idempotency.Clear();
        log.Clear();
        faults.Apply(new FaultSettings());
        counts.Clear();
        return TypedResults.NoContent();
    }

    private static Results<ContentHttpResult, BadRequest<SimulatorError>, NotFound<SimulatorError>> Settlements(string psp, string? date, SettlementReports reports)
    {
        if (!PspNames.TryParse(psp, out var parsed))
        {
            return TypedResults.NotFound(new SimulatorError("psp must be stripe or adyen"));
        }

        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return TypedResults.BadRequest(new SimulatorError("date must be YYYY-MM-DD"));
        }

        return TypedResults.Text(reports.Build(parsed, day), "text/csv");
    }
}
