using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Stripe;

/// <summary>
/// A form-encoded Stripe request body, keys as sent (<c>metadata[order]</c>, <c>expand[0]</c>).
/// Parsing errors come back as Stripe's 400 <c>invalid_request_error</c> with <c>param</c>.
/// </summary>
public sealed class StripeForm
{
    private readonly Dictionary<string, string> _values;

    private StripeForm(Dictionary<string, string> values) => _values = values;

    public IReadOnlyDictionary<string, string> Values => _values;

    public static async Task<(StripeForm? Form, PspResponse? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Query)
        {
            values[key] = value.Count > 0 ? value[^1] ?? string.Empty : string.Empty;
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            foreach (var (key, value) in form)
            {
                values[key] = value.Count > 0 ? value[^1] ?? string.Empty : string.Empty;
            }
        }
        else if (request.ContentLength > 0)
        {
            return (null, StripeErrors.InvalidRequest(
                null,
                "Invalid request: the body must be application/x-www-form-urlencoded."));
        }

        foreach (var (key, value) in values)
        {
            if (CardNumberDetector.ContainsCardNumber(key) || CardNumberDetector.ContainsCardNumber(value))
            {
                return (null, StripeErrors.CardNumber(CardNumberDetector.ContainsCardNumber(key) ? "(redacted)" : key));
            }
        }

        return (new StripeForm(values), null);
    }

    /// <summary>The first key that is neither listed nor under one of the listed <c>prefix[</c> hashes.</summary>
    public string? UnknownParameter(IReadOnlySet<string> known, IReadOnlyList<string> hashPrefixes) =>
        _values.Keys
            .Where(k => !known.Contains(k) && !hashPrefixes.Any(p => k.StartsWith(p + "[", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();

    public string? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;

    public ImmutableSortedDictionary<string, string> Hash(string name)
    {
        var prefix = name + "[";
        return _values
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Key.EndsWith(']'))
            .ToImmutableSortedDictionary(kv => kv.Key[prefix.Length..^1], kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>Whether <c>expand[]</c> names <paramref name="path"/>.</summary>
    public bool Expands(string path) => Hash("expand").Values.Contains(path, StringComparer.Ordinal);

    /// <summary>A positive integer parameter; absent gives null.</summary>
    public (long? Value, PspResponse? Error) PositiveInteger(string key)
    {
        if (Get(key) is not { } raw)
        {
            return (null, null);
        }

        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return (null, StripeErrors.InvalidRequest("parameter_invalid_integer", $"Invalid integer: {raw}", key));
        }

        if (value < 1 || value > 99_999_999)
        {
            return (null, StripeErrors.InvalidRequest(
                value < 1 ? "amount_too_small" : "amount_too_large",
                "Amount must be between 1 and 99999999 minor units.",
                key));
        }

        return (value, null);
    }

    public (bool? Value, PspResponse? Error) Boolean(string key)
    {
        return Get(key) switch
        {
            null => (null, null),
            "true" => (true, null),
            "false" => (false, null),
            var other => (null, StripeErrors.InvalidRequest("parameter_invalid_boolean", $"Invalid boolean: {other}", key)),
        };
    }

    public string Fingerprint(string method, string path) => IdempotencyStore.Fingerprint(method, path, _values);
}
