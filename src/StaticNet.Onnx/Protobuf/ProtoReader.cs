using System;
using System.Buffers.Binary;
using System.Text;

namespace StaticNet.Onnx.Protobuf;

/// <summary>
/// Reads the fields of one protobuf message from a span, in order, checking every length against what is
/// left: truncated or malformed data throws <see cref="ProtoFormatException"/>, never reads out of range.
/// Usage: <c>while (reader.Next(out int field, out WireType type)) switch (field) { ... default: reader.Skip(type); }</c>.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Reads the next tag; false at the end of the message.</summary>
    public bool Next(out int field, out WireType type)
    {
        if (_position == _data.Length)
        {
            field = 0;
            type = default;
            return false;
        }
        ulong tag = Varint();
        ulong number = tag >> 3;
        if (number == 0 || number > 536_870_911)
            throw new ProtoFormatException($"field number {number} at byte {_position} is not valid");
        field = (int)number;
        type = (WireType)(tag & 7);
        return true;
    }

    /// <summary>A varint field's value, after checking that the field is one.</summary>
    public long Int64(WireType type)
    {
        Expect(type, WireType.Varint);
        return (long)Varint();
    }

    /// <summary>A 32-bit float field's value.</summary>
    public float Float(WireType type)
    {
        Expect(type, WireType.Fixed32);
        return BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    }

    /// <summary>A length-delimited field's bytes (a string, bytes, a nested message or a packed array).</summary>
    public ReadOnlySpan<byte> Bytes(WireType type)
    {
        Expect(type, WireType.LengthDelimited);
        ulong length = Varint();
        if (length > (ulong)(_data.Length - _position))
            throw new ProtoFormatException($"a field of {length} bytes at byte {_position} runs past the end of its message ({_data.Length - _position} bytes left)");
        return Take((int)length);
    }

    /// <summary>A string field, decoded as UTF-8 (invalid UTF-8 is an error).</summary>
    public string String(WireType type)
    {
        ReadOnlySpan<byte> bytes = Bytes(type);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtoFormatException($"a string field before byte {_position} is not valid UTF-8");
        }
    }

    /// <summary>
    /// Appends a repeated varint field to <paramref name="values"/>: either one element (unpacked, wire type 0)
    /// or a packed run (wire type 2); protobuf parsers must accept both.
    /// </summary>
    public void RepeatedInt64(WireType type, System.Collections.Generic.List<long> values)
    {
        if (type == WireType.Varint)
        {
            values.Add((long)Varint());
            return;
        }
        var packed = new ProtoReader(Bytes(type));
        while (packed._position < packed._data.Length)
            values.Add((long)packed.Varint());
    }

    /// <summary>Appends a repeated float field to <paramref name="values"/>, packed or not.</summary>
    public void RepeatedFloat(WireType type, System.Collections.Generic.List<float> values)
    {
        if (type == WireType.Fixed32)
        {
            values.Add(Float(type));
            return;
        }
        ReadOnlySpan<byte> packed = Bytes(type);
        if (packed.Length % 4 != 0)
            throw new ProtoFormatException($"a packed float field of {packed.Length} bytes is not a whole number of floats");
        for (int i = 0; i < packed.Length; i += 4)
            values.Add(BinaryPrimitives.ReadSingleLittleEndian(packed.Slice(i)));
    }

    /// <summary>Skips a field this code does not use.</summary>
    public void Skip(WireType type)
    {
        switch (type)
        {
            case WireType.Varint:
                Varint();
                break;
            case WireType.Fixed64:
                Take(8);
                break;
            case WireType.LengthDelimited:
                Bytes(type);
                break;
            case WireType.Fixed32:
                Take(4);
                break;
            default:
                throw new ProtoFormatException($"wire type {(int)type} before byte {_position} is not supported (groups are not used by ONNX)");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void Expect(WireType actual, WireType expected)
    {
        if (actual != expected)
            throw new ProtoFormatException($"a field has wire type {(int)actual} where {(int)expected} was expected");
    }

    private ulong Varint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position == _data.Length)
                throw new ProtoFormatException($"a varint runs past the end of its message at byte {_position}");
            byte b = _data[_position++];
            if (shift == 63 && b > 1)
                throw new ProtoFormatException($"a varint ending at byte {_position} is longer than 64 bits");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new ProtoFormatException($"a varint ending at byte {_position} is longer than 10 bytes");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
            throw new ProtoFormatException($"a field of {count} bytes at byte {_position} runs past the end of its message ({_data.Length - _position} bytes left)");
        ReadOnlySpan<byte> span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>Malformed protobuf data; the caller adds which file and which message.</summary>
internal sealed class ProtoFormatException(string problem) : Exception(problem);
