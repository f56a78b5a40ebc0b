using System.Net;
using System.Net.Sockets;
using Obol.Core;
using Stripe;

namespace Obol.Payments.Psp.Stripe;

/// <summary>
/// Stripe through the Stripe.net SDK: PaymentIntents created and confirmed in one call, with our attempt id as
/// Stripe's idempotency key and our payment id in metadata. The SDK's own retries are off: an ambiguous failure
/// is an unknown outcome for the resolver, never a blind second call.
/// </summary>
internal sealed class StripeConnector(Func<StripeClient> clientFactory) : IPspConnector
{
    public const string PspName = "stripe";

    private readonly Lazy<(PaymentIntentService Intents, RefundService Refunds)> _services = new(() =>
    {
        var client = clientFactory();
        return (new PaymentIntentService(client), new RefundService(client));
    });

    private PaymentIntentService Intents => _services.Value.Intents;
    private RefundService Refunds => _services.Value.Refunds;

    public string Name => PspName;

    public PspAmountRule Amounts => StripeAmountRule.Instance;

    public Task<PspOutcome> AuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken) =>
        InStripeUnits(request.Amount, request.Currency, async amount =>
        {
            var metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal)
            {
                ["obol_payment_id"] = request.PaymentId,
                ["obol_attempt_id"] = request.AttemptId,
                ["reference"] = request.PaymentId,
            };
            var intent = await Intents.CreateAsync(
                new PaymentIntentCreateOptions
                {
                    Amount = amount,
                    Currency = request.Currency.ToLowerInvariant(),
                    PaymentMethod = request.PaymentMethod,
                    Confirm = true,
                    CaptureMethod = request.ManualCapture ? "manual" : "automatic",
                    Description = request.Description,
                    Metadata = metadata,
                },
                new RequestOptions { IdempotencyKey = request.AttemptId },
                cancellationToken);
            return FromIntent(intent);
        });

    /// <summary>Re-issues the same create with the same idempotency key: Stripe answers with the first result.</summary>
    public Task<PspOutcome> ResolveAuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken) =>
        AuthorizeAsync(request, cancellationToken);

    public Task<PspOutcome> CaptureAsync(ModifyRequest request, CancellationToken cancellationToken) =>
        InStripeUnits(request.Amount, request.Currency, async amount => FromIntent(await Intents.CaptureAsync(
            request.PspReference,
            new PaymentIntentCaptureOptions { AmountToCapture = amount },
            new RequestOptions { IdempotencyKey = request.AttemptId },
            cancellationToken)));

    public Task<PspOutcome> CancelAsync(ModifyRequest request, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            var intent = await Intents.CancelAsync(
                request.PspReference, new PaymentIntentCancelOptions(), new RequestOptions { IdempotencyKey = request.AttemptId }, cancellationToken);
            return intent.Status == "canceled"
                ? new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)
                : new PspOutcome(PspOutcomeKind.Failed, intent.Id, "cancel_failed", $"Stripe left the payment intent {intent.Status}.");
        });

    public Task<PspOutcome> RefundAsync(ModifyRequest request, CancellationToken cancellationToken) =>
        InStripeUnits(request.Amount, request.Currency, async amount =>
        {
            var refund = await Refunds.CreateAsync(
                new RefundCreateOptions
                {
                    PaymentIntent = request.PspReference,
                    Amount = amount,
                    Metadata = new Dictionary<string, string>
                    {
                        ["obol_payment_id"] = request.PaymentId,
                        ["obol_attempt_id"] = request.AttemptId,
                        ["obol_refund_id"] = request.Reference,
                    },
                },
                new RequestOptions { IdempotencyKey = request.AttemptId },
                cancellationToken);
            return refund.Status switch
            {
                "succeeded" => new PspOutcome(PspOutcomeKind.Succeeded, refund.Id),
                "pending" => new PspOutcome(PspOutcomeKind.Pending, refund.Id),
                _ => new PspOutcome(PspOutcomeKind.Failed, refund.Id, "refund_failed", refund.FailureReason ?? $"Stripe reports the refund {refund.Status}."),
            };
        });

    private static PspOutcome FromIntent(PaymentIntent intent) => intent.Status switch
    {
        "requires_capture" => new PspOutcome(PspOutcomeKind.Authorized, intent.Id),
        "succeeded" => new PspOutcome(PspOutcomeKind.Succeeded, intent.Id),
        "processing" => new PspOutcome(PspOutcomeKind.Pending, intent.Id),
        "requires_payment_method" when intent.LastPaymentError is { } error =>
            new PspOutcome(PspOutcomeKind.Declined, intent.Id, DeclineCode(error.DeclineCode), error.Message),
        _ => new PspOutcome(PspOutcomeKind.Failed, intent.Id, "unexpected_psp_state", $"Stripe left the payment intent {intent.Status}."),
    };

    /// <summary>Calls with the amount in Stripe's units; one Stripe cannot take exactly is never sent (routing keeps it from coming here).</summary>
    private static Task<PspOutcome> InStripeUnits(long amount, string currency, Func<long, Task<PspOutcome>> call) =>
        StripeAmountRule.Instance.TryToPsp(amount, Currency.FromCode(currency), out var stripeAmount)
            ? CallAsync(() => call(stripeAmount))
            : Task.FromResult(PspOutcome.AmountNotSupported(PspName, amount, currency));

    private static async Task<PspOutcome> CallAsync(Func<Task<PspOutcome>> call)
    {
        try
        {
            return await call();
        }
        catch (StripeException e) when (e.HttpStatusCode == HttpStatusCode.PaymentRequired)
        {
            var error = e.StripeError;
            var reference = error?.PaymentIntent?.Id;
            return new PspOutcome(PspOutcomeKind.Declined, reference, DeclineCode(error?.DeclineCode), error?.Message ?? e.Message);
        }
        catch (StripeException e) when (e.HttpStatusCode == HttpStatusCode.TooManyRequests)
        {
            // Stripe documents 429 as "not processed".
            return PspOutcome.NotProcessed("psp_rate_limited", "Stripe is rate limiting requests.");
        }
        catch (StripeException e) when (e.HttpStatusCode == HttpStatusCode.Conflict || e.StripeError?.Type == "idempotency_error")
        {
            // An answer about the idempotency key, not about the request: the first request under it is still running,
            // or the key was used with other parameters. Either way what the PSP did under this key is still to be found out.
            return PspOutcome.Unknown($"Stripe answered {(int)e.HttpStatusCode} about the idempotency key; the first request's outcome is still to be found out.");
        }
        catch (StripeException e) when ((int)e.HttpStatusCode >= 500)
        {
            return PspOutcome.Unknown($"Stripe answered {(int)e.HttpStatusCode}; the request may or may not have been processed.");
        }
        catch (StripeException e) when (e.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return PspOutcome.NotProcessed("psp_authentication_failed", "Stripe refused Obol's credentials.");
        }
        catch (StripeException e) when ((int)e.HttpStatusCode is >= 400 and < 500)
        {
            return new PspOutcome(PspOutcomeKind.Failed, e.StripeError?.PaymentIntent?.Id, e.StripeError?.Code ?? "psp_invalid_request", e.StripeError?.Message ?? e.Message);
        }
        catch (Exception e) when (ConnectionRefused(e))
        {
            return PspOutcome.NotProcessed("psp_unreachable", "Stripe could not be reached.");
        }
        catch (Exception e) when (e is StripeException or HttpRequestException or TaskCanceledException or IOException)
        {
            return PspOutcome.Unknown("No answer from Stripe in time.");
        }
    }

    /// <summary>Obol's decline codes: <c>insufficient_funds</c> where the issuer said so, otherwise <c>card_declined</c>.</summary>
    private static string DeclineCode(string? stripeDeclineCode) =>
        stripeDeclineCode == "insufficient_funds" ? "insufficient_funds" : "card_declined";

    internal static bool ConnectionRefused(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NetworkUnreachable })
            {
                return true;
            }
        }

        return false;
    }
}
