using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace StaticNet;

// The StaticNet network file format, version 1 (all integers little-endian):
//
//   offset     size  field
//   0          4     magic, the ASCII bytes "SNET" (53 4E 45 54)
//   4          4     format version, uint32 = 1
//   8          4     N, the byte length of the architecture string, int32, 0..1 MiB
//   12         N     INetwork.Architecture, UTF-8, no terminator
//   12+N       4     P, the parameter count (INetwork.ParameterCount), int32 >= 0
//   16+N       4*P   INetwork.Parameters, float32 (IEEE 754 binary32), in order
//   16+N+4P    4     CRC-32 of bytes [0, 16+N+4P): the zlib/PNG CRC (reflected polynomial
//                    0xEDB88320, initial value and final xor 0xFFFFFFFF), uint32
//
// The file ends right after the CRC; a file of a different length is rejected.
//
// Version 2 is version 1 with a state section between the parameters and the CRC, for networks with a
// non-empty INetwork.State (BatchNorm's running mean and variance):
//
//   16+N+4P    4     S, the state count (INetwork.State.Length), int32 >= 0
//   20+N+4P    4*S   INetwork.State, float32, in order
//   20+N+4P+4S 4     CRC-32 of every byte before it
//
// Save writes version 1 for a network without state (so files of such networks are as before and older
// StaticNet reads them) and version 2 otherwise; Load reads both (a version-1 file has no state).

/// <summary>
/// Saves a network's parameters to a file and loads them back, checked against the network's architecture.
/// </summary>
/// <remarks>
/// <para>The format (version 1; all integers little-endian, the same on every platform; version 2 adds a state section, see below):</para>
/// <list type="table">
/// <listheader><term>bytes</term><description>content</description></listheader>
/// <item><term>4</term><description>magic: the ASCII bytes <c>SNET</c></description></item>
/// <item><term>4</term><description>format version, uint32, currently 1</description></item>
/// <item><term>4</term><description>N: byte length of the architecture string, int32 (at most 1 MiB)</description></item>
/// <item><term>N</term><description><see cref="INetwork.Architecture"/> in UTF-8</description></item>
/// <item><term>4</term><description>P: <see cref="INetwork.ParameterCount"/>, int32</description></item>
/// <item><term>4 x P</term><description><see cref="INetwork.Parameters"/> as float32</description></item>
/// <item><term>4</term><description>CRC-32 (the zlib/PNG one, polynomial 0xEDB88320) of every byte before it, uint32</description></item>
/// </list>
/// <para>
/// A network with a non-empty <see cref="INetwork.State"/> (BatchNorm's running mean and variance) is saved as
/// version 2: after the parameters, S (the state count, int32) and S float32 of <see cref="INetwork.State"/>, then the
/// CRC-32. A network without state is saved as version 1, as before. Both versions load; the state is checked with
/// the rest and copied only when everything is valid.
/// </para>
/// <para>
/// <see cref="Save{TNet}(TNet, string)"/> writes to a temporary file in the same folder, flushes it to disk
/// and then renames it over the destination, so a crash or a failure never leaves a half-written file: the
/// destination holds either the old file or the complete new one. The temporary file of a killed save is
/// removed by the next save or load of the same file. Symbolic links are followed, and a read-only file is
/// refused.
/// </para>
/// <para>
/// <see cref="Load{TNet}(TNet, string)"/> reads and checks the whole file (magic, version, length, CRC, no
/// trailing bytes, then the architecture and parameter count against the network's) into a temporary buffer
/// before it copies anything into <see cref="INetwork.Parameters"/>: a corrupt or mismatched file throws
/// <see cref="InvalidDataException"/> naming the file and the problem, and leaves the network unchanged.
/// </para>
/// </remarks>
public static class NetworkFile
{
    /// <summary>
    /// The newest format version, which <see cref="Load{TNet}(TNet, Stream, string)"/> reads along with version 1:
    /// <see cref="Save{TNet}(TNet, Stream)"/> writes it for a network with <see cref="INetwork.State"/> and version 1
    /// (no state section) for one without.
    /// </summary>
    public const int FormatVersion = 2;

    /// <summary>The version without a state section, still written for networks without <see cref="INetwork.State"/>.</summary>
    private const int StatelessVersion = 1;

    /// <summary>The longest architecture string accepted, in UTF-8 bytes (1 MiB).</summary>
    public const int MaxArchitectureBytes = 1 << 20;

    private const int HeaderSize = 12; // magic, version, architecture length
    private const int ChunkSize = 1 << 16; // bytes per read/write of the parameters; a multiple of 4
    private static ReadOnlySpan<byte> Magic => "SNET"u8;

    /// <summary>The end of the name of every temporary file <see cref="Save{TNet}(TNet, string)"/> writes: <c>.{file name}.{process id}.{random}.snet-tmp</c>, next to the file.</summary>
    public const string TemporaryFileSuffix = ".snet-tmp";

    /// <summary>
    /// Saves the parameters of <paramref name="network"/> to <paramref name="path"/>, replacing the file if it
    /// exists. The data go to a temporary file in the same folder first (named
    /// <c>.{file name}.{process id}.{random}.snet-tmp</c>), which is flushed to disk and then renamed to
    /// <paramref name="path"/>; on any failure the temporary file is deleted and an existing file at
    /// <paramref name="path"/> is left as it was.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A symbolic link is followed: the file it points to (through any chain of links) is replaced and the link
    /// is kept. A read-only file (no write permission for its owner on Unix, the read-only attribute on
    /// Windows) is refused, also when the process could overwrite it anyway (as root), as <c>vim</c> or
    /// <c>rm -i</c> ask before overwriting one. The permissions of a replaced file are kept.
    /// </para>
    /// <para>
    /// A process killed while saving leaves its temporary file behind. Each <see cref="Save{TNet}(TNet, string)"/>
    /// and <see cref="Load{TNet}(TNet, string)"/> of a path first deletes the stale temporary files of that path:
    /// those whose process (the id in the name) no longer runs, or runs but started after the file was last
    /// written (its id was reused). A temporary file of a save that is still running is never touched. The
    /// check looks at the processes of this machine: do not save to one folder from several machines at once.
    /// </para>
    /// </remarks>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are saved.</param>
    /// <param name="path">The file to write, or a symbolic link to it.</param>
    /// <exception cref="IOException">The file cannot be written (e.g. <paramref name="path"/> is a folder, or the folder does not exist).</exception>
    /// <exception cref="UnauthorizedAccessException">The file is read-only, or the folder is not writable; the message names the file.</exception>
    public static void Save<TNet>(TNet network, string path)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(path);

        string target = ResolveTarget(path);
        if (Directory.Exists(target))
            throw new IOException($"Cannot save the network to '{path}': it is a folder.");
        string folder = Path.GetDirectoryName(target) ?? throw new IOException($"Cannot save the network to '{path}': it is not a file path.");
        string fileName = Path.GetFileName(target);
        bool replacing = File.Exists(target);
        if (replacing && IsReadOnly(target))
        {
            string shown = target == Path.GetFullPath(path) ? $"'{path}'" : $"'{path}' (a link to '{target}')";
            throw new UnauthorizedAccessException($"Cannot save the network to {shown}: the file is read-only. Make it writable (e.g. chmod u+w) or save to another file.");
        }

        if (Directory.Exists(folder))
            RemoveStaleTemporaries(folder, fileName);
        string temporary = Path.Combine(folder, $".{fileName}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}{TemporaryFileSuffix}");

        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: ChunkSize))
            {
                Save(network, file);
                file.Flush(flushToDisk: true);
            }
            if (replacing && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(target));
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary); // no-op when it was never created or already moved
            }
            catch (IOException)
            {
                // Keep the original exception; a stray temporary file is the lesser evil (the next save removes it).
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    /// <summary>The full path of the file that <paramref name="path"/> names, through any symbolic links (which need not point to an existing file).</summary>
    private static string ResolveTarget(string path)
    {
        string fullPath = Path.GetFullPath(path);
        var info = new FileInfo(fullPath);
        if (info.LinkTarget is null)
            return fullPath;
        FileSystemInfo? final = info.ResolveLinkTarget(returnFinalTarget: true);
        return final is null ? fullPath : Path.GetFullPath(final.FullName);
    }

    private static bool IsReadOnly(string file)
    {
        if (OperatingSystem.IsWindows())
            return (File.GetAttributes(file) & FileAttributes.ReadOnly) != 0;
        // Checked from the mode bits, not by trying: root may write to any file, but a file its owner may
        // not write is meant to be kept.
        return (File.GetUnixFileMode(file) & UnixFileMode.UserWrite) == 0;
    }

    /// <summary>
    /// Deletes the temporary files <c>.{fileName}.{pid}.{random}.snet-tmp</c> in <paramref name="folder"/> that
    /// no running save owns: their process has exited, or the process with that id started after the file was
    /// last written. Best effort: a file that cannot be examined or deleted is left.
    /// </summary>
    private static void RemoveStaleTemporaries(string folder, string fileName)
    {
        string prefix = "." + fileName + ".";
        try
        {
            foreach (string candidate in Directory.EnumerateFiles(folder, "*" + TemporaryFileSuffix))
            {
                string name = Path.GetFileName(candidate);
                if (!name.StartsWith(prefix, StringComparison.Ordinal) || !TryParseOwner(name.AsSpan(prefix.Length), out int processId))
                    continue;
                try
                {
                    if (IsStale(candidate, processId))
                        File.Delete(candidate);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Parses <c>{pid}.{32 hex digits}.snet-tmp</c>, the part of a temporary file's name after <c>.{file name}.</c>.</summary>
    private static bool TryParseOwner(ReadOnlySpan<char> rest, out int processId)
    {
        processId = 0;
        if (!rest.EndsWith(TemporaryFileSuffix, StringComparison.Ordinal))
            return false; // e.g. ".model.snet.snet-tmp": the suffix overlaps the prefix
        rest = rest.Slice(0, rest.Length - TemporaryFileSuffix.Length);
        int dot = rest.IndexOf('.');
        if (dot <= 0 || rest.Length - dot - 1 != 32)
            return false;
        foreach (char c in rest.Slice(dot + 1))
        {
            if (!char.IsAsciiHexDigit(c))
                return false;
        }
        return int.TryParse(rest.Slice(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out processId);
    }

    private static bool IsStale(string temporary, int processId)
    {
        DateTime lastWritten = File.GetLastWriteTimeUtc(temporary);
        Process owner;
        try
        {
            owner = Process.GetProcessById(processId);
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        using (owner)
        {
            try
            {
                // A second of slack for the clocks of the two timestamps; an id reused within a second of
                // the crash is the one case left for a later save to clean up.
                return owner.HasExited || owner.StartTime.ToUniversalTime() > lastWritten.AddSeconds(1);
            }
            catch (InvalidOperationException)
            {
                return true; // it exited meanwhile
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false; // not allowed to look: assume it is saving
            }
        }
    }

    /// <summary>Writes the parameters of <paramref name="network"/> to <paramref name="stream"/> in the network file format (see <see cref="NetworkFile"/>). The stream is not flushed or disposed.</summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are saved.</param>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="ArgumentException">The stream is not writable, or the network is inconsistent (its <see cref="INetwork.Parameters"/> do not hold <see cref="INetwork.ParameterCount"/> floats, or its architecture string is too long).</exception>
    public static void Save<TNet>(TNet network, Stream stream)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("The stream must be writable.", nameof(stream));

        byte[] architecture = Encoding.UTF8.GetBytes(network.Architecture);
        if (architecture.Length > MaxArchitectureBytes)
            throw new ArgumentException($"The network's architecture string is {architecture.Length} bytes in UTF-8, more than the {MaxArchitectureBytes} the file format allows.", nameof(network));
        int count = network.ParameterCount;
        ReadOnlySpan<float> parameters = network.Parameters;
        if (parameters.Length != count)
            throw new ArgumentException($"The network's Parameters hold {parameters.Length} floats, but its ParameterCount is {count}.", nameof(network));

        ReadOnlySpan<float> state = network.State;
        uint crc = Crc32.Initial;

        Span<byte> field = stackalloc byte[HeaderSize];
        Magic.CopyTo(field);
        BinaryPrimitives.WriteUInt32LittleEndian(field.Slice(4), (uint)(state.IsEmpty ? StatelessVersion : FormatVersion));
        BinaryPrimitives.WriteInt32LittleEndian(field.Slice(8), architecture.Length);
        Write(stream, field, ref crc);
        Write(stream, architecture, ref crc);
        BinaryPrimitives.WriteInt32LittleEndian(field, count);
        Write(stream, field.Slice(0, 4), ref crc);

        byte[] chunk = new byte[Math.Min(ChunkSize, Math.Max(4, 4 * count))];
        int floatsPerChunk = chunk.Length / 4;
        for (int start = 0; start < count; start += floatsPerChunk)
        {
            int n = Math.Min(floatsPerChunk, count - start);
            for (int i = 0; i < n; i++)
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * i), parameters[start + i]);
            Write(stream, chunk.AsSpan(0, 4 * n), ref crc);
        }

        if (!state.IsEmpty)
        {
            BinaryPrimitives.WriteInt32LittleEndian(field, state.Length);
            Write(stream, field.Slice(0, 4), ref crc);
            byte[] stateBytes = new byte[4 * state.Length];
            for (int i = 0; i < state.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(stateBytes.AsSpan(4 * i), state[i]);
            Write(stream, stateBytes, ref crc);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(field, Crc32.Finish(crc));
        stream.Write(field.Slice(0, 4));
    }

    /// <summary>
    /// Loads parameters saved by <see cref="Save{TNet}(TNet, string)"/> into <paramref name="network"/>.
    /// The file is checked completely before anything is copied: if it is not valid, or was saved from a
    /// network of another architecture, an <see cref="InvalidDataException"/> says so and the network's
    /// parameters are unchanged.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="path">The file to read. Stale temporary files of earlier saves to it that were killed are deleted first (see <see cref="Save{TNet}(TNet, string)"/>).</param>
    /// <exception cref="InvalidDataException">The file is not a valid network file, is corrupt, or does not fit <paramref name="network"/>; the message names the file and the problem.</exception>
    /// <exception cref="IOException">The file does not exist (<see cref="FileNotFoundException"/>), is a folder, or cannot be read; the message names it.</exception>
    public static void Load<TNet>(TNet network, string path)
        where TNet : INetwork
    {
        ArgumentNullException.ThrowIfNull(path);
        string target = ResolveTarget(path);
        string? folder = Path.GetDirectoryName(target);
        if (folder is not null && Directory.Exists(folder))
            RemoveStaleTemporaries(folder, Path.GetFileName(target));
        if (Directory.Exists(target))
            throw new IOException($"Cannot load network parameters from '{path}': it is a folder, not a file.");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: ChunkSize, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException ex)
        {
            throw new FileNotFoundException($"Cannot load network parameters from '{path}': there is no such file.", path, ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new DirectoryNotFoundException($"Cannot load network parameters from '{path}': the folder '{folder}' does not exist.", ex);
        }
        using (file)
            Load(network, file, path);
    }

    /// <summary>
    /// Loads parameters in the network file format from <paramref name="stream"/> (read to its end, not disposed)
    /// into <paramref name="network"/>. The data are checked completely before anything is copied; on any
    /// problem the network's parameters are unchanged.
    /// </summary>
    /// <typeparam name="TNet">The network type.</typeparam>
    /// <param name="network">The network whose <see cref="INetwork.Parameters"/> are overwritten.</param>
    /// <param name="stream">A readable stream positioned at the start of the data.</param>
    /// <param name="name">The name of the file, for error messages.</param>
    /// <exception cref="InvalidDataException">The data are not a valid network file, are corrupt, or do not fit <paramref name="network"/>; the message names the file and the problem.</exception>
    public static void Load<TNet>(TNet network, Stream stream, string name)
        where TNet : INetwork
    {
        if (network is null)
            throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
            throw new ArgumentException("The stream must be readable.", nameof(stream));

        string networkArchitecture = network.Architecture;
        byte[] expectedArchitecture = Encoding.UTF8.GetBytes(networkArchitecture);
        int expectedCount = network.ParameterCount;
        if (network.Parameters.Length != expectedCount)
            throw new ArgumentException($"The network's Parameters hold {network.Parameters.Length} floats, but its ParameterCount is {expectedCount}.", nameof(network));

        uint crc = Crc32.Initial;
        long position = 0;

        // Header: magic, version, architecture length.
        Span<byte> field = stackalloc byte[HeaderSize];
        int got = stream.ReadAtLeast(field, HeaderSize, throwOnEndOfStream: false);
        if (got == 0)
            throw Invalid(name, "the file is empty");
        int magicLength = Math.Min(got, Magic.Length);
        if (!field.Slice(0, magicLength).SequenceEqual(Magic.Slice(0, magicLength)))
            throw Invalid(name, $"not a StaticNet network file: it starts with the bytes {Convert.ToHexString(field.Slice(0, magicLength))}, expected 534E4554 (\"SNET\")");
        if (got < HeaderSize)
            throw Invalid(name, $"the file is truncated: it ends after {got} bytes, inside the {HeaderSize}-byte header");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(field.Slice(4));
        if (version != StatelessVersion && version != FormatVersion)
        {
            string newer = version > FormatVersion ? " (it was written by a newer StaticNet)" : "";
            throw Invalid(name, $"format version {version} is not supported{newer}; this StaticNet reads format versions {StatelessVersion} and {FormatVersion}");
        }
        int architectureLength = BinaryPrimitives.ReadInt32LittleEndian(field.Slice(8));
        if (architectureLength < 0 || architectureLength > MaxArchitectureBytes)
            throw Invalid(name, $"the header gives an architecture length of {architectureLength} bytes, which is impossible (at most {MaxArchitectureBytes}): the file is corrupt");
        crc = Crc32.Update(crc, field);
        position += HeaderSize;

        // Architecture and parameter count.
        byte[] architecture = new byte[architectureLength];
        got = stream.ReadAtLeast(architecture, architecture.Length, throwOnEndOfStream: false);
        position += got;
        if (got < architecture.Length)
            throw Invalid(name, $"the file is truncated: it ends after {position} bytes, inside the {architectureLength}-byte architecture string");
        crc = Crc32.Update(crc, architecture);

        got = stream.ReadAtLeast(field.Slice(0, 4), 4, throwOnEndOfStream: false);
        position += got;
        if (got < 4)
            throw Invalid(name, $"the file is truncated: it ends after {position} bytes, inside the parameter count");
        int count = BinaryPrimitives.ReadInt32LittleEndian(field);
        if (count < 0)
            throw Invalid(name, $"the parameter count {count} is negative: the file is corrupt");
        crc = Crc32.Update(crc, field.Slice(0, 4));

        long expectedLength = position + 4L * count + 4;
        string truncated = $"the file is truncated: its header promises {count} parameters, so {expectedLength} bytes in all, but it ends after ";
        if (stream.CanSeek && stream.Length - stream.Position < expectedLength - position)
            throw Invalid(name, truncated + $"{position + stream.Length - stream.Position}");

        // Parameters: kept (in a temporary buffer) only when they can fit the network; otherwise only
        // read through, so that a corrupt file is reported as corrupt rather than as a mismatch.
        float[]? loaded = count == expectedCount ? new float[count] : null;
        byte[] chunk = new byte[(int)Math.Min(ChunkSize, Math.Max(4, 4L * count))];
        long remaining = 4L * count;
        int floatIndex = 0;
        while (remaining > 0)
        {
            int want = (int)Math.Min(remaining, chunk.Length);
            got = stream.ReadAtLeast(chunk.AsSpan(0, want), want, throwOnEndOfStream: false);
            position += got;
            if (got < want)
                throw Invalid(name, truncated + $"{position}");
            crc = Crc32.Update(crc, chunk.AsSpan(0, want));
            if (loaded is not null)
            {
                for (int i = 0; i < want; i += 4)
                    loaded[floatIndex++] = BinaryPrimitives.ReadSingleLittleEndian(chunk.AsSpan(i, 4));
            }
            remaining -= want;
        }

        // Version 2: the state section (BatchNorm's running statistics), read whole into a buffer of its own.
        int expectedState = network.State.Length;
        float[]? loadedState = null;
        int stateCount = 0;
        if (version == FormatVersion)
        {
            got = stream.ReadAtLeast(field.Slice(0, 4), 4, throwOnEndOfStream: false);
            position += got;
            if (got < 4)
                throw Invalid(name, $"the file is truncated: it ends after {position} bytes, inside the state count");
            stateCount = BinaryPrimitives.ReadInt32LittleEndian(field);
            if (stateCount < 0 || stateCount > Array.MaxLength / 4 || (stream.CanSeek && 4L * stateCount > stream.Length - stream.Position))
                throw Invalid(name, $"the state count {stateCount} is impossible for the bytes that follow: the file is corrupt");
            crc = Crc32.Update(crc, field.Slice(0, 4));
            byte[] stateBytes = new byte[4L * stateCount];
            got = stream.ReadAtLeast(stateBytes, stateBytes.Length, throwOnEndOfStream: false);
            position += got;
            if (got < stateBytes.Length)
                throw Invalid(name, $"the file is truncated: it ends after {position} bytes, inside the {stateCount} state values");
            crc = Crc32.Update(crc, stateBytes);
            loadedState = new float[stateCount];
            for (int i = 0; i < stateCount; i++)
                loadedState[i] = BinaryPrimitives.ReadSingleLittleEndian(stateBytes.AsSpan(4 * i, 4));
            expectedLength += 4 + 4L * stateCount;
        }

        got = stream.ReadAtLeast(field.Slice(0, 4), 4, throwOnEndOfStream: false);
        position += got;
        if (got < 4)
            throw Invalid(name, truncated + $"{position}, inside the CRC-32");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(field);

        if (stream.ReadByte() >= 0)
        {
            string extra = stream.CanSeek ? $"{stream.Length - stream.Position + 1} more bytes" : "more bytes";
            throw Invalid(name, $"the file has {extra} after its end at {expectedLength} bytes (the CRC-32): it is corrupt or not a StaticNet network file");
        }

        uint computedCrc = Crc32.Finish(crc);
        if (storedCrc != computedCrc)
            throw Invalid(name, $"the CRC-32 does not match (stored 0x{storedCrc:X8}, computed 0x{computedCrc:X8}): the file is corrupt");

        if (!architecture.AsSpan().SequenceEqual(expectedArchitecture))
        {
            string saved = Encoding.UTF8.GetString(architecture);
            throw Invalid(name, $"the file was saved from '{saved}' but this network is '{networkArchitecture}'");
        }

        if (loaded is null)
            throw Invalid(name, $"the file holds {count} parameters, but this network has {expectedCount}");

        if (stateCount != expectedState)
            throw Invalid(name, $"the file holds {stateCount} state values (running statistics), but this network has {expectedState}");

        loaded.AsSpan().CopyTo(network.Parameters);
        loadedState?.AsSpan().CopyTo(network.State);
    }

    private static void Write(Stream stream, ReadOnlySpan<byte> bytes, ref uint crc)
    {
        crc = Crc32.Update(crc, bytes);
        stream.Write(bytes);
    }

    private static InvalidDataException Invalid(string name, string problem) =>
        new($"Cannot load network parameters from '{name}': {problem}.");

    /// <summary>CRC-32 as in zlib, PNG and Ethernet (reflected polynomial 0xEDB88320), table-driven.</summary>
    private static class Crc32
    {
        public const uint Initial = 0xFFFFFFFFu;

        private static readonly uint[] s_table = CreateTable();

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            uint[] table = s_table;
            foreach (byte b in data)
                crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        public static uint Finish(uint crc) => ~crc;

        private static uint[] CreateTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < table.Length; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }
    }
}
