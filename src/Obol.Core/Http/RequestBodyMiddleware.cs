using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using System.Security.Cryptography;
using System.Text;
using Obol.Core.CardNumbers;
using Obol.Core.Errors;

namespace Obol.Core.Http;

/// <summary>
/// Caps request bodies at 1 MiB, or what the endpoint's <see cref="RequestBodyLimit"/> allows (413 before anything is read), refuses any request that carries something
/// shaped like a card number (before it can reach a handler, a database or a log), refuses a JSON null in the API's bodies
/// (<see cref="JsonNullRule"/>), and buffers bodies so the
/// idempotency layer can fingerprint the exact bytes (hashed here, once) after model binding has read them.
/// </summary>
public sealed class RequestBodyMiddleware(RequestDelegate next)
{
    public const long MaxBodyBytes = 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? MaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new ProblemException(413, "request_too_large", "Request body too large", $"The request body is larger than {limit / (1024 * 1024)} MiB.");
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        if (LoggedPath.PathHoldsCardNumber(context.Request)
            || CardNumberDetector.ContainsCardNumber(Uri.UnescapeDataString(context.Request.QueryString.Value ?? "")))
        {
            throw CardNumberNotAllowed();
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Request.EnableBuffering(bufferThreshold: 64 * 1024);
            using var bytes = new MemoryStream();
            await context.Request.Body.CopyToAsync(bytes, context.RequestAborted);
            context.Request.Body.Position = 0;
            var body = new BufferedRequestBody(
                Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length),
                Convert.ToHexStringLower(SHA256.HashData(bytes.GetBuffer().AsSpan(0, (int)bytes.Length))));
            if (context.GetEndpoint()?.Metadata.GetMetadata<ScansCardNumbersItself>() is null && CardNumberDetector.ContainsCardNumber(body.Text))
            {
                throw CardNumberNotAllowed();
            }

            if (context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal) && context.Request.HasJsonContentType())
            {
                JsonNullRule.Check(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
            }

            context.Features.Set(body);
        }

        await next(context);
    }

    private static ProblemException CardNumberNotAllowed() =>
        Problems.CardNumberNotAllowed("Tokenize the card with a PSP and send the token as paymentMethod.");
}

/// <summary>The request body as read once by <see cref="RequestBodyMiddleware"/>: its text and its SHA-256.</summary>
public sealed record BufferedRequestBody(string Text, string Sha256);

/// <summary>
/// Endpoint metadata: the endpoint takes a file whose identifier fields may be long digit runs (an Adyen PSP reference is
/// 16 digits and passes the Luhn check one time in ten), so it looks for card numbers itself, in every other field, and
/// refuses the request the same way before anything is stored.
/// </summary>
public sealed record ScansCardNumbersItself;

/// <summary>Endpoint metadata: a larger body limit than the default 1 MiB, for the few endpoints that take files.</summary>
public sealed record RequestBodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
