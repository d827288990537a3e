using System;
using System.Buffers.Binary;
using System.Text;

namespace StaticNet.Onnx.Protobuf;

/// <summary>
/// Writes one protobuf message (proto2/proto3 wire format) into a growable buffer. A nested message is
/// written into its own <see cref="ProtoWriter"/> and added with <see cref="Message"/>, which prefixes its
/// length; that copies each nested message once per level, which is nothing next to the cost of building a
/// model, and keeps the writer a dozen lines.
/// </summary>
internal sealed class ProtoWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>A varint field (wire type 0): int32, int64, enum, bool.</summary>
    public void Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint((ulong)value);
    }

    /// <summary>A 32-bit float field (wire type 5).</summary>
    public void Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
    }

    /// <summary>A string field (wire type 2, UTF-8).</summary>
    public void String(int field, string value)
    {
        Tag(field, WireType.LengthDelimited);
        int count = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    /// <summary>A bytes field (wire type 2).</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian float32 (ONNX's <c>raw_data</c>).</summary>
    public void FloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)values.Length * 4);
        Span<byte> target = Reserve(values.Length * 4);
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(target.Slice(4 * i), values[i]);
    }

    /// <summary>A nested message field (wire type 2).</summary>
    public void Message(int field, ProtoWriter message) => Bytes(field, message.Written);

    private void Tag(int field, WireType type) => Varint(((ulong)field << 3) | (ulong)type);

    private void Varint(ulong value)
    {
        Span<byte> target = Reserve(10);
        int n = 0;
        while (value >= 0x80)
        {
            target[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        target[n++] = (byte)value;
        _length -= 10 - n;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            long wanted = Math.Max((long)_buffer.Length * 2, (long)_length + count);
            if (wanted > Array.MaxLength)
                throw new InvalidOperationException("The ONNX model would be larger than one array can hold (2 GB), the limit of the protobuf encoding.");
            Array.Resize(ref _buffer, (int)wanted);
        }
        Span<byte> span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}

/// <summary>The protobuf wire types this code reads and writes (groups, 3 and 4, are rejected).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}
