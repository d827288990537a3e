using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>The tensor reader and writer, the namings, round trips of networks, and saving atomically.</summary>
public sealed class SafeTensorsApiTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-safetensors-tests-" + Guid.NewGuid().ToString("N"));

    public SafeTensorsApiTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static SafeTensorsFile RoundTrip(SafeTensorsFile file)
    {
        var stream = new MemoryStream();
        file.Write(stream);
        return SafeTensorsFile.Read(new MemoryStream(stream.ToArray()), "memory");
    }

    [Fact]
    public void Every_dtype_scalars_empty_tensors_odd_names_and_metadata_round_trip()
    {
        var tensors = new List<SafeTensor>();
        var random = new Random(5);
        foreach (SafeTensorsDType dtype in Enum.GetValues<SafeTensorsDType>())
        {
            byte[] data = new byte[6 * SafeTensorsDTypes.ElementSize(dtype)];
            random.NextBytes(data);
            tensors.Add(new SafeTensor("t." + SafeTensorsDTypes.Name(dtype), dtype, [2, 3], data));
        }
        tensors.Add(new SafeTensor("scalar", SafeTensorsDType.I64, [], BitConverter.GetBytes(42L)));
        tensors.Add(new SafeTensor("empty", SafeTensorsDType.F32, [0, 5], []));
        tensors.Add(SafeTensor.FromSingles("quote\" back\\slash\nnew line é 名", [2], [1.5f, -2f]));
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "tab\there \"quoted\" \u0001 ü" };

        SafeTensorsFile back = RoundTrip(new SafeTensorsFile(tensors, metadata));

        Assert.Equal(metadata, back.Metadata);
        Assert.Equal(tensors.Count, back.Tensors.Count);
        foreach (SafeTensor t in tensors)
        {
            Assert.True(back.TryGetTensor(t.Name, out SafeTensor b), t.Name);
            Assert.Equal(t.DType, b.DType);
            Assert.Equal(t.Shape.ToArray(), b.Shape.ToArray());
            Assert.Equal(t.Data.ToArray(), b.Data.ToArray());
        }
        Assert.Equal(1, back["scalar"].ElementCount);
        Assert.Equal(0, back["empty"].ElementCount);
    }

    [Fact]
    public void The_header_is_padded_to_8_bytes_and_is_JSON_another_parser_reads()
    {
        var stream = new MemoryStream();
        new SafeTensorsFile([SafeTensor.FromSingles("w", [3], [1, 2, 3])], new Dictionary<string, string> { ["a"] = "b" }).Write(stream);
        byte[] bytes = stream.ToArray();
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        Assert.Equal(8 + n + 12, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("{\"__metadata__\":{\"a\":\"b\"},\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", header.TrimEnd(' '));
        using var json = System.Text.Json.JsonDocument.Parse(header);
        Assert.Equal(12, json.RootElement.GetProperty("w").GetProperty("data_offsets")[1].GetInt32());
    }

    [Fact]
    public void Half_bfloat16_and_double_convert_to_float()
    {
        // Bit patterns with known values (IEEE 754 binary16; bfloat16 = high half of a binary32).
        ushort[] half = [0x3C00, 0xC000, 0x3555, 0x0001, 0x7C00];
        float[] halfValues = [1f, -2f, 0.333251953125f, 5.9604644775390625e-8f, float.PositiveInfinity];
        ushort[] bf16 = [0x3F80, 0xC040, 0x4049, 0x0000, 0xFF80];
        float[] bf16Values = [1f, -3f, 3.140625f, 0f, float.NegativeInfinity];
        double[] doubles = [0.1, -1e300, 1e-50, 2.5];
        float[] doubleValues = [0.1f, float.NegativeInfinity, 0f, 2.5f];

        static byte[] Bytes(ushort[] bits) => bits.SelectMany(b => new[] { (byte)b, (byte)(b >> 8) }).ToArray();
        Assert.Equal(halfValues, new SafeTensor("h", SafeTensorsDType.F16, [5], Bytes(half)).ToSingles());
        Assert.Equal(bf16Values, new SafeTensor("b", SafeTensorsDType.BF16, [5], Bytes(bf16)).ToSingles());
        Assert.Equal(doubleValues, new SafeTensor("d", SafeTensorsDType.F64, [4], doubles.SelectMany(BitConverter.GetBytes).ToArray()).ToSingles());
    }

    [Fact]
    public void Bad_tensors_are_refused_with_the_expected_size()
    {
        var e = Assert.Throws<ArgumentException>(() => new SafeTensor("w", SafeTensorsDType.F32, [2, 3], new byte[20]));
        Assert.Contains("needs 24 bytes", e.Message);
        e = Assert.Throws<ArgumentException>(() => SafeTensor.FromSingles("w", [2, 3], new float[5]));
        Assert.Contains("holds 6 elements", e.Message);
        Assert.Throws<ArgumentException>(() => SafeTensor.FromSingles("__metadata__", [1], [1f]));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromSingles("", [1], [1f]));
        Assert.Throws<ArgumentException>(() => new SafeTensorsFile([SafeTensor.FromSingles("w", [1], [1f]), SafeTensor.FromSingles("w", [1], [2f])]));

        var ints = new SafeTensor("n", SafeTensorsDType.I64, [], new byte[8]);
        Assert.Contains("I64", Assert.Throws<InvalidOperationException>(() => ints.ToSingles()).Message);
        var floats = SafeTensor.FromSingles("f", [3], [1, 2, 3]);
        Assert.Contains("exactly 3", Assert.Throws<ArgumentException>(() => floats.CopyTo(new float[4])).Message);
        Assert.Contains("'nope'", Assert.Throws<KeyNotFoundException>(() => new SafeTensorsFile([floats])["nope"]).Message);
    }

    [Fact]
    public void A_network_round_trips_through_a_file_and_weights_are_stored_transposed()
    {
        var net = new Net784x100x10Sce(seed: 1);
        string path = Path.Combine(_folder, "net.safetensors");
        SafeTensorsNetwork.Save(net, path);

        SafeTensorsFile file = SafeTensorsFile.Read(path);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], file.Tensors.Select(t => t.Name));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal([100L, 784L], file["0.weight"].Shape.ToArray());
        float[] w = file["0.weight"].ToSingles();
        for (int i = 0; i < 784; i += 37)
            for (int o = 0; o < 100; o += 7)
                Assert.Equal(net.W1[i * 100 + o], w[o * 784 + i]);

        var other = new Net784x100x10Sce(seed: 2);
        Assert.NotEqual(net.Parameters.ToArray(), other.Parameters.ToArray());
        SafeTensorsNetwork.Load(other, path);
        Assert.Equal(net.Parameters.ToArray(), other.Parameters.ToArray());
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void Module_indices_count_activations_and_skip_the_loss()
    {
        // Input(5) Dense(9) ReLU Dense(9) Tanh Dense(9) Sigmoid Dense(4) Softmax MeanSquaredError
        IReadOnlyList<SafeTensorsParameter> p = SafeTensorsNetwork.Describe(new DeepNet());
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"], p.Select(q => q.TensorName));
        Assert.Equal([4L, 9L], p[6].Shape.ToArray());
        Assert.True(p[6].Transposed);
        Assert.False(p[7].Transposed);
        Assert.Equal("Linear", p[0].ModuleType);
        Assert.Equal("6.weight: Linear weight [4, 9] (W4 of Dense4, transposed)", p[6].ToString());

        // Input(6) Tanh Dense(5) ReLU Sigmoid Dense(3) SoftmaxCrossEntropy: Tanh is module 0.
        Assert.Equal(["1.weight", "1.bias", "4.weight", "4.bias"], SafeTensorsNetwork.Describe(new ActivationFirstNet()).Select(q => q.TensorName));
    }

    [Fact]
    public void Prefix_map_and_custom_namings()
    {
        var net = new TorchMlp4x8x3(seed: 1);
        Assert.Equal(["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"],
            SafeTensorsNetwork.Describe(net, SafeTensorsNaming.WithPrefix("model.")).Select(p => p.TensorName));

        var map = SafeTensorsNaming.FromMap(new Dictionary<string, string> { ["W1"] = "fc1.weight", ["b1"] = "fc1.bias" }, prefix: "head.");
        Assert.Equal(["fc1.weight", "fc1.bias", "head.2.weight", "head.2.bias"], SafeTensorsNetwork.Describe(net, map).Select(p => p.TensorName));

        var custom = SafeTensorsNaming.Custom(p => $"layers.{p.Module / 2}.{p.Attribute}");
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"], SafeTensorsNetwork.Describe(net, custom).Select(p => p.TensorName));

        // Saved under a naming, the file loads under it, and not under another.
        var stream = new MemoryStream();
        SafeTensorsNetwork.Save(net, stream, map);
        var other = new TorchMlp4x8x3(seed: 2);
        SafeTensorsNetwork.Load(other, new MemoryStream(stream.ToArray()), "mapped", map);
        Assert.Equal(net.Parameters.ToArray(), other.Parameters.ToArray());
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsNetwork.Load(new TorchMlp4x8x3(), new MemoryStream(stream.ToArray()), "mapped"));
        Assert.Contains("'0.weight'", error.Message);
        Assert.Contains("'fc1.weight' is unexpected", error.Message);
    }

    [Fact]
    public void Namings_that_cannot_work_are_refused()
    {
        var net = new TorchMlp4x8x3();
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsNetwork.Describe(net, SafeTensorsNaming.FromMap(new Dictionary<string, string> { ["W9"] = "x" })));
        Assert.Contains("'W9'", e.Message);
        Assert.Contains("W1, b1, W2, b2", e.Message);
        e = Assert.Throws<ArgumentException>(() => SafeTensorsNetwork.Describe(net, SafeTensorsNaming.Custom(p => "same")));
        Assert.Contains("the same name 'same'", e.Message);
        Assert.Throws<ArgumentException>(() => SafeTensorsNetwork.Describe(net, SafeTensorsNaming.Custom(p => "")));
        Assert.Throws<ArgumentException>(() => SafeTensorsNaming.FromMap(new Dictionary<string, string> { ["W1"] = "" }));
    }

    [Fact]
    public void A_failed_save_leaves_the_old_file_and_no_temporary_file()
    {
        string path = Path.Combine(_folder, "keep.safetensors");
        var net = new TorchMlp4x8x3(seed: 1);
        SafeTensorsNetwork.Save(net, path);
        byte[] before = File.ReadAllBytes(path);

        // Half the file written, then a failure: the destination still holds the complete old file.
        var file = SafeTensorsNetwork.ToFile(new TorchMlp4x8x3(seed: 2));
        Assert.Throws<IOException>(() => SafeTensorsFile.SaveAtomically(path, file, static (f, stream) =>
        {
            var bytes = new MemoryStream();
            f.Write(bytes);
            stream.Write(bytes.ToArray(), 0, (int)bytes.Length / 2);
            stream.Flush();
            throw new IOException("simulated failure while writing");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["keep.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName));

        Assert.Throws<IOException>(() => file.Save(_folder));
        Assert.ThrowsAny<IOException>(() => file.Save(Path.Combine(_folder, "no", "such", "folder.safetensors")));
        Assert.Equal(["keep.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }
}
