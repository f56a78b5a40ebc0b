using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Stripe;

public static class StripeEndpoints
{
    /// <summary>Maps Stripe's <c>/v1/…</c> endpoints under <paramref name="prefix"/> (<c>/sim/stripe</c>, or the root when standalone).</summary>
    public static IEndpointRouteBuilder MapStripeDialect(this IEndpointRouteBuilder endpoints, string prefix)
    {
        var stripe = endpoints.MapGroup(prefix + "/v1").ExcludeFromDescription();

        // Stripe answers every request with a Request-Id, which Stripe.net exposes on StripeResponse.
        stripe.AddEndpointFilter((context, next) =>
        {
            context.HttpContext.Response.Headers["Request-Id"] = Ids.Stripe("req");
            return CardNumberDetector.InPathOrQuery(context.HttpContext.Request)
                ? ValueTask.FromResult<object?>(PspPipeline.Respond(StripeErrors.CardNumber("(path or query)")))
                : next(context);
        });
        stripe.MapPost("/payment_intents", (HttpContext context, StripeApi api) => api.CreatePaymentIntentAsync(context));
        stripe.MapGet("/payment_intents/search", (HttpContext context, StripeApi api) => api.SearchPaymentIntentsAsync(context));
        stripe.MapGet("/payment_intents/{id}", (HttpContext context, string id, StripeApi api) => api.RetrievePaymentIntentAsync(context, id));
        stripe.MapPost("/payment_intents/{id}/capture", (HttpContext context, string id, StripeApi api) => api.CapturePaymentIntentAsync(context, id));
        stripe.MapPost("/payment_intents/{id}/cancel", (HttpContext context, string id, StripeApi api) => api.CancelPaymentIntentAsync(context, id));
        stripe.MapPost("/refunds", (HttpContext context, StripeApi api) => api.CreateRefundAsync(context));
        stripe.MapGet("/refunds/{id}", (HttpContext context, string id, StripeApi api) => api.RetrieveRefundAsync(context, id));
        stripe.Map("/{**rest}", StripeApi.NotFound);
        return endpoints;
    }
}
