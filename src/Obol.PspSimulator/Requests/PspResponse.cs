namespace Obol.PspSimulator.Requests;

/// <summary>
/// A rendered PSP response. <paramref name="Replayable"/> marks results an idempotency key may replay
/// (the endpoint ran); <paramref name="Hold"/> means the response must never reach the client.
/// </summary>
public sealed record PspResponse(int StatusCode, string Body, bool Replayable = true, bool Hold = false);
