using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EdgeGuard.Journal;

/// <summary>
/// The journal's hash chain: <c>hash = SHA-256(prev_hash || canonical bytes of the row)</c>, where
/// <c>prev_hash</c> is the previous row's hash (the genesis value, 32 zero bytes, before the first).
/// Editing, deleting or reordering a row breaks the chain where it happened.
/// </summary>
/// <remarks>
/// The canonical bytes are the stored column values, in this order and form (version 1; changing
/// any of it would make every existing journal fail verification, so it is fixed):
/// <c>seq</c>, <c>mono</c>, <c>drill</c> as 8-byte big-endian signed integers at their places in
/// the list <c>seq, id, ts, mono, type, point, zone, severity, drill, data</c>; every text as a
/// 4-byte big-endian byte length followed by its UTF-8 bytes, a null text as length
/// <c>0xFFFFFFFF</c> with no bytes. Lengths make the encoding unambiguous: moving characters from
/// one field to the next changes the bytes. Texts are hashed exactly as stored (<c>ts</c> with its
/// seven fractional digits), so an export can be checked without this code.
/// There is no key: anyone who can write the file can also recompute every hash after an edit.
/// The chain makes an edit, deletion or reordering detectable, not impossible; a key kept on the
/// same disk would not change that, a copy held elsewhere (the office's events) does.
/// </remarks>
public sealed class JournalChain
{
    /// <summary>Length of a hash in bytes (SHA-256).</summary>
    public const int HashLength = 32;

    private const uint NullText = uint.MaxValue;

    private static readonly byte[] GenesisHash = new byte[HashLength];

    private byte[] _buffer = new byte[1024];
    private int _length;

    /// <summary>The <c>prev_hash</c> of the first row of a chain: 32 zero bytes.</summary>
    public static ReadOnlySpan<byte> Genesis => GenesisHash;

    /// <summary>The hash of one row given the previous row's hash and the row's stored values.</summary>
    /// <param name="prevHash">The previous row's hash (or <see cref="Genesis"/>); any length is hashed as given.</param>
    /// <param name="row">The row's stored values.</param>
    /// <returns>32 bytes.</returns>
    /// <remarks>Not thread-safe: each thread uses its own instance (it reuses one buffer).</remarks>
    public byte[] Hash(ReadOnlySpan<byte> prevHash, in ChainedRow row)
    {
        _length = 0;
        Append(prevHash);
        AppendInt64(row.Seq);
        AppendText(row.Id);
        AppendText(row.Timestamp);
        AppendInt64(row.Monotonic);
        AppendText(row.Type);
        AppendText(row.Point);
        AppendText(row.Zone);
        AppendText(row.Severity);
        AppendInt64(row.Drill);
        AppendText(row.Data);
        return SHA256.HashData(_buffer.AsSpan(0, _length));
    }

    /// <summary>Lowercase hex of <paramref name="hash"/>, or <c>null</c>; how hashes are printed and exported.</summary>
    public static string? Hex(byte[]? hash) => hash is null ? null : Convert.ToHexStringLower(hash);

    private void AppendInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    private void AppendText(string? text)
    {
        Ensure(4);
        if (text is null)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), NullText);
            _length += 4;
            return;
        }

        var count = Encoding.UTF8.GetByteCount(text);
        Ensure(4 + count);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), (uint)count);
        _length += 4;
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
        }
    }
}

/// <summary>The stored values of one event row that its hash covers, exactly as in the <c>events</c> table.</summary>
/// <param name="Seq">Sequence number.</param>
/// <param name="Id">UUIDv7 text.</param>
/// <param name="Timestamp">ISO-8601 text as stored.</param>
/// <param name="Monotonic">Monotonic ticks.</param>
/// <param name="Type">Event type.</param>
/// <param name="Point">Point, or null.</param>
/// <param name="Zone">Zone, or null.</param>
/// <param name="Severity">Severity text.</param>
/// <param name="Drill">0 or 1 as stored.</param>
/// <param name="Data">Data JSON text as stored.</param>
public readonly record struct ChainedRow(
    long Seq,
    string Id,
    string Timestamp,
    long Monotonic,
    string Type,
    string? Point,
    string? Zone,
    string Severity,
    long Drill,
    string Data);
