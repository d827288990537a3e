using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>
/// PyTorch's names and layouts for conv networks: a Conv2d weight <c>[out, in, kH, kW]</c> is StaticNet's
/// <c>W [F, C, K, K]</c> as it is, the module index counts pools and Flatten, and a conv weight of any other
/// shape (flat, transposed, another kernel) is rejected naming the tensor, with the network unchanged. The
/// files here are written by hand (header text and bytes), not by the library's writer.
/// </summary>
public class SafeTensorsConvTests
{
    // TorchStridedConv as PyTorch stores it: nn.Sequential(Conv2d(2, 3, 3, stride=2, padding=1), Tanh(),
    // AvgPool2d(2, stride=1), Flatten(), Linear(27, 4)): 0.weight [3, 2, 3, 3], 0.bias [3], 4.weight [4, 27], 4.bias [4].
    private static string Tensor(string name, string shape, int begin, int end) =>
        $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{shape}],\"data_offsets\":[{begin},{end}]}}";

    private static readonly string ConvWeight = Tensor("0.weight", "3,2,3,3", 0, 216);
    private static readonly string Rest = Tensor("0.bias", "3", 216, 228) + "," + Tensor("4.weight", "4,27", 228, 660) + "," + Tensor("4.bias", "4", 660, 676);
    private const int DataBytes = 676;

    /// <summary>8-byte little-endian length, the header, then float k = 0.5·(k + 1) for every 4 bytes of data.</summary>
    private static byte[] Build(string header, int dataBytes = DataBytes)
    {
        byte[] text = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + text.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)text.Length);
        text.CopyTo(file, 8);
        for (int i = 0; i < dataBytes / 4; i++)
            BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(8 + text.Length + 4 * i), 0.5f * (i + 1));
        return file;
    }

    private static byte[] WithConvWeight(string shape) => Build("{" + Tensor("0.weight", shape, 0, 216) + "," + Rest + "}");

    private static string Rejects(byte[] file, params string[] fragments)
    {
        var net = new TorchStridedConv(seed: 3);
        float[] before = net.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsNetwork.Load(net, new MemoryStream(file), "bad.safetensors"));
        Assert.Contains("'bad.safetensors'", error.Message);
        foreach (string fragment in fragments)
            Assert.Contains(fragment, error.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        return error.Message;
    }

    [Fact]
    public void Describe_numbers_modules_over_pools_and_Flatten_and_keeps_the_conv_layout()
    {
        IReadOnlyList<SafeTensorsParameter> p = SafeTensorsNetwork.Describe(new TorchSimpleConv());
        Assert.Equal(
            [
                "0.weight: Conv2d weight [4, 1, 3, 3] (W1 of Conv2D1)",
                "0.bias: Conv2d bias [4] (b1 of Conv2D1)",
                "4.weight: Linear weight [12, 64] (W2 of Dense2, transposed)",
                "4.bias: Linear bias [12] (b2 of Dense2)",
                "6.weight: Linear weight [3, 12] (W3 of Dense3, transposed)",
                "6.bias: Linear bias [3] (b3 of Dense3)",
            ],
            p.Select(q => q.ToString()));
        Assert.Equal([0, 0, 4, 4, 6, 6], p.Select(q => q.Module));

        // Two convolutions under a prefix: Conv2D1 is module 0, Conv2D2 module 2, Dense3 module 5.
        Assert.Equal(
            ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias", "model.5.weight", "model.5.bias"],
            SafeTensorsNetwork.Describe(new TorchTwoConvPrefixed(), SafeTensorsNaming.WithPrefix("model.")).Select(q => q.TensorName));
        Assert.Equal([2L, 4, 3, 3], SafeTensorsNetwork.Describe(new TorchTwoConvPrefixed())[2].Shape.ToArray());
    }

    [Fact]
    public void The_hand_written_file_loads_the_conv_weight_as_it_is_and_the_Linear_weight_transposed()
    {
        var net = new TorchStridedConv(seed: 3);
        SafeTensorsNetwork.Load(net, new MemoryStream(Build("{" + ConvWeight + "," + Rest + "}")), "good.safetensors");
        // Element k of the data is 0.5 (k + 1). 0.weight [F, C, kH, kW] row-major is W1 [F, C, K, K] row-major.
        Assert.Equal(Enumerable.Range(0, 54).Select(k => 0.5f * (k + 1)), net.W1.ToArray());
        Assert.Equal(Enumerable.Range(54, 3).Select(k => 0.5f * (k + 1)), net.b1.ToArray());
        // 4.weight [out = 4, in = 27] is W2 [in, out] transposed.
        for (int i = 0; i < 27; i++)
            for (int o = 0; o < 4; o++)
                Assert.Equal(0.5f * (57 + o * 27 + i + 1), net.W2[i * 4 + o]);
        Assert.Equal(Enumerable.Range(165, 4).Select(k => 0.5f * (k + 1)), net.b2.ToArray());

        // Saved again, the tensors are those of the file.
        SafeTensorsFile saved = SafeTensorsNetwork.ToFile(net);
        Assert.True(saved.TryGetTensor("0.weight", out SafeTensor w));
        Assert.Equal([3L, 2, 3, 3], w.Shape.ToArray());
        Assert.Equal(Enumerable.Range(0, 54).Select(k => 0.5f * (k + 1)), w.ToSingles());
    }

    [Fact]
    public void A_flat_conv_weight_is_rejected() =>
        Rejects(WithConvWeight("3,18"), "tensor '0.weight' has shape [3, 18]", "W1 of Conv2D1 needs [3, 2, 3, 3]", "Conv2d weight, PyTorch's [out, in, kH, kW]");

    [Fact]
    public void A_transposed_conv_weight_is_rejected() =>
        Rejects(WithConvWeight("2,3,3,3"), "tensor '0.weight' has shape [2, 3, 3, 3]", "needs [3, 2, 3, 3]");

    [Fact]
    public void A_conv_weight_in_Linears_layout_is_rejected() =>
        Rejects(WithConvWeight("18,3"), "tensor '0.weight' has shape [18, 3]", "needs [3, 2, 3, 3]");

    [Fact]
    public void A_conv_weight_of_another_kernel_is_rejected() =>
        Rejects(Build("{" + Tensor("0.weight", "3,2,1,1", 0, 24) + "," + Tensor("0.bias", "3", 24, 36) + "," +
                      Tensor("4.weight", "4,27", 36, 468) + "," + Tensor("4.bias", "4", 468, 484) + "}", 484),
            "tensor '0.weight' has shape [3, 2, 1, 1]", "needs [3, 2, 3, 3]");

    [Fact]
    public void A_conv_bias_of_the_wrong_length_is_rejected() =>
        Rejects(Build("{" + ConvWeight + "," + Tensor("0.bias", "4", 216, 232) + "," + Tensor("4.weight", "4,27", 232, 664) + "," + Tensor("4.bias", "4", 664, 680) + "}", 680),
            "tensor '0.bias' has shape [4]", "b1 of Conv2D1 needs [3]");

    [Fact]
    public void Linear_counted_without_the_parameterless_modules_is_missing_and_unexpected()
    {
        // Numbering only the layers with parameters (0, 1) instead of all modules (0, 4) is a common mistake.
        string message = Rejects(Build("{" + ConvWeight + "," + Tensor("0.bias", "3", 216, 228) + "," + Tensor("1.weight", "4,27", 228, 660) + "," + Tensor("1.bias", "4", 660, 676) + "}"),
            "tensor '4.weight' (Linear weight [4, 27], block W2 of Dense2) is missing", "tensor '1.weight' is unexpected");
        Assert.Contains("tensor '4.bias'", message);
    }
}
