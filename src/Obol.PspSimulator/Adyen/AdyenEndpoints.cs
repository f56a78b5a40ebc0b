using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Adyen;

public static class AdyenEndpoints
{
    public static RouteGroupBuilder MapAdyenDialect(this RouteGroupBuilder sim)
    {
        var adyen = sim.MapGroup("/adyen/v71").ExcludeFromDescription();
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
        return sim;
    }
}
