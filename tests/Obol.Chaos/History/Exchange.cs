namespace Obol.Chaos.History;

public enum OperationKind
{
    Create,
    Capture,
    Cancel,
    Refund,
    GetPayment,
    GetRefund,

    /// <summary>An acknowledged request sent again with its key after the run healed.</summary>
    Replay,
}

/// <summary>One HTTP request to one node and what came back (a status and body, or an error: timeout, refused, reset).</summary>
public sealed record Exchange(
    long Sequence,
    int PaymentIndex,
    OperationKind Kind,
    int Node,
    string Method,
    string Path,
    string? IdempotencyKey,
    string? RequestBody,
    int? Status,
    string? ResponseBody,
    bool Replayed,
    string? Error,
    TimeSpan SentAt,
    TimeSpan ReceivedAt)
{
    public bool Answered => Status is not null;
}

public enum Resolution
{
    /// <summary>A 2xx, or a stored refusal (a 502 with the payment): Obol said what it did.</summary>
    Acknowledged,

    /// <summary>A 4xx that Obol promises changed nothing.</summary>
    Rejected,

    /// <summary>No definite answer before the client gave up: the effect may or may not have happened.</summary>
    Ambiguous,
}

/// <summary>One logical client operation: a key and a body, sent until a definite answer or the client's patience ran out.</summary>
public sealed record OperationResult(
    OperationKind Kind,
    int PaymentIndex,
    string Method,
    string Path,
    string? IdempotencyKey,
    string? Body,
    Resolution Resolution,
    Exchange? Answer,
    int Sends);

/// <summary>What the nemesis did and when, relative to the start of the run.</summary>
public sealed record NemesisAction(string Kind, string Detail, TimeSpan At, TimeSpan? Until);
