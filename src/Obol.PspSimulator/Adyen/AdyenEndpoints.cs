using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Adyen;

public static class AdyenEndpoints
{
    /// <summary>
    /// The Checkout API versions served, the same endpoints under each: v71 (what Obol's connector calls) and v72 (what
    /// <c>@adyen/api-library</c> 32.x calls); the endpoints the simulator implements did not change between them.
    /// </summary>
    public static readonly IReadOnlyList<string> CheckoutVersions = ["v71", "v72"];

    /// <summary>Maps the Checkout endpoints at <c>{prefix}/{version}</c> for every version in <see cref="CheckoutVersions"/>.</summary>
    public static IEndpointRouteBuilder MapAdyenDialect(this IEndpointRouteBuilder endpoints, string prefix)
    {
        foreach (var version in CheckoutVersions)
        {
            var adyen = endpoints.MapGroup($"{prefix}/{version}").ExcludeFromDescription();
            adyen.AddEndpointFilter((context, next) => CardNumberDetector.InPathOrQuery(context.HttpContext.Request)
                ? ValueTask.FromResult<object?>(PspPipeline.Respond(AdyenErrors.CardNumber()))
                : next(context));
            adyen.MapPost("/payments", (HttpContext context, AdyenApi api) => api.CreatePaymentAsync(context));
            adyen.MapPost("/payments/{pspReference}/captures", (HttpContext context, string pspReference, AdyenApi api) => api.CaptureAsync(context, pspReference));
            adyen.MapPost("/payments/{pspReference}/cancels", (HttpContext context, string pspReference, AdyenApi api) => api.CancelAsync(context, pspReference));
            adyen.MapPost("/payments/{pspReference}/refunds", (HttpContext context, string pspReference, AdyenApi api) => api.RefundAsync(context, pspReference));
            adyen.MapGet("/payments", (HttpContext context, string? reference, AdyenApi api) => api.ListPaymentsAsync(context, reference));
            adyen.MapGet("/payments/{pspReference}", (HttpContext context, string pspReference, AdyenApi api) => api.GetPaymentAsync(context, pspReference));
            adyen.Map("/{**rest}", AdyenApi.NotFound);
        }

        return endpoints;
    }
}
