namespace Obol.Payouts.Activity;

/// <summary>
/// An order id seen as a slice of the record it came in, so a batch can be checked for duplicates and
/// conflicts without allocating a string per record. Compared ordinally: order ids are case-sensitive.
/// </summary>
internal readonly struct OrderIdSlice(string source, int start, int length) : IEquatable<OrderIdSlice>
{
    /// <summary>The whole string the order id was sliced from.</summary>
    public string Source => source;

    public ReadOnlySpan<char> Span => source.AsSpan(start, length);

    public bool Equals(OrderIdSlice other) => Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is OrderIdSlice other && Equals(other);

    public override int GetHashCode() => string.GetHashCode(Span, StringComparison.Ordinal);

    public override string ToString() => Span.ToString();
}
