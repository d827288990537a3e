using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Regularization;

/// <summary>
/// BatchNorm's running statistics in the network file: a network with State is saved as format version 2 (a state
/// section after the parameters), loads back exactly, and a corrupt or mismatched file leaves parameters and state as
/// they were; networks without State still write and read version 1.
/// </summary>
public sealed class BatchNormFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-batchnorm-file-tests-" + Guid.NewGuid().ToString("N"));

    public BatchNormFileTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static BatchNormDropoutNet Trained(int seed)
    {
        var net = new BatchNormDropoutNet(batchCapacity: 8, seed: seed);
        var sgd = new Sgd(0.1f);
        var labels = new int[8];
        for (int i = 0; i < 8; i++) labels[i] = i % 3;
        for (int step = 0; step < 5; step++)
        {
            net.Loss(BatchNormReference.Random(8 * 6, seed: seed * 100 + step, scale: 2, offset: 1), labels);
            net.Backward();
            sgd.Step(net);
        }
        return net;
    }

    [Fact]
    public void BatchNorm_running_statistics_are_saved_and_loaded_with_the_weights()
    {
        BatchNormDropoutNet trained = Trained(1);
        Assert.NotEqual(new float[] { 0, 0, 0, 0, 0 }, trained.RunningMean2.ToArray()); // training moved them
        string path = PathOf("bn.snet");
        NetworkFile.Save(trained, path);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        int architecture = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        int stateAt = 12 + architecture + 4 + 4 * BatchNormDropoutNet.ParameterCount;
        Assert.Equal(BatchNormDropoutNet.StateCount, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(stateAt)));
        Assert.Equal(stateAt + 4 + 4 * BatchNormDropoutNet.StateCount + 4, bytes.Length);
        Assert.Equal(trained.State[3], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(stateAt + 4 + 4 * 3)));

        var loaded = new BatchNormDropoutNet(batchCapacity: 8, seed: 2);
        NetworkFile.Load(loaded, path);
        Assert.Equal(trained.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(trained.State.ToArray(), loaded.State.ToArray());
        float[] x = BatchNormReference.Random(8 * 6, seed: 77);
        float[] a = new float[24], b = new float[24];
        trained.Forward(x, a);
        loaded.Forward(x, b);
        Assert.Equal(a, b); // inference depends on the running statistics: the same output
    }

    [Theory]
    [InlineData("state value")]
    [InlineData("state count")]
    [InlineData("truncated in the state")]
    [InlineData("a stateless version-1 file")]
    public void BatchNorm_a_corrupt_file_leaves_parameters_and_running_statistics_unchanged(string damage)
    {
        string path = PathOf("bn.snet");
        NetworkFile.Save(Trained(1), path);
        byte[] bytes = File.ReadAllBytes(path);
        int architecture = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        int stateAt = 12 + architecture + 4 + 4 * BatchNormDropoutNet.ParameterCount;
        switch (damage)
        {
            case "state value": bytes[stateAt + 4 + 13] ^= 0x40; break;
            case "state count": BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(stateAt), 11); break;
            case "truncated in the state": Array.Resize(ref bytes, stateAt + 4 + 8); break;
            case "a stateless version-1 file":
                // The same parameters as version 1, without a state section, with a correct CRC.
                bytes = WithoutState(bytes, stateAt);
                break;
        }
        File.WriteAllBytes(path, bytes);

        BatchNormDropoutNet net = Trained(3);
        float[] parameters = net.Parameters.ToArray(), state = net.State.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(net, path));
        Assert.Contains("bn.snet", e.Message);
        if (damage == "a stateless version-1 file") Assert.Contains("0 state values", e.Message);
        Assert.Equal(parameters, net.Parameters.ToArray());
        Assert.Equal(state, net.State.ToArray());
    }

    /// <summary>Rewrites a version-2 file as version 1: the state section dropped, the CRC-32 recomputed.</summary>
    private static byte[] WithoutState(byte[] v2, int stateAt)
    {
        var v1 = new byte[stateAt + 4];
        Array.Copy(v2, v1, stateAt);
        BinaryPrimitives.WriteUInt32LittleEndian(v1.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(v1.AsSpan(stateAt), Crc32(v1.AsSpan(0, stateAt)));
        return v1;
    }

    /// <summary>The zlib CRC-32, bit by bit (independent of the library's table-driven one).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void BatchNorm_networks_without_state_still_save_format_version_1()
    {
        var net = new Net784x100x10Sce(batchCapacity: 1, seed: 1);
        string path = PathOf("plain.snet");
        NetworkFile.Save(net, path);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(12 + Encoding.UTF8.GetByteCount(Net784x100x10Sce.Architecture) + 4 + 4 * Net784x100x10Sce.ParameterCount + 4, bytes.Length);
        Assert.Equal(0, ((INetwork)net).State.Length); // the interface's default: no state
        var other = new Net784x100x10Sce(batchCapacity: 1, seed: 2);
        NetworkFile.Load(other, path);
        Assert.Equal(net.Parameters.ToArray(), other.Parameters.ToArray());
    }
}
