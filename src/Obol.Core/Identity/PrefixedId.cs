using System.Security.Cryptography;

namespace Obol.Core.Identity;

/// <summary>
/// Creates opaque ids such as <c>pay_01jdq7x3k9…</c>: a type prefix, then 26 Crockford base32 characters
/// holding 48 bits of milliseconds since the Unix epoch followed by 80 random bits. Ids sort by creation
/// time (to the millisecond) both as strings and as bytes.
/// </summary>
public sealed class IdGenerator(TimeProvider clock)
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public string New(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var milliseconds = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);

        // 128 bits = 48-bit time + 80-bit randomness, written as 26 base32 characters (130 bits, top 2 zero).
        var high = (UInt128)(ulong)milliseconds << 80;
        UInt128 low = 0;
        foreach (var b in random)
        {
            low = (low << 8) | b;
        }

        return Format(prefix, high | low);
    }

    /// <summary>
    /// Writes a 128-bit id body (48-bit milliseconds, then 80 bits) after its prefix: the one encoding for every id,
    /// whether its low bits are random (<see cref="New"/>) or counted from a random start.
    /// </summary>
    public static string Format(string prefix, UInt128 value) =>
        string.Create(prefix.Length + 1 + 26, (prefix, value), static (chars, state) =>
        {
            state.prefix.AsSpan().CopyTo(chars);
            chars[state.prefix.Length] = '_';
            var body = chars[(state.prefix.Length + 1)..];
            var v = state.value;
            for (var i = body.Length - 1; i >= 0; i--)
            {
                body[i] = Alphabet[(int)(v & 31)];
                v >>= 5;
            }
        });

    /// <summary>
    /// The id of part <paramref name="index"/> (0–1023) of what <paramref name="parentId"/> names: the parent's body
    /// under <paramref name="prefix"/>, then the index as two more characters of the same alphabet. Parts sort with
    /// their parent and in index order, and the parent is known from the part's id.
    /// </summary>
    public static string Part(string prefix, string parentId, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, 1024);
        var bodyStart = parentId.IndexOf('_', StringComparison.Ordinal) + 1;
        return string.Create(prefix.Length + 1 + parentId.Length - bodyStart + 2, (prefix, parentId, bodyStart, index), static (chars, state) =>
        {
            state.prefix.AsSpan().CopyTo(chars);
            chars[state.prefix.Length] = '_';
            state.parentId.AsSpan(state.bodyStart).CopyTo(chars[(state.prefix.Length + 1)..]);
            chars[^2] = Alphabet[state.index >> 5];
            chars[^1] = Alphabet[state.index & 31];
        });
    }

    /// <summary>True when <paramref name="id"/> has the given prefix and a well-formed body.</summary>
    public static bool HasShape(string? id, string prefix)
    {
        if (id is null || id.Length != prefix.Length + 27 || !id.StartsWith(prefix, StringComparison.Ordinal) || id[prefix.Length] != '_')
        {
            return false;
        }

        foreach (var c in id.AsSpan(prefix.Length + 1))
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
