using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace StaticNet;

// The StaticNet optimizer state format, version 1 (all integers little-endian, floats IEEE 754 binary32):
//
//   size  field
//   4     magic, the ASCII bytes "SNOS" (53 4E 4F 53)
//   4     format version, uint32 = 1
//   4     K, the byte length of the optimizer's name, int32, 1..64
//   K     Optimizer.Name, UTF-8 ("Sgd", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW")
//   4     H, the number of hyper-parameters, int32, 0..64
//   4*H   the hyper-parameters, float32, learning rate first, in the order the optimizer's docs list them
//   8     StepCount, int64 >= 0
//   4     P, the parameter count the state is for, int32 >= 0 (0 for Sgd, which has no state)
//   4     B, the number of state buffers, int32, 0..8
//   4*B*P the state buffers, float32, one after the other (Momentum: v; AdaGrad, RMSProp: h; Adam: m then v)
//   4     CRC-32 of every byte before it: the zlib/PNG CRC (reflected polynomial 0xEDB88320), uint32
//
// The file ends right after the CRC; a file of a different length is rejected.

public abstract partial class Optimizer
{
    /// <summary>The format version that <see cref="Save(Stream)"/> writes and <see cref="Load(Stream, string)"/> reads.</summary>
    public const int StateFormatVersion = 1;

    private const int MaxNameBytes = 64, MaxHyperParameters = 64, MaxStateBuffers = 8;
    private const int ChunkFloats = 1 << 14;
    private static ReadOnlySpan<byte> StateMagic => "SNOS"u8;

    /// <summary>
    /// Saves this optimizer's state (its <see cref="Name"/>, hyper-parameters, <see cref="StepCount"/> and state
    /// buffers) to <paramref name="path"/>, replacing the file if it exists. Saved together with the network's
    /// weights (<see cref="NetworkFile.Save{TNet}(TNet, string)"/>), it lets training resume exactly where it
    /// stopped: the next steps are bit for bit those that training straight through would have taken.
    /// </summary>
    /// <remarks>
    /// The data go to a temporary file in the same folder first (<c>.{file name}.{random}.tmp</c>), which is
    /// flushed to disk and then renamed to <paramref name="path"/>; on any failure the temporary file is deleted
    /// and an existing file at <paramref name="path"/> is left as it was. The format is described at the top of
    /// <c>OptimizerFile.cs</c>: a header, the hyper-parameters, the step count, the buffers and a CRC-32.
    /// </remarks>
    /// <param name="path">The file to write.</param>
    /// <exception cref="IOException">The file cannot be written (e.g. <paramref name="path"/> is a folder, or its folder does not exist).</exception>
    /// <exception cref="UnauthorizedAccessException">The file or its folder is not writable.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new IOException($"Cannot save the optimizer state to '{path}': it is a folder.");
        string folder = Path.GetDirectoryName(fullPath) ?? throw new IOException($"Cannot save the optimizer state to '{path}': it is not a file path.");
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Save(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary); // no-op when it was never created or already moved
            }
            catch (IOException)
            {
                // Keep the original exception; a stray temporary file is the lesser evil.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    /// <summary>Writes this optimizer's state to <paramref name="stream"/> (see <see cref="Save(string)"/>). The stream is not flushed or disposed.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("The stream must be writable.", nameof(stream));

        byte[] name = Encoding.UTF8.GetBytes(Name);
        uint crc = StateCrc32.Initial;
        Span<byte> field = stackalloc byte[8];

        Write(stream, StateMagic, ref crc);
        BinaryPrimitives.WriteUInt32LittleEndian(field, StateFormatVersion);
        Write(stream, field.Slice(0, 4), ref crc);
        BinaryPrimitives.WriteInt32LittleEndian(field, name.Length);
        Write(stream, field.Slice(0, 4), ref crc);
        Write(stream, name, ref crc);

        BinaryPrimitives.WriteInt32LittleEndian(field, H.Length);
        Write(stream, field.Slice(0, 4), ref crc);
        byte[] chunk = new byte[4 * Math.Max(H.Length, Math.Min(ChunkFloats, Math.Max(1, StateLength)))];
        WriteFloats(stream, H, chunk, ref crc);

        BinaryPrimitives.WriteInt64LittleEndian(field, StepCount);
        Write(stream, field, ref crc);
        BinaryPrimitives.WriteInt32LittleEndian(field, StateLength);
        Write(stream, field.Slice(0, 4), ref crc);
        BinaryPrimitives.WriteInt32LittleEndian(field, _state.Length);
        Write(stream, field.Slice(0, 4), ref crc);
        foreach (float[] buffer in _state)
            WriteFloats(stream, buffer, chunk, ref crc);

        BinaryPrimitives.WriteUInt32LittleEndian(field, StateCrc32.Finish(crc));
        stream.Write(field.Slice(0, 4));
    }

    /// <summary>
    /// Loads a state saved by <see cref="Save(string)"/> into this optimizer: its hyper-parameters (learning rate
    /// included: they replace the ones this optimizer was created with), <see cref="StepCount"/> and state buffers.
    /// The whole file is read and checked first (magic, version, length, CRC-32, then the optimizer's name, the
    /// number of hyper-parameters and buffers, the parameter count and every hyper-parameter's range); if anything
    /// is wrong an <see cref="InvalidDataException"/> names the file and the problem and the optimizer is unchanged.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="InvalidDataException">The file is not a valid optimizer state, is corrupt, or is for another optimizer or parameter count.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public void Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        Load(file, path);
    }

    /// <summary>
    /// Loads a state in the format of <see cref="Save(Stream)"/> from <paramref name="stream"/> (read to its end, not
    /// disposed); all or nothing, as <see cref="Load(string)"/>.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the start of the state.</param>
    /// <param name="name">The name of the file, for error messages.</param>
    /// <exception cref="InvalidDataException">The data are not a valid optimizer state, are corrupt, or are for another optimizer or parameter count.</exception>
    public void Load(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
            throw new ArgumentException("The stream must be readable.", nameof(stream));

        var reader = new StateReader(stream, name);
        Span<byte> field = stackalloc byte[8];

        int got = stream.ReadAtLeast(field.Slice(0, 4), 4, throwOnEndOfStream: false);
        if (got == 0)
            throw Invalid(name, "the file is empty");
        if (!field.Slice(0, got).SequenceEqual(StateMagic.Slice(0, got)))
            throw Invalid(name, $"not a StaticNet optimizer state: it starts with the bytes {Convert.ToHexString(field.Slice(0, got))}, expected 534E4F53 (\"SNOS\")");
        if (got < 4)
            throw Invalid(name, $"the file is truncated: it ends after {got} bytes, inside the magic");
        reader.Account(field.Slice(0, 4));

        uint version = reader.UInt32(field, "the format version");
        if (version != StateFormatVersion)
        {
            string newer = version > StateFormatVersion ? " (it was written by a newer StaticNet)" : "";
            throw Invalid(name, $"format version {version} is not supported{newer}; this StaticNet reads format version {StateFormatVersion}");
        }
        int nameLength = reader.Int32(field, "the length of the optimizer's name");
        if (nameLength < 1 || nameLength > MaxNameBytes)
            throw Invalid(name, $"the optimizer's name is said to be {nameLength} bytes long, which is impossible (1 to {MaxNameBytes}): the file is corrupt");
        byte[] savedName = new byte[nameLength];
        reader.Bytes(savedName, "the optimizer's name");

        int hyperCount = reader.Int32(field, "the number of hyper-parameters");
        if (hyperCount < 0 || hyperCount > MaxHyperParameters)
            throw Invalid(name, $"the number of hyper-parameters is {hyperCount}, which is impossible (0 to {MaxHyperParameters}): the file is corrupt");
        float[] hyper = new float[hyperCount];
        reader.Floats(hyper, "the hyper-parameters");

        long steps = reader.Int64(field, "the step count");
        int count = reader.Int32(field, "the parameter count");
        int buffers = reader.Int32(field, "the number of state buffers");
        if (count < 0 || buffers < 0 || buffers > MaxStateBuffers)
            throw Invalid(name, $"the header gives {buffers} state buffers of {count} floats, which is impossible (0 to {MaxStateBuffers} buffers, at least 0 floats): the file is corrupt");
        long expectedLength = reader.Position + 4L * buffers * count + 4;
        if (stream.CanSeek && stream.Length - stream.Position < expectedLength - reader.Position)
            throw Invalid(name, $"the file is truncated: its header promises {buffers} state buffers of {count} floats, so {expectedLength} bytes in all, but it ends after {reader.Position + stream.Length - stream.Position}");

        // The buffers are kept (in temporary arrays) only when they can fit this optimizer; otherwise only read
        // through, so that a corrupt file is reported as corrupt rather than as a mismatch.
        bool fits = buffers == _state.Length && count == StateLength;
        var loaded = new float[buffers][];
        float[] scratch = new float[Math.Min(ChunkFloats, Math.Max(1, count))];
        for (int b = 0; b < buffers; b++)
        {
            if (fits)
            {
                loaded[b] = new float[count];
                reader.Floats(loaded[b], "the state buffers");
            }
            else
            {
                for (int start = 0; start < count; start += scratch.Length)
                    reader.Floats(scratch.AsSpan(0, Math.Min(scratch.Length, count - start)), "the state buffers");
            }
        }

        uint computed = StateCrc32.Finish(reader.Crc);
        got = stream.ReadAtLeast(field.Slice(0, 4), 4, throwOnEndOfStream: false);
        if (got < 4)
            throw Invalid(name, $"the file is truncated: it ends after {reader.Position + got} bytes, inside the CRC-32 (expected {expectedLength} bytes)");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(field);
        if (stream.ReadByte() >= 0)
            throw Invalid(name, $"the file goes on after its end at {expectedLength} bytes (the CRC-32): it is corrupt or not a StaticNet optimizer state");
        if (stored != computed)
            throw Invalid(name, $"the CRC-32 does not match (stored 0x{stored:X8}, computed 0x{computed:X8}): the file is corrupt");

        string savedOptimizer = Encoding.UTF8.GetString(savedName);
        if (savedOptimizer != Name)
            throw Invalid(name, $"it holds the state of {savedOptimizer}, but this optimizer is {Name}");
        if (hyperCount != H.Length)
            throw Invalid(name, $"it holds {hyperCount} hyper-parameters, but {Name} has {H.Length}");
        if (buffers != _state.Length)
            throw Invalid(name, $"it holds {buffers} state buffers, but {Name} has {_state.Length}");
        if (!fits)
            throw Invalid(name, $"its state is for {count} parameters, but this optimizer was created for {StateLength}");
        if (steps < 0)
            throw Invalid(name, $"the step count {steps} is negative: the file is corrupt");
        try
        {
            Validate(hyper);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"Cannot load the optimizer state from '{name}': a hyper-parameter is out of range. {e.Message}", e);
        }

        // Everything checked: commit.
        hyper.AsSpan().CopyTo(H);
        StepCount = steps;
        for (int b = 0; b < buffers; b++)
            loaded[b].AsSpan().CopyTo(_state[b]);
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values, byte[] chunk, ref uint crc)
    {
        int perChunk = chunk.Length / 4;
        for (int start = 0; start < values.Length; start += perChunk)
        {
            int n = Math.Min(perChunk, values.Length - start);
            for (int i = 0; i < n; i++)
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * i), values[start + i]);
            Write(stream, chunk.AsSpan(0, 4 * n), ref crc);
        }
    }

    private static void Write(Stream stream, ReadOnlySpan<byte> bytes, ref uint crc)
    {
        crc = StateCrc32.Update(crc, bytes);
        stream.Write(bytes);
    }

    private static InvalidDataException Invalid(string name, string problem) =>
        new($"Cannot load the optimizer state from '{name}': {problem}.");

    /// <summary>Reads fields, keeping the position and the running CRC, and names the field where the data end.</summary>
    private sealed class StateReader(Stream stream, string name)
    {
        private readonly byte[] _chunk = new byte[4 * ChunkFloats];
        public long Position { get; private set; }
        public uint Crc { get; private set; } = StateCrc32.Initial;

        public void Account(ReadOnlySpan<byte> bytes)
        {
            Crc = StateCrc32.Update(Crc, bytes);
            Position += bytes.Length;
        }

        public void Bytes(Span<byte> destination, string what)
        {
            int got = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (got < destination.Length)
                throw Invalid(name, $"the file is truncated: it ends after {Position + got} bytes, inside {what}");
            Account(destination);
        }

        public uint UInt32(Span<byte> field, string what)
        {
            Bytes(field.Slice(0, 4), what);
            return BinaryPrimitives.ReadUInt32LittleEndian(field);
        }

        public int Int32(Span<byte> field, string what)
        {
            Bytes(field.Slice(0, 4), what);
            return BinaryPrimitives.ReadInt32LittleEndian(field);
        }

        public long Int64(Span<byte> field, string what)
        {
            Bytes(field.Slice(0, 8), what);
            return BinaryPrimitives.ReadInt64LittleEndian(field);
        }

        public void Floats(Span<float> destination, string what)
        {
            int perChunk = _chunk.Length / 4;
            for (int start = 0; start < destination.Length; start += perChunk)
            {
                int n = Math.Min(perChunk, destination.Length - start);
                Span<byte> bytes = _chunk.AsSpan(0, 4 * n);
                Bytes(bytes, what);
                for (int i = 0; i < n; i++)
                    destination[start + i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
            }
        }
    }
}

/// <summary>CRC-32 as in zlib, PNG and Ethernet (reflected polynomial 0xEDB88320), table-driven; the same checksum as the network files'.</summary>
internal static class StateCrc32
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
