using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;
using Samples.Chapter6;
using Xunit;

namespace StaticNet.Tests.Samples;

/// <summary>
/// The Chapter6 sample: a short optimizer comparison on the built-in digits lowers the loss, and the plot it writes is a
/// valid PNG (signature, IHDR, every chunk's CRC-32 checked by an independent bitwise implementation, the image data
/// inflating to exactly one filter byte plus one RGB row per line).
/// </summary>
public sealed class Chapter6SampleTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-ch6-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Chapter6_short_optimizer_comparison_lowers_the_loss_and_writes_a_valid_png()
    {
        var (train, test) = Experiments.BuiltIn(seed: 1);
        var experiments = new Experiments(train, test, _folder, steps: 80, seed: 1, TextWriter.Null);
        var runs = experiments.CompareOptimizers(only: new[] { "SGD", "Adam" });

        Assert.Equal(2, runs.Count);
        foreach (Run run in runs)
        {
            double first = 0, last = 0;
            for (int i = 0; i < 10; i++) { first += run.Losses[i]; last += run.Losses[^(i + 1)]; }
            Assert.True(last < 0.8 * first, $"{run.Name}: the loss did not fall, {first / 10} over the first 10 steps, {last / 10} over the last 10");
            Assert.True(run.TestAccuracy > 0.5, $"{run.Name}: test accuracy {run.TestAccuracy} after 80 steps");
        }

        byte[] png = File.ReadAllBytes(Path.Combine(_folder, "optimizers.png"));
        (int width, int height) = CheckPng(png);
        Assert.Equal((720, 450), (width, height));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void Chapter6_BatchNorm_learns_where_small_weights_alone_do_not()
    {
        var (train, test) = Experiments.BuiltIn(seed: 1);
        var experiments = new Experiments(train, test, _folder, steps: 80, seed: 1, TextWriter.Null);
        var runs = experiments.CompareBatchNorm(epochs: 8);

        Run plain = runs.Find(r => r.Name == "STD 0.01")!, normalised = runs.Find(r => r.Name == "STD 0.01 + BN")!;
        // std 0.01 through five layers: the signal vanishes and the plain net stays near chance; BatchNorm rescales it.
        Assert.True(plain.TrainAccuracy < 0.3, $"std 0.01 without BatchNorm learned: {plain.TrainAccuracy}");
        Assert.True(normalised.TrainAccuracy > plain.TrainAccuracy + 0.3, $"BatchNorm {normalised.TrainAccuracy}, none {plain.TrainAccuracy}");
        CheckPng(File.ReadAllBytes(Path.Combine(_folder, "batch_norm.png")));
    }

    [Fact]
    public void Chapter6_png_encoder_round_trips_the_pixels()
    {
        var rgb = new byte[5 * 3 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 37);
        byte[] png = Png.Encode(rgb, 5, 3);
        Assert.Equal((5, 3), CheckPng(png, rgb));
        Assert.Throws<ArgumentException>(() => Png.Encode(rgb.AsSpan(1), 5, 3));
        Assert.Equal(0xCBF43926u, Png.Crc32(Encoding.ASCII.GetBytes("123456789"))); // the CRC-32 check value
    }

    /// <summary>Walks the chunks: returns IHDR's size; checks the pixels when <paramref name="expected"/> is given.</summary>
    private static (int Width, int Height) CheckPng(byte[] png, byte[]? expected = null)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int at = 8, width = 0, height = 0;
        var idat = new MemoryStream();
        string? type = null;
        bool first = true;
        while (at < png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            type = Encoding.ASCII.GetString(png, at + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(at + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.True(BitwiseCrc(png.AsSpan(at + 4, 4 + length)) == crc, $"chunk {type}: bad CRC");
            if (first)
            {
                Assert.Equal("IHDR", type);
                Assert.Equal(13, length);
                width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, data[8..].ToArray()); // 8 bits, RGB, deflate, filter 0, no interlace
                first = false;
            }
            if (type == "IDAT") idat.Write(data);
            at += 12 + length;
        }
        Assert.Equal("IEND", type);
        Assert.Equal(png.Length, at);

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        Assert.Equal(height * (1 + 3 * width), raw.Length);
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (1 + 3 * width)]);
            if (expected is not null)
                Assert.Equal(expected.AsSpan(y * 3 * width, 3 * width).ToArray(), raw.AsSpan(y * (1 + 3 * width) + 1, 3 * width).ToArray());
        }
        return (width, height);
    }

    // CRC-32 bit by bit (no table), as the PNG specification's sample code defines it before its table optimisation.
    private static uint BitwiseCrc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320 & (uint)-(int)(c & 1));
        }
        return ~c;
    }
}
