using System.Text.Json;
using Obol.Chaos.History;

namespace Obol.Chaos.Client;

/// <summary>How patient the client is. Its timeout is short on purpose: a killed node or a slow PSP makes the outcome ambiguous.</summary>
public sealed record ClientPolicy
{
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Longer than Obol's idempotency lease plus a node's restart, so a claim left by a killed node is taken over in time.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(45);

    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the first send, and a retry, goes to two nodes at once.</summary>
    public double DoubleSendFirst { get; init; } = 0.05;
    public double DoubleSendRetry { get; init; } = 0.15;
}

/// <summary>
/// A client that does what the API asks of one: it retries an unanswered or transiently failed request (timeout,
/// connection error, 5xx, 409 <c>idempotency_key_in_use</c>) with the same Idempotency-Key and body, usually on another
/// node, sometimes on two at once, until Obol answers definitely or its patience runs out (an ambiguous outcome).
/// </summary>
public sealed class RetryingClient(NodeClients nodes, RunHistory history, ClientPolicy policy)
{
    private enum Verdict
    {
        Retry,
        Rejected,
        Acknowledged,
    }

    public async Task<OperationResult> SendAsync(
        OperationKind kind, int paymentIndex, HttpMethod method, string path, string idempotencyKey, string? body, Random random,
        CancellationToken cancellationToken)
    {
        var started = history.Now;
        var sends = 0;
        var backoff = policy.FirstBackoff;
        for (var attempt = 0; ; attempt++)
        {
            var targets = Targets(random, attempt == 0 ? policy.DoubleSendFirst : policy.DoubleSendRetry);
            var answers = await Task.WhenAll(targets.Select(node =>
                nodes.SendAsync(node, paymentIndex, kind, method, path, idempotencyKey, body, policy.RequestTimeout, cancellationToken)));
            sends += answers.Length;
            var best = answers.MaxBy(a => (int)Classify(a))!;
            var verdict = Classify(best);
            if (verdict != Verdict.Retry)
            {
                var result = new OperationResult(kind, paymentIndex, method.Method, path, idempotencyKey, body,
                    verdict == Verdict.Acknowledged ? Resolution.Acknowledged : Resolution.Rejected, best, sends);
                history.Add(result);
                return result;
            }

            if (history.Now - started > policy.Patience || cancellationToken.IsCancellationRequested)
            {
                var result = new OperationResult(kind, paymentIndex, method.Method, path, idempotencyKey, body, Resolution.Ambiguous, null, sends);
                history.Add(result);
                return result;
            }

            var jittered = TimeSpan.FromMilliseconds(backoff.TotalMilliseconds * (0.5 + random.NextDouble()));
            await Task.Delay(jittered, cancellationToken);
            backoff = TimeSpan.FromMilliseconds(Math.Min(policy.MaxBackoff.TotalMilliseconds, backoff.TotalMilliseconds * 1.6));
        }
    }

    /// <summary>A read, retried on errors for a few seconds; null when no node answered.</summary>
    public async Task<Exchange?> GetAsync(OperationKind kind, int paymentIndex, string path, Random random, CancellationToken cancellationToken)
    {
        var deadline = history.Now + TimeSpan.FromSeconds(15);
        while (!cancellationToken.IsCancellationRequested)
        {
            var exchange = await nodes.SendAsync(random.Next(nodes.Count), paymentIndex, kind, HttpMethod.Get, path, null, null, policy.RequestTimeout,
                cancellationToken);
            if (exchange.Status is >= 200 and < 300)
            {
                return exchange;
            }

            if (history.Now > deadline)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 + random.Next(300)), cancellationToken);
        }

        return null;
    }

    private int[] Targets(Random random, double doubleSendRate)
    {
        var first = random.Next(nodes.Count);
        if (nodes.Count < 2 || random.NextDouble() >= doubleSendRate)
        {
            return [first];
        }

        var second = (first + 1 + random.Next(nodes.Count - 1)) % nodes.Count;
        return [first, second];
    }

    private static Verdict Classify(Exchange exchange) => exchange.Status switch
    {
        null => Verdict.Retry,
        >= 200 and < 300 => Verdict.Acknowledged,
        409 when ProblemCode(exchange.ResponseBody) == "idempotency_key_in_use" => Verdict.Retry,

        // A capture or cancel the PSP refused: Obol's stored, final answer (it carries the payment).
        502 when HasPayment(exchange.ResponseBody) => Verdict.Acknowledged,
        >= 500 => Verdict.Retry,
        _ => Verdict.Rejected,
    };

    public static string? ProblemCode(string? body)
    {
        try
        {
            using var document = JsonDocument.Parse(body ?? "");
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("code", out var code)
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool HasPayment(string? body)
    {
        try
        {
            using var document = JsonDocument.Parse(body ?? "");
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("payment", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
