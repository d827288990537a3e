using System;
using System.Collections.Generic;
using StaticNet.Onnx.Protobuf;
using Xunit;

namespace StaticNet.Onnx.Tests;

/// <summary>The hand-written protobuf writer and reader, against encodings worked out by hand from the wire-format spec.</summary>
public class ProtobufTests
{
    [Theory]
    [InlineData(0L, new byte[] { 0x08, 0x00 })]
    [InlineData(1L, new byte[] { 0x08, 0x01 })]
    [InlineData(127L, new byte[] { 0x08, 0x7F })]
    [InlineData(128L, new byte[] { 0x08, 0x80, 0x01 })]
    [InlineData(300L, new byte[] { 0x08, 0xAC, 0x02 })]
    [InlineData(-1L, new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // int64 −1: ten bytes
    public void VarintsEncodeAsTheSpecSaysAndReadBack(long value, byte[] encoded)
    {
        var w = new ProtoWriter();
        w.Int64(1, value);
        Assert.Equal(encoded, w.Written.ToArray());

        var r = new ProtoReader(encoded);
        Assert.True(r.Next(out int field, out WireType type));
        Assert.Equal((1, WireType.Varint), (field, type));
        Assert.Equal(value, r.Int64(type));
        Assert.False(r.Next(out _, out _));
    }

    [Fact]
    public void StringsFloatsAndNestedMessagesEncodeAsTheSpecSays()
    {
        var inner = new ProtoWriter();
        inner.Float(1, 1f);                 // tag 0x0D, then 00 00 80 3F
        var w = new ProtoWriter();
        w.String(2, "ab");                  // tag 0x12, length 2
        w.Message(3, inner);                // tag 0x1A, length 5
        Assert.Equal(new byte[] { 0x12, 0x02, (byte)'a', (byte)'b', 0x1A, 0x05, 0x0D, 0x00, 0x00, 0x80, 0x3F }, w.Written.ToArray());
    }

    [Fact]
    public void UnknownFieldsOfEveryWireTypeAreSkipped()
    {
        // field 9 fixed64, field 10 fixed32, field 11 bytes, field 12 varint, then field 1 (ir_version) = 8
        byte[] data = [0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x55, 1, 2, 3, 4, 0x5A, 0x02, 0xAA, 0xBB, 0x60, 0x96, 0x01, 0x08, 0x08];
        Assert.Equal(8, ModelProto.Read(data).IrVersion);
    }

    [Fact]
    public void PackedAndUnpackedRepeatedFieldsBothRead()
    {
        // TensorProto dims (field 1): unpacked 2, 3 then packed [4, 300]
        byte[] data = [0x08, 0x02, 0x08, 0x03, 0x0A, 0x03, 0x04, 0xAC, 0x02];
        Assert.Equal(new List<long> { 2, 3, 4, 300 }, TensorProto.Read(data).Dims);
    }

    [Theory]
    [InlineData(new byte[] { 0x08 })]                          // a tag and no value
    [InlineData(new byte[] { 0x12, 0x05, 0x61 })]              // a length past the end
    [InlineData(new byte[] { 0x0D, 0x00, 0x00 })]              // a float cut short
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })] // a varint over 64 bits
    [InlineData(new byte[] { 0x00, 0x00 })]                    // field number 0
    [InlineData(new byte[] { 0x12, 0x01, 0xFF })]              // producer_name not UTF-8
    public void MalformedDataThrowsProtoFormatException(byte[] data)
    {
        Assert.Throws<ProtoFormatException>(() => ModelProto.Read(data));
    }
}
