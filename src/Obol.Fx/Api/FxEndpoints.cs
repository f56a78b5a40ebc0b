using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using NodaTime.Text;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Fx.Rates;

namespace Obol.Fx.Api;

public static class FxEndpoints
{
    public const int MaxLockDurationLength = 40;

    /// <summary><c>/v1/fx/rates</c> (the latest reference rates), <c>/v1/fx/quotes</c> (create, get), <c>/v1/fx/settings</c> (settlement currency).</summary>
    public static IEndpointRouteBuilder MapFxEndpoints(this IEndpointRouteBuilder routes)
    {
        var fx = routes.MapGroup("/v1/fx").WithTags("FX").RequireAuthorization();
        fx.MapGet("/rates", GetRatesAsync)
            .WithName("getFxRates").WithSummary("The latest reference rates, with their source and publication time")
            .WithDescription("`base` (default: the publisher's base, EUR for the ECB) crosses every rate through the publisher's base.")
            .ProducesProblems(new ProblemCase(400, "fx_rate_unavailable"));
        fx.MapPost("/quotes", CreateQuoteAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("createFxQuote").WithSummary("Lock a conversion rate for one payment")
            .WithDescription("The rate is the mid rate less the merchant's margin. A payment names the quote as `fxQuote` before it expires; a quote converts one payment.")
            .ProducesProblems(new ProblemCase(400, "fx_rate_unavailable"), new ProblemCase(400, "amount_too_large"), new ProblemCase(503, "fx_rates_stale"));
        fx.MapGet("/quotes/{id}", GetQuoteAsync)
            .WithName("getFxQuote").WithSummary("Get an FX quote and whether it was used");
        fx.MapGet("/settings", GetSettingsAsync)
            .WithName("getFxSettings").WithSummary("The calling merchant's settlement currency and FX margin");
        fx.MapPut("/settings", PutSettingsAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("updateFxSettings").WithSummary("Set the settlement currency")
            .WithDescription("Applies to payments created from now on; without settlementCurrency each payment settles in its own currency.");
        return routes;
    }

    private static async Task<Ok<RatesResponse>> GetRatesAsync(string? @base, HttpContext http, Database database, RateStore store, FxOptions options, TimeProvider clock)
    {
        var errors = new ValidationErrors();
        var wanted = @base is null ? null : CurrencyField(errors, "base", @base);
        errors.ThrowIfAny();

        var latest = await database.ReadAsync(store.LatestAsync, http.RequestAborted)
            ?? throw FxProblems.RatesUnavailable(@base ?? "any currency", "any other");
        var baseCurrency = wanted ?? latest.Rates.Base;
        if (baseCurrency != latest.Rates.Base && !latest.Rates.PerBase.ContainsKey(baseCurrency))
        {
            throw FxProblems.RatesUnavailable(baseCurrency.Code, "any other");
        }

        return TypedResults.Ok(RatesResponse.From(latest, baseCurrency, clock.GetUtcNow() - latest.Rates.PublishedAt > options.MaxRateAge));
    }

    private static async Task<Created<QuoteResponse>> CreateQuoteAsync(
        CreateQuoteRequest request, HttpContext http, RequestUnitOfWork work, FxService fx, FxOptions options)
    {
        var errors = new ValidationErrors();
        var from = CurrencyField(errors, "from", request.From);
        var to = CurrencyField(errors, "to", request.To);
        if (from is { } f && to is { } t && f == t)
        {
            errors.Add("to", "A quote converts between two different currencies.");
        }

        if (request.Amount is <= 0)
        {
            errors.Add("amount", "A positive whole number of minor units.");
        }

        var lockDuration = LockDuration(errors, request.LockDuration, options);
        errors.ThrowIfAny();
        var quote = await fx.CreateQuoteAsync(work.Session, http.MerchantId(), from!.Value, to!.Value, request.Amount, lockDuration);
        return TypedResults.Created($"/v1/fx/quotes/{quote.Id}", QuoteResponse.Of(quote));
    }

    private static async Task<Ok<QuoteResponse>> GetQuoteAsync(string id, HttpContext http, Database database, FxService fx) =>
        TypedResults.Ok(QuoteResponse.Of(
            await database.ReadAsync(s => fx.GetQuoteAsync(s, http.MerchantId(), id), http.RequestAborted) ?? throw Problems.NotFound("FX quote", id)));

    private static async Task<Ok<FxSettingsResponse>> GetSettingsAsync(HttpContext http, Database database, SettlementCurrencyStore settlement, FxOptions options)
    {
        var merchantId = http.MerchantId();
        var currency = await database.ReadAsync(s => settlement.CurrentAsync(s, merchantId), http.RequestAborted);
        return TypedResults.Ok(new FxSettingsResponse(currency?.Code, options.MarginFor(merchantId)));
    }

    private static async Task<Ok<FxSettingsResponse>> PutSettingsAsync(
        FxSettingsRequest request, HttpContext http, RequestUnitOfWork work, SettlementCurrencyStore settlement, FxOptions options, TimeProvider clock)
    {
        var errors = new ValidationErrors();
        var currency = request.SettlementCurrency is null ? null : CurrencyField(errors, "settlementCurrency", request.SettlementCurrency);
        errors.ThrowIfAny();
        var merchantId = http.MerchantId();
        await settlement.SetAsync(work.Session, merchantId, currency, StoredInstant.Of(clock.GetUtcNow()));
        return TypedResults.Ok(new FxSettingsResponse(currency?.Code, options.MarginFor(merchantId)));
    }

    private static Currency? CurrencyField(ValidationErrors errors, string field, string? code)
    {
        if (Currency.TryFromCode(code, out var currency))
        {
            return currency;
        }

        errors.Add(field, "An ISO 4217 currency code in upper case.");
        return null;
    }

    private static TimeSpan LockDuration(ValidationErrors errors, string? text, FxOptions options)
    {
        if (text is null)
        {
            return options.DefaultLockDuration;
        }

        var parsed = text.Length <= MaxLockDurationLength ? PeriodPattern.NormalizingIso.Parse(text) : null;
        if (parsed is not { Success: true } || parsed.Value.HasDateComponent)
        {
            errors.Add("lockDuration", "An ISO 8601 duration in hours, minutes and seconds, such as PT5M.");
            return TimeSpan.Zero;
        }

        TimeSpan duration;
        try
        {
            duration = parsed.Value.ToDuration().ToTimeSpan();
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            duration = TimeSpan.MaxValue;
        }

        if (duration < TimeSpan.FromSeconds(1) || duration > options.MaxLockDuration)
        {
            errors.Add("lockDuration", $"From 1 second to {options.MaxLockDuration}.");
        }

        return duration;
    }
}
