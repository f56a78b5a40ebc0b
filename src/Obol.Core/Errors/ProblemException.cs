namespace Obol.Core.Errors;

/// <summary>
/// A request that cannot be done, with the RFC 9457 problem to answer. Throwing one before any effect
/// rolls the request's unit of work back, so a rejected request changes nothing.
/// </summary>
public class ProblemException(
    int status,
    string code,
    string title,
    string? detail = null,
    IReadOnlyDictionary<string, string[]>? errors = null) : Exception(detail ?? title)
{
    public int Status { get; } = status;

    /// <summary>Stable snake_case code that clients branch on.</summary>
    public string Code { get; } = code;

    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;
}

/// <summary>The problems every module raises; module-specific ones are built the same way.</summary>
public static class Problems
{
    public static ProblemException NotFound(string what, string id) =>
        new(404, "not_found", "Not found", $"No {what} with id '{id}'.");

    public static ProblemException Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(400, "validation_failed", "The request is not valid", "One or more fields are not valid.", errors);

    public static ProblemException Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Something shaped like a card number (13–19 digits passing the Luhn check) was sent; nothing of it is kept.</summary>
    public static ProblemException CardNumberNotAllowed(string advice) =>
        new(400, "card_number_not_allowed", "Card numbers are not accepted", "Obol never accepts raw card numbers. " + advice);

    public static ProblemException InvalidStateTransition(string detail) =>
        new(409, "invalid_state_transition", "Invalid state transition", detail);
}
