using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Obol.Core.Errors;
using Obol.Core.Idempotency;
using Obol.Core.Storage;

namespace Obol.Core.Http;

/// <summary>
/// Turns every failure into problem+json with a stable code: thrown problems, bad request bodies (malformed
/// JSON, unknown or mistyped fields, too large, wrong content type), bare error statuses from routing, a database that
/// is unavailable (503 with <c>Retry-After</c>), and unhandled exceptions (500 with the request id, never internals or a
/// stack trace).
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, DatabaseOptions database, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            // PostgreSQL text cannot hold U+0000 and no id, code, cursor or filter contains it: refused for every endpoint
            // here, before it reaches a statement and fails the request's unit of work as an internal error.
            if (HasNulCharacter(context.Request))
            {
                throw Problems.Validation("query", "The query cannot contain the character U+0000.");
            }

            await next(context);
        }
        catch (ProblemException problem) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, problem);
            return;
        }
        catch (CommitOutcomeUnknownException unknown) when (!context.Response.HasStarted)
        {
            LogCommitOutcomeUnknown(logger, unknown.InnerException, context.Request.Method, LoggedPath.Of(context.Request), context.TraceIdentifier);
            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, unknown.Problem);
            return;
        }
        catch (DbException unavailable) when (Database.IsUnavailable(unavailable) && !context.Response.HasStarted)
        {
            // Retried inside Database for its window first; what arrives here outlasted it (or came from a connection
            // Database does not manage). Nothing of the failed step was applied.
            LogDatabaseUnavailable(logger, unavailable, context.Request.Method, LoggedPath.Of(context.Request), context.TraceIdentifier);
            context.Response.Clear();
            context.Response.Headers.RetryAfter = RetryAfterSeconds(database.RetryAfter);
            await ProblemResponses.WriteAsync(context, unavailable is DatabaseUnavailableException known ? known.Problem : new DatabaseUnavailableException(unavailable).Problem);
            return;
        }
        catch (IdempotencyClaimLostException lost) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, lost.Problem);
            return;
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, FromBadRequest(bad));
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            return;
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            LogUnhandled(logger, exception, context.Request.Method, LoggedPath.Of(context.Request), context.TraceIdentifier);
            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, 500, "internal_error", "Internal error",
                $"Something went wrong on our side. Quote request id {context.TraceIdentifier} when reporting it.");
            return;
        }

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentType is null
            && context.Response.ContentLength is null)
        {
            var (code, title) = ProblemResponses.ForStatus(context.Response.StatusCode);
            var detail = context.Response.StatusCode switch
            {
                404 => $"There is no resource at {context.Request.Path}.",
                405 => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
                415 => "Send the body as application/json.",
                _ => null,
            };
            await ProblemResponses.WriteAsync(context, context.Response.StatusCode, code, title, detail);
        }
    }

    /// <summary>Whole seconds, rounded up, at least one (RFC 9110 delay-seconds).</summary>
    internal static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Kestrel refuses a path holding U+0000 itself; the query string it passes on decoded.
    private static bool HasNulCharacter(HttpRequest request) =>
        request.Query.Any(q => q.Key.Contains('\0', StringComparison.Ordinal) || q.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true));

    internal static ProblemException FromBadRequest(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new ProblemException(413, "request_too_large", "Request body too large", "The request body is larger than 1 MiB.");
        }

        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return new ProblemException(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json.");
        }

        if (bad.InnerException is JsonException json)
        {
            var field = FieldFromPath(json.Path);
            if (json is FieldRuleException rule)
            {
                var named = rule.InPropertyName ? ParentOf(field) : field;
                return Problems.Validation(named.Length > 0 ? named : "body", rule.Message);
            }

            if (json.Message.Contains("could not be mapped", StringComparison.Ordinal))
            {
                return new ProblemException(400, "unknown_field", "Unknown field", $"The field '{field}' is not part of this request.",
                    new Dictionary<string, string[]> { [field] = ["Unknown field."] });
            }

            if (json.Message.Contains("could not be converted", StringComparison.Ordinal) && field.Length > 0)
            {
                return Problems.Validation(field, "Has the wrong type.");
            }

            return new ProblemException(400, "malformed_json", "Malformed JSON",
                json.LineNumber is { } line ? $"The body is not valid JSON (line {line + 1}, position {json.BytePositionInLine + 1})." : "The body is not valid JSON.");
        }

        if (bad.Message.Contains("body was provided", StringComparison.Ordinal) || bad.Message.Contains("request body", StringComparison.OrdinalIgnoreCase))
        {
            return new ProblemException(400, "malformed_json", "Malformed JSON", "A JSON body is required.");
        }

        return new ProblemException(400, "bad_request", "Bad request", "The request could not be read.");
    }

    /// <summary><c>metadata</c> for <c>metadata.key</c> or <c>metadata['a.b']</c>.</summary>
    private static string ParentOf(string field)
    {
        var cut = field.EndsWith("']", StringComparison.Ordinal) ? field.LastIndexOf("['", StringComparison.Ordinal) : field.LastIndexOf('.');
        return cut > 0 ? field[..cut] : "";
    }

        private static string FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }

        var trimmed = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return trimmed;
    }

    [LoggerMessage(EventId = CoreLogEvents.UnhandledException, Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path} (request {RequestId})")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path, string requestId);

    [LoggerMessage(EventId = CoreLogEvents.DatabaseUnavailable, Level = LogLevel.Warning, Message = "Database unavailable for {Method} {Path} (request {RequestId}); answered 503")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, string method, string path, string requestId);

    [LoggerMessage(EventId = CoreLogEvents.CommitOutcomeUnknown, Level = LogLevel.Error, Message = "COMMIT got no answer for {Method} {Path} (request {RequestId}); whether it was applied is unknown")]
    private static partial void LogCommitOutcomeUnknown(ILogger logger, Exception? exception, string method, string path, string requestId);
}
