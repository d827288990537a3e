using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using Xunit;

namespace StaticNet.Tests.Serialization;

/// <summary>Tests of <see cref="NetworkFile"/> with a hand-written <see cref="INetwork"/>.</summary>
public sealed class NetworkFileTests : IDisposable
{
    private const string TwoLayer50 = "Input(784) Dense(50) Sigmoid Dense(10) SoftmaxCrossEntropy";
    private const string TwoLayer100 = "Input(784) Dense(100) ReLU Dense(10) SoftmaxCrossEntropy";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "staticnet-networkfile-tests-" + Guid.NewGuid().ToString("N"));

    public NetworkFileTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A network that only has parameters: enough for saving and loading.</summary>
    private sealed class FakeNetwork : INetwork
    {
        private readonly float[] _parameters;
        private readonly float[] _gradients;

        public FakeNetwork(string architecture, int parameterCount, int seed = 0)
        {
            Architecture = architecture;
            _parameters = new float[parameterCount];
            _gradients = new float[parameterCount];
            for (int i = 0; i < parameterCount; i++)
                _parameters[i] = (float)Math.Sin(seed * 1000 + i + 1) * (i % 3 == 0 ? 1e-3f : 10f);
        }

        /// <summary>When set, reading <see cref="Parameters"/> throws, to make a save fail halfway.</summary>
        public bool FailOnParameters { get; set; }

        public int InputSize => 784;
        public int OutputSize => 10;
        public int ParameterCount => _parameters.Length;
        public int BatchCapacity => 1;
        public string Architecture { get; }

        public Span<float> Parameters => FailOnParameters ? throw new IOException("simulated failure while writing") : _parameters;

        public Span<float> Gradients => _gradients;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => ReadOnlySpan<ParameterBlock>.Empty;
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => throw new NotSupportedException();
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) => throw new NotSupportedException();

        public float[] Snapshot() => (float[])_parameters.Clone();
    }

    /// <summary>A stream that can only be read forward, to exercise the non-seekable paths.</summary>
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

    /// <summary>CRC-32 (zlib/PNG), bit by bit: an independent check of the library's table-driven one.</summary>
    private static uint ReferenceCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
        return ~crc;
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static void AssertBitwiseEqual(float[] expected, Span<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"parameter {i}: expected {expected[i]}, got {actual[i]}");
    }

    private static InvalidDataException AssertLoadFails(FakeNetwork network, string path, params string[] fragments)
    {
        float[] before = network.Snapshot();
        var ex = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(network, path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        foreach (string fragment in fragments)
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        AssertBitwiseEqual(before, network.Parameters); // a failed load changes nothing
        return ex;
    }

    // ---------------------------------------------------------------- round trip and format

    [Fact]
    public void SaveThenLoadRestoresEveryParameterBitForBit()
    {
        var saved = new FakeNetwork(TwoLayer50, 1000, seed: 1);
        saved.Parameters[0] = -0f;
        saved.Parameters[1] = float.Epsilon;
        saved.Parameters[2] = float.MaxValue;
        saved.Parameters[3] = float.NegativeInfinity;
        saved.Parameters[4] = float.NaN;
        string path = PathOf("net.snet");

        NetworkFile.Save(saved, path);
        var loaded = new FakeNetwork(TwoLayer50, 1000, seed: 2);
        NetworkFile.Load(loaded, path);

        AssertBitwiseEqual(saved.Snapshot(), loaded.Parameters);
        Assert.Equal(new[] { "net.snet" }, Array.ConvertAll(Directory.GetFiles(_folder), Path.GetFileName)); // no temporary file left
    }

    [Fact]
    public void TheStreamOverloadsRoundTripLargeNetworksInChunks()
    {
        var saved = new FakeNetwork(TwoLayer100, 100_000, seed: 3); // more than one 64 KiB chunk
        using var stream = new MemoryStream();
        NetworkFile.Save(saved, stream);

        var loaded = new FakeNetwork(TwoLayer100, 100_000, seed: 4);
        NetworkFile.Load(loaded, new ForwardOnlyStream(stream.ToArray()), "in-memory");

        AssertBitwiseEqual(saved.Snapshot(), loaded.Parameters);
    }

    [Fact]
    public void TheFileLayoutIsTheDocumentedOne()
    {
        Assert.Equal(0xCBF43926u, ReferenceCrc32("123456789"u8)); // the standard CRC-32 check value

        var network = new FakeNetwork("Input(2) Dense(1) — ü", 3);
        network.Parameters[0] = 1f;
        network.Parameters[1] = -2.5f;
        network.Parameters[2] = 0.1f;
        string path = PathOf("layout.snet");
        NetworkFile.Save(network, path);
        byte[] file = File.ReadAllBytes(path);

        byte[] architecture = Encoding.UTF8.GetBytes("Input(2) Dense(1) — ü");
        int n = architecture.Length;
        Assert.Equal(12 + n + 4 + 3 * 4 + 4, file.Length);
        Assert.Equal("SNET"u8.ToArray(), file.AsSpan(0, 4).ToArray());
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4)));
        Assert.Equal(n, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8)));
        Assert.Equal(architecture, file.AsSpan(12, n).ToArray());
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(12 + n)));
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F }, file.AsSpan(16 + n, 4).ToArray()); // 1f, little-endian
        Assert.Equal(-2.5f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(20 + n)));
        Assert.Equal(0.1f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(24 + n)));
        Assert.Equal(ReferenceCrc32(file.AsSpan(0, file.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4)));
    }

    // ---------------------------------------------------------------- mismatches

    [Fact]
    public void LoadingIntoAnotherArchitectureNamesBoth()
    {
        string path = PathOf("two-layer-50.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 39_760), path);

        var other = new FakeNetwork(TwoLayer100, 79_510);
        AssertLoadFails(other, path, $"the file was saved from '{TwoLayer50}' but this network is '{TwoLayer100}'");
    }

    [Fact]
    public void LoadingIntoAnotherParameterCountSaysSo()
    {
        string path = PathOf("five.snet");
        NetworkFile.Save(new FakeNetwork("Custom", 5), path);

        AssertLoadFails(new FakeNetwork("Custom", 6), path, "holds 5 parameters", "this network has 6");
    }

    // ---------------------------------------------------------------- damaged files

    [Fact]
    public void TruncatedFilesAreRejectedWhereverTheyAreCut()
    {
        var network = new FakeNetwork(TwoLayer50, 40, seed: 5);
        string good = PathOf("good.snet");
        NetworkFile.Save(network, good);
        byte[] file = File.ReadAllBytes(good);
        int n = Encoding.UTF8.GetByteCount(TwoLayer50);

        var target = new FakeNetwork(TwoLayer50, 40, seed: 6);
        (int Length, string Expected)[] cuts =
        [
            (0, "the file is empty"),
            (3, "ends after 3 bytes, inside the 12-byte header"),
            (11, "ends after 11 bytes, inside the 12-byte header"),
            (12 + n - 1, $"ends after {12 + n - 1} bytes, inside the {n}-byte architecture string"),
            (12 + n + 2, "inside the parameter count"),
            (16 + n + 7, $"promises 40 parameters, so {file.Length} bytes in all, but it ends after {16 + n + 7}"),
            (file.Length - 4, $"but it ends after {file.Length - 4}"),
            (file.Length - 1, $"so {file.Length} bytes in all, but it ends after {file.Length - 1}"),
        ];
        foreach ((int length, string expected) in cuts)
        {
            string path = PathOf($"cut-{length}.snet");
            File.WriteAllBytes(path, file.AsSpan(0, length).ToArray());
            AssertLoadFails(target, path, expected);

            // The same through a stream that cannot tell its length up front.
            float[] before = target.Snapshot();
            var ex = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(target, new ForwardOnlyStream(file.AsSpan(0, length).ToArray()), path));
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            AssertBitwiseEqual(before, target.Parameters);
        }
    }

    [Fact]
    public void AFlippedByteInTheParametersFailsTheCrc()
    {
        string path = PathOf("flipped.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 40, seed: 7), path);
        byte[] file = File.ReadAllBytes(path);
        file[file.Length - 4 - 17] ^= 0x10;
        File.WriteAllBytes(path, file);

        AssertLoadFails(new FakeNetwork(TwoLayer50, 40, seed: 8), path, "the CRC-32 does not match", "the file is corrupt");
    }

    [Fact]
    public void EveryFlippedBitAnywhereIsRejectedAndChangesNothing()
    {
        string good = PathOf("small.snet");
        NetworkFile.Save(new FakeNetwork("Input(2) Dense(2)", 6, seed: 9), good);
        byte[] file = File.ReadAllBytes(good);
        var target = new FakeNetwork("Input(2) Dense(2)", 6, seed: 10);
        float[] before = target.Snapshot();

        for (int position = 0; position < file.Length; position++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] damaged = (byte[])file.Clone();
                damaged[position] ^= (byte)(1 << bit);
                var ex = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(target, new MemoryStream(damaged), "damaged.snet"));
                Assert.Contains("damaged.snet", ex.Message, StringComparison.Ordinal);
            }
        }
        AssertBitwiseEqual(before, target.Parameters);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        string path = PathOf("trailing.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 4), path);
        using (var stream = new FileStream(path, FileMode.Append))
            stream.Write([1, 2, 3]);

        AssertLoadFails(new FakeNetwork(TwoLayer50, 4), path, "the file has 3 more bytes after its end");
    }

    [Fact]
    public void AFileOfAnotherKindOrVersionIsRejected()
    {
        string text = PathOf("weights.txt");
        File.WriteAllText(text, "0.1 0.2 0.3 0.4 0.5 0.6");
        AssertLoadFails(new FakeNetwork("X", 6), text, "not a StaticNet network file", "302E3120", "SNET");

        string future = PathOf("future.snet");
        NetworkFile.Save(new FakeNetwork("X", 6), future);
        byte[] file = File.ReadAllBytes(future);
        file[4] = 3; // version 2 is the one with a state section (BatchNorm's running statistics)
        File.WriteAllBytes(future, file);
        AssertLoadFails(new FakeNetwork("X", 6), future, "format version 3 is not supported", "newer StaticNet", "versions 1 and 2");

        string absurd = PathOf("absurd.snet");
        file[4] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(8), int.MaxValue);
        File.WriteAllBytes(absurd, file);
        AssertLoadFails(new FakeNetwork("X", 6), absurd, $"architecture length of {int.MaxValue} bytes, which is impossible");
    }

    // ---------------------------------------------------------------- failed saves

    [Fact]
    public void AFailedSaveLeavesTheExistingFileIntactAndNoTemporaryFile()
    {
        string path = PathOf("model.snet");
        var original = new FakeNetwork(TwoLayer50, 300, seed: 11);
        NetworkFile.Save(original, path);
        byte[] before = File.ReadAllBytes(path);

        // The temporary file is created before the parameters are read, so this fails halfway through the save.
        var failing = new FakeNetwork(TwoLayer50, 300, seed: 12) { FailOnParameters = true };
        var ex = Assert.Throws<IOException>(() => NetworkFile.Save(failing, path));
        Assert.Equal("simulated failure while writing", ex.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.snet" }, Array.ConvertAll(Directory.GetFiles(_folder), Path.GetFileName));
        var check = new FakeNetwork(TwoLayer50, 300);
        NetworkFile.Load(check, path);
        AssertBitwiseEqual(original.Snapshot(), check.Parameters);
    }

    [Fact]
    public void SavingOntoAFolderFailsAndLeavesItAlone()
    {
        string folder = PathOf("a-folder");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "keep");

        var ex = Assert.Throws<IOException>(() => NetworkFile.Save(new FakeNetwork("X", 3), folder));
        Assert.Contains(folder, ex.Message, StringComparison.Ordinal);
        Assert.Contains("folder", ex.Message, StringComparison.Ordinal);

        Assert.Equal("keep", File.ReadAllText(Path.Combine(folder, "keep.txt")));
        Assert.Equal(new[] { "a-folder" }, Array.ConvertAll(Directory.GetFileSystemEntries(_folder), Path.GetFileName));
    }

    [Fact]
    public void SavingIntoAMissingFolderThrowsAndCreatesNothing()
    {
        string path = Path.Combine(_folder, "missing", "model.snet");
        Assert.Throws<DirectoryNotFoundException>(() => NetworkFile.Save(new FakeNetwork("X", 3), path));
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void LoadingAMissingFileOrAFolderSaysSoNamingIt()
    {
        string missing = PathOf("missing.snet");
        var ex = Assert.Throws<FileNotFoundException>(() => NetworkFile.Load(new FakeNetwork("X", 3), missing));
        Assert.Equal($"Cannot load network parameters from '{missing}': there is no such file.", ex.Message);
        Assert.Equal(missing, ex.FileName);

        string inMissingFolder = Path.Combine(_folder, "gone", "model.snet");
        var folder = Assert.Throws<DirectoryNotFoundException>(() => NetworkFile.Load(new FakeNetwork("X", 3), inMissingFolder));
        Assert.Equal($"Cannot load network parameters from '{inMissingFolder}': the folder '{Path.Combine(_folder, "gone")}' does not exist.", folder.Message);

        var isFolder = Assert.Throws<IOException>(() => NetworkFile.Load(new FakeNetwork("X", 3), _folder));
        Assert.Equal($"Cannot load network parameters from '{_folder}': it is a folder, not a file.", isFolder.Message);
    }

    [Fact]
    public void SavingReplacesAnExistingFile()
    {
        string path = PathOf("replace.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 13), path);
        var newer = new FakeNetwork(TwoLayer50, 10, seed: 14);
        NetworkFile.Save(newer, path);

        var check = new FakeNetwork(TwoLayer50, 10);
        NetworkFile.Load(check, path);
        AssertBitwiseEqual(newer.Snapshot(), check.Parameters);
    }

    // ---------------------------------------------------------------- temporaries, links, read-only files

    private string[] FilesIn(string folder) =>
        Array.ConvertAll(Directory.GetFileSystemEntries(folder), Path.GetFileName)!;

    /// <summary>The id of a process that has run and exited, as after a save killed mid-write.</summary>
    private static int DeadProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("sh", "-c true") { UseShellExecute = false })!;
        process.WaitForExit();
        int id = process.Id;
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(id)); // really gone (and not reused yet)
        return id;
    }

    /// <summary>A temporary file as <see cref="NetworkFile.Save{TNet}(TNet, string)"/> names it, with 3 MB of a half-written save in it.</summary>
    private string LeftBehind(string target, int processId)
    {
        string path = Path.Combine(_folder, $".{target}.{processId}.{Guid.NewGuid():N}{NetworkFile.TemporaryFileSuffix}");
        File.WriteAllBytes(path, new byte[3_200_000]);
        return path;
    }

    [Fact]
    public void TheNextSaveRemovesATemporaryFileLeftByAKilledSaveAndNothingElse()
    {
        string path = PathOf("model.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 20), path);
        int dead = DeadProcessId();
        string stale = LeftBehind("model.snet", dead);
        string live = LeftBehind("model.snet", Environment.ProcessId);   // a save of this process still running
        string otherFile = LeftBehind("other.snet", dead);               // another target's: not this save's business
        string similar = LeftBehind("model.snet.1", dead);               // the temporary of model.snet.1, not of model.snet
        string notOurs = PathOf(".model.snet.backup.snet-tmp");          // the suffix, but not a name Save writes
        File.WriteAllText(notOurs, "keep");
        string overlapping = PathOf(".model.snet.snet-tmp");             // prefix and suffix overlap
        File.WriteAllText(overlapping, "keep");

        var newer = new FakeNetwork(TwoLayer50, 10, seed: 21);
        NetworkFile.Save(newer, path);

        Assert.False(File.Exists(stale), "the temporary file of the dead process is still there");
        Assert.True(File.Exists(live), "the temporary file of a running save was deleted");
        Assert.True(File.Exists(otherFile));
        Assert.True(File.Exists(similar));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(overlapping));
        var check = new FakeNetwork(TwoLayer50, 10);
        NetworkFile.Load(check, path);
        AssertBitwiseEqual(newer.Snapshot(), check.Parameters);
    }

    [Fact]
    public async Task AProcessKilledMidSaveLeavesTheOldFileAndTheNextSaveRemovesItsTemporary()
    {
        string path = PathOf("killed.snet");
        var original = new FakeNetwork("Hanging", 1000, seed: 31);
        NetworkFile.Save(original, path);
        byte[] before = File.ReadAllBytes(path);

        // This test assembly, run as a program (SaveChild.Main), starts a save to the same file and hangs
        // halfway; it is then killed, as by kill -9 or a power cut.
        string assembly = typeof(SaveChild).Assembly.Location;
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet"; // the SDK's own dotnet, when run by it
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { "exec", assembly, SaveChild.HangWhileSaving, path })
            start.ArgumentList.Add(argument);
        string? line;
        int childId;
        using (Process child = Process.Start(start)!)
        {
            childId = child.Id;
            try
            {
                try
                {
                    line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(25));
                }
                catch (TimeoutException)
                {
                    line = "(nothing: the child process did not start saving within 25 s)";
                }
            }
            finally
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
            }
        }
        Assert.Equal(SaveChild.Saving, line);

        string[] left = Directory.GetFiles(_folder, $".killed.snet.{childId}.*{NetworkFile.TemporaryFileSuffix}");
        Assert.Single(left);                                // the killed save's temporary file is there ...
        Assert.Equal(before, File.ReadAllBytes(path));      // ... and the file is untouched

        var newer = new FakeNetwork("Hanging", 1000, seed: 32);
        NetworkFile.Save(newer, path);

        Assert.Equal(new[] { "killed.snet" }, FilesIn(_folder));
        var check = new FakeNetwork("Hanging", 1000);
        NetworkFile.Load(check, path);
        AssertBitwiseEqual(newer.Snapshot(), check.Parameters);
    }

    [Fact]
    public void LoadAlsoRemovesStaleTemporaryFiles()
    {
        string path = PathOf("model.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 22), path);
        string stale = LeftBehind("model.snet", DeadProcessId());

        NetworkFile.Load(new FakeNetwork(TwoLayer50, 10), path);

        Assert.False(File.Exists(stale));
        Assert.Equal(new[] { "model.snet" }, FilesIn(_folder));
    }

    [Fact]
    public void ATemporaryFileWhoseProcessIdWasReusedIsStale()
    {
        // Named after this (running) process, but last written long before this process started: the saver
        // that wrote it died and its id went to this process.
        string path = PathOf("reused.snet");
        string stale = LeftBehind("reused.snet", Environment.ProcessId);
        File.SetLastWriteTimeUtc(stale, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        NetworkFile.Save(new FakeNetwork("X", 3), path);

        Assert.Equal(new[] { "reused.snet" }, FilesIn(_folder));
    }

    [Fact]
    public void SavingThroughASymbolicLinkReplacesTheRealFileAndKeepsTheLink()
    {
        string realFolder = PathOf("real");
        Directory.CreateDirectory(realFolder);
        string real = Path.Combine(realFolder, "weights.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 23), real);
        string link = PathOf("latest.snet");
        File.CreateSymbolicLink(link, Path.Combine("real", "weights.snet")); // relative, as ln -s makes them
        string chain = PathOf("chain.snet");
        File.CreateSymbolicLink(chain, "latest.snet");                       // a link to the link

        var newer = new FakeNetwork(TwoLayer50, 10, seed: 24);
        NetworkFile.Save(newer, link);
        var newest = new FakeNetwork(TwoLayer50, 10, seed: 25);
        NetworkFile.Save(newest, chain);

        Assert.Equal(Path.Combine("real", "weights.snet"), new FileInfo(link).LinkTarget);
        Assert.Equal("latest.snet", new FileInfo(chain).LinkTarget);
        var check = new FakeNetwork(TwoLayer50, 10);
        NetworkFile.Load(check, real);
        AssertBitwiseEqual(newest.Snapshot(), check.Parameters);
        NetworkFile.Load(check, link);
        AssertBitwiseEqual(newest.Snapshot(), check.Parameters);
        Assert.Equal(new[] { "weights.snet" }, FilesIn(realFolder)); // no temporary file left beside it
        Assert.Equal(new[] { "chain.snet", "latest.snet", "real" }, Sorted(FilesIn(_folder)));
    }

    [Fact]
    public void SavingThroughADanglingLinkCreatesTheFileItPointsTo()
    {
        string link = PathOf("link.snet");
        File.CreateSymbolicLink(link, "target.snet");
        var network = new FakeNetwork("X", 4, seed: 26);

        NetworkFile.Save(network, link);

        Assert.Equal("target.snet", new FileInfo(link).LinkTarget);
        var check = new FakeNetwork("X", 4);
        NetworkFile.Load(check, PathOf("target.snet"));
        AssertBitwiseEqual(network.Snapshot(), check.Parameters);
    }

    [Fact]
    public void AReadOnlyFileIsRefusedAndLeftUnchanged()
    {
        string path = PathOf("frozen.snet");
        NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 27), path);
        if (OperatingSystem.IsWindows())
            File.SetAttributes(path, FileAttributes.ReadOnly);
        else
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // chmod 444; root could still write it
        byte[] before = File.ReadAllBytes(path);
        string link = PathOf("frozen-link.snet");
        File.CreateSymbolicLink(link, "frozen.snet");

        var ex = Assert.Throws<UnauthorizedAccessException>(() => NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 28), path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
        var viaLink = Assert.Throws<UnauthorizedAccessException>(() => NetworkFile.Save(new FakeNetwork(TwoLayer50, 10, seed: 28), link));
        Assert.Contains($"'{link}' (a link to '{path}')", viaLink.Message, StringComparison.Ordinal);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "frozen-link.snet", "frozen.snet" }, Sorted(FilesIn(_folder)));
        if (OperatingSystem.IsWindows())
            File.SetAttributes(path, FileAttributes.Normal); // so that Dispose can delete the folder
    }

    [Fact]
    public void AReplacedFileKeepsItsPermissions()
    {
        if (OperatingSystem.IsWindows())
            return; // no Unix mode bits to keep on Windows
        string path = PathOf("private.snet");
        NetworkFile.Save(new FakeNetwork("X", 3, seed: 29), path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // chmod 600

        NetworkFile.Save(new FakeNetwork("X", 3, seed: 30), path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    private static string[] Sorted(string[] names)
    {
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }
}
