using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Obol.Core.Errors;

namespace Obol.Core.Http;

/// <summary>
/// Caps request bodies at 1 MiB (413 before anything is read) and buffers them so the idempotency filter
/// can fingerprint the exact bytes after model binding has read them.
/// </summary>
public sealed class RequestBodyMiddleware(RequestDelegate next)
{
    public const long MaxBodyBytes = 1024 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new ProblemException(413, "request_too_large", "Request body too large", "The request body is larger than 1 MiB.");
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = MaxBodyBytes;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
        }

        return next(context);
    }
}
