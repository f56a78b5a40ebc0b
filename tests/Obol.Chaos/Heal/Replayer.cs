using Obol.Chaos.Client;
using Obol.Chaos.History;

namespace Obol.Chaos.Heal;

/// <summary>An acknowledged request sent again with its key after the heal, and what came back.</summary>
public sealed record ReplayResult(OperationResult Original, Exchange? Replay);

/// <summary>
/// Sends acknowledged requests again, same key and body, each to a node drawn from the seed: Obol must answer with
/// the stored response, byte for byte. The checker compares.
/// </summary>
public sealed class Replayer(NodeClients nodes)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<ReplayResult>> ReplayAsync(
        IReadOnlyList<OperationResult> acknowledged, int max, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var chosen = acknowledged.Count <= max
            ? acknowledged
            : acknowledged.OrderBy(o => o.IdempotencyKey, StringComparer.Ordinal).OrderBy(_ => random.Next()).Take(max).ToList();
        var targets = chosen.Select(_ => random.Next(nodes.Count)).ToList();
        using var gate = new SemaphoreSlim(8);
        return await Task.WhenAll(chosen.Select(async (operation, i) =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var exchange = await nodes.SendAsync((targets[i] + attempt) % nodes.Count, operation.PaymentIndex, OperationKind.Replay,
                        new HttpMethod(operation.Method), operation.Path, operation.IdempotencyKey, operation.Body, Timeout, cancellationToken);
                    if (exchange.Status is not (null or >= 500) || exchange.Status == 502)
                    {
                        return new ReplayResult(operation, exchange);
                    }
                }

                return new ReplayResult(operation, null);
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}
