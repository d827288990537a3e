using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Training;

/// <summary>Optimizer state files: resuming is exact, and a bad file fails to load and changes nothing.</summary>
public sealed class OptimizerStateTests : IDisposable
{
    private const int Count = Net7x17x3Sce.ParameterCount;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-optimizer-" + Guid.NewGuid().ToString("N"));

    public OptimizerStateTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static IEnumerable<object[]> Names()
    {
        foreach (string name in new[] { "Sgd", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW" })
            yield return new object[] { name };
    }

    /// <summary>The optimizer used for training, with non-default hyper-parameters, and a differently configured fresh one to load into.</summary>
    private static Optimizer Create(string name, int count, bool fresh) => (name, fresh) switch
    {
        ("Sgd", false) => new Sgd(0.3f),
        ("Momentum", false) => new Momentum(count, 0.05f, 0.8f),
        ("Nesterov", false) => new Nesterov(count, 0.05f, 0.7f),
        ("AdaGrad", false) => new AdaGrad(count, 0.1f, 1e-6f),
        ("RMSProp", false) => new RMSProp(count, 0.01f, 0.95f, 1e-6f),
        ("Adam", false) => new Adam(count, 0.01f, 0.85f, 0.995f, 1e-7f),
        ("AdamW", false) => new AdamW(count, 0.01f, 0.85f, 0.995f, 1e-7f, 0.1f),
        ("Sgd", true) => new Sgd(),
        ("Momentum", true) => new Momentum(count),
        ("Nesterov", true) => new Nesterov(count),
        ("AdaGrad", true) => new AdaGrad(count),
        ("RMSProp", true) => new RMSProp(count),
        ("Adam", true) => new Adam(count),
        ("AdamW", true) => new AdamW(count),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// Training N steps straight through and training k steps, saving network and optimizer, loading both into
    /// fresh objects (other seed, other hyper-parameters) and training N − k steps give bit-identical weights.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Resuming_from_saved_network_and_optimizer_is_bit_identical_to_training_straight_through(string name)
    {
        const int total = 40, saveAt = 17;
        (float[] x, int[] labels) = Batches(total);

        var straight = new Net7x17x3Sce(batchCapacity: 4, seed: 11);
        Optimizer straightOptimizer = Create(name, Count, fresh: false);
        Train(straight, straightOptimizer, x, labels, 0, total);

        var first = new Net7x17x3Sce(batchCapacity: 4, seed: 11);
        Optimizer firstOptimizer = Create(name, Count, fresh: false);
        Train(first, firstOptimizer, x, labels, 0, saveAt);
        string networkPath = Path.Combine(_folder, "net.snet"), optimizerPath = Path.Combine(_folder, "optimizer.snos");
        NetworkFile.Save(first, networkPath);
        firstOptimizer.Save(optimizerPath);

        var resumed = new Net7x17x3Sce(batchCapacity: 4, seed: 99);
        Optimizer resumedOptimizer = Create(name, Count, fresh: true);
        NetworkFile.Load(resumed, networkPath);
        resumedOptimizer.Load(optimizerPath);
        Assert.Equal(saveAt, resumedOptimizer.StepCount);
        Assert.Equal(firstOptimizer.LearningRate, resumedOptimizer.LearningRate);
        Train(resumed, resumedOptimizer, x, labels, saveAt, total);

        Assert.Equal(Bits(straight.Parameters), Bits(resumed.Parameters));
        Assert.Equal(total, resumedOptimizer.StepCount);
        // And the state mattered: without it (a fresh optimizer) the weights differ.
        if (name != "Sgd")
        {
            var naive = new Net7x17x3Sce(batchCapacity: 4, seed: 99);
            NetworkFile.Load(naive, networkPath);
            Optimizer fresh = Create(name, Count, fresh: false);
            Train(naive, fresh, x, labels, saveAt, total);
            Assert.NotEqual(Bits(straight.Parameters), Bits(naive.Parameters));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_truncation_and_every_flipped_bit_fails_to_load_and_changes_nothing(string name)
    {
        Optimizer saved = Trained(name, 5, steps: 3);
        byte[] good = ToBytes(saved);
        Optimizer target = Trained(name, 5, steps: 1);
        byte[] before = ToBytes(target);

        for (int length = 0; length < good.Length; length++)
            AssertRejected(target, before, good.AsSpan(0, length).ToArray(), length == 0 ? "empty" : "truncated");
        for (int i = 0; i < good.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] bad = (byte[])good.Clone();
                bad[i] ^= (byte)(1 << bit);
                AssertRejected(target, before, bad, null);
            }
        }
        byte[] longer = new byte[good.Length + 1];
        good.CopyTo(longer, 0);
        AssertRejected(target, before, longer, "goes on after its end");

        Load(target, good);
        Assert.Equal(good, ToBytes(target));
    }

    [Fact]
    public void A_state_for_another_optimizer_or_another_size_fails_to_load()
    {
        Optimizer adam = Trained("Adam", 5, steps: 2);
        byte[] before = ToBytes(adam);
        AssertRejected(adam, before, ToBytes(Trained("AdamW", 5, steps: 2)), "it holds the state of AdamW, but this optimizer is Adam");
        AssertRejected(adam, before, ToBytes(Trained("Adam", 6, steps: 2)), "its state is for 6 parameters, but this optimizer was created for 5");
        Optimizer momentum = Trained("Momentum", 5, steps: 2);
        AssertRejected(momentum, ToBytes(momentum), ToBytes(Trained("Nesterov", 5, steps: 2)), "it holds the state of Nesterov, but this optimizer is Momentum");
        AssertRejected(momentum, ToBytes(momentum), Array.ConvertAll(new int[40], _ => (byte)'x'), "not a StaticNet optimizer state");
    }

    /// <summary>A file whose CRC is right but whose hyper-parameter is out of range (written here byte by byte) is rejected as the setter would reject it.</summary>
    [Theory]
    [InlineData(0, float.NaN, "LearningRate")]
    [InlineData(0, 0f, "LearningRate")]
    [InlineData(1, 1f, "Beta1")]
    [InlineData(2, 1.5f, "Beta2")]
    [InlineData(3, 0f, "Epsilon")]
    [InlineData(4, -0.1f, "WeightDecay")]
    public void A_hyper_parameter_out_of_range_fails_to_load(int index, float value, string property)
    {
        Optimizer adamW = Trained("AdamW", 4, steps: 2);
        byte[] before = ToBytes(adamW);
        byte[] bad = (byte[])before.Clone();
        int offset = 12 + "AdamW".Length + 4 + 4 * index; // magic, version, name length, name, count
        BinaryPrimitives.WriteSingleLittleEndian(bad.AsSpan(offset), value);
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(bad.Length - 4), NaiveCrc32(bad.AsSpan(0, bad.Length - 4)));
        AssertRejected(adamW, before, bad, $"Expected {property} to be");
    }

    [Fact]
    public void The_file_layout_is_the_documented_one()
    {
        var momentum = new Momentum(2, 0.5f, 0.25f);
        float[] p = { 1, 2 };
        momentum.Step(p, new float[] { 1, -2 }); // v = (-0.5, 1)
        byte[] bytes = ToBytes(momentum);
        Assert.Equal("SNOS"u8.ToArray(), bytes[..4]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(8, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal("Momentum"u8.ToArray(), bytes[12..20]);
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20)));
        Assert.Equal(0.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(24)));
        Assert.Equal(0.25f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(28)));
        Assert.Equal(1L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(40)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(44)));
        Assert.Equal(-0.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(48)));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(52)));
        Assert.Equal(60, bytes.Length);
        Assert.Equal(NaiveCrc32(bytes.AsSpan(0, 56)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(56)));
    }

    [Fact]
    public void Saving_to_a_path_replaces_the_file_whole_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_folder, "adam.snos");
        Optimizer adam = Trained("Adam", 50, steps: 1);
        adam.Save(path);
        adam.Step(new float[50], new float[50]);
        adam.Save(path);
        Assert.Equal(ToBytes(adam), File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));

        // A failed save (the destination is a folder) leaves what was there.
        string folder = Path.Combine(_folder, "a-folder");
        Directory.CreateDirectory(folder);
        Assert.Throws<IOException>(() => adam.Save(folder));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Assert.Throws<DirectoryNotFoundException>(() => adam.Save(Path.Combine(_folder, "missing", "x.snos")));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
        Assert.Throws<FileNotFoundException>(() => adam.Load(Path.Combine(_folder, "missing.snos")));
    }

    private static void AssertRejected(Optimizer target, byte[] before, byte[] file, string? message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(target, file));
        Assert.StartsWith("Cannot load the optimizer state from 'test.snos': ", e.Message);
        if (message is not null) Assert.Contains(message, e.Message);
        Assert.Equal(before, ToBytes(target));
    }

    private static void Load(Optimizer target, byte[] file)
    {
        using var stream = new MemoryStream(file);
        target.Load(stream, "test.snos");
    }

    private static byte[] ToBytes(Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        optimizer.Save(stream);
        return stream.ToArray();
    }

    private static Optimizer Trained(string name, int count, int steps)
    {
        Optimizer o = Create(name, count, fresh: false);
        float[] p = new float[count], g = new float[count];
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < count; i++) g[i] = (i + 1) * (s % 2 == 0 ? 0.5f : -0.25f);
            o.Step(p, g);
        }
        return o;
    }

    private static void Train(Net7x17x3Sce net, Optimizer optimizer, float[] x, int[] labels, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            net.Loss(x.AsSpan(step * 4 * 7, 4 * 7), labels.AsSpan(step * 4, 4));
            net.Backward();
            optimizer.Step(net.Parameters, net.Gradients);
        }
    }

    private static (float[], int[]) Batches(int steps)
    {
        var random = new Random64(3);
        float[] x = new float[steps * 4 * 7];
        int[] labels = new int[steps * 4];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextGaussian();
        for (int i = 0; i < labels.Length; i++) labels[i] = random.NextInt32(3);
        return (x, labels);
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        int[] bits = new int[values.Length];
        for (int i = 0; i < bits.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    /// <summary>CRC-32 (zlib) bit by bit, written from its definition, independent of the library's table.</summary>
    private static uint NaiveCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
