using System.Security.Cryptography;

namespace Obol.Ledger.Booking;

/// <summary>
/// The ids of one booking, in <see cref="Core.Identity.IdGenerator"/>'s format (a prefix, '_', 26 Crockford
/// base32 characters: 48 bits of milliseconds, then 80 bits) but consecutive: the 80 bits start at a random
/// value (top bit clear, so 2^79 ids fit) and count up. Within a booking every id is larger than the one
/// before, so PostgreSQL appends the booking's transactions (and the transfers, whose ids derive from them) to the
/// right-hand edge of their indexes instead of scattering them, and one random draw serves a whole bulk booking. Ids stay unique:
/// two bookings in the same millisecond would need random starts within a batch's length of each other.
/// </summary>
internal sealed class SequentialIds
{
    private readonly UInt128 _time;
    private UInt128 _next;

    public SequentialIds(DateTimeOffset now)
    {
        _time = (UInt128)(ulong)now.ToUnixTimeMilliseconds() << 80;
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        random[0] &= 0x7F;
        foreach (var b in random)
        {
            _next = (_next << 8) | b;
        }
    }

    public string Next(string prefix) => Core.Identity.IdGenerator.Format(prefix, _time | _next++);
}
