using System.Security.Cryptography;
using System.Text;

namespace Obol.PspSimulator.Requests;

public enum IdempotencyOutcome
{
    /// <summary>First use of the key: run the request, then <see cref="IdempotencyStore.Complete"/> or <see cref="IdempotencyStore.Release"/>.</summary>
    Proceed,
    Replay,
    ParametersMismatch,
    InProgress,
}

public sealed record IdempotencyDecision(IdempotencyOutcome Outcome, PspResponse? Stored = null);

/// <summary>
/// Idempotency keys scoped to (PSP, API key). A key in flight answers "in progress" (Stripe 409, Adyen 422)
/// like the real PSPs do; a completed key replays the stored status and body.
/// </summary>
public sealed class IdempotencyStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(Psp, string, string), Entry> _entries = [];

    public static string Fingerprint(string method, string path, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var text = new StringBuilder().Append(method).Append(' ').Append(path).Append('\n');
        foreach (var (key, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public IdempotencyDecision Begin(Psp psp, string scope, string key, string fingerprint)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue((psp, scope, key), out var entry))
            {
                _entries[(psp, scope, key)] = new Entry(fingerprint, null);
                return new IdempotencyDecision(IdempotencyOutcome.Proceed);
            }

            if (!string.Equals(entry.Fingerprint, fingerprint, StringComparison.Ordinal))
            {
                return new IdempotencyDecision(IdempotencyOutcome.ParametersMismatch);
            }

            return entry.Response is null
                ? new IdempotencyDecision(IdempotencyOutcome.InProgress)
                : new IdempotencyDecision(IdempotencyOutcome.Replay, entry.Response);
        }
    }

    public void Complete(Psp psp, string scope, string key, PspResponse response)
    {
        lock (_gate)
        {
            _entries[(psp, scope, key)] = _entries[(psp, scope, key)] with { Response = response };
        }
    }

    /// <summary>Forget a key whose request had no effect, so a retry runs again.</summary>
    public void Release(Psp psp, string scope, string key)
    {
        lock (_gate)
        {
            _entries.Remove((psp, scope, key));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    private sealed record Entry(string Fingerprint, PspResponse? Response);
}
