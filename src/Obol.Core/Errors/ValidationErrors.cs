namespace Obol.Core.Errors;

/// <summary>Collects per-field validation messages and throws one <c>validation_failed</c> problem for all.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public ValidationErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            messages = [];
            _errors[field] = messages;
        }

        messages.Add(message);
        return this;
    }

    /// <summary>
    /// Refuses U+0000 in a text field: PostgreSQL text cannot hold it, so it would fail its statement, and with it the
    /// request's whole unit of work, as an internal error.
    /// </summary>
    public ValidationErrors RefuseNulCharacter(string field, string? value) =>
        value?.Contains('\0', StringComparison.Ordinal) == true ? Add(field, "Cannot contain the character U+0000.") : this;

    /// <summary>As <see cref="RefuseNulCharacter(string, string?)"/>, for the keys and values of metadata.</summary>
    public ValidationErrors RefuseNulCharacter(string field, IReadOnlyDictionary<string, string>? metadata) =>
        metadata?.Any(m => m.Key.Contains('\0', StringComparison.Ordinal) || m.Value?.Contains('\0', StringComparison.Ordinal) == true) == true
            ? Add(field, "Keys and values cannot contain the character U+0000.")
            : this;

    /// <summary>
    /// Metadata, one rule for every object that carries it: at most <see cref="MaxMetadataKeys"/> keys of 1 to
    /// <see cref="MaxMetadataKeyLength"/> characters, each value a string of at most <see cref="MaxMetadataValueLength"/>
    /// characters, no U+0000 (which PostgreSQL cannot store) in either.
    /// </summary>
    public ValidationErrors Metadata(string field, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return this;
        }

        if (metadata.Count > MaxMetadataKeys)
        {
            Add(field, $"At most {MaxMetadataKeys} keys.");
        }

        foreach (var (key, value) in metadata)
        {
            if (key.Length is < 1 or > MaxMetadataKeyLength)
            {
                Add(field, $"Keys are 1 to {MaxMetadataKeyLength} characters.");
            }

            if (value is null || value.Length > MaxMetadataValueLength)
            {
                Add($"{field}.{key}", $"Values are strings of at most {MaxMetadataValueLength} characters.");
            }
        }

        return RefuseNulCharacter(field, metadata);
    }

    public const int MaxMetadataKeys = 50;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;

    public void ThrowIfAny()
    {
        if (!IsEmpty)
        {
            throw Problems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}
