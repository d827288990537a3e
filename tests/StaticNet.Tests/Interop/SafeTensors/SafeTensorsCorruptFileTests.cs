using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>
/// Every way a safetensors file can be wrong is rejected with a message naming the tensor and the problem,
/// and the network it was loaded into keeps exactly the parameters it had. The files are written by hand
/// here (header text and bytes), not by the library's writer.
/// </summary>
public class SafeTensorsCorruptFileTests
{
    // TorchMlp4x8x3 as PyTorch stores it: 0.weight [8, 4], 0.bias [8], 2.weight [3, 8], 2.bias [3].
    private const string Weight0 = "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[8,4],\"data_offsets\":[0,128]}";
    private const string Bias0 = "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[128,160]}";
    private const string Weight2 = "\"2.weight\":{\"dtype\":\"F32\",\"shape\":[3,8],\"data_offsets\":[160,256]}";
    private const string Bias2 = "\"2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[256,268]}";
    private const string ValidHeader = "{" + Weight0 + "," + Bias0 + "," + Weight2 + "," + Bias2 + "}";
    private const int ValidData = 268;

    /// <summary>8-byte little-endian length, the header, the data.</summary>
    private static byte[] Build(string header, int dataBytes, ulong? length = null)
    {
        byte[] text = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + text.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, length ?? (ulong)text.Length);
        text.CopyTo(file, 8);
        for (int i = 0; i < dataBytes / 4; i++)
            BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(8 + text.Length + 4 * i), 0.25f * (i + 1));
        return file;
    }

    private static byte[] Replace(string what, string with, int dataBytes = ValidData) => Build(ValidHeader.Replace(what, with, StringComparison.Ordinal), dataBytes);

    /// <summary>Loads <paramref name="file"/>, which must fail; checks the message and that the network is unchanged.</summary>
    private static string RejectsWith(byte[] file, Stream? stream = null, SafeTensorsNaming? naming = null, bool strict = true, params string[] fragments)
    {
        var net = new TorchMlp4x8x3(seed: 3);
        float[] before = net.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsNetwork.Load(net, stream ?? new MemoryStream(file), "bad.safetensors", naming, strict));
        Assert.Contains("'bad.safetensors'", error.Message);
        foreach (string fragment in fragments)
            Assert.Contains(fragment, error.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        return error.Message;
    }

    private static void Rejects(byte[] file, params string[] fragments) => RejectsWith(file, null, null, true, fragments);

    [Fact]
    public void The_hand_written_valid_file_loads_transposed()
    {
        var net = new TorchMlp4x8x3(seed: 3);
        SafeTensorsNetwork.Load(net, new MemoryStream(Build(ValidHeader, ValidData)), "good.safetensors");
        // Element k of the data is 0.25 (k + 1); 0.weight [out = 8, in = 4] row-major is W1[in, out] transposed.
        for (int i = 0; i < 4; i++)
            for (int o = 0; o < 8; o++)
                Assert.Equal(0.25f * (o * 4 + i + 1), net.W1[i * 8 + o]);
        Assert.Equal(Enumerable.Range(32, 8).Select(k => 0.25f * (k + 1)), net.b1.ToArray());
        for (int i = 0; i < 8; i++)
            for (int o = 0; o < 3; o++)
                Assert.Equal(0.25f * (40 + o * 8 + i + 1), net.W2[i * 3 + o]);
        Assert.Equal(Enumerable.Range(64, 3).Select(k => 0.25f * (k + 1)), net.b2.ToArray());
    }

    [Fact] public void Empty() => Rejects([], "the file is empty");

    [Fact] public void Truncated_in_the_header_length() => Rejects([0x10, 0, 0, 0, 0], "truncated", "8-byte header length");

    [Fact] public void Header_larger_than_the_limit() => Rejects(Build(ValidHeader, ValidData, length: 100_000_001), "100000001", "more than the 100000000 allowed");

    [Fact] public void Header_length_past_the_end() => Rejects(Build(ValidHeader, 0, length: 5000), "truncated", "5000");

    [Fact] public void Header_not_json() => Rejects(Build("{\"0.weight\":{\"dtype\":F32}}", 0), "not valid JSON");

    [Fact] public void Header_not_an_object() => Rejects(Build("[1, 2, 3]", 0), "does not start with '{'");

    [Fact] public void Header_cut_by_its_length() => Rejects(Build(ValidHeader, ValidData, length: 40), "not valid JSON");

    [Fact] public void Tensor_without_dtype() => Rejects(Replace("\"dtype\":\"F32\",\"shape\":[8],", "\"shape\":[8],"), "tensor '0.bias' has no 'dtype'");

    [Fact] public void Unknown_dtype() => Rejects(Replace("\"dtype\":\"F32\",\"shape\":[3]", "\"dtype\":\"F33\",\"shape\":[3]"), "tensor '2.bias'", "unknown dtype 'F33'");

    [Fact] public void Unknown_field() => Rejects(Replace("\"shape\":[3],", "\"shape\":[3],\"stride\":[1],"), "tensor '2.bias'", "unknown field 'stride'");

    [Fact] public void Negative_dimension() => Rejects(Replace("\"shape\":[8]", "\"shape\":[-8]"), "tensor '0.bias'", "-8", "not a non-negative");

    [Fact] public void Offsets_that_do_not_fit_the_shape() => Rejects(Replace("[128,160]", "[128,156]"), "tensor '0.bias'", "needs 32 bytes", "span 28");

    [Fact] public void Offsets_that_end_before_they_begin() => Rejects(Replace("[128,160]", "[160,128]"), "tensor '0.bias'", "end before they begin");

    [Fact]
    public void Offsets_past_the_end_of_the_data() =>
        Rejects(Replace("[256,268]", "[256,268]", dataBytes: 260), "truncated", "268 bytes of tensor data", "has 260", "'2.bias'");

    [Fact]
    public void A_gap_between_tensors() =>
        Rejects(Build("{" + Weight0 + ",\"0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[132,164]}}", 164), "tensor '0.bias' starts at byte 132", "'0.weight' ends at 128", "gap");

    [Fact]
    public void A_gap_before_the_first_tensor() =>
        Rejects(Build("{\"0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[4,36]}}", 36), "tensor '0.bias' starts at byte 4", "must start at 0");

    [Fact]
    public void Overlapping_tensors() =>
        Rejects(Build("{" + Weight0 + ",\"0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[124,156]}}", 156), "tensor '0.bias'", "overlaps '0.weight'");

    [Fact] public void Bytes_after_the_last_tensor() => Rejects(Build(ValidHeader, ValidData + 4), "4 bytes after the end of its last tensor ('2.bias'");

    [Fact] public void Truncated_data() => Rejects(Build(ValidHeader, ValidData - 6), "truncated", "'2.bias'");

    [Fact]
    public void Truncated_data_on_a_stream_that_cannot_seek()
    {
        byte[] file = Build(ValidHeader, ValidData - 6);
        RejectsWith(file, new ForwardOnlyStream(file), null, true, "truncated", "inside tensor '2.bias'");
    }

    [Fact]
    public void Bytes_after_the_last_tensor_on_a_stream_that_cannot_seek()
    {
        byte[] file = Build(ValidHeader, ValidData + 4);
        RejectsWith(file, new ForwardOnlyStream(file), null, true, "more bytes after the end of its last tensor ('2.bias'");
    }

    [Fact] public void The_same_tensor_twice() => Rejects(Build("{" + Bias0 + "," + Bias0 + "}", 160), "tensor '0.bias' twice");

    [Fact]
    public void Metadata_that_is_not_strings() =>
        Rejects(Build("{\"__metadata__\":{\"epochs\":3}," + ValidHeader[1..], ValidData), "'__metadata__' entry 'epochs'", "must be strings");

    [Fact]
    public void A_missing_tensor() =>
        Rejects(Build("{" + Weight0 + "," + Bias0 + "," + Weight2 + "}", 256), "tensor '2.bias'", "is missing", "b2 of Dense2");

    [Fact]
    public void An_unexpected_tensor() =>
        Rejects(Build(ValidHeader[..^1] + ",\"4.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[268,272]}}", 272), "tensor '4.weight' is unexpected", "strict: false");

    [Fact]
    public void A_weight_in_StaticNets_layout_instead_of_PyTorchs() =>
        Rejects(Replace("\"shape\":[8,4]", "\"shape\":[4,8]"), "tensor '0.weight' has shape [4, 8]", "W1 of Dense1 needs [8, 4]");

    [Fact]
    public void An_integer_parameter() =>
        Rejects(Replace("\"dtype\":\"F32\",\"shape\":[8]", "\"dtype\":\"I32\",\"shape\":[8]"), "tensor '0.bias' is I32", "float dtype");

    [Fact]
    public void Every_problem_is_named_at_once()
    {
        string message = RejectsWith(Build("{" + Weight0 + ",\"0.bias\":{\"dtype\":\"I32\",\"shape\":[8],\"data_offsets\":[128,160]},\"extra\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[160,164]}}", 164),
            null, null, true,
            "'0.bias' is I32", "'2.weight'", "'2.bias'", "'extra' is unexpected");
        Assert.Equal(4, message.Split("; ").Length);
    }

    [Fact]
    public void A_prefixed_file_under_the_Sequential_names() =>
        Rejects(Build(ValidHeader.Replace("\"0.", "\"model.0.").Replace("\"2.", "\"model.2."), ValidData), "tensor '0.weight'", "is missing", "'model.0.weight' is unexpected", "SafeTensorsNaming.WithPrefix(\"model.\")");

    [Fact]
    public void Not_strict_ignores_missing_and_extra_tensors_but_not_a_wrong_shape()
    {
        var net = new TorchMlp4x8x3(seed: 3);
        float[] b2 = net.b2.ToArray();
        byte[] file = Build("{" + Weight0 + "," + Bias0 + "," + Weight2 + ",\"head.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[256,268]}}", ValidData);
        SafeTensorsNetwork.Load(net, new MemoryStream(file), "partial.safetensors", strict: false);
        Assert.Equal(0.25f * 33, net.b1[0]);
        Assert.Equal(b2, net.b2.ToArray());

        RejectsWith(Replace("\"shape\":[3,8]", "\"shape\":[8,3]"), null, null, false, "'2.weight' has shape [8, 3]");
    }

    [Fact]
    public void BatchNorms_step_counter_is_ignored()
    {
        // num_batches_tracked: I64 scalar, as PyTorch's BatchNorm keeps it.
        byte[] file = Build(ValidHeader[..^1] + ",\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[268,276]}}", 276);
        var net = new TorchMlp4x8x3(seed: 3);
        SafeTensorsNetwork.Load(net, new MemoryStream(file), "bn.safetensors");
        Assert.Equal(0.25f * 33, net.b1[0]);
    }

    /// <summary>A stream that can only be read forward, a few bytes at a time.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 5));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
