using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Obol.Core.Errors;

namespace Obol.Core.Http;

/// <summary>Writes RFC 9457 problem+json bodies: <c>type, title, status, detail, code, errors?, requestId</c>.</summary>
public static class ProblemResponses
{
    public static Task WriteAsync(HttpContext context, ProblemException problem) =>
        WriteAsync(context, problem.Status, problem.Code, problem.Title, problem.Detail, problem.Errors);

    public static Task WriteAsync(
        HttpContext context,
        int status,
        string code,
        string title,
        string? detail,
        IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeOf(code),
            Title = title,
            Status = status,
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }

        problem.Extensions["requestId"] = context.TraceIdentifier;
        context.Response.StatusCode = status;
        return TypedResults.Problem(problem).ExecuteAsync(context);
    }

    /// <summary>The problem type URI of a problem code: <c>urn:obol:problem:{code}</c>.</summary>
    public static string TypeOf(string code) => $"urn:obol:problem:{code}";

    /// <summary>The code for a bare status the framework set without a body (unknown route, wrong method…).</summary>
    public static (string Code, string Title) ForStatus(int status) => status switch
    {
        400 => ("bad_request", "Bad request"),
        401 => ("unauthenticated", "Unauthenticated"),
        403 => ("forbidden", "Forbidden"),
        404 => ("not_found", "Not found"),
        405 => ("method_not_allowed", "Method not allowed"),
        406 => ("not_acceptable", "Not acceptable"),
        408 => ("request_timeout", "Request timeout"),
        409 => ("conflict", "Conflict"),
        413 => ("request_too_large", "Request body too large"),
        415 => ("unsupported_media_type", "Unsupported media type"),
        429 => ("too_many_requests", "Too many requests"),
        503 => ("service_unavailable", "Service unavailable"),
        _ when status >= 500 => ("internal_error", "Internal error"),
        _ => ("error", "Error"),
    };
}
