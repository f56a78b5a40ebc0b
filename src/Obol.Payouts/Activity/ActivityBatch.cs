using System.Buffers;
using System.Globalization;

namespace Obol.Payouts.Activity;

/// <summary>
/// The parsed records of one <c>AddDeliveryActivity</c> call, in a pooled buffer. Parsing happens
/// before any dasher lock is taken, so the caller's enumerable never runs under our lock.
/// </summary>
internal sealed class ActivityBatch : IDisposable
{
    private const int UnknownCountCapacity = 16;
    private const int MaxRecordCharsInMessage = 120;

    private DeliveryActivity[] _buffer;

    private ActivityBatch(DeliveryActivity[] buffer, int count)
    {
        _buffer = buffer;
        Count = count;
    }

    public int Count { get; }

    public ReadOnlySpan<DeliveryActivity> Activities => _buffer.AsSpan(0, Count);

    /// <exception cref="ArgumentException">A record is malformed; the message names it.</exception>
    public static ActivityBatch Parse(IEnumerable<string> records, string paramName)
    {
        var capacity = records.TryGetNonEnumeratedCount(out var known) ? known : UnknownCountCapacity;
        var buffer = ArrayPool<DeliveryActivity>.Shared.Rent(capacity);
        var count = 0;
        try
        {
            foreach (var record in records)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<DeliveryActivity>.Shared.Rent(checked(buffer.Length * 2));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    Release(buffer, count);
                    buffer = larger;
                }

                if (!DeliveryActivity.TryParse(record, out buffer[count], out var error))
                {
                    throw Rejected(count, record, error, paramName);
                }

                count++;
            }
        }
        catch
        {
            Release(buffer, count);
            throw;
        }

        return new ActivityBatch(buffer, count);
    }

    public static ArgumentException Rejected(int index, string? record, string reason, string paramName) =>
        new(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Delivery activity record #{index} {Quote(record)} was rejected: {reason}. Nothing from this call was applied."),
            paramName);

    public void Dispose()
    {
        Release(_buffer, Count);
        _buffer = [];
    }

    private static string Quote(string? record) => record switch
    {
        null => "(null)",
        { Length: > MaxRecordCharsInMessage } => $"'{record.AsSpan(0, MaxRecordCharsInMessage)}…' ({record.Length} chars)",
        _ => $"'{record}'",
    };

    // The buffer holds the caller's strings; clear them so the shared pool does not keep them alive.
    private static void Release(DeliveryActivity[] buffer, int count)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        buffer.AsSpan(0, count).Clear();
        ArrayPool<DeliveryActivity>.Shared.Return(buffer);
    }
}
