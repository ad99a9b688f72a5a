using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EdgeGuard.Journal;

/// <summary>
/// Makes the UUIDv7 ids of journaled events (RFC 9562): the event's Unix time in milliseconds in
/// the first 48 bits, then version 7, the variant and 74 random bits. Not thread-safe: the journal
/// calls it only while sequencing, under its append gate.
/// </summary>
/// <remarks>
/// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> reads its random bits from the kernel, one
/// <c>read</c> of <c>/dev/urandom</c> per id, and sequencing runs on the path an edge takes to the
/// office's PUBLISH. The bits here come from the same kind of source, the runtime's cryptographic
/// generator, fetched a few hundred ids at a time; the RFC asks for a CSPRNG so that ids are
/// hard to guess and unlikely to collide, and these are both.
/// </remarks>
internal sealed class EventIds
{
    private const int RandomBytesPerId = 10;
    private const int IdsPerRefill = 256;

    private readonly byte[] _random = new byte[RandomBytesPerId * IdsPerRefill];
    private int _used = RandomBytesPerId * IdsPerRefill;

    /// <summary>
    /// The id of an event that happened at <paramref name="at"/>; a time before 1970 cannot be
    /// encoded, so such an event (a badly set clock) gets the epoch rather than failing its batch.
    /// </summary>
    public Guid Next(DateTimeOffset at)
    {
        if (_used == _random.Length)
        {
            RandomNumberGenerator.Fill(_random);
            _used = 0;
        }

        Span<byte> id = stackalloc byte[16];
        var millis = at < DateTimeOffset.UnixEpoch ? 0 : at.ToUnixTimeMilliseconds();
        // 48 bits of milliseconds, big-endian: the top two bytes of the shifted long are dropped.
        BinaryPrimitives.WriteInt64BigEndian(id[..8], millis << 16);
        _random.AsSpan(_used, RandomBytesPerId).CopyTo(id[6..]);
        _used += RandomBytesPerId;
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7 over rand_a's top nibble
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // variant 10 over rand_b's top bits
        return new Guid(id, bigEndian: true);
    }
}
